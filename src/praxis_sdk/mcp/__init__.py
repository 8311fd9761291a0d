"""MCP: the client for external servers, the node's own server, the filesystem server."""
