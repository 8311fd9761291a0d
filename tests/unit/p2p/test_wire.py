"""The wire codec against the Go agents' message shapes (tests/fixtures/go-wire)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from praxis_sdk.errors import InvalidInput, NotAllowed, TooLarge
from praxis_sdk.p2p import wire
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

FIXTURES = Path(__file__).parents[2] / "fixtures" / "go-wire"


def lines(name: str) -> list[dict[str, Any]]:
    raw = (FIXTURES / name).read_bytes()
    assert raw.endswith(b"\n"), f"{name} lines must end in a newline"
    buffer = wire.LineBuffer(1 << 20)
    buffer.feed(raw)
    out = []
    while (line := buffer.next_line()) is not None:
        out.append(wire.decode_line(line))
    assert buffer.pending == 0
    return out


def go_card() -> dict[str, Any]:
    return lines("card.ndjson")[0]


def shape(value: Any) -> Any:
    """Field names and JSON types of a value (lists by their first element)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if not isinstance(value, bool) else "bool"


def test_fixture_dir_has_every_file() -> None:
    names = {p.name for p in FIXTURES.glob("*.ndjson")}
    assert {"card.ndjson", "tool_request.ndjson", "tool_response.ndjson", "a2a.ndjson"} <= names


def test_go_card_parses_to_tool_specs() -> None:
    card = wire.parse(wire.Card, go_card(), "card")
    assert card.name == "praxis-agent-go" and card.peer_id.startswith("12D3")
    assert card.capabilities == ["dsl", "workflow", "p2p", "mcp"]
    specs = {spec.name: spec for spec in wire.card_to_specs(card, card.name)}
    assert set(specs) == {"telegram_poster", "twitter_scraper"}
    scraper = specs["twitter_scraper"]
    assert scraper.source == "peer" and scraper.provider == "praxis-agent-go"
    assert scraper.input_schema["required"] == ["username"]
    assert scraper.input_schema["properties"]["tweets_count"]["type"] == "number"


def test_every_go_tool_request_parses_flat_and_nested() -> None:
    requests = [wire.parse(wire.ToolRequest, value, "request")
                for value in lines("tool_request.ndjson")]
    assert len(requests) == 2
    for request in requests:
        assert request.name == "word_counter"
        assert request.flat_arguments() == {"file_path": "/shared/notes.txt"}


def test_every_go_tool_response_becomes_a_tool_result() -> None:
    responses = [wire.parse(wire.ToolResponse, value, "response")
                 for value in lines("tool_response.ndjson")]
    results = [wire.result_from_response(r, tool="word_counter", provider="go",
                                         duration_ms=1.0) for r in responses]
    ok, failed, unknown, not_found = results
    assert ok.ok and ok.structured == {"words": 42} and ok.text == '{"words": 42}'
    assert not failed.ok and failed.error is not None
    assert failed.error.code == "tool_failed" and "exit status 1" in failed.error.message
    assert not unknown.ok and unknown.error is not None and unknown.error.code == "not_found"
    assert not not_found.ok and not_found.error is not None
    assert not_found.error.code == "not_found" and "nope" in not_found.error.message
    assert all(isinstance(r, ToolResult) and r.provider == "go" for r in results)


def test_a2a_fixture_lines_are_jsonrpc_objects() -> None:
    request, response = lines("a2a.ndjson")
    assert request["jsonrpc"] == "2.0" and request["method"] == "message/send"
    assert response["id"] == request["id"] and "result" in response


def test_our_card_has_the_go_card_field_names_and_types() -> None:
    spec = ToolSpec(
        name="word_counter", description="Counts words",
        input_schema={"type": "object", "properties": {
            "file_path": {"type": "string", "description": "Path"},
            "limit": {"type": ["integer", "null"]}},
            "required": ["file_path"]},
    )
    hidden = ToolSpec(name="secret", expose=False)
    card = wire.build_card(name="py", version="1.0.0", peer_id="12D3KooWx", tools=[spec, hidden],
                           endpoints={"http": "http://a:8000"}).dump()
    ours, theirs = shape(card), shape(go_card())
    for key, kind in theirs.items():
        if key == "tools":
            continue
        assert ours[key] == kind, key
    tool_keys = set(theirs["tools"][0])
    assert tool_keys <= set(ours["tools"][0])
    go_param = shape(go_card()["tools"][1]["parameters"][0])
    assert all(shape(p) == go_param for p in card["tools"][0]["parameters"])
    assert [t["name"] for t in card["tools"]] == ["word_counter"]
    params = card["tools"][0]["parameters"]
    assert params == [
        {"name": "file_path", "type": "string", "description": "Path", "required": True},
        {"name": "limit", "type": "integer", "description": "", "required": False},
    ]
    assert card["tools"][0]["inputSchema"] == spec.input_schema
    assert all(isinstance(c, str) for c in card["capabilities"])
    assert isinstance(card["timestamp"], int)


def test_our_request_and_responses_match_the_go_fields() -> None:
    go_request = lines("tool_request.ndjson")[0]
    ours = json.loads(wire.encode_line(wire.new_request("tool-1", "echo", {"a": 1}), 1 << 20))
    assert shape(ours) == shape(go_request) | {"arguments": {"a": "int"}}

    go_ok = lines("tool_response.ndjson")[0]
    result = ToolResult.from_output(tool="echo", provider="py", engine="python",
                                    output='{"x": 1}', duration_ms=1)
    ok = json.loads(wire.encode_line(wire.response_from_result("tool-1", result), 1 << 20))
    assert shape(go_ok)["result"].items() <= shape(ok)["result"].items()
    assert ok["result"]["isError"] is False and ok["result"]["structuredContent"] == {"x": 1}
    assert "error" not in ok

    failure = ToolResult.failure(tool="echo", provider="py", engine="python",
                                 code="tool_failed", message="boom")
    bad = json.loads(wire.encode_line(wire.response_from_result("tool-2", failure), 1 << 20))
    assert bad["result"]["status"] == "error" and bad["result"]["error"] == "boom"
    assert isinstance(bad["error"]["code"], int) and bad["error"]["message"] == "boom"

    refused = wire.response_from_error("tool-3", NotAllowed("peer not allowed"))
    back = wire.result_from_response(wire.parse(wire.ToolResponse, json.loads(
        wire.encode_line(refused, 1 << 20)), "r"), tool="echo", provider="p", duration_ms=0)
    assert back.error is not None and back.error.code == "not_allowed"


def test_round_trip_of_a_failed_result_keeps_the_code() -> None:
    failure = ToolResult.failure(tool="t", provider="a", engine="python", code="timeout",
                                 message="too slow")
    response = wire.parse(wire.ToolResponse, json.loads(
        wire.encode_line(wire.response_from_result("x", failure), 1 << 20)), "r")
    result = wire.result_from_response(response, tool="t", provider="b", duration_ms=0)
    assert not result.ok and result.error is not None and result.error.code == "timeout"


def test_line_buffer_limits_and_splits() -> None:
    buffer = wire.LineBuffer(16)
    buffer.feed(b'{"a":1}\n{"b"')
    assert buffer.next_line() == b'{"a":1}'
    assert buffer.next_line() is None and buffer.pending == 4
    buffer.feed(b":2}\n")
    assert buffer.next_line() == b'{"b":2}'
    buffer.feed(b"x" * 17)
    with pytest.raises(TooLarge):
        buffer.next_line()
    long_line = wire.LineBuffer(8)
    long_line.feed(b'"abcdefgh"\n')
    with pytest.raises(TooLarge):
        long_line.next_line()


def test_encode_refuses_oversized_and_decode_names_bad_json() -> None:
    with pytest.raises(TooLarge):
        wire.encode_line({"text": "x" * 100}, 50)
    with pytest.raises(InvalidInput, match="invalid JSON"):
        wire.decode_line(b"{nope")
    with pytest.raises(InvalidInput, match="bad card: name"):
        wire.parse(wire.Card, {"version": "1"}, "card")
    with pytest.raises(InvalidInput, match="required"):
        wire.parse(wire.Card, {"name": "x", "tools": [{"name": "t", "parameters": [
            {"name": "p", "required": "maybe"}]}]}, "card")


def test_nested_arguments_only_when_all_parts_are_objects() -> None:
    assert wire.flatten_arguments({"args": {"a": 1}, "secrets": {"k": "v"}}) == {"a": 1, "k": "v"}
    assert wire.flatten_arguments({"args": "literal"}) == {"args": "literal"}
    assert wire.flatten_arguments({}) == {}


def test_engine_of_the_peer_travels_and_go_results_fall_back() -> None:
    ours = wire.response_from_result("r1", ToolResult.from_output(
        tool="t", provider="b", engine="sandbox", output='{"a": 1}', duration_ms=1))
    back = wire.result_from_response(ours, tool="t", provider="b", duration_ms=2)
    assert (back.engine, back.structured) == ("sandbox", {"a": 1})
    go = wire.ToolResponse(id="r2", result={"content": [{"type": "text", "text": "x"}],
                                            "isError": False})
    assert wire.result_from_response(go, tool="t", provider="b", duration_ms=1).engine == \
        "remote-p2p"
