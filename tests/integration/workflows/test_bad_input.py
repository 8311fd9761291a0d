"""Bad input is a 400 listing every problem, and nothing runs."""

from __future__ import annotations

from typing import Any

from tests.integration.workflows.wf_helpers import get, post, sections

CYCLE = {"nodes": [{"id": "a", "tool": "calculator", "arguments": {"expression": "1"}},
                   {"id": "b", "tool": "calculator", "arguments": {"expression": "2"}}],
         "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "a"}]}
DANGLING = {"nodes": [{"id": "a", "tool": "calculatr", "arguments": {"expression": "1"}}],
            "edges": [{"source": "a", "target": "nowhere"}, {"source": "a"}]}

# (case, path, body, status, words each problem message must hold, in order)
CASES: list[tuple[str, str, dict[str, Any], int, list[str]]] = [
    ("syntax errors on several lines", "/execute",
     {"dsl": "CALL\nCALL calculator 1\nFROB x\nPARALLEL\nCALL calculator 2"}, 400,
     ["tool name", "FROB", "never closed"]),
    ("syntax errors and unknown tools together", "/execute",
     {"dsl": "CALL nope 1\nFROB\nCALL calculator"}, 400,
     ["nope", "FROB", "expression"]),
    ("unknown tools and missing arguments", "/execute",
     {"dsl": "CALL calculater 1\nCALL word_counter --nope 1\nCALL calculator"}, 400,
     ["calculator", "nope", "expression"]),
    ("undefined variable", "/execute", {"dsl": "CALL calculator $later.result"}, 400,
     ["$later"]),
    ("unclosed quote and bad JSON", "/execute",
     {"dsl": "CALL calculator \"1+1\nCALL json_formatter {\"a\": }"}, 400,
     ["unterminated", "JSON"]),
    ("oversized script", "/execute", {"dsl": "CALL calculator 1\n" * 200}, 400, ["limit"]),
    ("empty body", "/execute", {}, 400, ["neither"]),
    ("graph cycle", "/workflows", CYCLE, 400, ["cycle"]),
    ("graph dangling edges and unknown tool", "/workflows", DANGLING, 400,
     ["nowhere", "source and a target", "calculatr"]),
    ("graph without nodes", "/workflows", {"edges": []}, 400, ["nodes"]),
    ("dsl through /workflows", "/workflows", {"dsl": "CALL nothing_here"}, 400,
     ["nothing_here"]),
]


def test_bad_input_is_400_with_every_problem(spawn_agent: Any) -> None:
    agent = spawn_agent("bad", **sections(execution={"max_script_bytes": 1000}))
    for case, path, body, status, words in CASES:
        response = post(agent, path, body)
        assert response.status_code == status, (case, response.text)
        error = response.json()["error"]
        problems = error["details"]["problems"]
        assert len(problems) == len(words), (case, problems)
        for problem, word in zip(problems, words, strict=True):
            text = problem if isinstance(problem, str) else problem["message"]
            assert word in text, (case, problem)
    assert get(agent, "/tasks").json()["total"] == 0  # nothing ran
    assert get(agent, "/workflows").json()["items"] == []


def test_syntax_error_positions(spawn_agent: Any) -> None:
    agent = spawn_agent("pos", **sections())
    error = post(agent, "/execute", {"dsl": "CALL calculator 1\n  ELSE\nCALL x 'open"}).json()
    problems = error["error"]["details"]["problems"]
    assert [(p["line"], p["column"], p["text"]) for p in problems] == [
        (2, 3, "ELSE"), (3, 8, "'open")]


def test_plain_language_needs_an_llm(spawn_agent: Any) -> None:
    agent = spawn_agent("nollm", **sections())
    response = post(agent, "/execute", {"request": "summarise my files"})
    assert response.status_code == 503
    message = response.json()["error"]["message"]
    assert "LLM" in message and "llm.enabled" in message
    assert get(agent, "/tasks").json()["total"] == 0
