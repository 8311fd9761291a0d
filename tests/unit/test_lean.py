"""`praxis-agent run` imports the agent without the optional extras (lean.py, memory.py)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from praxis_sdk.lean import DATABASE_STORES, OPTIONAL, without_optional_extras
with without_optional_extras():
    import praxis_sdk.agent
print(sorted(name for name in OPTIONAL + DATABASE_STORES + ("sqlalchemy.orm", "aiosqlite")
             if name in sys.modules))
import rich.console, pygments.lexers, grpc, watchfiles  # importable again afterwards
import a2a.server.tasks.database_task_store, a2a.server.cluster.database_event_stream
from praxis_sdk import memory
memory.limit_arenas()
memory.release_free_memory()
print("ok")
"""


def test_agent_imports_without_the_extras_which_stay_importable() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "ok"]


def test_a_loaded_extra_is_left_alone() -> None:
    code = ("import sys, rich; from praxis_sdk.lean import without_optional_extras\n"
            "with without_optional_extras():\n    import rich.console\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.stdout.strip() == "ok", done.stderr
