"""Helpers the tests share: free ports, real agent processes."""
