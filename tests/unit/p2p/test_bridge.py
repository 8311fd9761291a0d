"""The asyncio <-> trio bridge: results, errors and cancellation cross both ways."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import trio

from praxis_sdk.errors import InvalidInput, Unavailable
from praxis_sdk.p2p.bridge import Handoff, TrioBridge


async def serve_until_stopped(bridge: TrioBridge) -> None:
    bridge.ready()
    await bridge.wait_stop()


async def test_calls_cross_both_ways_and_stop_is_bounded() -> None:
    bridge = TrioBridge("test-bridge")
    await bridge.start(serve_until_stopped, timeout=5)
    assert bridge.running
    main_thread = threading.get_ident()

    async def in_trio(x: int) -> tuple[int, bool]:
        await trio.sleep(0)
        return x * 2, threading.get_ident() != main_thread

    assert await bridge.call(in_trio, 21) == (42, True)

    async def on_asyncio(text: str) -> str:
        await asyncio.sleep(0)
        assert threading.get_ident() == main_thread
        return text.upper()

    async def round_trip() -> str:
        return await bridge.to_asyncio(on_asyncio, "hi")

    assert await bridge.call(round_trip) == "HI"
    await bridge.stop(timeout=5)
    assert not bridge.running
    with pytest.raises(Unavailable):
        await bridge.call(in_trio, 1)


async def test_errors_and_cancellation_propagate() -> None:
    bridge = TrioBridge("test-bridge")
    await bridge.start(serve_until_stopped, timeout=5)
    cancelled = threading.Event()

    async def fails() -> None:
        raise InvalidInput("bad thing")

    with pytest.raises(InvalidInput, match="bad thing"):
        await bridge.call(fails)

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        finally:
            cancelled.set()

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bridge.call(forever), 0.2)
    await asyncio.wait_for(asyncio.to_thread(cancelled.wait, 5), 6)
    assert cancelled.is_set()
    await bridge.stop(timeout=5)


async def test_start_failure_is_reported_not_hung() -> None:
    async def broken(bridge: TrioBridge) -> None:
        raise OSError("address already in use")

    bridge = TrioBridge("test-bridge")
    with pytest.raises(Unavailable, match="address already in use"):
        await bridge.start(broken, timeout=5)


async def test_calls_racing_stop_fail_cleanly_and_trio_survives() -> None:
    """Calls posted while the node stops (its nursery closing, its mailbox going away)
    end with Unavailable or their result; none hangs, and trio ends without an error."""
    bridge = TrioBridge("test-bridge")
    await bridge.start(serve_until_stopped, timeout=5)

    async def short() -> str:
        await trio.sleep(0.001)
        return "ok"

    async def one() -> str:
        try:
            return await bridge.call(short)
        except Unavailable:
            return "unavailable"

    calls = [asyncio.ensure_future(one()) for _ in range(300)]
    await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)  # one "ok", however busy
    stopping = asyncio.ensure_future(bridge.stop(timeout=5))
    calls += [asyncio.ensure_future(one()) for _ in range(300)]
    outcomes = await asyncio.wait_for(asyncio.gather(*calls), 10)
    await stopping
    assert set(outcomes) <= {"ok", "unavailable"} and "ok" in outcomes
    assert not bridge.running
    assert bridge._done is not None and bridge._done.result() is None  # no TrioInternalError
    assert await one() == "unavailable"


async def test_trio_to_asyncio_errors_and_cancellation() -> None:
    bridge = TrioBridge("test-bridge")
    await bridge.start(serve_until_stopped, timeout=5)
    cancelled = asyncio.Event()

    async def fails() -> None:
        raise InvalidInput("bad on asyncio")

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    async def in_trio() -> str:
        with pytest.raises(InvalidInput, match="bad on asyncio"):
            await bridge.to_asyncio(fails)
        with trio.move_on_after(0.1):
            await bridge.to_asyncio(forever)
        return "done"

    assert await bridge.call(in_trio) == "done"
    await asyncio.wait_for(cancelled.wait(), 5)
    await bridge.stop(timeout=5)


async def test_start_asyncio_settles_by_callback_expires_and_cancels() -> None:
    """`start_asyncio`: `on_done` runs in trio once; past the deadline it gets
    `DeadlinePassed` and the task is cancelled; `cancel_asyncio` cancels it silently."""
    bridge = TrioBridge("test-bridge")
    await bridge.start(serve_until_stopped, timeout=5)
    cancelled: list[str] = []

    async def double(x: int) -> int:
        return x * 2

    async def forever(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(name)

    async def in_trio() -> list[tuple[object, str]]:
        seen: list[tuple[object, str]] = []
        done = trio.Event()

        def on_done(value: object, error: BaseException | None) -> None:
            seen.append((value, type(error).__name__))
            if len(seen) == 2:
                done.set()

        bridge.start_asyncio(double, (21,), on_done)
        bridge.start_asyncio(forever, ("expired",), on_done, time.monotonic() + 0.1)
        abandoned = bridge.start_asyncio(forever, ("abandoned",), on_done)
        with trio.fail_after(5):
            await done.wait()
        bridge.cancel_asyncio(abandoned)
        await trio.sleep(0.2)
        return seen

    assert await bridge.call(in_trio) == [(42, "NoneType"), (None, "DeadlinePassed")]
    assert sorted(cancelled) == ["abandoned", "expired"]
    await bridge.stop(timeout=5)


async def test_a_handed_call_is_settled_later_by_trio_code_or_dropped_when_cancelled() -> None:
    bridge = TrioBridge("test-bridge")
    await bridge.start(serve_until_stopped, timeout=5)
    main_thread = threading.get_ident()
    handed: list[Handoff[str]] = []
    dropped = threading.Event()

    def start(handoff: Handoff[str], text: str) -> None:  # plain trio code, no task
        assert threading.get_ident() != main_thread
        handoff.on_cancel = dropped.set
        handed.append(handoff)
        if text == "now":
            handoff.resolve("at once")

    assert await bridge.hand(start, "now") == "at once"

    async def answer_later() -> None:
        handed[-1].resolve("later")

    waiting = asyncio.ensure_future(bridge.hand(start, "later"))
    while len(handed) < 2:
        await asyncio.sleep(0.01)
    await bridge.call(answer_later)
    assert await waiting == "later"

    def broken(handoff: Handoff[str]) -> None:
        raise InvalidInput("start failed")

    with pytest.raises(InvalidInput, match="start failed"):  # never left waiting
        await bridge.hand(broken)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bridge.hand(start, "never"), 0.2)
    await asyncio.wait_for(asyncio.to_thread(dropped.wait, 5), 6)
    await bridge.stop(timeout=5)
