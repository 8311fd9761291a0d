"""Deep nesting and long scripts: a syntax error at a line and column, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from praxis_sdk.dsl import MAX_NESTING, DSLSyntaxError, parse
from praxis_sdk.errors import InvalidInput
from praxis_sdk.runner import compile_dsl
from praxis_sdk.runner.conditions import evaluate
from praxis_sdk.tools.result import ToolResult
from tests.unit.runner.tools import Provider

LOOKUP = Provider().lookup
RESULTS = {"r": ToolResult.from_output(tool="t", provider="p", engine="e",
                                       output='{"n": 3, "s": "x"}', duration_ms=1.0)}


def nested_blocks(kinds: list[str]) -> str:
    """One CALL inside blocks of the given kinds, outermost first."""
    opener = {"parallel": "PARALLEL", "sequence": "SEQUENCE", "if": "IF $r.n > 1",
              "else": "IF false\nCALL echo no\nELSE"}
    return ("CALL echo start AS r\n" + "\n".join(opener[k] for k in kinds)
            + "\nCALL echo deep\n" + "END\n" * len(kinds))


def accepted_or_syntax_error(text: str, **limits: int) -> DSLSyntaxError | None:
    """Compile `text`: fine, or a syntax error whose every problem has a line and column."""
    try:
        compile_dsl(text, LOOKUP, max_bytes=50_000_000, **limits)
    except DSLSyntaxError as exc:
        assert exc.status == 400
        for p in exc.problems:
            assert p["line"] >= 1 and p["column"] >= 1 and p["message"], p
        return exc
    return None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["parallel", "sequence", "if", "else"]), min_size=1,
                max_size=3 * MAX_NESTING))
def test_nested_blocks_compile_or_name_the_line(kinds: list[str]) -> None:
    error = accepted_or_syntax_error(nested_blocks(kinds))
    assert (error is None) == (len(kinds) <= MAX_NESTING)
    if error is not None:
        assert "nested more than" in error.problems[-1]["message"]


@pytest.mark.parametrize(("text", "line", "column"), [
    ("PARALLEL\n" * 2000 + "CALL echo x\n" + "END\n" * 2000, MAX_NESTING + 1, 1),
    ("IF true\n" * 3000 + "CALL echo x\n" + "END\n" * 3000, MAX_NESTING + 1, 1),
    ("CALL echo x\n  IF " + "not " * 5000 + "true\nCALL echo y\nEND", 2, 6),
    ("IF " + "(true and not " * 3000 + "true" + ")" * 3000 + "\nEND", 1, 4),
    ("CALL echo " + "[" * 5000 + "]" * 5000, 1, 11),
    ("CALL merge --files " + '{"a": ' * 200 + "1" + "}" * 200, 1, 20),
])
def test_the_reported_deep_cases(text: str, line: int, column: int) -> None:
    error = accepted_or_syntax_error(text)
    assert error is not None
    assert (error.problems[0]["line"], error.problems[0]["column"]) == (line, column)


def test_nesting_up_to_the_limit_runs_its_conditions() -> None:
    text = nested_blocks(["if", "else"] * (MAX_NESTING // 2))
    plan = compile_dsl(text, LOOKUP)
    (step,) = [s for s in plan.steps if s.arguments == {"text": "deep"}]
    assert evaluate(step.condition or "", RESULTS) is True


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 12_000), st.integers(1, 12_000))
def test_long_scripts_stop_at_the_step_limit(calls: int, limit: int) -> None:
    text = "CALL echo x AS a\nIF $a == 'x'\nCALL echo y\nEND\n" * (calls // 2 + 1)
    steps = text.count("CALL")
    error = accepted_or_syntax_error(text, max_steps=limit)
    assert (error is None) == (steps <= limit)
    if error is not None:
        assert f"more than {limit} CALL" in error.problems[-1]["message"]
        assert error.problems[-1]["line"] <= 4 * (limit // 2 + 1) + 1


def test_step_limit_is_the_only_problem_of_a_long_block() -> None:
    with pytest.raises(DSLSyntaxError) as info:
        parse("PARALLEL\n" + "CALL a\n" * 4 + "END\n", max_steps=3)
    assert [(p["line"], p["column"]) for p in info.value.problems] == [(5, 1)]
    assert "more than 3 CALL" in info.value.problems[0]["message"]


def condition(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["true", "false", "null", "1", "$r.n", "$r.s", "'x'", '"a b"',
                            "$missing", "(", ")", "==", "and", "or", "not", "#", "'"])
    if depth == 0:
        return leaf
    inner = condition(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(inner, st.sampled_from(["and", "or", "==", "!=", "<", ">="]), inner)
        .map(" ".join),
        inner.map(lambda c: f"not {c}"),
        inner.map(lambda c: f"({c})"),
    )


@settings(max_examples=300, deadline=None)
@given(condition(6), st.integers(0, 2 * MAX_NESTING), st.sampled_from(["not ", "(", "not ("]))
def test_condition_evaluator_answers_or_raises_clear_errors(
    text: str, wrap: int, prefix: str
) -> None:
    closing = ")" * (prefix.count("(") * wrap)
    deep = prefix * wrap + text + closing
    try:
        assert isinstance(evaluate(deep, RESULTS), bool)
    except DSLSyntaxError as exc:
        for p in exc.problems:
            assert p["line"] >= 1 and p["column"] >= 1
    except InvalidInput as exc:  # a missing reference or a comparison of unlike values
        assert exc.status == 400 and exc.message
