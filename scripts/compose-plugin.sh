#!/usr/bin/env bash
# Install the Docker Compose v2 CLI plugin (and buildx, which Compose builds with) from the
# next Debian release's packages, without touching the system's apt state or plugin dirs.
#
#   scripts/compose-plugin.sh        prints `DOCKER_CONFIG=...` as its last line; export it
#
# Settings: PRAXIS_DOCKER_DIR (default /tmp/praxis-docker), DEBIAN_MIRROR (default: this
# machine's apt sources). Does nothing when the plugin is already there.
set -euo pipefail
W=${PRAXIS_DOCKER_DIR:-/tmp/praxis-docker}
export DOCKER_CONFIG=${DOCKER_CONFIG:-$W/docker-config}
say() { echo "[compose-plugin] $*" >&2; }

if ! docker compose version >/dev/null 2>&1; then
  say "fetching the Compose v2 plugin (Debian trixie's docker-compose package)"
  src=/etc/apt/sources.list.d/debian.sources
  mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' "$src")}
  A=$W/apt-trixie
  rm -rf "$A/dl" "$A/root"
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
  docker compose version >&2
fi
echo "DOCKER_CONFIG=$DOCKER_CONFIG"
