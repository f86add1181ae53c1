#!/usr/bin/env bash
# PostgreSQL 15 (+PostGIS) cluster of this checkout, in $MAEMOH_VAR/postgresql.
# CKAN connects through the Unix socket in $MAEMOH_VAR/run/postgresql, a
# directory only the cluster's owner (and root) can enter: no password is
# needed or stored. TCP 127.0.0.1:$PG_PORT accepts password logins only.
# Usage: deploy/services/postgres.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/postgres-lib.sh"

DATA=$MAEMOH_VAR/postgresql
SOCKET_DIR=$RUN_DIR/postgresql
LOG=$LOG_DIR/postgresql.log

init_cluster() {
  [ -f "$DATA/PG_VERSION" ] && return 0
  say "postgresql: creating the cluster in $DATA"
  own_folder "$DATA"
  as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >>"$LOG" 2>&1
}

start() {
  if pid_alive "$RUN_DIR/postgresql.pid"; then
    say "postgresql: already running (pid $(cat "$RUN_DIR/postgresql.pid"))"
    return 0
  fi
  port_taken "$PG_PORT" && die "port $PG_PORT is taken by another process \
(a system PostgreSQL?); set PG_PORT to a free port"
  init_cluster
  # A standby's slot keeps at most this much WAL for it (postgres-standby.md).
  pg_start postgresql "$DATA" "$LOG" "$SOCKET_DIR" "$PG_PORT" \
    -c "max_slot_wal_keep_size=${PG_MAX_SLOT_WAL_KEEP:-2GB}"
  say "postgresql: running on 127.0.0.1:$PG_PORT and $SOCKET_DIR"
}

stop() { pg_stop postgresql "$DATA"; }

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) pg_ready "$SOCKET_DIR" "$PG_PORT" && say "postgresql: running" || exit 3 ;;
  *) die "usage: $0 start|stop|status" ;;
esac
