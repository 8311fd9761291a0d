"""Path resolution through directory file descriptors, kept beneath one root folder.

Each component is looked up relative to the folder opened before it (`openat`-style):
folders are opened with `O_NOFOLLOW | O_DIRECTORY`, symbolic links are read and followed
by this code (never by the kernel), and `..` only pops what was opened below the root.
A parent swapped for a symlink between a check and its use therefore fails to open
instead of leading out of the root: there is no path string to re-resolve.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MAX_LINKS = 40
DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Escape(Exception):
    """The path leads outside the root (directly or through a symlink)."""


class Missing(Exception):
    """A folder on the way does not exist."""


class LinkLoop(Exception):
    """More than `MAX_LINKS` symlinks were followed."""


@dataclass(frozen=True)
class Location:
    """An entry `name` in the open folder `dir_fd`; `parts` spell it from the root.

    The root itself is `name="."` in the root's own descriptor with no `parts`.
    """

    dir_fd: int
    name: str
    parts: tuple[str, ...]

    @property
    def relative(self) -> str:
        """As clients see it: relative to the root, `/` for the root."""
        return "/".join(self.parts) or "/"

    def lstat(self) -> os.stat_result | None:
        """The entry's own status (a symlink is not followed); None when it does not exist."""
        try:
            return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None


def relative_parts(root: Path, path: str) -> list[str]:
    """`path` (relative to `root`, or absolute under it) as components, `..` kept."""
    if os.path.isabs(path):
        text = os.path.normpath(path)
        if text != str(root) and not text.startswith(str(root).rstrip("/") + "/"):
            raise Escape(path)
        path = text[len(str(root)):]
    return [part for part in path.split("/") if part not in ("", ".")]


@contextmanager
def locate(root: Path, path: str, *, follow_last: bool = True) -> Iterator[Location]:
    """Walk `path` beneath `root`; the descriptors opened on the way close on exit.

    Every folder on the way must exist; the last entry need not (so it can be created).
    A final symlink is followed when `follow_last`, else located itself (to delete it).
    """
    root_fd = os.open(root, DIR_FLAGS)
    opened: list[tuple[str, int]] = []
    try:
        yield _walk(root, path, root_fd, opened, follow_last)
    finally:
        for _, fd in opened:
            os.close(fd)
        os.close(root_fd)


def _walk(root: Path, path: str, root_fd: int, opened: list[tuple[str, int]],
          follow_last: bool) -> Location:
    queue = deque(relative_parts(root, path))
    links = 0
    while queue:
        part = queue.popleft()
        if part == "..":
            if not opened:
                raise Escape(path)
            os.close(opened.pop()[1])
            continue
        here = opened[-1][1] if opened else root_fd
        last = not queue
        info = _lstat(here, part)
        if info is not None and stat.S_ISLNK(info.st_mode) and (follow_last or not last):
            links += 1
            if links > MAX_LINKS:
                raise LinkLoop(path)
            try:
                target = os.readlink(part, dir_fd=here)
            except OSError as exc:  # removed or replaced since the lstat
                raise Missing(path) from exc
            if os.path.isabs(target):
                while opened:
                    os.close(opened.pop()[1])
                queue.extendleft(reversed(relative_parts(root, target)))
            else:
                queue.extendleft(reversed([p for p in target.split("/") if p not in ("", ".")]))
            continue
        if last:
            return Location(here, part, (*(n for n, _ in opened), part))
        if info is None:
            raise Missing(path)
        try:
            opened.append((part, os.open(part, DIR_FLAGS, dir_fd=here)))
        except FileNotFoundError as exc:  # removed since the lstat
            raise Missing(path) from exc
    if not opened:
        return Location(root_fd, ".", ())
    name, fd = opened.pop()  # the path ended on a folder through `..`
    os.close(fd)
    return Location(opened[-1][1] if opened else root_fd, name,
                    (*(n for n, _ in opened), name))


def _lstat(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
