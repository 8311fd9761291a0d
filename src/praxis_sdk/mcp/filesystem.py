"""A standalone MCP filesystem server confined to one root folder.

Streamable HTTP at `/mcp` plus `GET /health`; tools and argument names follow the
reference filesystem server. Every path is walked beneath the root through directory
file descriptors (`fspath`), so a folder swapped for a symlink cannot lead out; only
regular files are read or written (a FIFO, device or socket is refused, never waited
on); `delete_file` on a symlink removes the link. Reads and writes are size-limited.

Run: `praxis-mcp-filesystem --root DIR --port 3002` (root defaults to `$MCP_SHARED_DIR`,
else `/shared`; it must exist unless `--create-root` is given).
"""

from __future__ import annotations

import argparse
import errno
import fnmatch
import logging
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal, TypeVar

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from praxis_sdk.hosts import LOOPBACK_NAMES, trusted_hosts
from praxis_sdk.mcp.fspath import Escape, LinkLoop, Location, Missing, locate, relative_parts
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

    def check(self, path: str, *, field: str = "path") -> None:
        """Refuse NUL bytes, percent-encoded dots or separators, and overlong names."""
        if not isinstance(path, str) or not path.strip():
            raise FsError(f"{field} must be a non-empty string")
        if "\x00" in path:
            raise FsError(f"{field} contains a NUL byte")
        if len(path) > MAX_PATH_CHARS:
            raise FsError(f"{field} is longer than {MAX_PATH_CHARS} characters")
        if any(code in path.lower() for code in ENCODED):
            raise FsError(f"{field} contains percent-encoded dots or separators: {path!r}")
        for part in path.split("/"):
            if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
                raise FsError(f"{field} has a name longer than {MAX_NAME_BYTES} bytes")

    @contextmanager
    def at(self, path: str, *, field: str = "path", follow_last: bool = True
           ) -> Iterator[Location]:
        """`path` located beneath the root (see `fspath`); refusals are `FsError`s."""
        self.check(path, field=field)
        try:
            with locate(self.root, path, follow_last=follow_last) as where:
                yield where
        except Escape:
            raise FsError(f"access denied: {field} {path!r} is outside the shared root") from None
        except Missing:
            raise FsError(f"{field} {path!r} does not exist") from None
        except LinkLoop:
            raise FsError(f"{field} {path!r} has a symbolic link loop") from None
        except NotADirectoryError:
            raise FsError(f"{field} {path!r}: a folder on the way is not a folder "
                          "(or was replaced by a link)") from None
        except OSError as exc:
            raise FsError(f"{field} {path!r}: {exc.strerror or exc}") from None

    def resolve(self, path: str, *, field: str = "path") -> Path:
        """Where `path` leads beneath the root (links followed), as a path under `root`."""
        with self.at(path, field=field) as where:
            return self.root.joinpath(*where.parts)

    def display(self, path: Path) -> str:
        """A path as clients see it: relative to the root, never the host's full path."""
        relative = path.relative_to(self.root).as_posix()
        return relative if relative != "." else "/"

    # Operations

    def read_file(self, path: str) -> str:
        with self.at(path) as where:
            fd = self._open(where, os.O_RDONLY, path)
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
        flags = os.O_WRONLY | os.O_CREAT
        flags |= {"overwrite": 0, "append": os.O_APPEND, "create_only": os.O_EXCL}[mode]
        try:
            with self.at(path) as where:
                fd = self._open(where, flags, path, create_mode=0o644)
                shown = where.relative
        except FsError as exc:
            if "does not exist" in exc.args[0]:
                raise FsError(f"parent folder of {path!r} does not exist "
                              "(create_directory first)") from None
            raise
        with os.fdopen(fd, "wb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if mode == "append" and size + len(data) > self.max_write_bytes:
                raise FsError(
                    f"appending would make {path!r} {size + len(data)} bytes, over the write "
                    f"limit of {self.max_write_bytes} bytes"
                )
            if mode == "overwrite":
                handle.truncate(0)
            handle.write(data)
        verb = {"overwrite": "Wrote", "append": "Appended", "create_only": "Created"}[mode]
        return f"{verb} {len(data)} bytes to {shown}"

    def list_directory(self, path: str) -> str:
        with self.at(path) as where:
            fd = self._open_dir(where, path)
            shown = where.relative
        with os.scandir(fd) as entries:
            names = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in entries)
        os.close(fd)
        lines = [f"{'[DIR]' if is_dir else '[FILE]'} {name}" for name, is_dir in names]
        return "\n".join(lines) if lines else f"{shown} is empty"

    def create_directory(self, path: str) -> str:
        self.check(path)
        try:
            parts = relative_parts(self.root, path)
        except Escape:
            raise FsError(f"access denied: path {path!r} is outside the shared root") from None
        shown = "/"
        for depth in range(1, len(parts) + 1):
            with self.at("/".join(parts[:depth])) as where:
                info = where.lstat()
                if info is None:
                    self._os(lambda w=where: os.mkdir(w.name, 0o755, dir_fd=w.dir_fd), path)
                elif not stat.S_ISDIR(info.st_mode):
                    raise FsError(f"{path!r} exists and is not a directory")
                shown = where.relative
        return f"Created directory {shown}"

    def move_file(self, source: str, destination: str) -> str:
        with self.at(source, field="source", follow_last=False) as src, \
                self.at(destination, field="destination", follow_last=False) as dst:
            if not src.parts:
                raise FsError("the shared root itself cannot be moved")
            if src.lstat() is None:
                raise FsError(f"source {source!r} does not exist")
            if dst.lstat() is not None:
                raise FsError(f"destination {destination!r} already exists")
            self._os(lambda: os.rename(src.name, dst.name, src_dir_fd=src.dir_fd,
                                       dst_dir_fd=dst.dir_fd), source)
            return f"Moved {src.relative} to {dst.relative}"

    def delete_file(self, path: str) -> str:
        """Remove one file; a symbolic link is removed itself, never its target."""
        with self.at(path, follow_last=False) as where:
            info = where.lstat()
            if info is None:
                raise FsError(f"path {path!r} does not exist")
            if stat.S_ISDIR(info.st_mode):
                raise FsError(f"{path!r} is a directory; delete_file removes files only")
            self._os(lambda: os.unlink(where.name, dir_fd=where.dir_fd), path)
            return f"Deleted {where.relative}"

    def get_file_info(self, path: str) -> str:
        with self.at(path) as where:
            info = where.lstat()
            if info is None:
                raise FsError(f"path {path!r} does not exist")
            shown = where.relative
        fields = {
            "path": shown,
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
        with self.at(path) as where:
            base_fd = self._open_dir(where, path)
            base = PurePosixPath(*where.parts)
        wildcard = any(ch in pattern for ch in "*?[")
        needle = pattern.lower()
        found: list[str] = []
        try:
            for folder, dirs, files, _ in os.fwalk(".", dir_fd=base_fd, follow_symlinks=False):
                rel_folder = PurePosixPath(folder)
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
                        found.append(str(base / rel))
                        if len(found) >= MAX_SEARCH_RESULTS:
                            found.append(f"(stopped at {MAX_SEARCH_RESULTS} results)")
                            return "\n".join(found)
        finally:
            os.close(base_fd)
        return "\n".join(found) if found else "No matches found"

    # Helpers

    def _open(self, where: Location, flags: int, shown: str, create_mode: int = 0o644) -> int:
        """Open a regular file only: never following a link, never blocking on a FIFO."""
        info = where.lstat()
        if info is not None:
            _refuse_special(info, shown)
        try:
            fd = os.open(where.name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         create_mode, dir_fd=where.dir_fd)
        except FileExistsError as exc:
            raise FsError(f"{shown!r} already exists (mode create_only)") from exc
        except FileNotFoundError as exc:
            raise FsError(f"{shown!r} does not exist") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FsError(f"access denied: {shown!r} is a symbolic link") from exc
            if exc.errno == errno.EISDIR:
                raise FsError(f"{shown!r} is a directory, not a file") from exc
            raise FsError(f"cannot open {shown!r}: {exc.strerror}") from exc
        try:
            _refuse_special(os.fstat(fd), shown)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_dir(self, where: Location, shown: str) -> int:
        info = where.lstat()
        if info is None:
            raise FsError(f"path {shown!r} does not exist")
        if not stat.S_ISDIR(info.st_mode):
            raise FsError(f"{shown!r} is not a directory")
        return self._os(lambda: os.open(where.name, os.O_RDONLY | os.O_DIRECTORY
                                        | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=where.dir_fd),
                        shown)

    @staticmethod
    def _os(action: Callable[[], T], shown: str) -> T:
        try:
            return action()
        except OSError as exc:
            raise FsError(f"{shown!r}: {exc.strerror or exc}") from exc


def _refuse_special(info: os.stat_result, shown: str) -> None:
    """Only regular files are read or written: FIFOs, devices and sockets are refused."""
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise FsError(f"{shown!r} is a directory, not a file")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
        raise FsError(f"{shown!r} is {kind}, not a regular file; only regular files are "
                      "read or written")


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
                        help="folder served (default $MCP_SHARED_DIR or /shared); it must "
                             "exist unless --create-root is given")
    parser.add_argument("--create-root", action="store_true",
                        help="create the root folder (and its parents) if it is missing")
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
    if not args.create_root and not root.exists():
        print(f"praxis-mcp-filesystem: root {str(root)!r} does not exist: create it, or "
              "pass --create-root", file=sys.stderr)
        raise SystemExit(2)
    try:
        if args.create_root:
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
