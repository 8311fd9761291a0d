"""The parsed script: calls, blocks and IF statements, with their source positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

ArgKind = Literal["word", "string", "json"]


class Arg(NamedTuple):
    """One argument as written: `value` is typed (numbers, booleans, JSON), `text` is raw.

    A tuple, so that the lexer makes one with `tuple.__new__(Arg, (...))`, without a
    Python-level `__new__` (a 10,000-line script has tens of thousands)."""

    kind: ArgKind
    value: Any
    text: str
    column: int
    end: int  # column just past the argument


@dataclass(slots=True)
class Call:
    """`CALL tool[@provider] positional... --name value... [AS alias]`."""

    line: int
    column: int
    tool: str
    provider: str | None
    positional: list[Arg] = field(default_factory=list)
    named: dict[str, Arg] = field(default_factory=dict)
    alias: str | None = None
    source: str = ""  # the whole line, for "rest of the line" arguments


@dataclass(slots=True)
class Block:
    """`PARALLEL ... END` or `SEQUENCE ... END`."""

    kind: Literal["parallel", "sequence"]
    line: int
    body: list[Statement] = field(default_factory=list)


@dataclass(slots=True)
class If:
    """`IF condition ... [ELSE ...] END`; `condition` is the expression's source text."""

    line: int
    condition: str
    then: list[Statement] = field(default_factory=list)
    orelse: list[Statement] = field(default_factory=list)


Statement = Call | Block | If


@dataclass(slots=True)
class Script:
    body: list[Statement]
    lines: int
