"""json_formatter tool: validates and pretty-prints (or minifies) JSON.

Arguments (env `name`/`NAME`, or PRAXIS_ARGS): `json_data` or `file_path`; `indent`
(integer 0-8, default 2); `sort_keys` (boolean); `minify` (boolean); `output_path`
(write the formatted JSON there too). Prints JSON; invalid input names line and column.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toolargs import ToolInputError, argument, fail, flag, read_text  # noqa: E402

MAX_BYTES = 20 * 1024 * 1024


def read_source() -> tuple[str | None, str | None]:
    """(text, error)."""
    text, file_path = argument("json_data"), argument("file_path")
    if file_path:
        try:
            return read_text(file_path, MAX_BYTES), None
        except ToolInputError as exc:
            return None, str(exc)
    if text is None:
        return None, "give 'json_data' or 'file_path'"
    if not isinstance(text, str):
        return json.dumps(text), None
    return text, None


def main() -> int:
    text, error = read_source()
    if error:
        return fail(error, 2)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return fail(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    indent = argument("indent")
    try:
        indent = 2 if indent in (None, "") else int(indent)
    except (TypeError, ValueError):
        return fail(f"'indent' must be a whole number, got {indent!r}", 2)
    if not 0 <= indent <= 8:
        return fail("'indent' must be between 0 and 8", 2)
    if flag("minify"):
        formatted = json.dumps(data, sort_keys=flag("sort_keys"), separators=(",", ":"))
    else:
        formatted = json.dumps(data, indent=indent, sort_keys=flag("sort_keys"),
                               ensure_ascii=False)
    result = {"valid": True, "type": type(data).__name__, "formatted": formatted}
    output_path = argument("output_path")
    if output_path:
        try:
            with open(output_path, "w", encoding="utf-8") as handle:
                handle.write(formatted + "\n")
        except OSError as exc:
            return fail(f"cannot write {output_path!r}: {exc.strerror}")
        result["output_path"] = output_path
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
