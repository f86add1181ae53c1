#!/usr/bin/env bash
# PostgreSQL 15 (+PostGIS) cluster of this checkout, in $MAEMOH_VAR/postgresql.
# CKAN connects through the Unix socket in $MAEMOH_VAR/run/postgresql, a
# directory only the cluster's owner (and root) can enter: no password is
# needed or stored. TCP 127.0.0.1:$PG_PORT accepts password logins only.
# Usage: deploy/services/postgres.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/common.sh"

PG_PORT=${PG_PORT:-5432}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DATA=$MAEMOH_VAR/postgresql
SOCKET_DIR=$RUN_DIR/postgresql
LOG=$LOG_DIR/postgresql.log

# PostgreSQL refuses to run as root: root runs it as the "postgres" user.
if [ "$(id -u)" = 0 ]; then
  OWNER=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  OWNER=$(id -un)
  as_owner() { "$@"; }
fi

ready() { "$PG_BIN/pg_isready" -q -h "$SOCKET_DIR" -p "$PG_PORT"; }

init_cluster() {
  [ -f "$DATA/PG_VERSION" ] && return 0
  say "postgresql: creating the cluster in $DATA"
  mkdir -p "$DATA"
  chown "$OWNER" "$DATA"
  as_owner test -w "$DATA" || die "user $OWNER cannot write $DATA: every \
folder above it must be searchable by $OWNER (clone the repository elsewhere, \
e.g. under /srv or /tmp, or run as a non-root user)"
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
  touch "$LOG"
  mkdir -p "$SOCKET_DIR"
  chown "$OWNER" "$LOG" "$SOCKET_DIR"
  chmod 700 "$SOCKET_DIR"
  init_cluster
  as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $SOCKET_DIR \
-c unix_socket_permissions=0700" >/dev/null \
    || { tail -n 20 "$LOG" >&2; exit 1; }
  head -n 1 "$DATA/postmaster.pid" >"$RUN_DIR/postgresql.pid"
  wait_until 30 "postgresql" ready || { tail -n 20 "$LOG" >&2; exit 1; }
  say "postgresql: running on 127.0.0.1:$PG_PORT and $SOCKET_DIR"
}

stop() {
  if [ -f "$DATA/postmaster.pid" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    say "postgresql: stopped"
  else
    say "postgresql: not running"
  fi
  rm -f "$RUN_DIR/postgresql.pid"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) ready && say "postgresql: running" || exit 3 ;;
  *) die "usage: $0 start|stop|status" ;;
esac
