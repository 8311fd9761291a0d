"""Shares of busy samples in py-spy raw output (`py-spy record --format raw`). JSON out.

    .venv/bin/python bench/profile_shares.py FILE [--top 15] [--group libp2p/,praxis_sdk/]

Samples whose innermost Python frame is waiting (epoll/select, a lock or condition
wait, `sleep_forever`), or (`--native`) that wait on a lock in C, are idle and left out,
and so are samples inside an import (`--skip`: start-up, not the calls). Per process
(py-spy `--subprocesses` prefixes each stack with `process PID:"cmd"`):

- `own`: the innermost Python frame of each busy sample (native frames under it, such as
  a `send` system call or the Noise cipher in C, count for that Python frame);
- `inclusive`: every function on the stack, once per sample;
- `groups`: the share of busy samples whose innermost Python frame lies in each
  `--group` path fragment (the rest is `other`: trio, asyncio, the standard library).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<name>.+?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")
IDLE = ("epoll.poll", "select", "get_events", "_epoll_wait", "wait (threading.py",
        "sleep_forever", "_io_epoll.py", "selectors.py", "run_forever",
        "_worker (concurrent/futures/thread.py)")
# With `--native`: a thread blocked on a lock or a queue in C (a worker thread waiting for
# its next job, the store's writer), not a thread waiting for the GIL (`take_gil`).
NATIVE_IDLE = ("PyThread_acquire_lock_timed",)


def parse(line: str) -> tuple[str, list[str], int] | None:
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = stack.split(";")
    process = "all"
    while frames and frames[0].startswith(("process ", "thread ")):
        head = frames.pop(0)
        if head.startswith("process "):
            pid, _, command = head[len("process "):].partition(":")
            words = command.strip('"').split()
            script = next((w for w in words if w.endswith(".py")), words[0] if words else "")
            process = f"{pid} {script.split('/')[-1]}"
    return process, frames, int(count)


def python_frames(frames: list[str]) -> list[tuple[str, str]]:
    out = []
    for frame in frames:
        match = FRAME.match(frame)
        if match and match["file"].endswith(".py") or (match and "<frozen" in frame):
            short = match["file"].split("site-packages/")[-1]
            out.append((f"{match['name']} ({short})", short))
    return out


def shares(path: Path, top: int, groups: list[str], skip: list[str]) -> dict[str, Any]:
    own: dict[str, Counter[str]] = {}
    inclusive: dict[str, Counter[str]] = {}
    grouped: dict[str, Counter[str]] = {}
    busy: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        parsed = parse(line)
        if parsed is None:
            continue
        process, frames, count = parsed
        py = python_frames(frames)
        if not py or any(idle in frames[-1] or idle in py[-1][0] for idle in IDLE) \
                or any(idle in frame for idle in NATIVE_IDLE for frame in frames) \
                or any(name.startswith(tuple(skip)) for name, _ in py):
            continue
        busy[process] += count
        own.setdefault(process, Counter())[py[-1][0]] += count
        for name in {name for name, _ in py}:
            inclusive.setdefault(process, Counter())[name] += count
        group = next((g for g in groups if g in py[-1][1]), "other")
        grouped.setdefault(process, Counter())[group] += count

    def pct(counter: Counter[str], total: int) -> dict[str, float]:
        return {k: round(100 * v / total, 1) for k, v in counter.most_common(top)}
    return {process: {"busy_samples": total, "own_pct": pct(own[process], total),
                      "inclusive_pct": pct(inclusive[process], total),
                      "groups_pct": pct(grouped[process], total)}
            for process, total in busy.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--group", default="libp2p/,praxis_sdk/,trio/,asyncio/,uvicorn/,"
                                           "starlette/,fastapi/,pydantic")
    parser.add_argument("--skip", default="_find_and_load,build_host,start_agent",
                        help="leave out samples with a frame whose name starts so")
    args = parser.parse_args()
    print(json.dumps(shares(args.file, args.top, args.group.split(","), args.skip.split(",")),
                     indent=2))


if __name__ == "__main__":
    main()
