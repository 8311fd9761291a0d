"""The body limit holds for streamed (chunked) bodies too: 413, counted in the metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx

from tests.support.agents import AgentProcess


def test_chunked_body_over_the_limit_is_413(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("limit", http={"max_body_bytes": 1000})

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 500

    response = httpx.post(f"{agent.url}/execute", content=chunks(),
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    small = httpx.post(f"{agent.url}/execute", content=iter([b'{"dsl": "CALL"}']),
                       headers={"content-type": "application/json"})
    assert small.status_code == 400 and "tool name" in small.json()["error"]["message"]
    metrics = httpx.get(f"{agent.url}/metrics").text
    assert 'route="/execute",status="413"} 1.0' in metrics


def test_tool_call_bodies_over_the_limit_are_413(spawn_agent: Callable[..., AgentProcess]
                                                 ) -> None:
    agent = spawn_agent("limit", http={"max_body_bytes": 1000})
    url = f"{agent.url}/tools/echo/invoke"
    big = b'{"arguments": {"text": "' + b"x" * 2000 + b'"}}'
    for content in (big, iter([big[:900], big[900:]])):  # by header, then streamed
        response = httpx.post(url, content=content, headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "too_large"
    metrics = httpx.get(f"{agent.url}/metrics").text
    assert 'route="/tools/{name}/invoke",status="413"} 2.0' in metrics
