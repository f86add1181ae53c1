#!/usr/bin/env bash
# A streaming standby of the PostgreSQL cluster of postgres.sh: a hot,
# read-only copy of the whole cluster (every database, role and table, the
# DataStore included) that CKAN's DataStore reads from (deploy/postgres-standby.md).
#
#   start          copy the primary with pg_basebackup (first start only), then
#                  start the copy and wait until it streams from the primary
#   stop           stop it; its replication slot keeps the WAL it will need
#   stop --forget  stop it, drop its slot on the primary, delete its copy
#   status         exit 0 while it runs in recovery and streams
#   lag            one line: how far it is behind the primary
#
# Environment: PG_STANDBY_NAME (standby; names its folders, log, pid file and
# replication slot: one name per standby), PG_STANDBY_PORT (5433),
# PG_STANDBY_DATA ($MAEMOH_VAR/postgresql-$PG_STANDBY_NAME); the primary:
# PG_PORT (5432), PG_PRIMARY_SOCKET ($MAEMOH_VAR/run/postgresql).
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/postgres-lib.sh"

NAME=${PG_STANDBY_NAME:-standby}
[[ $NAME =~ ^[a-z][a-z0-9_]*$ ]] || die "PG_STANDBY_NAME must be lower-case letters, digits and _"
SERVICE=postgresql-$NAME
PORT=${PG_STANDBY_PORT:-5433}
DATA=${PG_STANDBY_DATA:-$MAEMOH_VAR/$SERVICE}
SOCKET_DIR=$RUN_DIR/$SERVICE
LOG=$LOG_DIR/$SERVICE.log
PRIMARY_SOCKET=${PG_PRIMARY_SOCKET:-$RUN_DIR/postgresql}
SLOT=maemoh_$NAME

primary() { pg_sql "$PRIMARY_SOCKET" "$PG_PORT" "$1"; }
standby() { pg_sql "$SOCKET_DIR" "$PORT" "$1"; }
streaming() { [ "$(standby "SELECT status FROM pg_stat_wal_receiver")" = streaming ]; }

# base_backup: a fresh copy of the primary and a fresh slot. A slot of this
# name without a copy is a leftover (its standby was deleted): dropped.
base_backup() {
  local active
  pg_ready "$PRIMARY_SOCKET" "$PG_PORT" || die "the primary is not running on $PRIMARY_SOCKET:$PG_PORT"
  active=$(primary "SELECT active FROM pg_replication_slots WHERE slot_name = '$SLOT'")
  [ "$active" = t ] && die "slot $SLOT is used by another standby: choose another PG_STANDBY_NAME"
  [ "$active" = f ] && primary "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
  say "$SERVICE: copying the primary into $DATA"
  own_folder "$DATA"
  # -R writes primary_conninfo and primary_slot_name; -c fast: no wait for a
  # spread checkpoint.
  as_owner "$PG_BIN/pg_basebackup" -D "$DATA" -h "$PRIMARY_SOCKET" -p "$PG_PORT" -U postgres \
    -X stream -R -C -S "$SLOT" -c fast >>"$LOG" 2>&1 \
    || { rm -rf "$DATA"; tail -n 20 "$LOG" >&2; die "pg_basebackup failed"; }
}

start() {
  if pid_alive "$RUN_DIR/$SERVICE.pid"; then
    say "$SERVICE: already running (pid $(cat "$RUN_DIR/$SERVICE.pid"))"
    return 0
  fi
  port_taken "$PORT" && die "port $PORT is taken by another process; set PG_STANDBY_PORT to a free port"
  touch "$LOG"
  chown "$OWNER" "$LOG"
  [ -f "$DATA/PG_VERSION" ] || base_backup
  [ -f "$DATA/standby.signal" ] || die "$DATA is not a standby (promoted?): move it away to copy the primary again"
  pg_start "$SERVICE" "$DATA" "$LOG" "$SOCKET_DIR" "$PORT" -c "cluster_name=$SERVICE"
  wait_until 30 "$SERVICE's streaming" streaming || { tail -n 20 "$LOG" >&2; exit 1; }
  say "$SERVICE: streaming from the primary, read-only on 127.0.0.1:$PORT and $SOCKET_DIR"
}

stop() {
  pg_stop "$SERVICE" "$DATA"
  [ "${1:-}" = --forget ] || return 0
  if pg_ready "$PRIMARY_SOCKET" "$PG_PORT"; then
    primary "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
             WHERE slot_name = '$SLOT'" >/dev/null
  else
    say "$SERVICE: the primary is not running: drop the slot $SLOT on it later"
  fi
  rm -rf "$DATA" "$SOCKET_DIR"
  say "$SERVICE: slot $SLOT and copy $DATA removed"
}

status() {
  pg_ready "$SOCKET_DIR" "$PORT" && [ "$(standby "SELECT pg_is_in_recovery()")" = t ] && streaming \
    && say "$SERVICE: streaming" || exit 3
}

# lag: as the primary sees it. bytes: WAL written on the primary and not yet
# replayed by the standby (while it is down: the WAL its slot keeps for it);
# seconds: the replay delay of the last WAL it replayed (0 once caught up
# and idle).
lag() {
  local row
  row=$(primary "SELECT coalesce(r.state, 'disconnected'),
      pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(r.replay_lsn, s.restart_lsn)),
      coalesce(round(extract(epoch FROM r.replay_lag)::numeric, 3)::text,
               CASE WHEN r.replay_lsn = pg_current_wal_lsn() THEN '0.000' ELSE 'unknown' END)
    FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
    WHERE s.slot_name = '$SLOT'")
  [ -n "$row" ] || die "no slot $SLOT on the primary: $SERVICE was never started"
  IFS='|' read -r state bytes seconds <<<"$row"
  printf '%s: state=%s lag_bytes=%s lag_seconds=%s\n' "$SERVICE" "$state" "$bytes" "$seconds"
  [ "$state" = streaming ]
}

case ${1:-} in
  start) start ;;
  stop) stop "${2:-}" ;;
  status) status ;;
  lag) lag ;;
  *) die "usage: $0 start|stop [--forget]|status|lag" ;;
esac
