#!/bin/sh
# Entry point of the Praxis images. Started as root only to hand the mounted folders
# (PRAXIS_WRITABLE_DIRS) to the service user (PRAXIS_USER; `root` keeps root, as
# docker-compose.engines.yml does), it then runs the command as that user with
# exec, so `docker stop` (SIGTERM) reaches the agent and it shuts down in order. A bad config
# stops `praxis-agent run` at start with every error and exit code 2 (no separate check:
# that would import everything twice and double the time to healthy).
set -eu
user=${PRAXIS_USER:-praxis}
if [ "$(id -u)" = 0 ] && [ "$user" != root ]; then
  for dir in ${PRAXIS_WRITABLE_DIRS:-}; do
    mkdir -p "$dir"
    chown -R "$user:$user" "$dir"
  done
  exec setpriv --reuid="$user" --regid="$user" --init-groups "$0" "$@"
fi
exec "$@"
