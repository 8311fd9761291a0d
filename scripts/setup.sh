#!/usr/bin/env bash
# Install what Praxis and its tests need on a fresh Debian machine (idempotent).
#
#   scripts/setup.sh          Python venv (.venv) with the pinned dependencies (the tests'
#                             and the benches' too), bubblewrap
#   scripts/setup.sh --full   also Debian packages for the tests (Docker, mmdebstrap ...),
#                             the npm MCP server used by the tests, a private Docker daemon
#                             and the Docker Compose v2 plugin (scripts/compose-plugin.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
full=${1:-}
say() { echo "[setup] $*" >&2; }

pkgs=(libgmp-dev bubblewrap)   # GMP: fastecdsa (libp2p) builds on it; bwrap: the tool sandbox
[ "$full" = "--full" ] && pkgs+=(docker.io mmdebstrap iproute2 wrk chromium)   # wrk: bench_http; chromium: console tests
need=()
for pkg in "${pkgs[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import praxis_sdk, pytest" 2>/dev/null \
   || [ constraints.txt -nt .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  say "installing Python dependencies (pinned in constraints.txt)"
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e ".[test,bench]"
  touch .venv/.installed
fi
# Bytecode for our own modules, so each agent process does not compile them again at
# start when the environment sets PYTHONDONTWRITEBYTECODE (a stale file is ignored).
.venv/bin/python -m compileall -q -j 0 src >/dev/null || true

if [ "$full" = "--full" ]; then
  if [ -f tests/npm/package.json ] && [ ! -d tests/npm/node_modules ]; then
    say "npm install (tests/npm)"
    npm install --no-package-lock --no-audit --no-fund --prefix tests/npm >/dev/null
  fi
  say "Docker daemon"
  eval "$(scripts/docker-daemon.sh | tail -n 1 | sed 's/^/export /')"
  say "Docker Compose v2 plugin"
  scripts/compose-plugin.sh >/dev/null
fi
say "ready"
