"""The line lexer: each line of a script becomes at most one statement token.

A CALL line is scanned into its tool and arguments here (words, quoted strings, JSON
objects and arrays, `--name value`, trailing `AS name`); an IF line's condition is parsed
by the condition grammar. Problems are collected per line, and the next line is lexed
regardless, so one run reports every bad line. Lexing stops at the first CALL over the
step limit, so a huge script costs no more than the limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lark import Token

from praxis_sdk.dsl.ast import Arg, Call
from praxis_sdk.dsl.errors import DSLSyntaxError, problem
from praxis_sdk.dsl.expr import parse_condition
from praxis_sdk.dsl.limits import DEFAULT_MAX_STEPS, MAX_NESTING
from praxis_sdk.dsl.values import EscapeError, unquote, word_value

KEYWORD = re.compile(
    r"(call|delegate|parallel|sequence|if|else|end_parallel|end_sequence|end_if|endif|end)"
    r"(?![^\s#])",
    re.IGNORECASE,
)
TOKEN_TYPES = {"endif": "END_IF"}
STATEMENT_KEYWORDS = ["CALL", "PARALLEL", "SEQUENCE", "IF", "ELSE", "END", "DELEGATE"]
STATEMENTS = "CALL, PARALLEL, SEQUENCE, IF, ELSE, END or DELEGATE"
DELEGATE_TOOL = "delegate"  # DELEGATE is a call of this tool (see praxis_sdk.a2a.tool)
# a word; quoted strings, unrolled (`"(?:[^"\\]|\\.)*"` matches the same, at a third of the speed)
WORD, DQ, SQ = r"[^\s\"'#{\[]\S*", r'"[^"\\]*(?:\\.[^"\\]*)*"', r"'[^'\\]*(?:\\.[^'\\]*)*'"
ARG = re.compile(  # leading blanks, then one argument (or a comment); None at line end
    rf"""[^\S\n]*(?:(?P<word>{WORD})|(?P<dq>{DQ})|(?P<sq>{SQ})|(?P<json>[{{\[])"""
    r"""|(?P<comment>\#.*)|(?P<open>["']))""")
# ARG for a line without JSON, for `findall`: (blanks, word, string, comment, open quote)
PARTS = re.compile(rf"""([^\S\n]*)(?:({WORD})|({DQ}|{SQ})|(\#.*)|(["']))""")
SPECIAL = re.compile(r"[\"'#{\[]")  # a line without these holds only words
TOOL = re.compile(r"[A-Za-z0-9_][\w.\-]*(?:@[\w.\-:]+)?\Z")
# the tool after CALL when it is a whole word that TOOL accepts: (tool, provider or None)
HEAD = re.compile(r"[^\S\n]*([A-Za-z0-9_][\w.\-]*)(?:@([\w.\-:]+))?(?=\s|\Z)")
NAME = re.compile(r"[A-Za-z_][\w\-]*\Z")
_JSON = json.JSONDecoder()
TOO_DEEP = f"JSON nested more than {MAX_NESTING} deep"
# first letters of numbers, true, false, null; none of these has "-" second (`--name`)
WORD_VALUE_STARTS = frozenset("-0123456789tfn")
_tuple = tuple.__new__  # `_tuple(Arg, fields)`: an Arg without NamedTuple's `__new__`


class LineError(Exception):
    def __init__(self, column: int, text: str, expected: list[str], message: str) -> None:
        super().__init__(message)
        self.column, self.text, self.expected, self.message = column, text, expected, message


@dataclass(slots=True)
class Lexed:
    """The statement tokens of a script, what each CALL/IF says, and the problems found."""

    tokens: list[Token] = field(default_factory=list)
    # Consecutive CALL lines are one CALL token (keyed by its line): fewer parser steps.
    calls: dict[int, list[Call]] = field(default_factory=dict)
    run: list[Call] | None = None  # the CALL run the next CALL line joins
    conditions: dict[int, str] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0  # CALL statements so far
    stopped: bool = False  # at the step limit: the rest of the script was not read


def lex(text: str, max_steps: int = DEFAULT_MAX_STEPS) -> Lexed:
    out = Lexed()
    for number, line in enumerate(text.split("\n"), start=1):
        try:
            if line.startswith("CALL "):  # the common case, an unindented CALL, at once
                out.steps += 1
                call = _call(line, number, 1, 4)
                if out.run is not None:
                    out.run.append(call)
                else:
                    _open_run(out, call, "CALL", number, 1)
            else:
                _lex_line(line, number, out)
        except LineError as exc:
            out.problems.append(problem(number, exc.column, exc.text, exc.expected, exc.message))
        except DSLSyntaxError as exc:
            out.problems.extend(exc.problems)
        if out.steps > max_steps:
            column = len(line) - len(line.lstrip()) + 1
            out.problems.append(problem(number, column, "CALL", [], (
                f"the script has more than {max_steps} CALL statements (the limit); "
                "split it into smaller workflows")))
            out.stopped = True
            break
    return out


def _lex_line(line: str, number: int, out: Lexed) -> None:
    start = len(line) - len(line.lstrip())
    if start == len(line) or line[start] == "#":
        return
    if line.startswith("CALL ", start):  # the common case, without the regex
        keyword = kind = "CALL"
        rest = start + 4
    else:
        match = KEYWORD.match(line, start)
        if match is None:
            word = line[start:].split(None, 1)[0]
            raise LineError(start + 1, word, STATEMENT_KEYWORDS,
                            f"unexpected {word!r}; expected {STATEMENTS}")
        keyword = match.group(1)
        kind = TOKEN_TYPES.get(keyword.lower(), keyword.upper())
        rest = match.end()
    column = start + 1
    if kind in ("CALL", "DELEGATE"):
        out.steps += 1
        call = (_call if kind == "CALL" else _delegate)(line, number, column, rest)
        if out.run is not None:
            out.run.append(call)
        else:
            _open_run(out, call, keyword, number, column)
        return
    out.run = None  # anything but a CALL line ends a run of calls
    token = Token(kind, keyword, line=number, column=column)
    if kind == "IF":  # the IF token stays even when its condition is bad: blocks still match
        condition = line[rest:]
        out.conditions[number] = condition.strip()
        out.tokens.append(token)
        parse_condition(condition, line=number, column=rest + 1)
        return
    _expect_end(line, rest)
    out.tokens.append(token)


def _open_run(out: Lexed, call: Call, keyword: str, number: int, column: int) -> None:
    """A CALL token for `call` and the calls on the lines right after it."""
    out.run = out.calls[number] = [call]
    out.tokens.append(Token("CALL", keyword, line=number, column=column))


def _expect_end(line: str, pos: int) -> None:
    tail = line[pos:].strip()
    if tail and not tail.startswith("#"):
        column = pos + len(line[pos:]) - len(line[pos:].lstrip()) + 1
        word = tail.split(None, 1)[0]
        raise LineError(column, word, ["end of line"],
                        f"unexpected {word!r}; expected end of line")


def _call(line: str, number: int, column: int, pos: int) -> Call:
    head = HEAD.match(line, pos)
    if head is not None:
        tool, provider, args = head[1], head[2], _scan(line, head.end())
    else:
        tool, provider, args = _odd_head(line, pos)
    # `AS name` only where the last or the one before is two letters long (rarely else)
    alias = (_alias(args) if args and (len(args[-1].text) == 2
                                       or len(args) > 1 and len(args[-2].text) == 2)
             else None)
    # without "--" anywhere on the line, every argument is positional
    positional, named = _options(args) if "--" in line else (args, {})
    return Call(number, column, tool, provider, positional, named, alias, line)


def _odd_head(line: str, pos: int) -> tuple[str, str | None, list[Arg]]:
    """The tool and arguments when HEAD did not match: the first word, checked."""
    args = _scan(line, pos)
    if not args or args[0].kind != "word":
        where = args[0] if args else None
        raise LineError(where.column if where else len(line.rstrip()) + 1,
                        where.text if where else "", ["a tool name"],
                        "expected a tool name after CALL")
    head = args.pop(0)
    if not TOOL.match(head.text):
        raise LineError(head.column, head.text, ["a tool name"],
                        f"{head.text!r} is not a tool name (letters, digits, _ . -, "
                        "optionally @agent)")
    tool, _, provider = head.text.partition("@")
    return tool, provider or None, args


def _delegate(line: str, number: int, column: int, pos: int) -> Call:
    """`DELEGATE <agent> "<request>" [AS name]`: a call of the `delegate` tool."""
    args = _scan(line, pos)
    alias = _alias(args)
    if not args or args[0].kind != "word":
        where = args[0] if args else None
        raise LineError(where.column if where else len(line.rstrip()) + 1,
                        where.text if where else "", ["an agent"],
                        "expected an agent (name, peer id or URL) after DELEGATE")
    if len(args) < 2 or args[1].kind != "string":
        where = args[1] if len(args) > 1 else None
        raise LineError(where.column if where else args[0].end + 1,
                        where.text if where else "", ["a quoted request"],
                        "expected the request in quotes after the agent, e.g. "
                        'DELEGATE agent-2 "summarise the reports" AS summary')
    if len(args) > 2:
        raise LineError(args[2].column, args[2].text, ["AS name", "end of line"],
                        f"unexpected {args[2].text!r}; expected AS name or end of line")
    call = Call(line=number, column=column, tool=DELEGATE_TOOL, provider=None, source=line,
                named={"agent": args[0], "request": args[1]}, alias=alias)
    return call


def _scan(line: str, pos: int) -> list[Arg]:
    """The arguments from `pos` on; one regex pass unless the line holds JSON."""
    if SPECIAL.search(line, pos) is None:
        return _words(line, pos)
    if "{" in line or "[" in line:
        return _scan_json(line, pos)
    args: list[Arg] = []
    append = args.append
    for blanks, word, string, comment, quote in PARTS.findall(line, pos):
        pos += len(blanks)
        if word:
            end = pos + len(word)
            value = word_value(word) if word[0] in WORD_VALUE_STARTS and word[1:2] != "-" else word
            append(_tuple(Arg, ("word", value, word, pos + 1, end + 1)))
            pos = end
        elif string:
            append(_string(string, pos))
            pos += len(string)
        elif comment:
            break
        else:
            raise LineError(pos + 1, line[pos:].split(None, 1)[0], [f"closing {quote}"],
                            "unterminated string")
    return args


def _scan_json(line: str, pos: int) -> list[Arg]:
    args: list[Arg] = []
    append = args.append
    for match in _matches(line, pos):
        kind = match.lastgroup
        if kind == "word":
            text = match[kind]
            start = match.start(kind) + 1
            value = word_value(text) if text[0] in WORD_VALUE_STARTS and text[1:2] != "-" else text
            append(_tuple(Arg, ("word", value, text, start, start + len(text))))
        elif kind == "dq" or kind == "sq":
            append(_string(match.group(kind), match.start(kind)))
        elif kind == "comment":
            break
        elif kind == "open":
            start = match.start(kind)
            raise LineError(start + 1, line[start:].split(None, 1)[0], [f"closing {line[start]}"],
                            "unterminated string")
        else:
            append(match.arg)  # type: ignore[attr-defined]
    return args


def _words(line: str, pos: int) -> list[Arg]:
    """The arguments of a line without quotes, JSON or a comment: its words."""
    args: list[Arg] = []
    append = args.append
    for text in line[pos:].split():
        start = line.find(text, pos)
        pos = start + len(text)
        value = word_value(text) if text[0] in WORD_VALUE_STARTS and text[1:2] != "-" else text
        append(_tuple(Arg, ("word", value, text, start + 1, pos + 1)))
    return args


class _JsonMatch:
    """Stands in for a regex match: a JSON value decoded by the JSON parser."""

    lastgroup = "json"

    def __init__(self, arg: Arg) -> None:
        self.arg = arg


def _matches(line: str, pos: int) -> Iterator[Any]:
    while (match := ARG.match(line, pos)) is not None:
        if match.lastgroup == "json":
            arg, pos = _json(line, match.start("json"))
            yield _JsonMatch(arg)
        else:
            yield match
            pos = match.end()


def _string(text: str, pos: int) -> Arg:
    try:
        value = unquote(text)
    except EscapeError as exc:
        raise LineError(pos + 2 + exc.offset, text, [], str(exc)) from None
    return _tuple(Arg, ("string", value, text, pos + 1, pos + 1 + len(text)))


def _json(line: str, pos: int) -> tuple[Arg, int]:
    try:
        value, end = _JSON.raw_decode(line, pos)
    except json.JSONDecodeError as exc:
        raise LineError(exc.pos + 1, line[exc.pos:exc.pos + 1], ["JSON"],
                        f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise LineError(pos + 1, line[pos], ["JSON"], TOO_DEEP) from None
    if _too_deep(value):
        raise LineError(pos + 1, line[pos], ["JSON"], TOO_DEEP)
    if end < len(line) and not line[end].isspace() and line[end] != "#":
        raise LineError(end + 1, line[end], ["a space"], "expected a space after the JSON value")
    return Arg("json", value, line[pos:end], pos + 1, end + 1), end


def _too_deep(value: Any) -> bool:
    """Whether JSON containers nest deeper than MAX_NESTING (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > MAX_NESTING:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children
                     if isinstance(child, dict | list))
    return False


def _alias(args: list[Arg]) -> str | None:
    """Take a trailing `AS name` off the arguments."""
    if not args:
        return None
    name = args[-1]  # (the length first: most arguments are not two letters long)
    if len(name.text) == 2 and name.kind == "word" and name.text.lower() == "as":
        raise LineError(name.end, "", ["a name"], "expected a name after AS")
    if len(args) < 2:
        return None
    word = args[-2]
    if len(word.text) != 2 or word.kind != "word" or word.text.lower() != "as":
        return None
    if name.kind != "word" or not NAME.match(name.text):
        raise LineError(name.column, name.text, ["a name"],
                        f"{name.text!r} is not a name (letters, digits, _ and -)")
    del args[-2:]
    return name.text


def _options(args: list[Arg]) -> tuple[list[Arg], dict[str, Arg]]:
    """Split `--name value`, `--name=value` and `--flag` from positional arguments."""
    positional: list[Arg] = []
    named: dict[str, Arg] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg.kind != "word" or not arg.text.startswith("--"):
            positional.append(arg)
            continue
        name, eq, raw = arg.text[2:].partition("=")
        if not NAME.match(name):
            raise LineError(arg.column, arg.text, ["--name"], f"{arg.text!r} is not an option name")
        if name in named:
            raise LineError(arg.column, arg.text, [], f"argument {name!r} given twice")
        if eq:
            col = arg.column + 3 + len(name)
            value = Arg("word", word_value(raw) if raw else "", raw, col, arg.end)
        elif i < len(args) and not _is_option(args[i]):
            value = args[i]
            i += 1
        else:
            value = Arg("word", True, "", arg.end, arg.end)
        named[name] = value
    return positional, named


def _is_option(arg: Arg) -> bool:
    return arg.kind == "word" and arg.text.startswith("--")
