"""`DELEGATE <agent> "<request>" AS name`: a call of the `delegate` tool, errors at line:col."""

from __future__ import annotations

import pytest

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.dsl.parser import parse


def test_delegate_is_a_call_of_the_delegate_tool() -> None:
    [step, after] = parse('DELEGATE agent-2 "summarise the reports" AS summary\n'
                          "CALL echo $summary.text").body
    assert step.tool == "delegate" and step.alias == "summary"
    assert step.named["agent"].value == "agent-2"
    assert step.named["request"].value == "summarise the reports"
    assert after.tool == "echo"


def test_delegate_inside_parallel_and_lower_case() -> None:
    [block] = parse('PARALLEL\n  delegate a "x"\n  DELEGATE http://b:8000 \'y\'\nEND').body
    assert [c.named["agent"].value for c in block.body] == ["a", "http://b:8000"]


@pytest.mark.parametrize(("line", "column", "words"), [
    ("DELEGATE", 9, "expected an agent"),
    ("DELEGATE agent-2", 18, "expected the request in quotes"),
    ("DELEGATE agent-2 unquoted", 18, "expected the request in quotes"),
    ('DELEGATE "agent" "x"', 10, "expected an agent"),
    ('DELEGATE agent-2 "x" extra', 22, "unexpected 'extra'"),
    ('DELEGATE agent-2 "x" AS', 24, "expected a name after AS"),
])
def test_bad_delegate_lines_name_line_and_column(line: str, column: int, words: str) -> None:
    with pytest.raises(DSLSyntaxError) as info:
        parse("CALL echo hi\n" + line)
    [problem] = info.value.problems
    assert problem["line"] == 2 and problem["column"] == column
    assert words in problem["message"]
