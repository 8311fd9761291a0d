#!/usr/bin/env bash
# The main job on a fresh machine: installs what it needs, then runs scripts/demo.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
