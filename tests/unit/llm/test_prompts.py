"""The planner's prompt: catalog entries, relevance-ranked trimming to the token budget,
conversation turns, and reading a plan out of a model's answer."""

from __future__ import annotations

from praxis_sdk.llm.planner import extract_plan, locate, plan_failed
from praxis_sdk.llm.prompts import (
    PLAN_SYSTEM,
    CatalogView,
    conversation_messages,
    estimate_tokens,
    plan_prompt,
    problem_line,
    tool_entry,
)
from praxis_sdk.tools.spec import ToolSpec


def spec(name: str, description: str = "", provider: str = "node-a", source: str = "local",
         **props: dict) -> ToolSpec:
    required = [n for n, p in props.items() if p.pop("required", False)]
    return ToolSpec(name=name, description=description, provider=provider, source=source,
                    input_schema={"type": "object", "properties": props, "required": required})


def filler(count: int) -> list[ToolSpec]:
    return [spec(f"tool_{i:03d}", f"Does unrelated thing number {i} with some detail",
                 value={"type": "string", "description": "A value"}) for i in range(count)]


def test_entry_shows_provider_source_description_and_schema() -> None:
    entry = tool_entry(spec(
        "word_counter", "Counts words.", provider="agent-b", source="peer",
        file_path={"type": "string", "description": "File to read", "required": True},
        mode={"type": "string", "enum": ["fast", "exact"], "default": "fast"},
        tags={"type": "array", "items": {"type": "string"}}))
    assert entry.splitlines() == [
        "- word_counter (on agent-b, peer): Counts words.",
        "    --file_path string, required: File to read",
        '    --mode string, one of "fast", "exact", default "fast"',
        "    --tags array of string",
    ]
    assert tool_entry(spec("ping")).endswith("(no parameters)")


def test_relevant_tools_come_first_and_the_catalog_fits_the_budget() -> None:
    specs = [*filler(200), spec("word_counter", "Counts the words of a file",
                                file_path={"type": "string"})]
    budget = 2000
    prompt = plan_prompt(CatalogView(), specs, "count the words in report.txt", None, budget)
    assert prompt.tokens <= budget
    assert 0 < prompt.omitted < 200
    lines = prompt.catalog.splitlines()
    assert lines[1].startswith("- word_counter ")  # the one relevant tool leads
    assert lines[-1] == (f"({prompt.omitted} less related tools are not listed; plan with "
                         "the tools above.)")

    roomy = plan_prompt(CatalogView(), specs, "count the words", None, 100_000)
    assert roomy.omitted == 0 and roomy.catalog.count("\n- ") == 201


def test_conversation_keeps_the_latest_turns_that_fit() -> None:
    turns = [{"role": "user", "content": "x" * 400}, {"role": "assistant", "content": "ok"},
             {"role": "system", "content": "ignored"}, {"role": "user", "content": "again"}]
    assert conversation_messages(turns, 20) == [{"role": "assistant", "content": "ok"},
                                                {"role": "user", "content": "again"}]
    prompt = plan_prompt(CatalogView(), [], "and now?", turns, 6000)
    assert [m["role"] for m in prompt.messages] == ["system", "user", "assistant", "user",
                                                    "user"]
    assert prompt.messages[0]["content"].startswith(PLAN_SYSTEM)
    assert estimate_tokens("abcd" * 10) == 10


def test_plan_is_the_first_fenced_block_or_bare_dsl() -> None:
    assert extract_plan("Sure:\n```praxis\nCALL a\n```\nand\n```\nCALL b\n```") == "CALL a"
    assert extract_plan("```\nPARALLEL\n  CALL a\nEND\n```") == "PARALLEL\n  CALL a\nEND"
    assert extract_plan("  CALL a --x 1\nCALL b\n") == "CALL a --x 1\nCALL b"
    assert extract_plan("I cannot help with that.") is None


def test_problems_name_line_column_and_close_matches() -> None:
    found = locate([{"line": 2, "tool": "shuot", "message": "unknown tool 'shuot'",
                     "suggestions": ["shout"]}], "CALL a\n  CALL shuot --text hi")
    assert found[0]["column"] == 8
    assert problem_line(found[0]) == (
        "- line 2, column 8: unknown tool 'shuot' (close matches: shout)")
    error = plan_failed([{"attempt": 1, "plan": "x", "problems": [{"message": "first"}]},
                         {"attempt": 2, "plan": "y", "problems": [{"line": 1,
                                                                   "message": "second"}]}])
    assert error.status == 422
    assert error.message.endswith("(attempt 1: first | attempt 2: line 1: second)")
    assert [p["attempt"] for p in error.details["problems"]] == [1, 2]
