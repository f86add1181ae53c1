#!/usr/bin/env bash
# The production web stack of `make run`, from the files production uses
# (deploy/web/): CKAN under gunicorn (gunicorn.conf.py) on a socket in
# var/run, behind nginx (the site maemoh-site.conf, rendered by
# nginx_site.py; main file nginx-local.conf) on 127.0.0.1 at CONFIG.ini's
# ckan.devserver.port (else CKAN_PORT, else 5000). State in var/nginx/, pid
# files in var/run/, logs in var/log/{gunicorn,nginx-access,nginx-error,nginx-site}.log.
#   start  starts both, returns once nginx answers through gunicorn
#   run    start, then follow CKAN's log until Ctrl-C (or `make stop`), then stop
#   stop   stops both
# Usage: deploy/web.sh start|run CONFIG.ini | stop
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
GUNICORN=$(dirname "$CKAN")/gunicorn
PYTHON=${CKAN_PYTHON:-$REPO/.venv/bin/python}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_DIR=$MAEMOH_VAR/nginx
GUNICORN_PID=$RUN_DIR/gunicorn.pid
NGINX_PID=$RUN_DIR/nginx.pid  # written by nginx (nginx-local.conf)
SOCKET=$RUN_DIR/gunicorn.sock
START_TIMEOUT=${WEB_START_TIMEOUT:-120}  # seconds; CKAN loads in about 10

stop() {
  stop_pid nginx "$NGINX_PID"
  stop_pid gunicorn "$GUNICORN_PID"
}

answers() {  # CURL-ARGUMENTS...: true when the request answers 200
  curl -sf -o /dev/null --max-time 5 "$@"
}

wait_for_gunicorn() {  # true once it answers; false when it exits or times out
  for _ in $(seq "$START_TIMEOUT"); do
    answers --unix-socket "$SOCKET" http://localhost/api/3/action/status_show && return 0
    pid_alive "$GUNICORN_PID" || return 1
    sleep 1
  done
  return 1
}

start() {
  local ini port
  ini=$(realpath "$1")
  pid_alive "$GUNICORN_PID" && die "gunicorn already runs (pid $(cat "$GUNICORN_PID")); run make stop first"
  pid_alive "$NGINX_PID" && die "nginx already runs (pid $(cat "$NGINX_PID")); run make stop first"
  port=$(sed -n 's/^ckan.devserver.port *= *//p' "$ini")
  port=${port:-${CKAN_PORT:-5000}}
  port_taken "$port" && die "port $port is taken; set CKAN_PORT to a free port"
  mkdir -p "$NGINX_DIR/temp"

  # MALLOC_ARENA_MAX: threads would otherwise get malloc arenas of their own
  # and each worker's memory grow with the number of threads it has run.
  CKAN_INI=$ini MAEMOH_WEB_BIND=unix:$SOCKET MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} \
    setsid nohup "$GUNICORN" -c "$REPO/deploy/web/gunicorn.conf.py" >>"$LOG_DIR/gunicorn.log" 2>&1 &
  echo $! >"$GUNICORN_PID"
  # While CKAN loads in gunicorn, the site is rendered (it loads CKAN too).
  "$PYTHON" "$REPO/deploy/web/nginx_site.py" "$ini" --listen "127.0.0.1:$port" \
    --upstream "unix:$SOCKET" --static "$NGINX_DIR/static" --cache "$NGINX_DIR/cache" \
    >"$NGINX_DIR/site.conf" 2>"$LOG_DIR/nginx-site.log" \
    || { stop_pid gunicorn "$GUNICORN_PID"; die "could not render the nginx site; see $LOG_DIR/nginx-site.log"; }
  cp "$REPO/deploy/web/nginx-local.conf" "$NGINX_DIR/nginx.conf"
  if ! wait_for_gunicorn; then
    tail -n 20 "$LOG_DIR/gunicorn.log" >&2
    stop_pid gunicorn "$GUNICORN_PID"
    die "gunicorn exited or did not answer within ${START_TIMEOUT}s; see $LOG_DIR/gunicorn.log"
  fi
  if ! "$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log"; then
    stop_pid gunicorn "$GUNICORN_PID"
    die "nginx did not start; see $LOG_DIR/nginx-error.log"
  fi
  wait_until 10 nginx answers "http://127.0.0.1:$port/api/3/action/status_show" \
    || { stop; die "nginx does not answer on port $port; see $LOG_DIR/nginx-error.log"; }
  say "serving http://127.0.0.1:$port: nginx (pid $(cat "$NGINX_PID")), gunicorn (pid $(cat "$GUNICORN_PID"))"
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
    say "Ctrl-C stops the web server; CKAN's log follows ($LOG_DIR/gunicorn.log)"
    tail -n 0 -F "$LOG_DIR/gunicorn.log" &
    follower=$!
    # until Ctrl-C, or `make stop` stopping either
    while pid_alive "$GUNICORN_PID" && pid_alive "$NGINX_PID"; do sleep 1; done
    finish
    ;;
  stop) stop ;;
  *) die "usage: $0 start|run CONFIG.ini | stop" ;;
esac
