"""Calculator tool: evaluates an arithmetic expression with a small recursive-descent parser.

Operators + - * / // % ** and parentheses, unary minus and plus, the functions sqrt abs
round min max floor ceil log log10 exp sin cos tan, and the constants pi and e.
Nothing is ever passed to eval. Length, nesting depth, exponents and result sizes are
bounded so that hostile input fails fast with a clear message.

Argument: `expression` (env `expression`/`EXPRESSION`, or PRAXIS_ARGS). Prints JSON.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toolargs import argument  # noqa: E402

MAX_LENGTH = 1000
MAX_DEPTH = 64
MAX_INT_BITS = 4096          # about 1233 decimal digits
MAX_EXPONENT = 10_000
TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>\*\*|//|[-+*/%(),]))"
)
CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


class CalcError(ValueError):
    """A problem with the expression, with a message meant for the person who wrote it."""


def _check(value: int | float) -> int | float:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise CalcError(f"result too large (more than {MAX_INT_BITS} bits)")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalcError("result too large (not a finite number)")
    return value


def _power(base: int | float, exp: int | float) -> int | float:
    if isinstance(exp, int) and abs(exp) > MAX_EXPONENT:
        raise CalcError(f"exponent {exp} is too large (limit {MAX_EXPONENT})")
    whole = isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1
    if whole and base.bit_length() * exp > MAX_INT_BITS + exp:
        raise CalcError(f"result too large (more than {MAX_INT_BITS} bits)")
    if base == 0 and exp < 0:
        raise CalcError("zero cannot be raised to a negative power")
    try:
        result = base**exp
    except OverflowError:
        raise CalcError("result too large (overflow)") from None
    if isinstance(result, complex):
        raise CalcError("result is a complex number (negative base with fractional exponent)")
    return _check(result)


def _divide(op: str, left: int | float, right: int | float) -> int | float:
    if right == 0:
        raise CalcError("division by zero")
    if op == "/":
        try:
            return _check(left / right)
        except OverflowError:
            raise CalcError("result too large (overflow)") from None
    return _check(left // right if op == "//" else left % right)


def _one(name: str, fn):
    def call(*args):
        if len(args) != 1:
            raise CalcError(f"{name}() takes exactly one argument")
        return fn(args[0])
    return call


def _sqrt(x):
    if x < 0:
        raise CalcError("sqrt() of a negative number")
    return math.isqrt(x) if isinstance(x, int) and math.isqrt(x) ** 2 == x else math.sqrt(x)


def _log(*args):
    if len(args) not in (1, 2):
        raise CalcError("log() takes one or two arguments")
    if args[0] <= 0 or (len(args) == 2 and (args[1] <= 0 or args[1] == 1)):
        raise CalcError("log() needs a positive number (and a positive base other than 1)")
    return math.log(*args)


def _round(*args):
    if len(args) not in (1, 2) or (len(args) == 2 and not isinstance(args[1], int)):
        raise CalcError("round() takes a number and an optional whole number of digits")
    return round(*args)


def _minmax(name, fn):
    def call(*args):
        if not args:
            raise CalcError(f"{name}() needs at least one argument")
        return fn(args)
    return call


def _positive_log10(x):
    if x <= 0:
        raise CalcError("log10() needs a positive number")
    return math.log10(x)


FUNCTIONS = {
    "sqrt": _one("sqrt", _sqrt),
    "abs": _one("abs", abs),
    "round": _round,
    "min": _minmax("min", min),
    "max": _minmax("max", max),
    "floor": _one("floor", math.floor),
    "ceil": _one("ceil", math.ceil),
    "log": _log,
    "log10": _one("log10", _positive_log10),
    "exp": _one("exp", math.exp),
    "sin": _one("sin", math.sin),
    "cos": _one("cos", math.cos),
    "tan": _one("tan", math.tan),
}


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) tokens; an unknown character is an error naming its column."""
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match:
            raise CalcError(f"unexpected character {text[pos]!r} at column {pos + 1}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


class Parser:
    """expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'//'|'%') unary)* ;
    unary := ('-'|'+') unary | power ; power := atom ('**' unary)? ;
    atom := number | constant | name '(' expr (',' expr)* ')' | '(' expr ')'"""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.pos]

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            found = token[1] or "end of expression"
            raise CalcError(f"expected {expected!r} at column {token[2]}, found {found!r}")
        self.pos += 1
        return token

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalcError(f"expression nested too deeply (limit {MAX_DEPTH})")

    def parse(self) -> int | float:
        value = self.expr()
        kind, text, col = self.peek()
        if kind != "end":
            raise CalcError(f"unexpected {text!r} at column {col}")
        return value

    def expr(self) -> int | float:
        value = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = self.term()
            value = _check(value + right if op == "+" else value - right)
        return value

    def term(self) -> int | float:
        value = self.unary()
        while self.peek()[1] in ("*", "/", "//", "%"):
            op = self.take()[1]
            right = self.unary()
            if op == "*":
                ints = isinstance(value, int) and isinstance(right, int)
                if ints and value.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                    raise CalcError(f"result too large (more than {MAX_INT_BITS} bits)")
                value = _check(value * right)
            else:
                value = _divide(op, value, right)
        return value

    def unary(self) -> int | float:
        if self.peek()[1] in ("-", "+"):
            self.nested()
            op = self.take()[1]
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self) -> int | float:
        base = self.atom()
        if self.peek()[1] == "**":
            self.take()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            return _power(base, exponent)
        return base

    def atom(self) -> int | float:
        kind, text, col = self.take()
        if kind == "num":
            return _number(text, col)
        if text == "(":
            self.nested()
            value = self.expr()
            self.take(")")
            self.depth -= 1
            return value
        if kind == "name":
            return self.name(text, col)
        found = text or "end of expression"
        raise CalcError(f"expected a number, name or '(' at column {col}, found {found!r}")

    def name(self, name: str, col: int) -> int | float:
        if self.peek()[1] != "(":
            if name in CONSTANTS:
                return CONSTANTS[name]
            raise CalcError(f"unknown name {name!r} at column {col}")
        if name not in FUNCTIONS:
            raise CalcError(f"unknown function {name!r} at column {col}")
        self.take("(")
        self.nested()
        args = [self.expr()]
        while self.peek()[1] == ",":
            self.take()
            args.append(self.expr())
        self.take(")")
        self.depth -= 1
        try:
            return _check(FUNCTIONS[name](*args))
        except OverflowError:
            raise CalcError(f"{name}() result too large") from None
        except ValueError as exc:
            if isinstance(exc, CalcError):
                raise
            raise CalcError(f"{name}(): {exc}") from None


def _number(text: str, col: int) -> int | float:
    if len(text) > 400:
        raise CalcError(f"number at column {col} is too long")
    if any(c in text for c in ".eE"):
        value = float(text)
        if not math.isfinite(value):
            raise CalcError(f"number at column {col} is too large")
        return value
    return int(text)


def evaluate(expression: str) -> int | float:
    """The value of `expression`; `CalcError` says what is wrong and where."""
    if not isinstance(expression, str) or not expression.strip():
        raise CalcError("expression is empty")
    if len(expression) > MAX_LENGTH:
        raise CalcError(f"expression is too long ({len(expression)} > {MAX_LENGTH} characters)")
    try:
        return Parser(expression).parse()
    except OverflowError:
        raise CalcError("result too large (overflow)") from None


def main() -> int:
    expression = argument("expression")
    if expression is None:
        print("calculator: missing argument 'expression'", file=sys.stderr)
        return 2
    try:
        result = evaluate(str(expression))
    except CalcError as exc:
        print(f"calculator: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"expression": expression, "result": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
