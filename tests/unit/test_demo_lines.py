"""The demo's per-step lines: long results end in an ellipsis, skipped steps say why."""

from __future__ import annotations

from praxis_sdk.demo import step_line

RESULT = {"provider": "praxis-agent-2", "engine": "sandbox"}


def test_a_long_result_is_cut_with_an_ellipsis() -> None:
    line = step_line("s3", {"tool": "text_analyzer", "status": "completed",
                            "result": {**RESULT, "content": [{"text": "x" * 500}]}})
    head = "s3 text_analyzer  completed  on praxis-agent-2 via sandbox: "
    assert line == head + "x" * 159 + "…"


def test_a_short_result_is_whole() -> None:
    line = step_line("s1", {"tool": "calculator", "status": "completed",
                            "result": {**RESULT, "structured": {"result": 42}}})
    assert line.endswith(': {"result": 42}')


def test_a_skipped_step_says_its_branch_was_not_taken() -> None:
    line = step_line("s6", {"tool": "calculator", "status": "skipped"})
    assert line == "s6 calculator     skipped    (its branch was not taken)"
