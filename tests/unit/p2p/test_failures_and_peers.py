"""Failure unwrapping and the bounded peer table (pure code, no network)."""

from __future__ import annotations

import time

import pytest
import trio

from praxis_sdk.errors import InvalidInput, PraxisError, Timeout, Unavailable
from praxis_sdk.p2p.failures import Supervisor, as_error, peer_failure, unwrapped
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.peers import PeerTable


def test_as_error_finds_the_praxis_error_inside_nested_groups() -> None:
    group = ExceptionGroup("outer", [ValueError("x"),
                                     ExceptionGroup("inner", [InvalidInput("bad card")])])
    assert isinstance(as_error(group), InvalidInput)
    plain = as_error(ExceptionGroup("g", [OSError("boom")]), "card exchange")
    assert isinstance(plain, Unavailable) and "card exchange failed" in plain.message
    assert isinstance(as_error(trio.TooSlowError()), Timeout)


def test_peer_failure_keeps_timeouts_and_names_the_request() -> None:
    assert isinstance(peer_failure("tool x on P", Timeout("slow")), Timeout)
    other = peer_failure("tool x on P", InvalidInput("garbage"))
    assert isinstance(other, Unavailable) and other.message == "tool x on P failed: garbage"


def test_a_nursery_group_leaves_unwrapped_as_one_error() -> None:
    async def fail() -> None:
        raise InvalidInput("half a line")

    async def main() -> None:
        with unwrapped("exchange"):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(fail)

    with pytest.raises(InvalidInput, match="half a line"):
        trio.run(main)


def test_supervised_tasks_fail_alone_and_are_counted() -> None:
    supervisor = Supervisor(P2PMetrics())
    finished: list[str] = []

    async def bad() -> None:
        raise ExceptionGroup("g", [Unavailable("peer reset")])

    async def good() -> None:
        await trio.sleep(0)
        finished.append("good")

    async def main() -> None:
        async with supervisor.open():
            supervisor.spawn("card exchange", "PEER", bad)
            supervisor.spawn("ping", "OTHER", good)
            with trio.fail_after(5):
                while not (finished and supervisor.failures):
                    await trio.sleep(0.001)

    trio.run(main)
    assert finished == ["good"]
    assert supervisor.failures == 1
    assert supervisor.last_failure == "card exchange (peer PEER): peer reset"


def test_peer_table_forgets_gone_peers_after_a_while_and_past_a_bound() -> None:
    table = PeerTable(forget_after=60, max_gone=2)
    for index in range(4):
        table.seen(f"p{index}", found_by="mdns")
        table.mark_gone(f"p{index}")
    assert [s["peer_id"] for s in table.summaries()] == ["p2", "p3"]
    record = table.get("p2")
    assert record is not None and record.found_by == "mdns"
    record.last_seen = time.time() - 120
    assert [s["peer_id"] for s in table.summaries()] == ["p3"]
    table.seen("p3", found_by="connect")  # back again: how we first met it is kept
    assert table.summaries()[0]["found_by"] == "mdns"
    assert isinstance(as_error(PraxisError("x")), PraxisError)
