"""The asyncio <-> trio crossing alone: thread bridge against trio guest mode. JSON out.

    .venv/bin/python bench/bench_bridge.py [--calls 5000] [--inflight 64] [--rounds 3]
                                           [--baseline-src DIR]

For each kind of bridge, interleaved over `--rounds` in one process:
- `call_us`: p50 of `await bridge.call(noop)` from asyncio (asyncio -> trio -> asyncio);
- `to_asyncio_us`: mean of `await bridge.to_asyncio(noop)` from trio (trio -> asyncio -> trio);
- `calls_per_s`: `bridge.call(noop)` with `--inflight` calls open at a time.

`thread` is `praxis_sdk.p2p.bridge.TrioBridge` (trio in its own thread). `guest` is the
same bridge with trio run by `trio.lowlevel.start_guest_run` on the asyncio loop (one
thread; trio's I/O wait runs in a helper thread). With `--baseline-src DIR`, `baseline` is
the `TrioBridge` of the `praxis_sdk` in DIR (e.g. `git archive <rev> src | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from praxis_sdk.errors import Unavailable  # noqa: E402
from praxis_sdk.p2p.bridge import Mailbox, TrioBridge  # noqa: E402


class GuestBridge(TrioBridge):
    """`TrioBridge` with trio run as a guest of the running asyncio loop, in its thread.

    Both loops share one thread, so a call never waits for the GIL held by the other
    loop (the cost that dominates the thread bridge once the asyncio side is busy);
    trio's I/O wait runs in a helper thread that only wakes the loop. Trio code here
    must not block: it holds up the agent's HTTP API as well.
    """

    @property
    def running(self) -> bool:
        return self._to_trio is not None

    async def start(self, main: Callable[[TrioBridge], Awaitable[None]], timeout: float) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._to_asyncio = Mailbox(loop.call_soon)  # trio posts from this very thread
        self._ready, self._done = loop.create_future(), loop.create_future()
        trio.lowlevel.start_guest_run(
            self._main, main, run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=loop.call_soon, done_callback=self._guest_done,
            host_uses_signal_set_wakeup_fd=True)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except TimeoutError as exc:
            await self.stop(timeout)
            raise Unavailable(f"P2P node did not start within {timeout:.1f}s") from exc

    def _guest_done(self, outcome: Any) -> None:  # asyncio, once trio has finished
        mailbox, self._to_trio, self._nursery = self._to_trio, None, None
        if mailbox is not None:
            mailbox.close()
        self._finish(getattr(outcome, "error", None))


def baseline_bridge(src: Path) -> type[TrioBridge]:
    spec = importlib.util.spec_from_file_location(
        "praxis_baseline_bridge", src / "praxis_sdk" / "p2p" / "bridge.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TrioBridge  # type: ignore[no-any-return]


async def serve(bridge: TrioBridge) -> None:
    bridge.ready()
    await bridge.wait_stop()


async def noop_trio() -> None:
    return None


async def noop_asyncio() -> None:
    return None


async def measure(bridge: TrioBridge, calls: int, inflight: int) -> dict[str, float]:
    for _ in range(200):
        await bridge.call(noop_trio)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await bridge.call(noop_trio)
        times.append(time.perf_counter() - started)

    async def back_and_forth() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await bridge.to_asyncio(noop_asyncio)
        return (time.perf_counter() - started) / calls

    to_asyncio = await bridge.call(back_and_forth)
    slots = asyncio.Semaphore(inflight)

    async def one() -> None:
        async with slots:
            await bridge.call(noop_trio)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    rate = calls / (time.perf_counter() - started)
    return {"call_us": round(statistics.median(times) * 1e6, 1),
            "to_asyncio_us": round(to_asyncio * 1e6, 1), "calls_per_s": round(rate)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--inflight", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, default=None)
    args = parser.parse_args()
    kinds: dict[str, Any] = {"thread": TrioBridge, "guest": GuestBridge}
    if args.baseline_src:
        kinds["baseline"] = baseline_bridge(args.baseline_src)
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    loads = [list(os.getloadavg())]
    for _ in range(args.rounds):
        for kind, factory in kinds.items():
            bridge = factory(f"bench-{kind}")
            await bridge.start(serve, timeout=10)
            runs[kind].append(await measure(bridge, args.calls, args.inflight))
            await bridge.stop(timeout=5)
    loads.append(list(os.getloadavg()))
    report: dict[str, Any] = {
        kind: {key: statistics.median(run[key] for run in results) for key in results[0]}
        for kind, results in runs.items()}
    report["rounds"] = runs
    report["load_before_after"] = loads
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
