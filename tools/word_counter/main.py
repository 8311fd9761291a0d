"""word_counter tool: counts lines, words and characters of a file (or of `text`).

Arguments (env `name`/`NAME`, or PRAXIS_ARGS): `file_path` (relative to the working
directory, /shared in the contract) or `text`. Prints JSON.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toolargs import ToolInputError, argument, fail, read_text  # noqa: E402

MAX_BYTES = 50 * 1024 * 1024


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
            text = read_text(file_path, MAX_BYTES)
        except ToolInputError as exc:
            return fail(str(exc))
    elif text is None:
        return fail("give 'file_path' or 'text'", 2)
    result = {"file_path": file_path} if file_path else {}
    result.update(count(str(text)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
