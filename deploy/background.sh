#!/usr/bin/env bash
# CKAN's background processes for `make run`, each with a pid file and a log,
# each kept running by deploy/supervise.sh (started again when it exits):
#   worker      ckan jobs worker (background jobs, Redis)
#   risk-worker ckan jobs worker maemoh-risk (risk layers; compiles esda's
#               kernels once, before its first job)
#   gather      ckan harvester gather-consumer
#   fetch       ckan harvester fetch-consumer
#   scheduler   every HARVEST_EVERY seconds (default 60): ckan maemoh tick
#               (a job for each source whose "every_minutes" has come round;
#               starts due harvest jobs and finishes done ones; queues again
#               the jobs whose worker died; queues the risk layers whose data
#               changed since their last run)
#   alerts      ckan maemoh alerts run --forever (delivers the warnings'
#               outbox: e-mail, LINE, webhooks)
#   mail        the demo's SMTP sink on 127.0.0.1:$MAIL_PORT (default 8025):
#               every e-mail the site sends lands in var/mail/*.eml
#   replay      the demo's local replay server of source payloads (deploy/demo)
# Usage: deploy/background.sh start CONFIG.ini NAME... | stop NAME...
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
PYTHON=${CKAN_PYTHON:-$REPO/.venv/bin/python}
HARVEST_EVERY=${HARVEST_EVERY:-60}
REPLAY_PORT=${REPLAY_PORT:-8765}
MAIL_PORT=${MAIL_PORT:-8025}

command_of() {  # NAME CONFIG -> the command line
  case $1 in
    worker) echo "$CKAN -c $2 jobs worker" ;;
    risk-worker) echo "$CKAN -c $2 jobs worker maemoh-risk" ;;
    gather) echo "$CKAN -c $2 harvester gather-consumer" ;;
    fetch) echo "$CKAN -c $2 harvester fetch-consumer" ;;
    scheduler) echo "bash -c 'while true; do $CKAN -c $2 maemoh tick; sleep $HARVEST_EVERY; done'" ;;
    replay) echo "$PYTHON $REPO/deploy/demo/replay_sources.py --port $REPLAY_PORT" ;;
    alerts) echo "$CKAN -c $2 maemoh alerts run --forever" ;;
    mail) echo "$PYTHON -m ckanext.maemoh.alerts.sink --dir $MAEMOH_VAR/mail --port $MAIL_PORT" ;;
    *) die "unknown background process $1" ;;
  esac
}

start() {
  local name=$1 ini=$2 pidfile=$RUN_DIR/$1.pid
  if pid_alive "$pidfile"; then
    say "$name: already running (pid $(cat "$pidfile"))"
    return 0
  fi
  setsid nohup "$REPO/deploy/supervise.sh" "$name" bash -c "exec $(command_of "$name" "$ini")" \
    >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$pidfile"
  sleep 1
  pid_alive "$pidfile" || { tail -n 20 "$LOG_DIR/$name.log" >&2; die "$name did not start"; }
  say "$name: running (pid $(cat "$pidfile")), log $LOG_DIR/$name.log"
}

case ${1:-} in
  start)
    ini=${2:?usage: $0 start CONFIG.ini NAME...}
    shift 2
    for name in "$@"; do start "$name" "$ini"; done
    ;;
  stop)
    shift
    for name in "$@"; do stop_pid "$name" "$RUN_DIR/$name.pid"; done
    ;;
  *) die "usage: $0 start CONFIG.ini NAME... | stop NAME..." ;;
esac
