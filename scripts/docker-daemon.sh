#!/usr/bin/env bash
# Start (or stop) a private Docker daemon for the tool engine tests and benchmarks.
#
#   scripts/docker-daemon.sh          start dockerd if not answering, build python:3.11-slim if absent
#   scripts/docker-daemon.sh stop     stop the daemon by PID and unmount its data root
#
# The last line printed on start is `DOCKER_HOST=unix://...` to export.
# Settings: PRAXIS_DOCKER_DIR (short dir, default /tmp/praxis-docker; unix socket paths are
# limited to 108 bytes), DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR (default: this machine's apt
# sources), PRAXIS_BASE_IMAGE (default python:3.11-slim).
set -euo pipefail

W=${PRAXIS_DOCKER_DIR:-/tmp/praxis-docker}
SOCK="unix://$W/docker.sock"
IMAGE=${PRAXIS_BASE_IMAGE:-python:3.11-slim}
PIDFILE="$W/dockerd.pid"
export DOCKER_HOST="$SOCK"

log() { echo "[docker-daemon] $*" >&2; }

answering() { timeout 10 docker info >/dev/null 2>&1; }

stop_daemon() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$PIDFILE"
  fi
  grep -o " $W/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  log "stopped"
}

start_daemon() {
  mkdir -p "$W"
  if answering; then
    log "daemon already answering at $SOCK"
    return
  fi
  [ -f "$PIDFILE" ] && stop_daemon
  rm -f "$W/docker.sock"
  log "starting dockerd (data root $W/data)"
  setsid dockerd --storage-driver=overlay2 --iptables=false --ip6tables=false \
    --data-root "$W/data" --exec-root "$W/exec" --pidfile "$PIDFILE" -H "$SOCK" \
    >"$W/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 300); do answering && break; sleep 0.2; done
  if ! answering; then
    log "dockerd did not answer; last log lines:"; tail -n 20 "$W/dockerd.log" >&2
    exit 1
  fi
  log "dockerd up"
}

build_image() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present"
    return
  fi
  local src=/etc/apt/sources.list.d/debian.sources
  local mirror security
  mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' "$src")}
  security=${DEBIAN_SECURITY_MIRROR:-$(awk '/^URIs:/{u=$2} /^Suites:.*security/{print u; exit}' "$src")}
  log "building $IMAGE from Debian bookworm packages (a few minutes)"
  mmdebstrap --variant=minbase --mode=root --format=tar \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include=python3,python3-pip,python3-venv,python-is-python3,curl,ca-certificates \
    --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"; cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/" 2>/dev/null; chroot "$1" update-ca-certificates >/dev/null' \
    --customize-hook='rm -f "$1"/usr/lib/python3.*/EXTERNALLY-MANAGED; : > "$1/etc/resolv.conf"' \
    bookworm - "deb ${mirror} bookworm main" \
    "deb ${mirror} bookworm-updates main" \
    "deb ${security} bookworm-security main" 2>"$W/mmdebstrap.log" \
  | docker import --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
  log "image $IMAGE built"
}

case "${1:-start}" in
  start) start_daemon; build_image; echo "DOCKER_HOST=$SOCK" ;;
  stop) stop_daemon ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
