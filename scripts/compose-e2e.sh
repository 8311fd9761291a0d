#!/usr/bin/env bash
# The Docker Compose deployment end to end (tests/e2e/test_compose.py): builds both images,
# `compose up -d --build --wait`, a workflow across both agents and the MCP filesystem
# server, agent 2 stopped and started, `compose down -v`; plus `compose config` of the base
# file and each override. Runs in a copy of the repository files under a unique project
# name, so the checkout stays clean. Needs root and the package registries.
#   scripts/compose-e2e.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --full
export DOCKER_HOST=${DOCKER_HOST:-unix://${PRAXIS_DOCKER_DIR:-/tmp/praxis-docker}/docker.sock}
exec .venv/bin/pytest -m compose tests/e2e/test_compose.py "$@"
