"""On the path of an agent process under test: at exit, write the names of every module it
imported (`sys.modules`, in import order) to the file named by
PRAXIS_TEST_MODULES_OUT, one per line."""

import atexit
import os
import sys

_OUT = os.environ.get("PRAXIS_TEST_MODULES_OUT")


def _write() -> None:
    with open(_OUT, "w", encoding="utf-8") as out:  # type: ignore[arg-type]
        out.write("\n".join(name for name, m in list(sys.modules.items()) if m is not None))


if _OUT:
    atexit.register(_write)
