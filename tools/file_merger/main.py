"""file_merger tool: concatenates text files into one output file.

Arguments (env `name`/`NAME`, or PRAXIS_ARGS): `files` (a JSON array of paths or a
comma-separated list), `output_path`, `separator` (default a newline). Paths are relative
to the working directory (/shared in the contract). Prints JSON.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toolargs import argument, fail  # noqa: E402

MAX_FILES = 1000
MAX_TOTAL_BYTES = 100 * 1024 * 1024


def file_list(value) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError("'files' is not a valid JSON array") from None
        else:
            value = [part.strip() for part in text.split(",")]
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise ValueError("'files' must be a list of file paths")
    return value


def main() -> int:
    files, output_path = argument("files"), argument("output_path")
    if not files:
        return fail("missing argument 'files'", 2)
    if not output_path:
        return fail("missing argument 'output_path'", 2)
    try:
        paths = file_list(files)
    except ValueError as exc:
        return fail(str(exc), 2)
    if len(paths) > MAX_FILES:
        return fail(f"too many files ({len(paths)} > {MAX_FILES})", 2)
    if os.path.abspath(output_path) in {os.path.abspath(p) for p in paths}:
        return fail(f"output_path {output_path!r} is also an input file", 2)
    separator = argument("separator")
    separator = "\n" if separator is None else str(separator)
    parts, total = [], 0
    for path in paths:
        try:
            total += os.path.getsize(path)
            if total > MAX_TOTAL_BYTES:
                return fail(f"inputs are larger than {MAX_TOTAL_BYTES} bytes in total")
            with open(path, encoding="utf-8", errors="replace") as handle:
                parts.append(handle.read())
        except FileNotFoundError:
            return fail(f"file {path!r} not found")
        except OSError as exc:
            return fail(f"file {path!r} cannot be read: {exc.strerror}")
    merged = separator.join(parts)
    try:
        with open(output_path, "w", encoding="utf-8") as handle:
            handle.write(merged)
    except OSError as exc:
        return fail(f"cannot write {output_path!r}: {exc.strerror}")
    print(json.dumps({
        "output_path": output_path,
        "files_merged": len(paths),
        "bytes": len(merged.encode("utf-8")),
        "lines": len(merged.splitlines()),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
