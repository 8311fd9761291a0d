"""Literal values of the DSL: quoted strings with escapes, typed words, literal dollars.

In a plan, a string that names a result (`$name.path`, `${name}`) is a reference; a dollar
sign that must stay literal is written `$$`. Single-quoted DSL strings are literal, so
their dollars are doubled; double-quoted strings and words may use references.
"""

from __future__ import annotations

import re
from typing import Any

NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\Z")
ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[^uUx]|[uUx])")
REF_START = re.compile(r"\$(?=[A-Za-z_{$])")
SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'",
          "$": "$$", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
WORDS = {"true": True, "false": False, "null": None}


class EscapeError(ValueError):
    """A bad backslash escape; `offset` is its position inside the quoted text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def word_value(text: str) -> Any:
    """A bare word: a number, true/false/null, or the text itself."""
    if text[0] in "-0123456789" and NUMBER.match(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    return WORDS.get(text, text)


def escape_literal(text: str) -> str:
    """Double the dollars that would otherwise read as a reference."""
    return REF_START.sub("$$", text) if "$" in text else text


def unquote(token: str) -> str:
    """The value of a `"..."` or `'...'` string (quotes included in `token`)."""
    quote, body = token[0], token[1:-1]
    if quote == "'":
        body = escape_literal(body)
    if "\\" not in body:
        return body
    return ESCAPE.sub(lambda m: _escape(m, quote), body)


def _escape(match: re.Match[str], quote: str) -> str:
    code = match.group(1)
    if code[0] in "uUx":
        if len(code) == 1:
            raise EscapeError(f"bad escape \\{code}: expected hex digits", match.start())
        char = chr(int(code[1:], 16)) if int(code[1:], 16) <= 0x10FFFF else None
        if char is None:
            raise EscapeError(f"bad escape \\{code}: not a character", match.start())
        return "$$" if char == "$" else char
    if code == "$" and quote == "'":  # already literal
        return "$$"
    return SIMPLE.get(code, "\\" + code)
