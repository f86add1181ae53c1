# PostgreSQL helpers shared by postgres.sh (the primary) and
# postgres-standby.sh (its streaming standbys); sourced after common.sh.

PG_PORT=${PG_PORT:-5432}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# PostgreSQL refuses to run as root: root runs it as the "postgres" user.
if [ "$(id -u)" = 0 ]; then
  OWNER=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  OWNER=$(id -un)
  as_owner() { "$@"; }
fi

# pg_ready SOCKET_DIR PORT: true when the cluster accepts connections.
pg_ready() { "$PG_BIN/pg_isready" -q -h "$1" -p "$2"; }

# pg_sql SOCKET_DIR PORT SQL: one value (or rows, |-separated) as the
# superuser postgres, through the socket.
pg_sql() {
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -tA -v ON_ERROR_STOP=1 \
    -h "$1" -p "$2" -U postgres -d postgres -c "$3"
}

# own_folder DIR: DIR exists, belongs to the cluster's owner, mode 700.
own_folder() {
  mkdir -p "$1"
  chown "$OWNER" "$1"
  chmod 700 "$1"
  as_owner test -w "$1" || die "user $OWNER cannot write $1: every folder \
above it must be searchable by $OWNER (clone the repository elsewhere, e.g. \
under /srv or /tmp, or run as a non-root user)"
}

# pg_start NAME DATA LOG SOCKET_DIR PORT [-c OPTION=VALUE...]: start the
# cluster in DATA on 127.0.0.1:PORT and SOCKET_DIR (only its owner may enter
# it), wait until it accepts connections and record its pid in
# $RUN_DIR/NAME.pid.
pg_start() {
  local name=$1 data=$2 log=$3 socket_dir=$4 port=$5
  shift 5
  touch "$log"
  chown "$OWNER" "$log"
  mkdir -p "$socket_dir"
  chown "$OWNER" "$socket_dir"
  chmod 700 "$socket_dir"
  as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $socket_dir \
-c unix_socket_permissions=0700 $*" >/dev/null \
    || { tail -n 20 "$log" >&2; exit 1; }
  head -n 1 "$data/postmaster.pid" >"$RUN_DIR/$name.pid"
  wait_until 30 "$name" pg_ready "$socket_dir" "$port" || { tail -n 20 "$log" >&2; exit 1; }
}

# pg_stop NAME DATA: fast shutdown (sessions are ended), no-op if stopped.
pg_stop() {
  if [ -f "$2/postmaster.pid" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$2" -m fast -w stop >/dev/null
    say "$1: stopped"
  else
    say "$1: not running"
  fi
  rm -f "$RUN_DIR/$1.pid"
}
