"""Out-of-range input is a 400 naming what was wrong, never a 500 (a real agent process)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.agents import AgentProcess

TOOL = {"name": "echo_text", "engine": "sandbox",
        "params": [{"name": "text", "type": "string", "required": True}],
        "engineSpec": {"command": ["sh", "-c", 'printf %s "$TEXT" | wc -c']}}


def test_query_integers_and_argument_sizes_are_bounded(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    agent = spawn_agent("bounded", agent={"tools": [TOOL]})
    with httpx.Client(base_url=agent.url, timeout=30) as client:
        for path in ("/tasks", "/workflows"):
            for query in ({"offset": 10**30}, {"offset": 2**63}, {"offset": -1},
                          {"limit": 10**30}, {"limit": 0}, {"offset": "many"}):
                reply = client.get(path, params=query)
                assert reply.status_code == 400, (path, query, reply.text)
                assert list(query)[0] in reply.text
            assert client.get(path, params={"offset": 10**9, "limit": 500}).status_code == 200

        huge = client.post("/tools/echo_text/invoke", json={"arguments": {"text": "x" * 2**20}})
        assert huge.status_code == 400, huge.text
        assert "over the limit of" in huge.json()["error"]["message"]
        small = client.post("/tools/echo_text/invoke", json={"arguments": {"text": "x" * 5000}})
        assert small.status_code == 200 and small.json()["content"][0]["text"].strip() == "5000"
