"""What every shipped tool needs: its arguments and a way to fail. Standard library only.

A tool's `main.py` finds this file one folder up (`/tools` in the sandbox and in
containers, `tools/` on the host):

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from toolargs import argument, fail
"""

from __future__ import annotations

import json
import os
import sys

TRUE = {"true", "1", "yes", "on"}


def argument(name: str):
    """The argument `name`: from PRAXIS_ARGS (typed JSON), else the `name`/`NAME` variable."""
    raw = os.environ.get("PRAXIS_ARGS")
    if raw:
        try:
            args = json.loads(raw)
        except ValueError:
            args = {}
        if isinstance(args, dict) and name in args:
            return args[name]
    return os.environ.get(name, os.environ.get(name.upper()))


def flag(name: str) -> bool:
    """A boolean argument given as JSON true/false or as text like "yes"."""
    value = argument(name)
    return value if isinstance(value, bool) else str(value or "").strip().lower() in TRUE


def fail(message: str, code: int = 1) -> int:
    """Say what went wrong on stderr, named after the tool, and return the exit code."""
    tool = os.path.basename(os.path.dirname(os.path.abspath(sys.argv[0])))
    print(f"{tool}: {message}", file=sys.stderr)
    return code


class ToolInputError(Exception):
    """Input the tool cannot use; `main` turns it into `fail(...)`."""


def read_text(file_path: str, max_bytes: int) -> str:
    """A text file's content (undecodable bytes replaced); ToolInputError says why not."""
    try:
        if os.path.getsize(file_path) > max_bytes:
            raise ToolInputError(f"file {file_path!r} is larger than {max_bytes} bytes")
        with open(file_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ToolInputError(f"file {file_path!r} not found") from None
    except IsADirectoryError:
        raise ToolInputError(f"{file_path!r} is a directory, not a file") from None
    except OSError as exc:
        raise ToolInputError(f"file {file_path!r} cannot be read: {exc.strerror}") from None
