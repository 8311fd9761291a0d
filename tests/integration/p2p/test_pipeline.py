"""`/praxis/tool/2.0.0` between Praxis nodes; one stream per call to a Go-like peer."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.p2p.conftest import HERE, child_env, read_line
from tests.unit.p2p.test_wire import go_card, lines

NodeFactory = Callable[..., Any]
Wait = Callable[..., Any]
TOOL_V1, TOOL_V2 = "/praxis/tool/1.0.0", "/praxis/tool/2.0.0"


def test_many_calls_share_one_pipelined_stream_and_match_by_id(nodes: NodeFactory) -> None:
    a, b = nodes("agent-a"), nodes("agent-b")
    a.connect(b.http)
    assert TOOL_V2 in a.get("/p2p/cards")[b.peer_id]["capabilities"]
    assert TOOL_V2 in a.get("/p2p/info")["protocols"]

    with ThreadPoolExecutor(48) as pool:  # more callers than a Python pool usually has
        results = list(pool.map(lambda i: a.call(b.peer_id, "add", a=i, b=0.5), range(200)))
    assert [r["structured"]["sum"] for r in results] == [i + 0.5 for i in range(200)]
    assert b.metric("praxis_p2p_open_streams", protocol=TOOL_V2) == 1
    assert b.metric("praxis_p2p_messages_total", protocol=TOOL_V2, direction="in") == 200
    assert b.metric("praxis_p2p_messages_total", protocol=TOOL_V1, direction="in") == 0

    slow = a.call(b.peer_id, "slow", timeout=0.5, seconds=2)  # its answer comes too late
    assert slow["error"]["code"] == "timeout"
    assert a.call(b.peer_id, "echo", text="after")["structured"]["echo"] == "after"
    failed = a.call(b.peer_id, "fail")
    assert not failed["ok"] and failed["error"]["code"] == "tool_failed"


def test_answer_over_the_request_timeout_is_a_timeout_and_the_tool_is_cancelled(
        nodes: NodeFactory, wait_for: Wait) -> None:
    a, b = nodes("agent-a"), nodes("agent-b", request_timeout=1.0)
    a.connect(b.http)
    began = time.monotonic()
    slow = a.call(b.peer_id, "slow", timeout=10, seconds=5)  # B gives up after 1 s
    assert time.monotonic() - began < 4
    assert slow["error"] == {"code": "timeout", "message": "tool slow ran over 1.0s",
                             **{k: v for k, v in slow["error"].items()
                                if k not in ("code", "message")}}
    wait_for(lambda: any(e["type"] == "tool.cancelled" and e["tool"] == "slow"
                         for e in b.get("/events")), 5, "B to cancel the slow tool")
    assert a.call(b.peer_id, "echo", text="after")["structured"]["echo"] == "after"
    assert b.metric("praxis_p2p_open_streams", protocol=TOOL_V2) == 1


def test_caller_gone_mid_call_cancels_the_tool_on_the_answering_node(
        nodes: NodeFactory, wait_for: Wait) -> None:
    a, b = nodes("agent-a"), nodes("agent-b")
    a.connect(b.http)
    assert a.call(b.peer_id, "echo", text="warm")["ok"]

    def call() -> None:
        with contextlib.suppress(Exception):  # A dies under it
            a.call(b.peer_id, "slow", timeout=30, seconds=30)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    wait_for(lambda: b.metric("praxis_p2p_messages_total", protocol=TOOL_V2,
                              direction="in") == 2, 5, "the slow call to reach B")
    a.kill()
    wait_for(lambda: any(e["type"] == "tool.cancelled" and e["tool"] == "slow"
                         for e in b.get("/events")), 10, "B to cancel the slow tool")
    wait_for(lambda: b.metric("praxis_p2p_open_streams", protocol=TOOL_V2) == 0, 10,
             "B to drop the pipelined stream")


@pytest.fixture
def go_peer(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A bare libp2p peer with the Go agents' card and answers (no 2.0.0)."""
    log = tmp_path / "streams.log"
    log.touch()
    options = {"card": go_card(), "response": lines("tool_response.ndjson")[0],
               "log": str(log)}
    proc = subprocess.Popen([sys.executable, str(HERE / "go_peer.py"), json.dumps(options)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
    try:
        ready = read_line(proc, 30)
        yield {**ready, "streams": lambda: log.read_text().split()}
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def test_go_peer_gets_one_tool_stream_per_call(nodes: NodeFactory,
                                               go_peer: dict[str, Any]) -> None:
    a = nodes("agent-a")
    assert a.connect(go_peer["address"]) == go_peer["peer_id"]
    card = a.get("/p2p/cards")[go_peer["peer_id"]]
    assert card["name"] == "praxis-agent-go" and TOOL_V2 not in card["capabilities"]
    for _ in range(3):
        reply = a.call(go_peer["peer_id"], "twitter_scraper", username="praxis")
        assert reply["ok"] and reply["content"][0]["text"] == '{"words": 42}'
    assert go_peer["streams"]().count(TOOL_V1) == 3
    assert TOOL_V2 not in go_peer["streams"]()
