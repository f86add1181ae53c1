# Shared helpers for the local service scripts; sourced, not run.
# Every service keeps its state in $MAEMOH_VAR (git-ignored), its log in
# $MAEMOH_VAR/log and its process id in $MAEMOH_VAR/run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MAEMOH_VAR=${MAEMOH_VAR:-$REPO/var}
LOG_DIR=$MAEMOH_VAR/log
RUN_DIR=$MAEMOH_VAR/run
mkdir -p "$LOG_DIR" "$RUN_DIR"

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# alive PID: true when the process runs (a zombie is dead: PID 1 may be slow
# to reap it).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# pid_running PIDFILE TEXT: prints the recorded pid when that process is
# alive and its command line contains TEXT (a stale pid file whose pid was
# reused by another program is not ours); false otherwise.
pid_running() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$pid"
}

# pid_alive PIDFILE: true when the recorded process is running.
pid_alive() {
  [ -f "$1" ] && alive "$(cat "$1")"
}

# port_taken PORT: true when something listens on 127.0.0.1:PORT.
port_taken() {
  timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND once a second.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq "$seconds"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  say "$what was not ready after ${seconds}s"
  return 1
}

# stop_pid NAME PIDFILE: TERM (its process group when it leads one), wait up
# to 20 s, then KILL; no-op if stopped.
stop_pid() {
  local name=$1 pidfile=$2 pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    say "$name: not running"
    return 0
  fi
  pid=$(cat "$pidfile")
  kill -- "-$pid" 2>/dev/null || kill "$pid"
  for _ in $(seq 20); do
    alive "$pid" || break
    sleep 1
  done
  if alive "$pid"; then kill -9 "$pid"; fi
  rm -f "$pidfile"
  say "$name: stopped (pid $pid)"
}
