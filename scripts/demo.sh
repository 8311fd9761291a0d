#!/usr/bin/env bash
# The main job on a fresh machine: installs what it needs, then `praxis-agent demo`
# (two agents and the MCP filesystem server on this machine, one workflow; see README).
#   scripts/demo.sh [--keep] [--port-base 8000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/praxis-agent demo --dir demo "$@"
