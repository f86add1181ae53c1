#!/usr/bin/env bash
# Redis for CKAN's job queues and ckanext-harvest, on 127.0.0.1:$REDIS_PORT.
# Usage: deploy/services/redis.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/common.sh"

REDIS_PORT=${REDIS_PORT:-6379}
DATA=$MAEMOH_VAR/redis
PIDFILE=$RUN_DIR/redis.pid

ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG; }

start() {
  if pid_alive "$PIDFILE"; then
    say "redis: already running (pid $(cat "$PIDFILE"))"
    return 0
  fi
  port_taken "$REDIS_PORT" && die "port $REDIS_PORT is taken by another \
process; set REDIS_PORT to a free port"
  mkdir -p "$DATA"
  # Options on the command line: nothing to keep in sync with a file.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --dir "$DATA" --appendonly yes --save 60 1 \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$LOG_DIR/redis.log"
  wait_until 30 "redis on 127.0.0.1:$REDIS_PORT" ready \
    || { tail -n 20 "$LOG_DIR/redis.log" >&2; exit 1; }
  say "redis: running on 127.0.0.1:$REDIS_PORT (pid $(cat "$PIDFILE"))"
}

case ${1:-} in
  start) start ;;
  stop) stop_pid redis "$PIDFILE" ;;
  status) pid_alive "$PIDFILE" && ready && say "redis: running" || exit 3 ;;
  *) die "usage: $0 start|stop|status" ;;
esac
