#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what it needs, then pytest.
#   scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --full
export DOCKER_HOST=${DOCKER_HOST:-unix://${PRAXIS_DOCKER_DIR:-/tmp/praxis-docker}/docker.sock}
.venv/bin/ruff check .
exec .venv/bin/pytest "$@"
