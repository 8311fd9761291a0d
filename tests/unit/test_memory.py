"""After start-up the agent exempts what is loaded from later garbage collections."""

from __future__ import annotations

import gc
import weakref

from praxis_sdk import memory


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_startup_garbage_is_collected_and_the_rest_frozen() -> None:
    garbage, kept = Node(), Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        memory.freeze_startup_heap()
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not any(obj is kept for obj in gc.get_objects())  # not walked any more
    finally:
        gc.unfreeze()
