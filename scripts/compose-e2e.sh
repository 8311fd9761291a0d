#!/usr/bin/env bash
# The Docker Compose path end to end on this machine: private dockerd, the Compose v2
# plugin, `compose up --build --wait`, a workflow across both agents and the MCP
# filesystem server, then `compose down -v`. Needs root and the package registries.
#   scripts/compose-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
W=${PRAXIS_DOCKER_DIR:-/tmp/praxis-docker}
export DOCKER_HOST="unix://$W/docker.sock" DOCKER_CONFIG="$W/docker-config" COMPOSE_BAKE=false
say() { echo "[compose-e2e] $*" >&2; }

scripts/docker-daemon.sh >/dev/null
if ! docker compose version >/dev/null 2>&1; then
  say "fetching the Compose v2 plugin (Debian trixie's docker-compose package)"
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  A=$W/apt-trixie
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/dl" "$A/root" \
    "$DOCKER_CONFIG/cli-plugins"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
    > "$A/sources.list"
  O=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache")
  apt-get "${O[@]}" update -qq
  (cd "$A/dl" && apt-get "${O[@]}" download docker-compose docker-buildx >/dev/null)
  for deb in "$A"/dl/*.deb; do dpkg-deb -x "$deb" "$A/root"; done
  cp "$A"/root/usr/libexec/docker/cli-plugins/docker-{compose,buildx} "$DOCKER_CONFIG/cli-plugins/"
fi

DC=(docker compose -p praxis-e2e)
cleanup() { "${DC[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT
say "compose up --build --wait"
"${DC[@]}" up -d --build --wait --wait-timeout 300

say "agents healthy; waiting for the P2P link and the MCP server"
for _ in $(seq 1 60); do
  tools=$(curl -fsS 127.0.0.1:8000/tools || true)
  if grep -q '"provider":"praxis-agent-2"' <<<"$tools" && grep -q '"source":"mcp"' <<<"$tools"
  then break; fi
  sleep 0.5
done
dsl='CALL write_file@mcp-filesystem --path e2e.txt --content "hello from compose"\nCALL word_counter --file_path e2e.txt AS c\nCALL text_analyzer@praxis-agent-2 --file_path e2e.txt'
result=$(curl -fsS 127.0.0.1:8000/execute -H 'content-type: application/json' \
  -d "{\"dsl\": \"${dsl//\"/\\\"}\"}")
grep -q '"state":"completed"' <<<"$result" || { say "workflow failed: $result"; exit 1; }
grep -q '"provider":"praxis-agent-2"' <<<"$result" || { say "no step ran on agent 2"; exit 1; }
curl -fsS 127.0.0.1:8001/health >/dev/null
say "workflow completed across praxis-agent-1, praxis-agent-2 and mcp-filesystem"
echo "1 passed, 0 failed"
