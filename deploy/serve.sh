#!/usr/bin/env bash
# `make dev`: serves CKAN with its development server, in the foreground, on
# the address of CONFIG.ini's ckan.devserver.host/port, starting it again
# whenever a Python file changes (the reloader); `deploy/serve.sh stop` ends
# it from elsewhere. `make run` serves the production stack (deploy/web.sh).
# Usage: deploy/serve.sh CONFIG.ini | stop
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
PIDFILE=$RUN_DIR/dev.pid

if [ "${1:-}" = stop ]; then
  stop_pid dev "$PIDFILE"
  exit 0
fi
INI=${1:?usage: $0 CONFIG.ini | stop}
pid_alive "$PIDFILE" && die "CKAN is already served (pid $(cat "$PIDFILE")); \
run make stop first"
port=$(sed -n 's/^ckan.devserver.port *= *//p' "$INI")
port_taken "$port" && die "port $port is taken; set CKAN_PORT to a free port"
echo $$ >"$PIDFILE"
# A thread per request: without a cap, glibc gives threads malloc arenas of
# their own and the process's memory grows with the number of threads seen.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
say "serving http://127.0.0.1:$port with the development server (Ctrl-C to stop; logs below)"
exec "$CKAN" -c "$INI" run --threaded
