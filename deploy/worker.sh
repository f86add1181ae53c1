#!/usr/bin/env bash
# CKAN's background jobs worker (`ckan jobs worker`, queues on Redis).
# Usage: deploy/worker.sh start CONFIG.ini | stop
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
PIDFILE=$RUN_DIR/worker.pid

case ${1:-} in
  start)
    INI=${2:?usage: $0 start CONFIG.ini}
    if pid_alive "$PIDFILE"; then
      say "worker: already running (pid $(cat "$PIDFILE"))"
      exit 0
    fi
    setsid nohup "$CKAN" -c "$INI" jobs worker >>"$LOG_DIR/worker.log" 2>&1 &
    echo $! >"$PIDFILE"
    sleep 2
    pid_alive "$PIDFILE" || { tail -n 20 "$LOG_DIR/worker.log" >&2; exit 1; }
    say "worker: running (pid $(cat "$PIDFILE")), log $LOG_DIR/worker.log"
    ;;
  stop) stop_pid worker "$PIDFILE" ;;
  *) die "usage: $0 start CONFIG.ini | stop" ;;
esac
