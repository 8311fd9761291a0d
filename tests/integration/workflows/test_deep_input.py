"""Scripts nested too deep or too long are a 400 naming the line and column, never a 500."""

from __future__ import annotations

from typing import Any

from tests.integration.workflows.wf_helpers import get, post, sections

# (case, script, line, column, words in the message)
DEEP: list[tuple[str, str, int, int, str]] = [
    ("5,000 nested not", "IF " + "not " * 5000 + "true\nCALL calculator 1\nEND", 1, 4,
     "nests more than 100"),
    ("2,000 nested PARALLEL", "PARALLEL\n" * 2000 + "CALL calculator 1\n" + "END\n" * 2000,
     101, 1, "nested more than 100"),
    ("3,000 nested IF", "IF true\n" * 3000 + "CALL calculator 1\n" + "END\n" * 3000, 101, 1,
     "nested more than 100"),
    ("deep JSON argument", "CALL json_formatter " + "[" * 3000 + "]" * 3000, 1, 21,
     "JSON nested"),
    ("50,000 CALL lines", "CALL calculator 1\n" * 50_000, 10_001, 1, "more than 10000 CALL"),
]


def test_deep_and_long_scripts_are_400_with_line_and_column(spawn_agent: Any) -> None:
    agent = spawn_agent("deep", **sections(execution={"max_script_bytes": 4_000_000}))
    for case, script, line, column, words in DEEP:
        response = post(agent, "/execute", {"dsl": script})
        assert response.status_code == 400, (case, response.text[:500])
        error = response.json()["error"]
        first = error["details"]["problems"][0]
        assert (first["line"], first["column"]) == (line, column), (case, first)
        assert words in first["message"], (case, first)
        assert f"line {line}, column {column}" in error["message"], (case, error["message"])
    assert get(agent, "/tasks").json()["total"] == 0  # nothing ran
    assert get(agent, "/health").json()["status"] == "healthy"
