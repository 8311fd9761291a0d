"""DSL scripts to plans, graphs to plans, and the problems validation lists."""

from __future__ import annotations

import pytest

from praxis_sdk.dsl import DSLSyntaxError, parse
from praxis_sdk.errors import InvalidInput
from praxis_sdk.runner import Plan, PlanInvalid, compile_dsl, plan_for_tool, plan_from_graph
from praxis_sdk.runner.compile import REST_OF_LINE_TOOLS, _check
from praxis_sdk.runner.plan import Step
from praxis_sdk.runner.validate import problems

from .tools import Provider


@pytest.fixture
def lookup():
    return Provider().lookup


def steps(plan: Plan) -> list[tuple]:
    return [(s.id, s.tool, s.arguments, s.depends_on, s.condition, s.output)
            for s in plan.steps]


PLANS = [
    ("CALL echo hello AS e", [("s1", "echo", {"text": "hello"}, [], None, "e")]),
    ("CALL echo 42", [("s1", "echo", {"text": "42"}, [], None, None)]),  # typed to string
    ("CALL sum 1 --b 2", [("s1", "sum", {"a": 1, "b": 2}, [], None, None)]),
    ("CALL write_file out.txt Hello   from Praxis # note",
     [("s1", "write_file", {"path": "out.txt", "content": "Hello   from Praxis"}, [], None,
       None)]),
    ('CALL write_file out.txt "Hello from Praxis"',
     [("s1", "write_file", {"path": "out.txt", "content": "Hello from Praxis"}, [], None,
       None)]),
    ("CALL echo {\"a\": 1}", [("s1", "echo", {"text": '{"a": 1}'}, [], None, None)]),
    ("CALL merge '[\"a\", \"b\"]'", [("s1", "merge", {"files": ["a", "b"]}, [], None, None)]),
    ("CALL echo a\nCALL echo b\nCALL echo c",
     [("s1", "echo", {"text": "a"}, [], None, None),
      ("s2", "echo", {"text": "b"}, ["s1"], None, None),
      ("s3", "echo", {"text": "c"}, ["s2"], None, None)]),
    ("CALL echo a\nPARALLEL\n CALL echo b\n CALL echo c\nEND\nCALL echo d",
     [("s1", "echo", {"text": "a"}, [], None, None),
      ("s2", "echo", {"text": "b"}, ["s1"], None, None),
      ("s3", "echo", {"text": "c"}, ["s1"], None, None),
      ("s4", "echo", {"text": "d"}, ["s2", "s3"], None, None)]),
    ("PARALLEL\n SEQUENCE\n  CALL echo a\n  CALL echo b\n END\n CALL echo c\nEND",
     [("s1", "echo", {"text": "a"}, [], None, None),
      ("s2", "echo", {"text": "b"}, ["s1"], None, None),
      ("s3", "echo", {"text": "c"}, [], None, None)]),
    ("CALL count --text 'a b' AS c\nIF $c.counts.words > 1\n CALL echo big\nELSE\n"
     " CALL echo small\nEND\nCALL echo after",
     [("s1", "count", {"text": "a b"}, [], None, "c"),
      ("s2", "echo", {"text": "big"}, ["s1"], "$c.counts.words > 1", None),
      ("s3", "echo", {"text": "small"}, ["s1"], "not ($c.counts.words > 1)", None),
      ("s4", "echo", {"text": "after"}, ["s2", "s3"], None, None)]),
    ("CALL echo x AS a\nIF $a == x\n IF $a != y\n  CALL echo z\n END\nEND",
     [("s1", "echo", {"text": "x"}, [], None, "a"),
      ("s2", "echo", {"text": "z"}, ["s1"], "($a == x) and ($a != y)", None)]),
    ("PARALLEL\n CALL echo a AS a\n CALL echo $a\nEND",  # a reference orders siblings
     [("s1", "echo", {"text": "a"}, [], None, "a"),
      ("s2", "echo", {"text": "$a"}, ["s1"], None, None)]),
    ("CALL echo@test '$HOME'", [("s1", "echo", {"text": "$$HOME"}, [], None, None)]),
]


@pytest.mark.parametrize(("script", "expected"), PLANS)
def test_scripts_compile_to_plans(script: str, expected: list, lookup) -> None:
    assert steps(compile_dsl(script, lookup)) == expected


def test_pinned_provider_and_string_params(lookup) -> None:
    plan = compile_dsl("CALL count --text x AS c\nCALL echo@test $c.counts", lookup)
    assert plan.steps[1].provider == "test"
    assert plan.steps[1].string_params == ["text"]


def test_every_problem_is_listed_with_its_line(lookup) -> None:
    script = "\n".join([
        "CALL ecko hi",                 # unknown tool, with a suggestion
        "CALL sum --a 1",               # missing argument
        "CALL sum --a one --b 2",       # mistyped argument
        "CALL echo a b",                # one positional too many
        "CALL echo $nope",              # undefined name
        "CALL echo $later",             # used before defined
        "CALL echo x AS later",
        "CALL echo --text a --bogus 1",  # unknown argument
        "CALL echo@elsewhere a",        # unknown provider
    ])
    with pytest.raises(PlanInvalid) as info:
        compile_dsl(script, lookup)
    problems = info.value.problems
    assert [p["line"] for p in problems] == [1, 2, 3, 4, 5, 6, 8, 9]
    assert problems[0]["suggestions"] == ["echo"]
    assert "missing required argument 'b'" in problems[1]["message"]
    assert "'one' is not of type 'integer'" in problems[2]["message"]
    assert "one too many" in problems[3]["message"]
    assert "$nope is not defined" in problems[4]["message"]
    assert "before the step that defines it" in problems[5]["message"]
    assert "'bogus' was unexpected" in problems[6]["message"]
    assert isinstance(info.value, InvalidInput) and info.value.status == 400


def test_syntax_errors_come_before_tool_checks(lookup) -> None:
    with pytest.raises(DSLSyntaxError):
        compile_dsl("CALL ecko 'open", lookup)


GRAPH = {
    "id": "wf",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "a", "type": "tool", "data": {"toolName": "count", "args": {"text": "x y"}}},
        {"id": "b", "data": {"tool": "echo@test", "params": {"text": "$a.counts.words"},
                             "retry": 3, "timeout": 5}},
        {"id": "c", "tool": "echo", "inputs": {"text": "n=${a.counts.words}"},
         "condition": "$a.counts.words >= 2", "as": "final"},
    ],
    "edges": [{"source": "start", "target": "a"}, {"from": "a", "to": "c"}],
}


def test_graph_nodes_of_several_shapes(lookup) -> None:
    plan = plan_from_graph(GRAPH, lookup)
    by_id = {s.id: s for s in plan.steps}
    assert by_id["start"].tool is None
    assert by_id["a"].depends_on == ["start"]
    assert by_id["b"].depends_on == ["a"]  # from the reference
    assert (by_id["b"].provider, by_id["b"].retry.attempts, by_id["b"].timeout) == (
        "test", 3, 5)
    assert by_id["c"].output == "final" and by_id["c"].condition
    assert plan_from_graph({"workflow": GRAPH}, lookup).steps == plan.steps


@pytest.mark.parametrize(("graph", "needle"), [
    ({"nodes": [{"id": "a", "tool": "echo", "args": {"text": "x"}}],
      "edges": [{"source": "a", "target": "zz"}]}, "no such node: zz"),
    ({"nodes": [{"id": "a", "tool": "echo", "args": {"text": "x"}, "dependsOn": ["b"]},
                {"id": "b", "tool": "echo", "args": {"text": "y"}}],
      "edges": [{"source": "a", "target": "b"}]}, "cycle: a -> b -> a"),
    ({"nodes": [{"id": "a", "type": "tool"}], "edges": []}, "names no tool"),
    ({"nodes": [{"id": "a", "tool": "echoo", "args": {}}]}, "unknown tool 'echoo'"),
    ({"nodes": [{"id": "a", "tool": "echo", "args": {"text": "x"}, "condition": "$a >"}]},
     "bad condition"),
    ({"nodes": [{"id": "a", "tool": "echo", "args": {"text": "x"}, "retry": 0}]},
     "greater than or equal to 1"),
    ({"nodes": "nope"}, "list of nodes"),
])
def test_bad_graphs_are_refused(graph: dict, needle: str, lookup) -> None:
    with pytest.raises(PlanInvalid) as info:
        plan_from_graph(graph, lookup)
    assert any(needle in p["message"] for p in info.value.problems), info.value.problems


def test_single_tool_plan(lookup) -> None:
    plan = plan_for_tool("echo@test", {"text": "hi"}, timeout=3, lookup=lookup)
    assert steps(plan) == [("call", "echo", {"text": "hi"}, [], None, "result")]
    assert plan.steps[0].provider == "test"
    with pytest.raises(PlanInvalid):
        plan_for_tool("echo", {}, lookup=lookup)


def test_plan_round_trips_as_json(lookup) -> None:
    plan = compile_dsl(PLANS[10][0], lookup)
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
    graph = plan.to_graph()
    assert {"source": "s1", "target": "s2"} in graph["edges"]


PINNED_SCRIPT = (
    "CALL count --text 'a b' AS c\n"
    "CALL write_file out.txt total: $c.counts # rest of the line\n"
    "PARALLEL\n  CALL echo@test \"x\\ty\" AS e\n  CALL merge [\"a\", \"b\"]\nEND\n"
    "IF $c.counts.words > 1 and $e != 'z'\n  CALL sum 1 --b=2\nELSE\n"
    "  CALL echo ${e}\nEND\n"
    "CALL echo after\n")
PINNED_JSON = (
    '{"steps":[{"id":"s1","tool":"count","provider":null,"arguments":{"text":"a b"},'
    '"depends_on":[],"condition":null,"retry":null,"timeout":null,"output":"c","line":1,'
    '"string_params":[]},{"id":"s2","tool":"write_file","provider":null,'
    '"arguments":{"path":"out.txt","content":"total: $c.counts"},"depends_on":["s1"],'
    '"condition":null,"retry":null,"timeout":null,"output":null,"line":2,'
    '"string_params":["content"]},{"id":"s3","tool":"echo","provider":"test",'
    '"arguments":{"text":"x\\ty"},"depends_on":["s2"],"condition":null,"retry":null,'
    '"timeout":null,"output":"e","line":4,"string_params":[]},{"id":"s4","tool":"merge",'
    '"provider":null,"arguments":{"files":["a","b"]},"depends_on":["s2"],"condition":null,'
    '"retry":null,"timeout":null,"output":null,"line":5,"string_params":[]},{"id":"s5",'
    '"tool":"sum","provider":null,"arguments":{"b":2,"a":1},"depends_on":["s3","s4","s1"],'
    '"condition":"$c.counts.words > 1 and $e != \'z\'","retry":null,"timeout":null,'
    '"output":null,"line":8,"string_params":[]},{"id":"s6","tool":"echo","provider":null,'
    '"arguments":{"text":"${e}"},"depends_on":["s3","s4","s1"],'
    '"condition":"not ($c.counts.words > 1 and $e != \'z\')","retry":null,"timeout":null,'
    '"output":null,"line":10,"string_params":["text"]},{"id":"s7","tool":"echo",'
    '"provider":null,"arguments":{"text":"after"},"depends_on":["s5","s6"],'
    '"condition":null,"retry":null,"timeout":null,"output":null,"line":12,'
    '"string_params":[]}],"source":"dsl"}'
)


def test_plan_json_is_pinned(lookup) -> None:
    """The JSON of a compiled plan, byte for byte: the API, the UI and saved runs read it,
    so a faster compiler or another Step type must not change it."""
    assert compile_dsl(PINNED_SCRIPT, lookup).model_dump_json() == PINNED_JSON


def test_compiled_steps_are_the_steps_validation_would_make(lookup) -> None:
    """`Step.trusted` sets pydantic's internals itself: a new pydantic that moved them
    fails here, not in a run."""
    script = "CALL count --text x AS c\nIF $c.counts > 1\n  CALL echo@test $c.counts\nEND"
    for step in compile_dsl(script, lookup).steps:
        fields = {name: getattr(step, name) for name in step.model_fields_set}
        validated = Step(**fields)
        assert step == validated and repr(step) == repr(validated)
        assert step.model_dump() == validated.model_dump()
        assert step.model_fields_set == validated.model_fields_set
        assert Step.model_validate_json(step.model_dump_json()) == step
        assert step.model_copy(update={"timeout": 5.0}).timeout == 5.0


def test_a_field_set_on_one_compiled_step_leaves_the_others(lookup) -> None:
    """Compiled steps share their set of field names (every field counts as set)."""
    first, second = compile_dsl("CALL echo a\nCALL echo b", lookup).steps
    first.timeout = 5.0
    first.depends_on.append("s2")
    assert (first.timeout, second.timeout, second.depends_on) == (5.0, None, ["s1"])
    assert first.model_fields_set == second.model_fields_set == set(Step.model_fields)



@pytest.mark.parametrize("script, message", [
    ("CALL echo $a AS a", "$a is used before the step that defines it"),
    ("CALL echo x AS a\nCALL write_file $a $b AS b", "$b is used before the step that defines it"),
    ("CALL echo x AS a\nIF $c == 1\n  CALL echo $a\nEND\nCALL echo y AS c",
     "$c is used before the step that defines it"),
    ("CALL echo x AS a\nCALL echo ${a} AS a\nCALL echo $a\nCALL echo $zz",
     "$zz is not defined (no step has AS zz)"),
])
def test_reference_problems_match_a_full_validation(script: str, message: str,
                                                    lookup) -> None:
    """The compiler settles the names an earlier step defines as it goes and checks the
    rest after: together they find what validating the whole plan again finds."""
    plan, found = _check(parse(script).body, lookup, REST_OF_LINE_TOOLS)
    assert [p["message"] for p in found] == [message]
    assert [p["message"] for p in problems(plan, lookup)] == [message]
