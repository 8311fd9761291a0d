"""Conditions after IF: parsed once with lark into a small tuple tree.

Nodes: `("or", a, b, ...)`, `("and", a, b, ...)`, `("not", a)`, `("cmp", op, a, b)`,
`("value", v)`. A value is a typed word (number, true/false/null), a string, or a reference
string (`$name.path`) that the evaluator resolves against earlier results. A chain of
`and` (or `or`) is one node, and parentheses add no node, so only operators of different
kinds nest; they may nest MAX_NESTING deep.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from praxis_sdk.dsl.errors import DSLSyntaxError, problem
from praxis_sdk.dsl.grammar import CONDITION_GRAMMAR, TERMINAL_NAMES
from praxis_sdk.dsl.limits import MAX_NESTING
from praxis_sdk.dsl.values import EscapeError, unquote, word_value

Expr = tuple[Any, ...]


class _ToTuples(Transformer[Token, Expr]):
    def or_(self, c: list[Any]) -> Expr:
        return ("or", *c[::2])

    def and_(self, c: list[Any]) -> Expr:
        return ("and", *c[::2])

    def negate(self, c: list[Any]) -> Expr:
        return ("not", c[1])

    def compare(self, c: list[Any]) -> Expr:
        return ("cmp", str(c[1]), c[0], c[2])

    def word(self, c: list[Token]) -> Expr:
        return ("value", word_value(str(c[0])))

    def dq(self, c: list[Token]) -> Expr:
        return ("value", _unquote(c[0]))

    sq = dq


def _unquote(token: Token) -> str:
    try:
        return unquote(str(token))
    except EscapeError as exc:
        raise _BadEscape(str(exc), (token.column or 1) + 1 + exc.offset, str(token)) from None


class _BadEscape(Exception):
    def __init__(self, message: str, column: int, text: str) -> None:
        super().__init__(message)
        self.column, self.text = column, text


@cache
def _parser() -> Lark:
    """The condition parser, built on first use (not at import)."""
    return Lark(CONDITION_GRAMMAR, parser="lalr", transformer=_ToTuples())


def parse_condition(text: str, *, line: int = 1, column: int = 1) -> Expr:
    """The tree of one condition; `line`/`column` place `text` in its script for errors."""
    try:
        return _parse_cached(text)
    except DSLSyntaxError as exc:
        if line == 1 and column == 1:
            raise
        raise DSLSyntaxError([p | {"line": line, "column": column + p["column"] - 1}
                              for p in exc.problems]) from None


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Expr:
    line, column = 1, 1  # positions within `text`; parse_condition moves them
    if not text.strip() or text.lstrip().startswith("#"):
        raise DSLSyntaxError([problem(line, column, "", ["a condition"],
                                      "expected a condition")])
    try:
        tree = _parser().parse(text)
    except _BadEscape as exc:
        raise DSLSyntaxError([problem(line, column + exc.column - 1, exc.text, [],
                                      str(exc))]) from None
    except UnexpectedInput as exc:
        raise DSLSyntaxError([_problem(exc, text, line, column)]) from None
    if depth(tree) > MAX_NESTING:
        start = column + len(text) - len(text.lstrip())
        raise DSLSyntaxError([problem(line, start, text.strip()[:40], [],
                                      f"the condition nests more than {MAX_NESTING} "
                                      "operators deep")])
    return tree


def depth(tree: Expr) -> int:
    """How deep the tree's nodes nest (a value alone is 1); without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node[1:] if isinstance(child, tuple))
    return deepest


def _problem(exc: UnexpectedInput, text: str, line: int, column: int) -> dict[str, Any]:
    col = column + (exc.column - 1 if isinstance(exc.column, int) and exc.column > 0
                    else len(text))
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        what = "unterminated string" if char in "\"'" else f"unexpected character {char!r}"
        expected = _names(exc.allowed)
        return problem(line, col, char, expected, f"{what}; expected {_join(expected)}")
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        expected = _names(exc.expected)
        return problem(line, col, str(exc.token), expected,
                       f"unexpected {str(exc.token)!r}; expected {_join(expected)}")
    expected = _names(exc.expected if isinstance(exc, UnexpectedToken | UnexpectedEOF)
                      else set())
    return problem(line, column + len(text.rstrip()), "", expected,
                   f"unexpected end of line; expected {_join(expected)}")


def _names(terminals: set[str] | list[str] | None) -> list[str]:
    return sorted({TERMINAL_NAMES.get(t, t) for t in terminals or ()})


def _join(names: list[str]) -> str:
    if not names:
        return "something else"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
