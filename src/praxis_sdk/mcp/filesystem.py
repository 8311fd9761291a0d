"""A standalone MCP filesystem server confined to one root folder.

Streamable HTTP at `/mcp` plus `GET /health`; tools and argument names follow the
reference filesystem server. Every path is resolved (symlinks included) and must stay
under the root; reads and writes are size-limited.

Run: `praxis-mcp-filesystem --root DIR --port 3002` (root defaults to `$MCP_SHARED_DIR`,
else `/shared`).
"""

from __future__ import annotations

import argparse
import errno
import fnmatch
import logging
import os
import stat
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from praxis_sdk.config import LOOPBACK_NAMES, trusted_hosts
from praxis_sdk.mcp.server import security_settings

logger = logging.getLogger(__name__)

DEFAULT_ROOT = "/shared"
DEFAULT_PORT = 3002
MAX_READ_BYTES = 10 * 1024 * 1024
MAX_WRITE_BYTES = 10 * 1024 * 1024
MAX_NAME_BYTES = 255
MAX_PATH_CHARS = 4096
MAX_SEARCH_RESULTS = 1000
ENCODED = ("%2e", "%2f", "%5c", "%00")
WriteMode = Literal["overwrite", "append", "create_only"]
T = TypeVar("T")


class FsError(ToolError):
    """A refused or failed file operation; the message is what the client sees."""


class Sandbox:
    """Path resolution and file operations confined to `root`."""

    def __init__(
        self,
        root: str | Path,
        *,
        max_read_bytes: int = MAX_READ_BYTES,
        max_write_bytes: int = MAX_WRITE_BYTES,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"root {str(self.root)!r} is not a directory")
        self.max_read_bytes = max_read_bytes
        self.max_write_bytes = max_write_bytes

    # Paths

    def resolve(self, path: str, *, field: str = "path") -> Path:
        """The real path of `path` (relative to the root, or absolute under it).

        Refuses NUL bytes, percent-encoded dots or separators, overlong names, and any
        path whose resolution (following symlinks) leaves the root.
        """
        if not isinstance(path, str) or not path.strip():
            raise FsError(f"{field} must be a non-empty string")
        if "\x00" in path:
            raise FsError(f"{field} contains a NUL byte")
        if len(path) > MAX_PATH_CHARS:
            raise FsError(f"{field} is longer than {MAX_PATH_CHARS} characters")
        if any(code in path.lower() for code in ENCODED):
            raise FsError(f"{field} contains percent-encoded dots or separators: {path!r}")
        for part in Path(path).parts:
            if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
                raise FsError(f"{field} has a name longer than {MAX_NAME_BYTES} bytes")
        candidate = Path(path) if os.path.isabs(path) else self.root / path
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError) as exc:
            raise FsError(f"{field} {path!r} cannot be resolved: {exc}") from exc
        if resolved != self.root and self.root not in resolved.parents:
            raise FsError(f"access denied: {field} {path!r} is outside the shared root")
        return resolved

    def display(self, path: Path) -> str:
        """A path as clients see it: relative to the root, never the host's full path."""
        relative = path.relative_to(self.root).as_posix()
        return relative if relative != "." else "/"

    # Operations

    def read_file(self, path: str) -> str:
        target = self.resolve(path)
        if target.is_dir():
            raise FsError(f"{path!r} is a directory, not a file")
        fd = self._open(target, os.O_RDONLY, path)
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > self.max_read_bytes:
                raise FsError(
                    f"{path!r} is {size} bytes, over the read limit of {self.max_read_bytes} bytes"
                )
            data = handle.read(self.max_read_bytes + 1)
        if len(data) > self.max_read_bytes:
            raise FsError(f"{path!r} is over the read limit of {self.max_read_bytes} bytes")
        return data.decode("utf-8", errors="replace")

    def write_file(self, path: str, content: str, mode: str = "overwrite") -> str:
        if mode not in ("overwrite", "append", "create_only"):
            raise FsError(f"mode must be overwrite, append or create_only, not {mode!r}")
        if not isinstance(content, str):
            raise FsError("content must be a string")
        data = content.encode("utf-8")
        if len(data) > self.max_write_bytes:
            raise FsError(
                f"content is {len(data)} bytes, over the write limit of "
                f"{self.max_write_bytes} bytes"
            )
        target = self.resolve(path)
        if target.is_dir():
            raise FsError(f"{path!r} is a directory")
        if not target.parent.is_dir():
            raise FsError(f"parent folder of {path!r} does not exist (create_directory first)")
        flags = os.O_WRONLY | os.O_CREAT
        flags |= {"overwrite": os.O_TRUNC, "append": os.O_APPEND, "create_only": os.O_EXCL}[mode]
        if mode == "append" and target.exists():
            total = target.stat().st_size + len(data)
            if total > self.max_write_bytes:
                raise FsError(
                    f"appending would make {path!r} {total} bytes, over the write limit of "
                    f"{self.max_write_bytes} bytes"
                )
        fd = self._open(target, flags, path, create_mode=0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        verb = {"overwrite": "Wrote", "append": "Appended", "create_only": "Created"}[mode]
        return f"{verb} {len(data)} bytes to {self.display(target)}"

    def list_directory(self, path: str) -> str:
        target = self._existing_dir(path)
        lines = []
        for entry in sorted(target.iterdir(), key=lambda p: p.name):
            kind = "[DIR]" if entry.is_dir() and not entry.is_symlink() else "[FILE]"
            lines.append(f"{kind} {entry.name}")
        return "\n".join(lines) if lines else f"{self.display(target)} is empty"

    def create_directory(self, path: str) -> str:
        target = self.resolve(path)
        if target.exists() and not target.is_dir():
            raise FsError(f"{path!r} exists and is not a directory")
        self._os(lambda: target.mkdir(parents=True, exist_ok=True), path)
        return f"Created directory {self.display(target)}"

    def move_file(self, source: str, destination: str) -> str:
        src = self._existing(source, field="source")
        dst = self.resolve(destination, field="destination")
        if src == self.root:
            raise FsError("the shared root itself cannot be moved")
        if dst.exists() or dst.is_symlink():
            raise FsError(f"destination {destination!r} already exists")
        if not dst.parent.is_dir():
            raise FsError(f"parent folder of destination {destination!r} does not exist")
        self._os(lambda: os.rename(src, dst), source)
        return f"Moved {self.display(src)} to {self.display(dst)}"

    def delete_file(self, path: str) -> str:
        target = self._existing(path)
        if target.is_dir():
            raise FsError(f"{path!r} is a directory; delete_file removes files only")
        self._os(target.unlink, path)
        return f"Deleted {self.display(target)}"

    def get_file_info(self, path: str) -> str:
        target = self._existing(path)
        info = self._os(target.stat, path)
        fields = {
            "path": self.display(target),
            "size": info.st_size,
            "created": _iso(getattr(info, "st_birthtime", info.st_ctime)),
            "modified": _iso(info.st_mtime),
            "accessed": _iso(info.st_atime),
            "isDirectory": stat.S_ISDIR(info.st_mode),
            "isFile": stat.S_ISREG(info.st_mode),
            "permissions": oct(stat.S_IMODE(info.st_mode))[2:],
        }
        return "\n".join(f"{key}: {value}" for key, value in fields.items())

    def search_files(
        self, path: str, pattern: str, exclude_patterns: Sequence[str] = ()
    ) -> str:
        if not pattern or "\x00" in pattern:
            raise FsError("pattern must be a non-empty string without NUL bytes")
        base = self._existing_dir(path)
        wildcard = any(ch in pattern for ch in "*?[")
        needle = pattern.lower()
        found: list[str] = []
        for folder, dirs, files in os.walk(base, followlinks=False):
            rel_folder = Path(folder).relative_to(base)
            dirs[:] = [d for d in dirs if not _excluded(rel_folder / d, exclude_patterns)]
            for name in sorted(dirs + files):
                rel = rel_folder / name
                if _excluded(rel, exclude_patterns):
                    continue
                hit = (
                    fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(str(rel), pattern)
                    if wildcard else needle in name.lower()
                )
                if hit:
                    found.append(self.display(Path(folder) / name))
                    if len(found) >= MAX_SEARCH_RESULTS:
                        return "\n".join(found + [f"(stopped at {MAX_SEARCH_RESULTS} results)"])
        return "\n".join(found) if found else "No matches found"

    # Helpers

    def _existing(self, path: str, *, field: str = "path") -> Path:
        target = self.resolve(path, field=field)
        if not target.exists():
            raise FsError(f"{field} {path!r} does not exist")
        return target

    def _existing_dir(self, path: str) -> Path:
        target = self._existing(path)
        if not target.is_dir():
            raise FsError(f"{path!r} is not a directory")
        return target

    def _open(self, target: Path, flags: int, shown: str, create_mode: int = 0o644) -> int:
        """Open without following a symlink swapped in after resolution."""
        try:
            return os.open(target, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), create_mode)
        except FileExistsError as exc:
            raise FsError(f"{shown!r} already exists (mode create_only)") from exc
        except FileNotFoundError as exc:
            raise FsError(f"{shown!r} does not exist") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FsError(f"access denied: {shown!r} is a symbolic link") from exc
            raise FsError(f"cannot open {shown!r}: {exc.strerror}") from exc

    @staticmethod
    def _os(action: Callable[[], T], shown: str) -> T:
        try:
            return action()
        except OSError as exc:
            raise FsError(f"{shown!r}: {exc.strerror or exc}") from exc


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _excluded(rel: Path, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel.name, p) or fnmatch.fnmatch(str(rel), p) for p in patterns)


def build_server(sandbox: Sandbox) -> MCPServer:
    """The MCP server with the eight filesystem tools over `sandbox`."""
    server = MCPServer(
        "praxis-mcp-filesystem",
        instructions=f"Files under {sandbox.root}; paths may be relative to it.",
    )

    @server.tool(structured_output=False)
    def read_file(path: str) -> str:
        """Read a UTF-8 text file under the shared root."""
        return sandbox.read_file(path)

    @server.tool(structured_output=False)
    def write_file(path: str, content: str, mode: WriteMode = "overwrite") -> str:
        """Write text to a file: overwrite (default), append, or create_only (new file only)."""
        return sandbox.write_file(path, content, mode)

    @server.tool(structured_output=False)
    def list_directory(path: str) -> str:
        """List a folder: one `[DIR] name` or `[FILE] name` line per entry."""
        return sandbox.list_directory(path)

    @server.tool(structured_output=False)
    def create_directory(path: str) -> str:
        """Create a folder (and missing parents); succeeds if it already exists."""
        return sandbox.create_directory(path)

    @server.tool(structured_output=False)
    def move_file(source: str, destination: str) -> str:
        """Move or rename a file or folder; fails if the destination exists."""
        return sandbox.move_file(source, destination)

    @server.tool(structured_output=False)
    def delete_file(path: str) -> str:
        """Delete one file."""
        return sandbox.delete_file(path)

    @server.tool(structured_output=False)
    def get_file_info(path: str) -> str:
        """Size, times, type and permissions of a file or folder."""
        return sandbox.get_file_info(path)

    @server.tool(structured_output=False)
    def search_files(path: str, pattern: str, excludePatterns: list[str] | None = None) -> str:  # noqa: N803
        """Find files and folders under `path` whose name matches `pattern`.

        A pattern with `*`, `?` or `[` is a glob on the name or relative path; any other
        pattern matches names containing it (case-insensitive).
        """
        return sandbox.search_files(path, pattern, excludePatterns or ())

    @server.custom_route("/health", methods=["GET"])
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "root": str(sandbox.root), "tools": 8})

    return server


def create_app(
    root: str | Path,
    *,
    allowed_hosts: Sequence[str] = LOOPBACK_NAMES,
    max_read_bytes: int = MAX_READ_BYTES,
    max_write_bytes: int = MAX_WRITE_BYTES,
) -> Starlette:
    """The Starlette app (`/mcp`, `/health`) serving `root`."""
    sandbox = Sandbox(root, max_read_bytes=max_read_bytes, max_write_bytes=max_write_bytes)
    server = build_server(sandbox)
    return server.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=True,
        transport_security=security_settings(allowed_hosts),
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="praxis-mcp-filesystem", description="MCP filesystem server confined to one folder"
    )
    parser.add_argument("--root", default=env.get("MCP_SHARED_DIR", DEFAULT_ROOT),
                        help="folder served (default $MCP_SHARED_DIR or /shared)")
    parser.add_argument("--host", default=env.get("MCP_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(env.get("MCP_PORT", DEFAULT_PORT)))
    parser.add_argument("--allowed-hosts", default=env.get("MCP_ALLOWED_HOSTS"),
                        help="comma-separated Host names accepted ('*' = any; default: "
                             "the loopback names on a loopback --host, else any)")
    parser.add_argument("--max-read-bytes", type=int,
                        default=int(env.get("MCP_MAX_READ_BYTES", MAX_READ_BYTES)))
    parser.add_argument("--max-write-bytes", type=int,
                        default=int(env.get("MCP_MAX_WRITE_BYTES", MAX_WRITE_BYTES)))
    parser.add_argument("--log-level", default=env.get("MCP_LOG_LEVEL", "info"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """`praxis-mcp-filesystem` console script."""
    args = parse_args(argv)
    root = Path(args.root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        app = create_app(
            root,
            allowed_hosts=trusted_hosts(
                args.host, args.allowed_hosts.split(",") if args.allowed_hosts else None
            ),
            max_read_bytes=args.max_read_bytes,
            max_write_bytes=args.max_write_bytes,
        )
    except (OSError, ValueError) as exc:
        print(f"praxis-mcp-filesystem: cannot serve {str(root)!r}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower())


if __name__ == "__main__":
    main()
