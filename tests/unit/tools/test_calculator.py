"""The calculator tool's parser: agrees with Python arithmetic; hostile input fails fast."""

from __future__ import annotations

import importlib.util
import math
import operator
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

PATH = Path(__file__).parents[3] / "tools" / "calculator" / "main.py"
_spec = importlib.util.spec_from_file_location("calculator_main", PATH)
calc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calc)

OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
       "//": operator.floordiv, "%": operator.mod}


@st.composite
def expressions(draw, depth: int = 0):
    """(text, value or None when Python raises ZeroDivisionError)."""
    if depth > 3 or draw(st.booleans()):
        number = draw(st.integers(0, 1000) | st.floats(0, 1000, allow_nan=False).map(
            lambda f: round(f, 3)))
        return repr(number), number
    kind = draw(st.sampled_from(["bin", "bin", "neg", "pow"]))
    if kind == "neg":
        text, value = draw(expressions(depth + 1))
        return f"-({text})", None if value is None else -value
    left_text, left = draw(expressions(depth + 1))
    if kind == "pow":
        exponent = draw(st.integers(0, 3))
        if left is None:
            return f"({left_text}) ** {exponent}", None
        return f"({left_text}) ** {exponent}", left**exponent
    op = draw(st.sampled_from(sorted(OPS)))
    right_text, right = draw(expressions(depth + 1))
    text = f"({left_text}) {op} ({right_text})"
    if left is None or right is None:
        return text, None
    try:
        return text, OPS[op](left, right)
    except ZeroDivisionError:
        return text, None


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_agrees_with_python_arithmetic(case: tuple[str, float | None]) -> None:
    text, expected = case
    if expected is None:
        with pytest.raises(calc.CalcError):
            calc.evaluate(text)
        return
    if isinstance(expected, float) and not math.isfinite(expected):
        with pytest.raises(calc.CalcError):
            calc.evaluate(text)
        return
    assert calc.evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7), ("-2 ** 2", -4), ("2 ** -1", 0.5), ("2 ** 3 ** 2", 512),
        ("(1 + 2) * 3", 9), ("7 // 2", 3), ("-7 % 3", 2), ("--3", 3), ("+4", 4),
        ("sqrt(16)", 4), ("abs(-3.5)", 3.5), ("round(2.567, 2)", 2.57), ("round(2.5)", 2),
        ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("floor(-1.5)", -2), ("ceil(1.2)", 2),
        ("log(8, 2)", 3.0), ("sin(0)", 0.0), ("cos(pi)", -1.0), ("e", math.e),
        ("1e3 + .5", 1000.5),
    ],
)
def test_known_values(text: str, value: float) -> None:
    assert calc.evaluate(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9**9**9", "exponent 387420489 is too large"),
        ("2 ** 100000", "too large"),
        ("10 ** 5000", "too large"),
        ("(" * 200 + "1" + ")" * 200, "nested too deeply"),
        ("-" * 500 + "1", "nested too deeply"),
        ("1" * 600, "too long"),
        ("1+" * 600 + "1", "too long"),
        ("(" + "9" * 300 + ") ** 5", "too large"),
        ("9" * 300 + " * " + "9" * 300 + " * 10 ** 400 * 10 ** 400", "too large"),
        ("10 ** 300 * 1.5 * 10 ** 300", "too large"),
        ("1e308 * 10", "not a finite number"),
        ("exp(1000)", "too large"),
        ("1 / 0", "division by zero"), ("5 % 0", "division by zero"),
        ("sqrt(-1)", "negative"), ("log(0)", "positive"), ("(-8) ** 0.5", "complex"),
        ("__import__('os')", "unexpected character"), ("abc", "unknown name 'abc'"),
        ("foo(1)", "unknown function 'foo'"), ("1 +", "column 4"), ("2 3", "unexpected '3'"),
        ("", "empty"), ("min()", "expected a number"), ("round(1, 2, 3)", "round()"),
    ],
)
def test_hostile_and_bad_input_fails_fast(text: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(calc.CalcError) as caught:
        calc.evaluate(text)
    assert message in str(caught.value)
    assert time.perf_counter() - started < 0.5
