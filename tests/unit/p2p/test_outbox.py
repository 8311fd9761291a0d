"""`pipeline.Outbox`: lines sent by many calls on one stream share writes, never interleave."""

from __future__ import annotations

import trio
import trio.testing

from praxis_sdk.errors import Unavailable
from praxis_sdk.p2p.pipeline import Outbox


class Stream:
    """The byte side of a stream: records each write, yields like a socket send does."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.fail: BaseException | None = None

    async def write(self, data: bytes) -> None:
        await trio.lowlevel.checkpoint()
        if self.fail is not None:
            raise self.fail
        self.writes.append(data)


def test_lines_sent_while_a_write_runs_leave_together() -> None:
    trio.run(lines_sent_while_a_write_runs_leave_together)


async def lines_sent_while_a_write_runs_leave_together() -> None:
    stream = Stream()
    outbox = Outbox(stream.write)
    async with trio.open_nursery() as nursery:
        for index in range(10):
            nursery.start_soon(outbox.send, b"line %d\n" % index)
    assert len(stream.writes) == 2
    assert stream.writes[0].count(b"\n") == 1  # the first sender does not wait for others
    lines = b"".join(stream.writes).splitlines(keepends=True)
    assert sorted(lines) == sorted(b"line %d\n" % i for i in range(10))  # whole lines

    await outbox.send(b"alone\n")  # nothing queued: a write of its own, at once
    assert stream.writes[-1] == b"alone\n"


def test_a_failed_write_reaches_every_sender_of_its_lines() -> None:
    trio.run(a_failed_write_reaches_every_sender_of_its_lines)


async def a_failed_write_reaches_every_sender_of_its_lines() -> None:
    stream = Stream()
    stream.fail = Unavailable("stream reset")
    outbox = Outbox(stream.write)
    failures = []

    async def send(line: bytes) -> None:
        try:
            await outbox.send(line)
        except Unavailable as exc:
            failures.append(exc.message)

    async with trio.open_nursery() as nursery:
        for index in range(4):
            nursery.start_soon(send, b"%d\n" % index)
    assert failures == ["stream reset"] * 4

    stream.fail = None  # the outbox itself is not stuck after a failure
    await outbox.send(b"later\n")
    assert stream.writes == [b"later\n"]


def test_a_cancelled_writer_fails_the_lines_it_leaves_behind() -> None:
    trio.run(a_cancelled_writer_fails_the_lines_it_leaves_behind)


async def a_cancelled_writer_fails_the_lines_it_leaves_behind() -> None:
    started = trio.Event()

    async def stalled(data: bytes) -> None:
        started.set()
        await trio.sleep_forever()

    outbox = Outbox(stalled)
    failures = []

    async def send_after_start() -> None:
        await started.wait()
        try:
            await outbox.send(b"second\n")
        except Unavailable as exc:
            failures.append(exc.message)

    async with trio.open_nursery() as nursery:
        writer = trio.CancelScope()

        async def first() -> None:
            with writer:
                await outbox.send(b"first\n")

        nursery.start_soon(first)
        nursery.start_soon(send_after_start)
        await started.wait()
        await trio.testing.wait_all_tasks_blocked()
        writer.cancel()
    assert failures == ["a write on /praxis/tool/2.0.0 was cancelled"]
