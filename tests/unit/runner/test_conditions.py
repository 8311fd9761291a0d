"""References into earlier results and the condition evaluator."""

from __future__ import annotations

import pytest

from praxis_sdk.errors import InvalidInput
from praxis_sdk.runner.conditions import evaluate, names_in, resolve
from praxis_sdk.tools.result import ToolResult


def result(output: str, ok: bool = True) -> ToolResult:
    if not ok:
        return ToolResult.failure(tool="t", provider="p", engine="e", code="x", message=output)
    return ToolResult.from_output(tool="t", provider="p", engine="e", output=output,
                                  duration_ms=1.0)


RESULTS = {
    "counts": result('{"counts": {"words": 120, "lines": 3}, "files": ["a", "b"]}'),
    "plain": result("hello world"),
    "n": result("42"),
}


@pytest.mark.parametrize(("value", "expected"), [
    ("$counts.counts.words", 120),
    ("${counts.counts}", {"words": 120, "lines": 3}),
    ("$counts.files.1", "b"),
    ("$plain", "hello world"),
    ("$plain.text", "hello world"),
    ("$plain.ok", True),
    ("words: $counts.counts.words, ${plain}!", "words: 120, hello world!"),
    ("list ${counts.files}", 'list ["a", "b"]'),
    ("$$HOME costs $5", "$HOME costs $5"),
    ({"k": ["$counts.counts.lines", 1]}, {"k": [3, 1]}),
    ("no refs", "no refs"),
])
def test_resolve(value, expected) -> None:
    assert resolve(value, RESULTS) == expected


@pytest.mark.parametrize("value", ["$missing", "$counts.nope", "$counts.files.9",
                                   "${plain.x}"])
def test_missing_references_name_what_is_missing(value) -> None:
    with pytest.raises(InvalidInput) as info:
        resolve(value, RESULTS)
    assert value.strip("${}").split(".")[0] in info.value.message


def test_names_in_finds_nested_references() -> None:
    assert names_in({"a": ["$x.y", {"b": "pre ${z} $$w"}], "c": 1}) == {"x", "z"}


@pytest.mark.parametrize(("condition", "expected"), [
    ("$counts.counts.words > 100", True),
    ("$counts.counts.words <= 100", False),
    ("$counts.counts.lines == 3 and $plain.ok", True),
    ("$counts.counts.lines == 4 or not $plain.ok", False),
    ("not ($counts.counts.lines != 3)", True),
    ("$plain == 'hello world'", True),
    ('$plain == "hello world"', True),
    ("$n > 41", True),  # JSON 42 is structured: a number
    ("$plain.text >= 'a'", True),
    ("$counts.files", True),
    ("false or null", False),
    ("'120' == $counts.counts.words", True),
])
def test_conditions(condition: str, expected: bool) -> None:
    assert evaluate(condition, RESULTS) is expected


def test_bad_comparisons_are_errors_not_guesses() -> None:
    with pytest.raises(InvalidInput, match="cannot compare"):
        evaluate("$counts.counts > 1", RESULTS)
