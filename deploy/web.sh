#!/usr/bin/env bash
# The production web stack of `make run`, from the files production uses
# (deploy/web/): CKAN under gunicorn (gunicorn.conf.py) behind nginx (the
# site maemoh-site.conf, rendered by nginx_site.py; main file
# nginx-local.conf) on 127.0.0.1 at CONFIG.ini's ckan.devserver.port (else
# CKAN_PORT, else 5000). State in var/nginx/, pid files in var/run/, logs in
# var/log/{gunicorn,nginx-access,nginx-error,nginx-site}.log.
#
# Web nodes (deploy/web/NODES.md): WEB_NODES=N (default 1) runs N gunicorn
# masters, each a node nginx's upstream lists: node 1 is `gunicorn`
# (gunicorn.pid, gunicorn.log), node K `gunicorn-K`; each answers with the
# header X-Maemoh-Node: webK. One node listens on the socket
# var/run/gunicorn.sock; several (or WEB_NODE_PORTS set) on 127.0.0.1 at
# the ports WEB_NODE_PORTS lists (default 8001, 8002, ...). They share the
# configuration, so its database, Redis (sessions, queues), Solr and
# ckan.storage_path.
#   start  starts them and nginx, returns once nginx answers through each node
#   run    start, then follow CKAN's logs until Ctrl-C (or `make stop`), then stop
#   stop   stops nginx and every node
# Usage: [WEB_NODES=N] [WEB_NODE_PORTS="P1 P2 ..."] deploy/web.sh start|run CONFIG.ini | stop
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
GUNICORN=$(dirname "$CKAN")/gunicorn
PYTHON=${CKAN_PYTHON:-$REPO/.venv/bin/python}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_DIR=$MAEMOH_VAR/nginx
NGINX_PID=$RUN_DIR/nginx.pid  # written by nginx (nginx-local.conf)
SOCKET=$RUN_DIR/gunicorn.sock
START_TIMEOUT=${WEB_START_TIMEOUT:-120}  # seconds; CKAN loads in about 10
WEB_NODES=${WEB_NODES:-1}
[[ $WEB_NODES =~ ^[1-9][0-9]*$ ]] || die "WEB_NODES must be a number of nodes (1 or more), not '$WEB_NODES'"

node_name() {  # K -> gunicorn (node 1) or gunicorn-K
  if [ "$1" = 1 ]; then echo gunicorn; else echo "gunicorn-$1"; fi
}

node_binds() {  # the address of each node, one a line: unix:SOCKET or 127.0.0.1:PORT
  local ports
  if [ "$WEB_NODES" = 1 ] && [ -z "${WEB_NODE_PORTS:-}" ]; then
    echo "unix:$SOCKET"
    return
  fi
  read -r -a ports <<<"${WEB_NODE_PORTS:-$(seq -s ' ' 8001 $((8000 + WEB_NODES)))}"
  [ "${#ports[@]}" = "$WEB_NODES" ] || die "WEB_NODE_PORTS lists ${#ports[@]} ports for $WEB_NODES nodes"
  printf '127.0.0.1:%s\n' "${ports[@]}"
}

stop() {  # nginx, then every node that runs (whatever WEB_NODES says now)
  local pidfile
  stop_pid nginx "$NGINX_PID"
  for pidfile in "$RUN_DIR"/gunicorn.pid "$RUN_DIR"/gunicorn-*.pid; do
    [ -e "$pidfile" ] && stop_pid "$(basename "$pidfile" .pid)" "$pidfile"
  done
  return 0
}

answers() {  # CURL-ARGUMENTS...: true when the request answers 200
  curl -sf -o /dev/null --max-time 5 "$@"
}

wait_for_node() {  # NAME BIND: true once it answers; false when it exits or times out
  local via=() url
  case $2 in
    unix:*) via=(--unix-socket "${2#unix:}"); url=http://localhost ;;
    *) url=http://$2 ;;
  esac
  for _ in $(seq "$START_TIMEOUT"); do
    answers "${via[@]}" "$url/api/3/action/status_show" && return 0
    pid_alive "$RUN_DIR/$1.pid" || return 1
    sleep 1
  done
  return 1
}

start_node() {  # K BIND CONFIG: gunicorn of node K in the background
  local name
  name=$(node_name "$1")
  # MALLOC_ARENA_MAX: threads would otherwise get malloc arenas of their own
  # and each worker's memory grow with the number of threads it has run.
  CKAN_INI=$3 MAEMOH_WEB_BIND=$2 MAEMOH_WEB_NODE=web$1 MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} \
    setsid nohup "$GUNICORN" -c "$REPO/deploy/web/gunicorn.conf.py" >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

start() {
  local ini port binds bind k upstreams=() name
  ini=$(realpath "$1")
  pid_alive "$NGINX_PID" && die "nginx already runs (pid $(cat "$NGINX_PID")); run make stop first"
  for pidfile in "$RUN_DIR"/gunicorn.pid "$RUN_DIR"/gunicorn-*.pid; do
    pid_alive "$pidfile" && die "$(basename "$pidfile" .pid) already runs (pid $(cat "$pidfile")); run make stop first"
  done
  port=$(sed -n 's/^ckan.devserver.port *= *//p' "$ini")
  port=${port:-${CKAN_PORT:-5000}}
  port_taken "$port" && die "port $port is taken; set CKAN_PORT to a free port"
  binds=$(node_binds)
  for bind in $binds; do
    case $bind in unix:*) ;; *) port_taken "${bind##*:}" && die "port ${bind##*:} (a web node) is taken; set WEB_NODE_PORTS" ;; esac
  done
  mkdir -p "$NGINX_DIR/temp"

  k=0
  for bind in $binds; do
    k=$((k + 1))
    start_node "$k" "$bind" "$ini"
    upstreams+=(--upstream "$bind")
  done
  # While CKAN loads in gunicorn, the site is rendered (it loads CKAN too).
  "$PYTHON" "$REPO/deploy/web/nginx_site.py" "$ini" --listen "127.0.0.1:$port" \
    "${upstreams[@]}" --static "$NGINX_DIR/static" --cache "$NGINX_DIR/cache" \
    >"$NGINX_DIR/site.conf" 2>"$LOG_DIR/nginx-site.log" \
    || { stop; die "could not render the nginx site; see $LOG_DIR/nginx-site.log"; }
  cp "$REPO/deploy/web/nginx-local.conf" "$NGINX_DIR/nginx.conf"
  k=0
  for bind in $binds; do
    k=$((k + 1))
    name=$(node_name "$k")
    if ! wait_for_node "$name" "$bind"; then
      tail -n 20 "$LOG_DIR/$name.log" >&2
      stop
      die "$name exited or did not answer within ${START_TIMEOUT}s; see $LOG_DIR/$name.log"
    fi
  done
  if ! "$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log"; then
    stop
    die "nginx did not start; see $LOG_DIR/nginx-error.log"
  fi
  wait_until 10 nginx answers "http://127.0.0.1:$port/api/3/action/status_show" \
    || { stop; die "nginx does not answer on port $port; see $LOG_DIR/nginx-error.log"; }
  say "serving http://127.0.0.1:$port: nginx (pid $(cat "$NGINX_PID")) in front of $k node(s): $(echo $binds)"
}

nodes_alive() {  # true while a node runs
  local pidfile
  for pidfile in "$RUN_DIR"/gunicorn.pid "$RUN_DIR"/gunicorn-*.pid; do
    pid_alive "$pidfile" && return 0
  done
  return 1
}

case ${1:-} in
  start) start "${2:?usage: $0 start CONFIG.ini}" ;;
  run)
    ini=${2:?usage: $0 run CONFIG.ini}
    follower=
    finish() {
      [ -n "$follower" ] && kill "$follower" 2>/dev/null
      stop
      exit 0
    }
    trap finish INT TERM
    start "$ini"
    logs=("$LOG_DIR"/gunicorn.log)
    for ((k = 2; k <= WEB_NODES; k++)); do logs+=("$LOG_DIR/gunicorn-$k.log"); done
    say "Ctrl-C stops the web server; CKAN's log follows (${logs[*]})"
    tail -n 0 -F "${logs[@]}" &
    follower=$!
    # until Ctrl-C, or `make stop` (nginx stops first), or no node is left
    while pid_alive "$NGINX_PID" && nodes_alive; do sleep 1; done
    finish
    ;;
  stop) stop ;;
  *) die "usage: $0 start|run CONFIG.ini | stop" ;;
esac
