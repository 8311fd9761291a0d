#!/bin/sh
# Container entry point: checks the config, then hands over to praxis-agent (PID 1 via exec,
# so SIGTERM from `docker stop` reaches the agent and it shuts down in order).
set -eu
if [ "${1:-run}" = "run" ]; then
  praxis-agent validate-config >/dev/null
fi
exec praxis-agent "$@"
