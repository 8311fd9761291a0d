"""One wrk run, parsed: the load generator of the HTTP benches (a C client, so the
figures are the server's, not a Python client's)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def post_lua(body: str, headers: dict[str, str] | None = None) -> str:
    """A wrk script that POSTs `body` (a Lua string expression) with JSON headers."""
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items()]
    lines.append(f"request = function() return wrk.format(nil, nil, nil, {body}) end")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def lua_file(text: str) -> Iterator[Path]:
    """`text` in a temporary .lua file for wrk's `-s`."""
    fd, name = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    try:
        yield Path(name)
    finally:
        os.unlink(name)


def require() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/setup.sh --full installs it)")


def wrk(url: str, connections: int, seconds: float, script: Path | None = None
        ) -> dict[str, Any]:
    """Requests/s and latency percentiles of one wrk run (2 threads, keep-alive).

    Non-2xx answers and socket errors are counted, not hidden: `non_2xx`, `socket_errors`.
    """
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": _ms(latency["50"]), "p99_ms": _ms(latency["99"]),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": errors.group(1) if errors else None,
            "connections": connections}


def wrk_cpu(url: str, connections: int, seconds: float, script: Path | None,
            pids: dict[str, int]) -> dict[str, Any]:
    """One wrk run, plus the CPU each of `pids` (name: pid, all its threads) spent a
    request meanwhile: `cpu_us_per_call` (requests are requests/s times the seconds)."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    out = wrk(url, connections, seconds, script)
    done = out["requests_per_s"] * max(1, round(seconds))
    return out | {"cpu_us_per_call": {
        name: round((cpu_seconds(pid) - before[name]) / done * 1e6)
        for name, pid in pids.items()}}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return round(float(value) * UNITS[unit], 3)
