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


def test_a_cancelled_writer_fails_the_other_lines_of_its_write() -> None:
    trio.run(a_cancelled_writer_fails_the_other_lines_of_its_write)


async def a_cancelled_writer_fails_the_other_lines_of_its_write() -> None:
    async def stalled(data: bytes) -> None:
        await trio.sleep_forever()

    outbox = Outbox(stalled)
    failures = []

    async def send(scope: trio.CancelScope, line: bytes) -> None:
        with scope:
            try:
                await outbox.send(line)
            except Unavailable as exc:
                failures.append(exc.message)

    first, second, third = trio.CancelScope(), trio.CancelScope(), trio.CancelScope()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(send, first, b"first\n")  # writes alone, stalls
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(send, second, b"second\n")  # these two: the next write,
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(send, third, b"third\n")
        await trio.testing.wait_all_tasks_blocked()
        first.cancel()
        await trio.testing.wait_all_tasks_blocked()  # made by `second` (the lock is fair)
        second.cancel()
    assert failures == ["a write on /praxis/tool/2.0.0 was cancelled"]  # from `third`


def test_no_sender_keeps_writing_for_later_senders() -> None:
    trio.run(no_sender_keeps_writing_for_later_senders)


async def no_sender_keeps_writing_for_later_senders() -> None:
    stream = Stream()
    outbox = Outbox(stream.write)
    writes_by: dict[bytes, int] = {}

    async def send(line: bytes) -> None:
        before = len(stream.writes)
        await outbox.send(line)
        writes_by[line] = len(stream.writes) - before

    async with trio.open_nursery() as nursery:
        for index in range(20):
            nursery.start_soon(send, b"%d\n" % index)
            await trio.lowlevel.checkpoint()
    lines = b"".join(stream.writes).splitlines(keepends=True)
    assert sorted(lines) == sorted(b"%d\n" % i for i in range(20))
    assert max(writes_by.values()) <= 2  # its own write and at most the one before it
