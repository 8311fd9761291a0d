"""`LLMPlanner`: plain language to a checked plan in the DSL, run, answered, re-planned.

The model writes its plan in the DSL (PARALLEL, AS and `$name.path` make it a graph
whose independent steps run at once). The plan is compiled and validated like any
script; its problems go back to the model once to repair; a second bad plan fails with
the problems of both attempts. After the run the model answers from the step results,
or, when steps failed and `llm.max_replans` allows, with one new plan that runs in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from praxis_sdk.config import LLMConfig
from praxis_sdk.errors import InvalidInput, PraxisError
from praxis_sdk.llm.client import LLMClient, Usage
from praxis_sdk.llm.prompts import (
    CHARS_PER_TOKEN,
    NO_PLAN,
    CatalogView,
    Conversation,
    Message,
    PlanPrompt,
    answer_messages,
    plan_prompt,
    problem_line,
    repair_message,
)
from praxis_sdk.runner.plan import Plan
from praxis_sdk.runner.report import looks_like_dsl, step_lines
from praxis_sdk.runner.requests import Draft, Outcome, Progress, RunPlan
from praxis_sdk.tools.spec import ToolSpec

FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)
MAX_ATTEMPTS = 2  # the first plan and one repair


class PlanFailed(PraxisError):
    """The model wrote no plan that may run; `details.problems` lists every attempt's."""

    code, status = "plan_failed", 422


def extract_plan(answer: str) -> str | None:
    """The first fenced block of `answer`, else all of it when it reads as DSL; else None."""
    match = FENCE.search(answer)
    if match is not None:
        return match.group(1).strip()
    text = answer.strip()
    return text if looks_like_dsl(text) else None


def has_plan(answer: str) -> bool:
    return extract_plan(answer) is not None


def locate(problems: list[dict[str, Any]], dsl: str) -> list[dict[str, Any]]:
    """Problems with a column too: where the named tool stands on its line."""
    lines = dsl.splitlines()
    out = []
    for problem in problems:
        line, tool = problem.get("line"), problem.get("tool")
        if not problem.get("column") and tool and isinstance(line, int) and \
                0 < line <= len(lines):
            found = re.search(rf"(?<![\w@]){re.escape(str(tool))}(?![\w])", lines[line - 1])
            if found:
                problem = {**problem, "column": found.start() + 1}
        out.append(problem)
    return out


def plan_failed(attempts: list[dict[str, Any]]) -> PlanFailed:
    problems = [{"attempt": a["attempt"], **p} for a in attempts for p in a["problems"]]
    parts = [f"attempt {a['attempt']}: " + "; ".join(problem_line(p)[2:] for p in a["problems"])
             for a in attempts]
    return PlanFailed(f"the model wrote no plan that can run in {len(attempts)} attempts ("
                      + " | ".join(parts) + ")",
                      details={"problems": problems, "attempts": attempts})


def results_text(result: dict[str, Any], max_chars: int) -> str:
    """Every step of a run as the answer prompt shows it, within `max_chars`."""
    lines: list[str] = []
    for step_id, step in (result.get("steps") or {}).items():
        lines += step_lines(step_id, step)
    error = result.get("error")
    if isinstance(error, dict) and error.get("message"):
        lines.append(f"run error: {error['message']}")
    text = "\n".join(lines) or "(no steps ran)"
    if len(text) > max_chars:
        text = text[:max_chars] + f"\n... (results cut at {max_chars} characters)"
    return text


async def _quiet(stage: str, message: str, **extra: Any) -> None:
    return None


class LLMPlanner:
    """Plans with one model over the node's whole catalog (local, MCP and peer tools)."""

    def __init__(self, client: LLMClient, *, tools: Callable[[], list[ToolSpec]],
                 compile: Callable[[str], Plan], config: LLMConfig) -> None:
        self.client = client
        self.tools = tools
        self.compile = compile
        self.config = config
        self.view = CatalogView()

    def prompt(self, request: str, conversation: Conversation | None = None) -> PlanPrompt:
        """The planning prompt for `request` within `llm.prompt_budget_tokens`."""
        return plan_prompt(self.view, self.tools(), request, conversation,
                           self.config.prompt_budget_tokens)

    def check(self, answer: str) -> tuple[str, Plan | None, list[dict[str, Any]]]:
        """(the plan's DSL, the checked Plan or None, every problem) of a model answer."""
        dsl = extract_plan(answer)
        if dsl is None:
            return answer.strip(), None, [{"message": NO_PLAN}]
        try:
            plan = self.compile(dsl)
        except InvalidInput as exc:
            found = exc.details.get("problems") or [{"message": exc.message}]
            return dsl, None, locate(list(found), dsl)
        plan.source = "llm"
        return dsl, plan, []

    # ---------------------------------------------------------------- planning

    async def draft(self, request: str, *, conversation: Conversation | None = None,
                    progress: Progress | None = None) -> Draft:
        """A checked plan for `request` (one repair round trip at most); nothing runs."""
        usage = Usage()
        draft = await self._plan(self.prompt(request, conversation), usage,
                                 progress or _quiet)
        draft.usage = usage.dump()
        return draft

    async def _plan(self, prompt: PlanPrompt, usage: Usage, progress: Progress) -> Draft:
        total = len(self.tools())
        shown = f"{total - prompt.omitted} of {total} tools" if prompt.omitted else \
            f"{total} tools"
        await progress("plan", f"asking {self.client.model} for a plan ({shown}, "
                               f"~{prompt.tokens} tokens)")
        reply = await self._ask(prompt.messages, usage)
        return await self._checked(prompt.messages, reply, usage, progress)

    async def _checked(self, messages: list[Message], reply: str, usage: Usage,
                       progress: Progress) -> Draft:
        """`reply` checked; on problems one repair round trip, then `PlanFailed`."""
        attempts: list[dict[str, Any]] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            dsl, plan, problems = self.check(reply)
            if plan is not None:
                await progress("validate", f"the plan has {len(plan.steps)} step(s)",
                               plan=dsl)
                return Draft(dsl=dsl, plan=plan, attempts=attempts)
            attempts.append({"attempt": attempt, "plan": dsl, "problems": problems})
            if attempt == MAX_ATTEMPTS:
                break
            await progress("repair", f"the plan has {len(problems)} problem(s); asking for "
                                     "a repair", problems=problems)
            messages = [*messages, {"role": "assistant", "content": reply},
                        repair_message(problems)]
            reply = await self._ask(messages, usage)
        raise plan_failed(attempts)

    async def _ask(self, messages: list[Message], usage: Usage) -> str:
        completion = await self.client.complete(messages)
        usage.add(completion.usage)
        return completion.text

    # ---------------------------------------------------------------- serving

    async def serve(self, request: str, *, conversation: Conversation | None, run: RunPlan,
                    progress: Progress) -> Outcome:
        """Plan, run, answer; re-plan after failed steps up to `llm.max_replans` times."""
        usage = Usage()
        prompt = self.prompt(request, conversation)
        draft = await self._plan(prompt, usage, progress)
        attempts, runs, replans = list(draft.attempts), [], 0
        while True:
            result = await run(draft.plan, draft.dsl)
            runs.append({"run_id": result.get("run_id"), "plan": draft.dsl,
                         "status": result.get("status")})
            out = {"request": request, "plan": draft.dsl, **result, "runs": runs,
                   "attempts": attempts, "replans": replans}
            if result.get("status") == "cancelled":
                return Outcome("canceled", out | {"answer": None, "usage": usage.dump()},
                               error=result.get("error"))
            failed = result.get("status") != "completed"
            may_replan = failed and replans < self.config.max_replans
            await progress("answer", "asking for the answer")
            results = results_text(result, self.config.prompt_budget_tokens * CHARS_PER_TOKEN)
            messages = answer_messages(request, draft.dsl, results,
                                       replan_catalog=prompt.catalog if may_replan else None)
            phase = "the answer"
            try:
                reply = await self._ask(messages, usage)
                if not (may_replan and has_plan(reply)):
                    return self._answered(out, reply, failed, usage, result)
                replans, phase = replans + 1, "re-planning"
                await progress("replan", f"steps failed; new plan {replans} of "
                                         f"{self.config.max_replans}")
                draft = await self._checked(messages, reply, usage, progress)
            except PraxisError as exc:
                error = exc.to_dict()
                error["message"] = (f"the plan ran ({result.get('status')}) but {phase} "
                                    f"failed: {exc.message}")
                return Outcome("failed", out | {"answer": None, "usage": usage.dump()},
                               error=error)
            attempts += draft.attempts

    def _answered(self, out: dict[str, Any], reply: str, failed: bool, usage: Usage,
                  result: dict[str, Any]) -> Outcome:
        out = out | {"answer": reply.strip(), "usage": usage.dump()}
        if not failed:
            return Outcome("completed", out)
        error = result.get("error") or {"code": "tool_failed",
                                        "message": "some steps of the plan failed"}
        return Outcome("failed", out, error=error)
