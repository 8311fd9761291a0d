"""Two and three P2P nodes in separate processes on 127.0.0.1."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

NodeFactory = Callable[..., Any]
Wait = Callable[..., Any]
Raw = Callable[..., dict[str, Any]]


def test_connect_by_url_swaps_cards_and_calls_both_ways(nodes: NodeFactory, wait_for: Wait) -> None:
    a, b = nodes("agent-a"), nodes("agent-b", a2a=True)
    started = time.monotonic()
    assert a.connect(b.http) == b.peer_id
    assert time.monotonic() - started < 5
    card = a.get("/p2p/cards")[b.peer_id]
    assert card["name"] == "agent-b" and card["peerId"] == b.peer_id
    assert "secret" not in [t["name"] for t in card["tools"]]
    wait_for(lambda: a.peer_id in b.get("/p2p/cards"), 5, "B to hold A's card")

    echo = a.call(b.peer_id, "echo", text="hi")
    assert echo["ok"] and echo["provider"] == "agent-b" and echo["engine"] == "python"
    assert echo["structured"] == {"echo": "hi", "agent": "agent-b"}
    back = b.call("agent-a", "only_agent_a")
    assert back["ok"] and back["content"][0]["text"] == "only_agent_a ran on agent-a"

    providers = a.get("/health")["providers"]
    assert providers[b.peer_id]["name"] == "agent-b"
    assert "only_agent_b" in providers[b.peer_id]["tools"]
    pinned = a.post("/provider/call", {"provider": "agent-b", "tool_name": "add",
                                       "arguments": {"a": 2, "b": 3}})
    assert pinned["ok"] and pinned["structured"] == {"sum": 5.0}

    failed = a.call(b.peer_id, "fail")
    assert not failed["ok"] and failed["error"]["code"] == "tool_failed"
    assert a.post("/a2a", {"peer_id": b.peer_id, "request": {
        "jsonrpc": "2.0", "id": "7", "method": "message/send"}})["result"]["agent"] == "agent-b"
    no_handler = b.post("/a2a", {"peer_id": a.peer_id, "request": {
        "jsonrpc": "2.0", "id": "8", "method": "message/send"}})
    assert no_handler["error"]["code"] == -32601

    events = [{k: v for k, v in e.items() if k != "at"} for e in a.get("/events")]
    assert {"type": "peerUpdate", "peerId": b.peer_id, "state": "connected"} in events


def test_unexposed_tool_and_non_allowed_peer_are_refused(nodes: NodeFactory) -> None:
    a = nodes("agent-a")
    b = nodes("agent-b", allowed_peers=[a.peer_id])
    c = nodes("agent-c")
    a.connect(b.multiaddr)
    secret = a.call(b.peer_id, "secret")
    assert not secret["ok"] and secret["error"]["code"] == "not_found"
    assert "not exposed" in secret["error"]["message"]

    c.connect(b.http)
    refused = c.call(b.peer_id, "echo", text="x")
    assert not refused["ok"] and refused["error"]["code"] == "not_allowed"
    assert c.peer_id not in b.get("/health")["providers"]
    assert a.call(b.peer_id, "echo", text="still fine")["ok"]


def test_three_nodes_by_url_and_concurrent_calls_share_one_connection(
        nodes: NodeFactory) -> None:
    a, b, c = nodes("agent-a"), nodes("agent-b"), nodes("agent-c")
    assert a.connect(b.http) == b.peer_id
    assert a.connect(c.multiaddr) == c.peer_id
    assert {b.peer_id, c.peer_id} <= set(a.get("/p2p/cards"))
    assert a.call("agent-c", "only_agent_c")["ok"]
    assert a.call("agent-b", "only_agent_b")["ok"]

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda i: a.call(b.peer_id, "add", a=i, b=1), range(64)))
    assert [r["structured"]["sum"] for r in results] == [float(i + 1) for i in range(64)]
    b_port = int(b.multiaddr.split("/tcp/")[1].split("/")[0])
    links = [conn for conn in psutil.Process(a.proc.pid).net_connections("tcp")
             if conn.raddr and conn.raddr.port == b_port]
    assert len(links) == 1


def test_bootstrap_url_from_config_and_card_refresh(nodes: NodeFactory, wait_for: Wait) -> None:
    b = nodes("agent-b")
    a = nodes("agent-a", bootstrap_nodes=[b.http])
    wait_for(lambda: b.peer_id in a.get("/p2p/cards"), 10, "bootstrap by URL")
    assert [p["found_by"] for p in a.get("/peers")] == ["bootstrap"]
    assert [p["found_by"] for p in b.get("/peers")] == ["inbound"]
    b.post("/tools/add", {"name": "brand_new"})
    wait_for(lambda: "brand_new" in [t["name"] for t in a.get("/p2p/cards")[b.peer_id]["tools"]],
             10, "refreshed card")
    assert "brand_new" in a.get("/health")["providers"][b.peer_id]["tools"]


def test_identity_persists_across_restart(nodes: NodeFactory, tmp_path: Path) -> None:
    first = nodes("agent-a")
    peer_id = first.peer_id
    first.stop()
    key_dir = tmp_path / "keys" / "agent-a"
    assert stat.S_IMODE(os.stat(key_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(key_dir / "identity.key").st_mode) == 0o600
    assert nodes("agent-a").peer_id == peer_id
    assert nodes("agent-other").peer_id != peer_id


def test_plaintext_only_dialer_is_refused(nodes: NodeFactory, raw_client: Raw) -> None:
    a = nodes("agent-a")
    answer = raw_client({"mode": "plaintext", "target": a.multiaddr, "timeout": 10})
    assert answer["connected"] is False
    assert a.get("/peers") == []


def test_bad_streams_are_reset_and_the_node_keeps_serving(
        nodes: NodeFactory, raw_client: Raw) -> None:
    a, b = nodes("agent-a"), nodes("agent-b", max_message_bytes=65536)
    a.connect(b.http)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("too_large", {"payload": b'{"id":"', "pad": 200_000}),
        ("invalid_input", {"payload": b"{nope\n"}),
        ("invalid_input", {"payload": b'{"id":"1","name":"echo"', "close_write": True}),
        ("invalid_input", {"payload": b'{"id":1,"name":["x"]}\n'}),
    ]
    for kind, case in cases:
        before = b.metric("praxis_p2p_errors_total", protocol="/praxis/tool/1.0.0", kind=kind)
        answer = raw_client({"mode": "raw", "target": b.multiaddr,
                             "protocol": "/praxis/tool/1.0.0", "timeout": 10, **case})
        assert answer["outcome"] in ("reset", "eof") and answer["data"] == "", (kind, answer)
        after = b.metric("praxis_p2p_errors_total", protocol="/praxis/tool/1.0.0", kind=kind)
        assert after == before + 1, kind
        assert a.call(b.peer_id, "echo", text=kind)["ok"]
    bad_card = raw_client({"mode": "raw", "target": b.multiaddr, "protocol": "/praxis/card/1.0.0",
                           "payload": b'{"version":"1"}\n', "timeout": 10})
    assert bad_card["data"].startswith('{"name":"agent-b"')
    assert b.proc.poll() is None and a.call(b.peer_id, "echo", text="end")["ok"]


def test_killing_the_peer_mid_call_fails_fast_and_marks_it_gone(
        nodes: NodeFactory, wait_for: Wait) -> None:
    a, b = nodes("agent-a"), nodes("agent-b")
    a.connect(b.http)
    outcome: dict[str, Any] = {}

    def slow_call() -> None:
        started = time.monotonic()
        outcome["reply"] = a.call(b.peer_id, "slow", timeout=8, seconds=30)
        outcome["elapsed"] = time.monotonic() - started

    caller = threading.Thread(target=slow_call)
    caller.start()
    wait_for(lambda: sum(b.metric("praxis_p2p_open_streams", protocol=protocol)  # one a call,
                         for protocol in ("/praxis/tool/1.0.0", "/praxis/tool/2.0.0")) >= 1,
             5, "the call to reach B")  # or the pipelined one to B
    b.kill()
    caller.join(timeout=15)
    assert not caller.is_alive()
    assert outcome["reply"]["error"]["code"] in ("unavailable", "timeout")
    assert outcome["elapsed"] < 8.5
    # the peer table turns "gone" in the trio thread; the providers and the event follow
    # on the asyncio loop a moment later
    wait_for(lambda: a.peer_state(b.peer_id) == "gone"
             and b.peer_id not in a.get("/health")["providers"], 6, "B marked gone")
    assert any(e["type"] == "peerUpdate" and e["peerId"] == b.peer_id and e["state"] == "gone"
               for e in a.get("/events"))
    assert a.call(b.peer_id, "echo", text="x")["error"]["code"] == "unavailable"


def test_frozen_peer_is_marked_gone_after_missed_pings(nodes: NodeFactory, wait_for: Wait) -> None:
    a = nodes("agent-a", ping_interval=0.5, ping_misses=2)
    b = nodes("agent-b")
    a.connect(b.multiaddr)
    os.kill(b.proc.pid, 19)  # SIGSTOP: the TCP connection stays open, nothing answers
    try:
        wait_for(lambda: a.peer_state(b.peer_id) == "gone", 8, "missed pings to mark B gone")
    finally:
        os.kill(b.proc.pid, 18)  # SIGCONT
