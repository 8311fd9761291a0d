"""The DSL parser: valid scripts and their trees, invalid ones and their exact positions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from praxis_sdk.dsl import DSLSyntaxError, parse
from praxis_sdk.dsl.ast import Block, Call, If


def shape(statements):
    """A compact view of a tree: calls as (tool, provider, positional, named, alias)."""
    out = []
    for s in statements:
        if isinstance(s, Call):
            out.append((s.tool, s.provider, [a.value for a in s.positional],
                        {k: a.value for k, a in s.named.items()}, s.alias))
        elif isinstance(s, Block):
            out.append((s.kind, shape(s.body)))
        else:
            assert isinstance(s, If)
            out.append(("if", s.condition, shape(s.then), shape(s.orelse)))
    return out


VALID = [
    ("CALL read_file report.txt", [("read_file", None, ["report.txt"], {}, None)]),
    ("call word_counter --file_path /shared/a.txt AS counts",
     [("word_counter", None, [], {"file_path": "/shared/a.txt"}, "counts")]),
    ('CALL write_file out.txt "Hello from Praxis"',
     [("write_file", None, ["out.txt", "Hello from Praxis"], {}, None)]),
    ("CALL text_analyzer@praxis-agent-2 --input_file /a.txt",
     [("text_analyzer", "praxis-agent-2", [], {"input_file": "/a.txt"}, None)]),
    ("CALL t 42 -1.5 true false null 007",
     [("t", None, [42, -1.5, True, False, None, "007"], {}, None)]),
    ("""CALL t 'it''s' "a\\"b\\n" '$HOME' "\\$x" "$y" """,
     [("t", None, ["it", "s", 'a"b\n', "$$HOME", "$$x", "$y"], {}, None)]),
    ("""CALL json_formatter --json_data '{"a": 1}' {"b": [1, {"c": null}]} [1, 2]""",
     [("json_formatter", None, [{"b": [1, {"c": None}]}, [1, 2]],
       {"json_data": '{"a": 1}'}, None)]),
    ("CALL t --flag --n=3 --m= x --last", [("t", None, ["x"],
                                           {"flag": True, "n": 3, "m": "", "last": True}, None)]),
    ("CALL t $r.counts.words ${r} a#b  # comment",
     [("t", None, ["$r.counts.words", "${r}", "a#b"], {}, None)]),
    ("CALL write_file f END as x", [("write_file", None, ["f", "END"], {}, "x")]),
    ("# only a comment\n\n   \nCALL a\n", [("a", None, [], {}, None)]),
    ("PARALLEL\n  CALL a\n  CALL b\nEND", [("parallel", [("a", None, [], {}, None),
                                                       ("b", None, [], {}, None)])]),
    ("parallel\nCALL a\nend_parallel\nsequence\nCALL b\nEND_SEQUENCE",
     [("parallel", [("a", None, [], {}, None)]), ("sequence", [("b", None, [], {}, None)])]),
    ("IF $c.n > 100\nCALL a\nELSE\nCALL b\nENDIF",
     [("if", "$c.n > 100", [("a", None, [], {}, None)], [("b", None, [], {}, None)])]),
    ("if not ($x == 'a') and $y.ok or $z <= 3\nCALL a\nEND_IF",
     [("if", "not ($x == 'a') and $y.ok or $z <= 3", [("a", None, [], {}, None)], [])]),
    ("IF $a\n  PARALLEL\n    IF $b\n      CALL x\n    END\n  END\nEND",
     [("if", "$a", [("parallel", [("if", "$b", [("x", None, [], {}, None)], [])])], [])]),
    ("CALL a\r\nCALL b\r\n", [("a", None, [], {}, None), ("b", None, [], {}, None)]),
]


@pytest.mark.parametrize(("script", "expected"), VALID)
def test_valid_scripts(script: str, expected: list) -> None:
    assert shape(parse(script).body) == expected


INVALID = [  # script, [(line, column, text)]
    ("CALL", [(1, 5, "")]),
    ("FOO bar", [(1, 1, "FOO")]),
    ('CALL x "abc', [(1, 8, '"abc')]),
    ("CALL x 'a\\u12'", [(1, 10, "'a\\u12'")]),
    ("CALL x {\"a\": }", [(1, 14, "}")]),
    ('CALL x {"a": 1}b', [(1, 16, "b")]),
    ("CALL x AS", [(1, 10, "")]),
    ("CALL x AS 9-lives", [(1, 11, "9-lives")]),
    ("CALL x --a 1 --a 2", [(1, 14, "--a")]),
    ("CALL 'quoted'", [(1, 6, "'quoted'")]),
    ("CALL bad/name", [(1, 6, "bad/name")]),
    ("END", [(1, 1, "END")]),
    ("ELSE", [(1, 1, "ELSE")]),
    ("PARALLEL\nCALL a", [(1, 1, "PARALLEL")]),
    ("PARALLEL extra", [(1, 10, "extra")]),
    ("SEQUENCE\nEND_PARALLEL", [(1, 1, "SEQUENCE"), (2, 1, "END_PARALLEL")]),
    ("IF $x >\nCALL a\nEND", [(1, 8, "")]),
    ("IF\nEND", [(1, 3, "")]),
    ("IF $x == = 1\nEND", [(1, 10, "=")]),
    ("IF $x\nELSE\nELSE\nEND", [(3, 1, "ELSE")]),
    ("CALL\nFOO\nCALL x 'open\nEND\nPARALLEL\n  CALL y\n",
     [(1, 5, ""), (2, 1, "FOO"), (3, 8, "'open"), (4, 1, "END"), (5, 1, "PARALLEL")]),
]


@pytest.mark.parametrize(("script", "positions"), INVALID)
def test_invalid_scripts_report_every_position(script: str, positions: list) -> None:
    with pytest.raises(DSLSyntaxError) as info:
        parse(script)
    got = [(p["line"], p["column"], p["text"]) for p in info.value.problems]
    assert got == positions
    for p in info.value.problems:
        assert p["message"] and isinstance(p["expected"], list)
    assert info.value.details["problems"] == info.value.problems
    assert info.value.status == 400


def test_expected_lists_name_what_could_come() -> None:
    with pytest.raises(DSLSyntaxError) as info:
        parse("FOO")
    problem = info.value.problems[0]
    assert problem["expected"] == ["CALL", "PARALLEL", "SEQUENCE", "IF", "ELSE", "END",
                                   "DELEGATE"]
    assert "expected CALL" in problem["message"]


def test_size_limit_is_configurable() -> None:
    script = "CALL a\n" * 100
    parse(script, max_bytes=len(script))
    with pytest.raises(DSLSyntaxError) as info:
        parse(script, max_bytes=len(script) - 1)
    assert "limit" in info.value.problems[0]["message"]


ALPHABET = st.sampled_from(list("CALLPARALLELENDIFSEQUENCEelse_ \t\n#\"'\\{}[]:,$.@-=<>!()0123"
                                "xyz\r\u00a0\u2028é"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(ALPHABET, max_size=80).map("".join)))
def test_any_text_parses_or_raises_the_syntax_error(text: str) -> None:
    try:
        parse(text)
    except DSLSyntaxError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p["line"] >= 1 and p["column"] >= 1
