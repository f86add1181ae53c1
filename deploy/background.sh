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
#   dask-scheduler  a dask.distributed scheduler on 127.0.0.1:$DASK_PORT
#               (default 8786), no dashboard: risk runs compute their local
#               statistics on it when ckanext.maemoh.risk.dask_scheduler
#               names it (configure-ckan.sh DASK_SCHEDULER=1; deploy/MULTINODE.md)
#   dask-worker one worker process of that scheduler, one thread, at most
#               DASK_WORKER_MEMORY (default 2GiB)
# NAME:N starts N of them (e.g. worker:2 risk-worker:2, fetch:2): NAME, then
# NAME-2 ... NAME-N, each with its pid file and log (var/run/NAME-K.pid,
# var/log/NAME-K.log). Workers of one queue share its jobs, each job taken
# by one of them (RQ); stop NAME stops all of them (deploy/web/NODES.md).
# Usage: deploy/background.sh start CONFIG.ini NAME[:N]... | stop NAME[:N]...
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
PYTHON=${CKAN_PYTHON:-$REPO/.venv/bin/python}
HARVEST_EVERY=${HARVEST_EVERY:-60}
REPLAY_PORT=${REPLAY_PORT:-8765}
MAIL_PORT=${MAIL_PORT:-8025}
DASK=$(dirname "$CKAN")/dask
DASK_PORT=${DASK_PORT:-8786}
DASK_WORKER_MEMORY=${DASK_WORKER_MEMORY:-2GiB}

command_of() {  # NAME (or NAME-K) CONFIG -> the command line
  case ${1%-[0-9]*} in
    worker) echo "$CKAN -c $2 jobs worker" ;;
    risk-worker) echo "$CKAN -c $2 jobs worker maemoh-risk" ;;
    gather) echo "$CKAN -c $2 harvester gather-consumer" ;;
    fetch) echo "$CKAN -c $2 harvester fetch-consumer" ;;
    scheduler) echo "bash -c 'while true; do $CKAN -c $2 maemoh tick; sleep $HARVEST_EVERY; done'" ;;
    replay) echo "$PYTHON $REPO/deploy/demo/replay_sources.py --port $REPLAY_PORT" ;;
    alerts) echo "$CKAN -c $2 maemoh alerts run --forever" ;;
    mail) echo "$PYTHON -m ckanext.maemoh.alerts.sink --dir $MAEMOH_VAR/mail --port $MAIL_PORT" ;;
    dask-scheduler) echo "$DASK scheduler --host 127.0.0.1 --port $DASK_PORT --no-dashboard" ;;
    dask-worker) echo "$DASK worker tcp://127.0.0.1:$DASK_PORT --host 127.0.0.1 --nthreads 1 \
--memory-limit $DASK_WORKER_MEMORY --no-dashboard --local-directory $MAEMOH_VAR/dask --name $1" ;;
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

instances() {  # NAME[:N] -> NAME, NAME-2 ... NAME-N, one a line
  local name=${1%%:*} count=1 k
  [[ $1 == *:* ]] && count=${1#*:}
  [[ $count =~ ^[1-9][0-9]*$ ]] || die "$1: the number after ':' must be 1 or more"
  command_of "$name" CONFIG >/dev/null  # an unknown name fails here
  echo "$name"
  for ((k = 2; k <= count; k++)); do echo "$name-$k"; done
}

case ${1:-} in
  start)
    ini=${2:?usage: $0 start CONFIG.ini NAME[:N]...}
    shift 2
    for spec in "$@"; do instances "$spec" >/dev/null; done  # every name known, before one starts
    for spec in "$@"; do
      for instance in $(instances "$spec"); do start "$instance" "$ini"; done
    done
    ;;
  stop)
    shift
    for spec in "$@"; do
      name=${spec%%:*}
      # every instance that runs, whatever N says now
      for pidfile in "$RUN_DIR/$name.pid" "$RUN_DIR/$name"-[0-9]*.pid; do
        if [ -e "$pidfile" ] || [ "$pidfile" = "$RUN_DIR/$name.pid" ]; then
          stop_pid "$(basename "$pidfile" .pid)" "$pidfile"
        fi
      done
    done
    ;;
  *) die "usage: $0 start CONFIG.ini NAME[:N]... | stop NAME[:N]..." ;;
esac
