"""word_counter tool: counts lines, words and characters of a file (or of `text`).

Arguments (env `name`/`NAME`, or PRAXIS_ARGS): `file_path` (relative to the working
directory, /shared in the contract) or `text`. Prints JSON.
"""

from __future__ import annotations

import json
import os
import sys

MAX_BYTES = 50 * 1024 * 1024


def argument(name: str):
    raw = os.environ.get("PRAXIS_ARGS")
    if raw:
        try:
            args = json.loads(raw)
        except ValueError:
            args = {}
        if isinstance(args, dict) and name in args:
            return args[name]
    return os.environ.get(name, os.environ.get(name.upper()))


def fail(message: str, code: int = 1) -> int:
    print(f"word_counter: {message}", file=sys.stderr)
    return code


def count(text: str) -> dict:
    return {
        "lines": len(text.splitlines()),
        "words": len(text.split()),
        "characters": len(text),
        "bytes": len(text.encode("utf-8")),
    }


def main() -> int:
    file_path, text = argument("file_path"), argument("text")
    if file_path:
        try:
            if os.path.getsize(file_path) > MAX_BYTES:
                return fail(f"file {file_path!r} is larger than {MAX_BYTES} bytes")
            with open(file_path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except FileNotFoundError:
            return fail(f"file {file_path!r} not found")
        except IsADirectoryError:
            return fail(f"{file_path!r} is a directory, not a file")
        except PermissionError:
            return fail(f"file {file_path!r} cannot be read (permission denied)")
    elif text is None:
        return fail("give 'file_path' or 'text'", 2)
    result = {"file_path": file_path} if file_path else {}
    result.update(count(str(text)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
