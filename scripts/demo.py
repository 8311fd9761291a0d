"""The main job without the installer: `praxis-agent demo --dir demo` (see README).

    .venv/bin/python scripts/demo.py [--keep] [--port-base 8000]
"""

from __future__ import annotations

import sys

from praxis_sdk.cli import app

if __name__ == "__main__":
    app(["demo", "--dir", "demo", *sys.argv[1:]], prog_name="praxis-agent")
