"""`parse(text)`: a script to its tree, or a `DSLSyntaxError` listing every problem."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from praxis_sdk.dsl.ast import Block, If, Script, Statement
from praxis_sdk.dsl.errors import DSLSyntaxError, problem
from praxis_sdk.dsl.grammar import SCRIPT_GRAMMAR
from praxis_sdk.dsl.lexer import Lexed, lex
from praxis_sdk.dsl.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_STEPS, MAX_NESTING

OPENERS = {"PARALLEL": "END", "SEQUENCE": "END", "IF": "END"}
CLOSES = {"END_PARALLEL": "PARALLEL", "END_SEQUENCE": "SEQUENCE", "END_IF": "IF"}


class _Tokens(Lexer):
    """Hands lark the statement tokens `lexer.lex` already produced."""

    def __init__(self, conf: Any) -> None:
        self.conf = conf

    def lex(self, data: Any) -> Iterator[Token]:  # type: ignore[override]
        return data  # one shared iterator, so that resuming after an error goes on


def _build(items: list[Tree[Token] | Token], lexed: Lexed) -> list[Statement]:
    """The statements of a block's children in lark's tree (`lexed` holds what each line
    said): one loop per block, where lark's Transformer makes a call per node."""
    out: list[Statement] = []
    for item in items:
        if not isinstance(item, Tree):  # the tokens that open and close a block
            continue
        kind, children = item.data, item.children
        first = children[0]
        assert isinstance(first, Token)
        if kind == "call":
            out.extend(lexed.calls[first.line or 0])
        elif kind == "if_":
            then, orelse = children[1], children[3] if len(children) == 5 else None
            assert isinstance(then, Tree) and not isinstance(orelse, Token)
            out.append(If(first.line or 0, lexed.conditions[first.line or 0],
                          _build(then.children, lexed),
                          _build(orelse.children, lexed) if orelse is not None else []))
        else:
            out.append(Block("parallel" if kind == "parallel" else "sequence",
                             first.line or 0, _build(children[1:-1], lexed)))
    return out


@cache
def _parser() -> Lark:
    """The block-structure parser, built on first use (not at import)."""
    return Lark(SCRIPT_GRAMMAR, parser="lalr", lexer=_Tokens, start="script")


def parse(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
          max_steps: int = DEFAULT_MAX_STEPS) -> Script:
    """Parse a whole script; raise `DSLSyntaxError` with every problem found."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise DSLSyntaxError([problem(1, 1, "", [], f"the script is {size} bytes; the limit "
                                      f"is {max_bytes} bytes")])
    lexed = lex(text, max_steps)
    problems = lexed.problems
    if lexed.stopped:  # the blocks of the unread rest would only look unclosed
        raise DSLSyntaxError(problems)
    too_deep = _too_deep(lexed.tokens)
    if too_deep is not None:  # before lark: its tree walks recurse once per level
        raise DSLSyntaxError([*problems, too_deep])
    try:
        tree = _parser().parse(iter(lexed.tokens), on_error=lambda e: _recover(e, problems))
    except UnexpectedInput as exc:  # recovery gave up: report where
        line, column = exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1
        problems.append(problem(line, column, "", [], "cannot parse the script from here"))
    if problems:
        error = DSLSyntaxError(problems)
        error.calls = [call for run in lexed.calls.values() for call in run]
        raise error
    body = _build(tree.children, lexed)
    return Script(body=body, lines=text.count("\n") + 1)


def _too_deep(tokens: list[Token]) -> dict[str, Any] | None:
    """The first block that opens deeper than MAX_NESTING, as a problem."""
    level = 0
    for token in tokens:
        if token.type in OPENERS:
            level += 1
            if level > MAX_NESTING:
                return problem(token.line or 0, token.column or 0, str(token), [],
                               f"blocks nested more than {MAX_NESTING} deep")
        elif token.type == "END" or token.type in CLOSES:
            level = max(0, level - 1)
    return None


def _recover(exc: UnexpectedInput, problems: list[dict[str, Any]]) -> bool:
    """Note a block problem, repair the parse (drop the token, or close the block), go on."""
    if not isinstance(exc, UnexpectedToken):
        return False
    parser = exc.interactive_parser
    open_blocks = [t for t in parser.parser_state.value_stack
                   if isinstance(t, Token) and t.type in OPENERS]
    token = exc.token
    if token.type == "$END":  # close every open block, innermost first
        for opener in reversed(open_blocks):
            problems.append(problem(opener.line or 0, opener.column or 0, str(opener), ["END"],
                                    f"{opener.type} is never closed; expected END"))
            parser.feed_token(Token("END", "END", line=opener.line, column=opener.column))
        return bool(open_blocks)
    problems.append(_misplaced(token, open_blocks, sorted(exc.expected)))
    return True


def _misplaced(token: Token, open_blocks: list[Token], expected: list[str]) -> dict[str, Any]:
    inner = open_blocks[-1] if open_blocks else None
    where = f"{inner.type} (line {inner.line})" if inner else ""
    if token.type == "ELSE":
        message = ("ELSE outside an IF block" if inner is None
                   else f"ELSE inside {where}: close it with END first" if inner.type != "IF"
                   else f"a second ELSE for IF (line {inner.line})")
    elif inner is None:
        message = f"{token} without an open block"
    else:
        message = f"{token} cannot close {where}"
    expected = [e for e in expected if e != "$END"] or ["CALL"]
    return problem(token.line or 0, token.column or 0, str(token), expected, message)
