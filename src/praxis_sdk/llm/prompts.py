"""The planner's prompts: DSL in brief, the tool catalog, repair and answer messages.

Each prompt carries a comment on why it is worded so. Sizes are estimated (about four
characters a token, the usual rule of thumb for English and code with OpenAI-style
tokenizers), so nothing has to be downloaded to count them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from praxis_sdk.tools.spec import ToolSpec

Message = dict[str, str]
Conversation = list[dict[str, Any]]

MAX_DESCRIPTION = 300
CHARS_PER_TOKEN = 4
CONVERSATION_SHARE = 4  # the conversation may take up to a quarter of the budget
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "get", "give", "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or",
    "please", "show", "tell", "that", "the", "their", "then", "this", "to", "use", "using",
    "was", "what", "when", "which", "with", "you", "your",
})
WORD = re.compile(r"[a-z0-9]+")

# Why: small models copy the shape of examples more reliably than they follow grammar
# prose, so the grammar is a short table and the two examples cover what makes a plan a
# graph (PARALLEL for independent steps, AS and $name.path to pass results on). Arguments
# by name, because positional ones depend on a declared order the model cannot see well
# and named ones let a bad argument be reported by its name. One fenced block and no
# prose, because the planner reads the first fenced block and anything else is tokens.
PLAN_SYSTEM = """\
You are the planner of a Praxis agent node. You turn the user's request into a plan that \
the node runs, written in the Praxis DSL.

The DSL, one statement per line:
  CALL tool --param value [--param value ...] [AS name]
      run one tool; a value is a word, a "quoted string", a number, true/false or a JSON object
  PARALLEL ... END        the CALLs inside run at the same time
  IF <condition> ... ELSE ... END
      run a branch only when the condition holds, e.g. IF $counts.words > 100
  $name, $name.field.sub  the result of the step marked AS name (also inside "quoted text")
  tool@agent              run the tool on that agent

Rules:
- Use only the tools listed below, with their parameter names, and pass every argument \
by name (--param value).
- Put steps that do not need each other's results in one PARALLEL block.
- Mark a step AS name when a later step needs its result, then use $name or $name.field.
- Answer with the plan in one ```praxis fenced block and nothing else.

Example 1 (tools named here are examples). Request: "What is 6*7, and what does agent-b \
answer when it echoes hi?"
```praxis
PARALLEL
  CALL calculator --expression "6*7" AS product
  CALL echo@agent-b --text "hi" AS echoed
END
```

Example 2. Request: "Count the words in /shared/a.txt and write the count to count.txt"
```praxis
CALL word_counter --file_path /shared/a.txt AS counts
CALL write_file --filename count.txt --content "words: $counts.words"
```
"""

# Why: a heading that says what each entry holds, so the model reads `@agent` and the
# parameter lines as calling instructions; the note on omitted tools keeps it from
# inventing tools it was not shown.
CATALOG_HEAD = "Tools (name, where it runs, what it does, then its parameters):"
CATALOG_OMITTED = ("({count} less related tools are not listed; plan with the tools "
                   "above.)")

# Why: the request on its own line under a label, last, so it is what the model reads
# just before answering (recency helps small models stay on task).
REQUEST = "Request: {request}"

# Why: every problem with its line and column so the model can find it; close matches
# so it picks a real tool instead of inventing another; "the whole plan" because the
# answer is compiled from scratch, and a diff or a partial fix would not run.
REPAIR = """\
That plan cannot run. Problems:
{problems}
Write the whole corrected plan in one ```praxis block. Use only the listed tools and \
their parameter names."""

# Why: a short, factual answer drawn only from the results (and saying what failed)
# is what a user wants after a run; "do not invent" guards against a model filling the
# gaps of a failed step with made-up output.
ANSWER_SYSTEM = """\
You report to the user of a Praxis agent node. A plan ran for their request; answer \
the request in a few sentences from the step results below. Say plainly if a step \
failed. Do not invent results the steps did not return."""

# Why: a re-plan is offered only when steps failed and the budget allows it, with the
# DSL and catalog attached (the model needs them to write a new plan), and the choice
# is made explicit (answer text or one fenced plan) so the reply is unambiguous.
REPLAN_OFFER = """\

Some steps failed. If a different plan could still answer the request, you may instead \
answer with one new plan in a ```praxis block, written in the DSL with the tools below; \
otherwise answer in words.

{plan_system}
{catalog}"""

ANSWER_REQUEST = """\
Request: {request}

The plan that ran:
```praxis
{plan}
```

Step results:
{results}"""

NO_PLAN = ("the answer holds no plan: write DSL statements (CALL ...) in a ```praxis "
           "fenced block")


def estimate_tokens(text: str) -> int:
    """About four characters a token (no tokenizer to download)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


# ---------------------------------------------------------------- catalog


def param_line(name: str, prop: Any, required: bool) -> str:
    """`--name type, required: description` for one property of an input schema."""
    prop = prop if isinstance(prop, dict) else {}
    kind = prop.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    if kind == "array" and isinstance(prop.get("items"), dict) and "type" in prop["items"]:
        kind = f"array of {prop['items']['type']}"
    facts = [str(kind)]
    if required:
        facts.append("required")
    if "enum" in prop:
        facts.append("one of " + ", ".join(json.dumps(v) for v in prop["enum"]))
    if "default" in prop:
        facts.append(f"default {json.dumps(prop['default'])}")
    if kind == "object" and isinstance(prop.get("properties"), dict):
        facts.append("fields " + json.dumps(prop["properties"], separators=(",", ":")))
    description = str(prop.get("description") or "").strip()
    return f"    --{name} {', '.join(facts)}" + (f": {description}" if description else "")


def tool_entry(spec: ToolSpec) -> str:
    """One catalog entry: name, provider and source, description, a line per parameter."""
    where = spec.provider or "this node"
    description = " ".join(spec.description.split())
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION] + "..."
    lines = [f"- {spec.name} (on {where}, {spec.source}): {description or 'no description'}"]
    schema = spec.input_schema or {}
    required = set(schema.get("required") or [])
    props = schema.get("properties") or {}
    lines += [param_line(n, p, n in required) for n, p in props.items()]
    if not props:
        lines.append("    (no parameters)")
    return "\n".join(lines)


def words(text: str) -> set[str]:
    """Lower-case words without stopwords, plural `s` dropped (`files` finds `file`)."""
    out = set()
    for word in WORD.findall(text.lower()):
        if word not in STOPWORDS:
            out.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return out


@dataclass
class Entry:
    """A tool as the prompt shows it, with what relevance ranking needs."""

    spec: ToolSpec
    text: str
    tokens: int
    name_words: set[str]
    other_words: set[str]

    @classmethod
    def of(cls, spec: ToolSpec) -> Entry:
        text = tool_entry(spec)
        name_words = words(spec.name.replace("_", " ").replace("-", " "))
        other = words(f"{spec.description} {spec.provider} {' '.join(spec.param_names)}")
        return cls(spec, text, estimate_tokens(text) + 1, name_words, other)

    def score(self, asked: set[str]) -> int:
        """Name matches count three times as much as description or parameter matches."""
        return 3 * len(asked & self.name_words) + len(asked & self.other_words)


class CatalogView:
    """Catalog entries rendered once per tool list, then ranked and trimmed per request."""

    def __init__(self) -> None:
        self._cache: dict[str, Entry] = {}

    def entries(self, specs: Iterable[ToolSpec]) -> list[Entry]:
        fresh: dict[str, Entry] = {}
        for spec in specs:
            key = spec.model_dump_json()
            fresh[key] = self._cache.get(key) or Entry.of(spec)
        self._cache = fresh
        return list(fresh.values())

    def render(self, specs: Iterable[ToolSpec], asked: str, budget: int) -> tuple[str, int]:
        """The catalog text within `budget` tokens, most relevant first; (text, omitted)."""
        entries = self.entries(specs)
        wanted = words(asked)
        ranked = sorted(enumerate(entries), key=lambda ie: (-ie[1].score(wanted), ie[0]))
        used = estimate_tokens(CATALOG_HEAD) + estimate_tokens(CATALOG_OMITTED) + 4
        shown: list[str] = []
        for _, entry in ranked:
            if used + entry.tokens > budget:
                continue
            shown.append(entry.text)
            used += entry.tokens
        omitted = len(entries) - len(shown)
        parts = [CATALOG_HEAD, *shown]
        if omitted:
            parts.append(CATALOG_OMITTED.format(count=omitted))
        if not entries:
            parts.append("(this node knows no tools yet)")
        return "\n".join(parts), omitted


# ---------------------------------------------------------------- messages


def conversation_messages(conversation: Conversation | None, budget: int) -> list[Message]:
    """The latest turns that fit `budget` tokens, oldest first (user and assistant only)."""
    out: list[Message] = []
    used = 0
    for turn in reversed(conversation or []):
        role, content = turn.get("role"), turn.get("content")
        if role not in ("user", "assistant") or not isinstance(content, str):
            continue
        cost = estimate_tokens(content) + 4
        if used + cost > budget:
            break
        out.append({"role": role, "content": content})
        used += cost
    return out[::-1]


@dataclass
class PlanPrompt:
    messages: list[Message]
    catalog: str
    tokens: int
    omitted: int


def plan_prompt(view: CatalogView, specs: list[ToolSpec], request: str,
                conversation: Conversation | None, budget: int) -> PlanPrompt:
    """System (DSL + catalog), the conversation so far, then the request; within budget."""
    asked = request
    history = conversation_messages(conversation, budget // CONVERSATION_SHARE)
    if history:
        asked += " " + " ".join(m["content"] for m in history if m["role"] == "user")
    fixed = estimate_tokens(PLAN_SYSTEM) + estimate_tokens(REQUEST.format(request=request))
    fixed += sum(estimate_tokens(m["content"]) + 4 for m in history)
    catalog, omitted = view.render(specs, asked, max(budget - fixed, 0))
    messages = [{"role": "system", "content": f"{PLAN_SYSTEM}\n{catalog}"}, *history,
                {"role": "user", "content": REQUEST.format(request=request)}]
    tokens = sum(estimate_tokens(m["content"]) + 4 for m in messages)
    return PlanPrompt(messages, catalog, tokens, omitted)


def problem_line(problem: dict[str, Any]) -> str:
    """`line 2, column 6: unknown tool 'serch' (close matches: search)` and the like."""
    where = []
    if problem.get("line"):
        where.append(f"line {problem['line']}")
    if problem.get("column"):
        where.append(f"column {problem['column']}")
    text = str(problem.get("message", "problem"))
    suggestions = problem.get("suggestions")
    if suggestions and "did you mean" not in text:
        text += " (close matches: " + ", ".join(suggestions) + ")"
    return "- " + (", ".join(where) + ": " if where else "") + text


def repair_message(problems: list[dict[str, Any]]) -> Message:
    return {"role": "user",
            "content": REPAIR.format(problems="\n".join(problem_line(p) for p in problems))}


def answer_messages(request: str, plan: str, results: str, *, replan_catalog: str | None
                    ) -> list[Message]:
    """The answer prompt; with `replan_catalog`, the model may answer with a new plan."""
    system = ANSWER_SYSTEM
    if replan_catalog is not None:
        system += REPLAN_OFFER.format(plan_system=PLAN_SYSTEM, catalog=replan_catalog)
    user = ANSWER_REQUEST.format(request=request, plan=plan.strip(), results=results)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
