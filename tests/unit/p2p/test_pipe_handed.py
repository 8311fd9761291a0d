"""`pipeline.Pipe.hand`: a call with no task of its own, settled by the stream's reader."""

from __future__ import annotations

import json
from typing import Any

import trio
import trio.testing
from prometheus_client import CollectorRegistry

from praxis_sdk.errors import PraxisError
from praxis_sdk.p2p import wire
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.pipeline import DEPTH, Pipe
from praxis_sdk.p2p.protocols import LineStream

TOOL_V2 = "/praxis/tool/2.0.0"


class Stream:
    """The byte side of a libp2p stream: writes recorded, reads fed by the test (and the
    metrics registry of the pipe on it)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.writes: list[bytes] = []
        self.send, self.receive = trio.open_memory_channel[bytes](100)

    async def write(self, data: bytes) -> None:
        await trio.lowlevel.checkpoint()
        self.writes.append(data)

    async def read(self, n: int) -> bytes:
        return await self.receive.receive()

    async def reset(self) -> None:
        pass

    async def close(self) -> None:
        pass


class Call:
    """What the caller's side hears of one handed call."""

    handed = True

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.errors: list[PraxisError] = []
        self.recorded: list[bool] = []

    def answer(self, response: wire.ToolResponse) -> None:
        self.answers.append(response.result)

    def fail(self, error: PraxisError, record: bool = True) -> None:
        self.errors.append(error)
        self.recorded.append(record)


def answer(call_id: str) -> bytes:
    return json.dumps({"id": call_id, "result": f"done {call_id}"}).encode() + b"\n"


async def with_pipe(test: Any) -> None:
    stream = Stream()
    metrics = P2PMetrics(stream.registry)
    async with trio.open_nursery() as nursery:
        pipe = Pipe(LineStream(stream, TOOL_V2, 1 << 20, metrics), 5.0, nursery.start_soon)
        nursery.start_soon(pipe.read_answers)
        nursery.start_soon(pipe.time_out_handed)
        await test(pipe, stream)
        nursery.cancel_scope.cancel()


def run(test: Any) -> None:
    trio.run(with_pipe, test, clock=trio.testing.MockClock(autojump_threshold=0))


def test_handed_calls_leave_in_one_write_and_are_answered_by_id() -> None:
    async def test(pipe: Pipe, stream: Stream) -> None:
        calls = {name: Call() for name in ("a", "b", "c")}
        for name, call in calls.items():
            assert pipe.hand(name, b'{"id":"%s"}\n' % name.encode(), call, 10.0)
        await trio.testing.wait_all_tasks_blocked()
        assert stream.writes == [b'{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n']
        await stream.send.send(answer("c") + answer("a"))
        await stream.send.send(answer("b"))
        await trio.testing.wait_all_tasks_blocked()
        assert {name: call.answers for name, call in calls.items()} == {
            name: [f"done {name}"] for name in calls}
        assert stream.registry.get_sample_value(
            "praxis_p2p_messages_total", {"protocol": TOOL_V2, "direction": "out"}) == 3

    run(test)


def test_a_full_stream_or_an_id_in_flight_is_refused_and_a_slot_comes_back() -> None:
    async def test(pipe: Pipe, stream: Stream) -> None:
        for index in range(DEPTH):
            assert pipe.hand(str(index), b"{}\n", Call(), 10.0)
        assert not pipe.hand("one more", b"{}\n", Call(), 10.0)  # the caller's task waits
        await stream.send.send(answer("0"))
        await trio.testing.wait_all_tasks_blocked()
        assert not pipe.hand("1", b"{}\n", Call(), 10.0)  # still in flight
        assert pipe.hand("one more", b"{}\n", Call(), 10.0)

    run(test)


def test_a_handed_call_times_out_alone_and_its_late_answer_is_dropped() -> None:
    async def test(pipe: Pipe, stream: Stream) -> None:
        slow, quick = Call(), Call()
        assert pipe.hand("slow", b"{}\n", slow, 2.0)
        await trio.sleep(1.0)
        assert pipe.hand("quick", b"{}\n", quick, 2.0)
        await trio.sleep(1.5)
        assert [error.message for error in slow.errors] == ["no answer within 2.0s"]
        assert quick.errors == []
        await stream.send.send(answer("slow") + answer("quick"))
        await trio.testing.wait_all_tasks_blocked()
        assert slow.answers == [] and quick.answers == ["done quick"] and pipe.open

    run(test)


def test_a_dropped_call_hears_nothing_more() -> None:
    async def test(pipe: Pipe, stream: Stream) -> None:
        call = Call()
        assert pipe.hand("gone", b"{}\n", call, 2.0)
        pipe.drop("gone", call)
        await stream.send.send(answer("gone"))
        await trio.sleep(5.0)
        assert call.answers == [] and call.errors == []
        assert pipe.hand("gone", b"{}\n", Call(), 2.0)  # its id and slot are free again

    run(test)


def test_the_stream_ending_fails_every_handed_call() -> None:
    async def test(pipe: Pipe, stream: Stream) -> None:
        calls = [Call(), Call()]
        for index, call in enumerate(calls):
            assert pipe.hand(str(index), b"{}\n", call, 10.0)
        await stream.send.send(b"")  # end of stream
        await trio.testing.wait_all_tasks_blocked()
        assert [[e.message for e in call.errors] for call in calls] == [
            ["peer closed the pipelined tool stream"]] * 2
        assert [call.recorded for call in calls] == [[True]] * 2
        assert not pipe.open and not pipe.hand("2", b"{}\n", Call(), 10.0)

    run(test)


def test_the_node_stopping_cancels_handed_calls_without_a_failure_recorded() -> None:
    async def main() -> None:
        stream, call = Stream(), Call()
        async with trio.open_nursery() as nursery:
            pipe = Pipe(LineStream(stream, TOOL_V2, 1 << 20, P2PMetrics(stream.registry)),
                        5.0, nursery.start_soon)
            nursery.start_soon(pipe.read_answers)
            assert pipe.hand("x", b"{}\n", call, 10.0)
            await trio.testing.wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()  # what the node's supervisor does when it stops
        assert [error.message for error in call.errors] == ["P2P call cancelled"]
        assert call.recorded == [False]

    trio.run(main)
