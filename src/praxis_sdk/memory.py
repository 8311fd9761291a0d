"""glibc's malloc, set for a long-running agent process that is idle most of the time.

- Arenas: glibc gives a thread that allocates while another holds the main heap's lock an
  arena of its own (up to 8 per core), each keeping its freed memory. The agent's threads
  (the trio thread, the store's writer, anyio's workers) take turns on the GIL, so two
  arenas are plenty.
- Trim: start-up (imports, the compiled schemas, the first requests) leaves freed heap
  behind; `malloc_trim(0)` hands it back to the system once the agent has started.
- Freeze: the loaded libraries are some 190,000 objects that live as long as the process;
  after start-up they move to the collector's permanent generation (`gc.freeze`), so a
  full collection, which requests trigger, no longer walks them all (0.2 s each here).

Both do nothing where the C library is not glibc (musl, macOS).
"""

from __future__ import annotations

import ctypes
import functools
import gc
from typing import Any

M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
ARENAS = 2


@functools.cache
def _glibc() -> Any:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_arenas(count: int = ARENAS) -> None:
    """At most `count` malloc arenas; call before the process starts threads."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, count)


def release_free_memory() -> None:
    """Return the heap's free pages to the system."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def freeze_startup_heap() -> None:
    """Collect start-up's garbage, then exempt every object left from later collections."""
    gc.collect()
    gc.freeze()
