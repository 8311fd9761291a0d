"""system_info tool: what the tool's environment looks like: OS, Python, CPUs, memory,
load, disk space of the working directory and uptime. Takes no arguments. Prints JSON.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys


def meminfo() -> dict:
    fields = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable", "MemFree"):
                    fields[key] = int(rest.split()[0]) * 1024
    except OSError:
        return {}
    return {
        "total_bytes": fields.get("MemTotal"),
        "available_bytes": fields.get("MemAvailable", fields.get("MemFree")),
    }


def uptime() -> float | None:
    try:
        with open("/proc/uptime", encoding="ascii") as handle:
            return float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def disk(path: str) -> dict:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return {}
    return {"path": path, "total_bytes": usage.total, "free_bytes": usage.free}


def main() -> int:
    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    info = {
        "os": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "load_average": load,
        "memory": meminfo(),
        "disk": disk(os.getcwd()),
        "uptime_s": uptime(),
        "pid": os.getpid(),
        "uid": os.getuid() if hasattr(os, "getuid") else None,
        "cwd": os.getcwd(),
    }
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
