#!/usr/bin/env bash
# Apache Solr 9 for CKAN, run as a plain background java process (no Docker,
# no system package): embedded Jetty (JettySolrRunner) on 127.0.0.1 only.
#
#   deploy/services/solr.sh start|stop|status
#   deploy/services/solr.sh reload [CORE...]   copy deploy/solr's configuration
#       (synonyms.txt included) into the running cores and reload them: an
#       edit of the synonyms takes effect without a restart or a reindex
#
# Environment:
#   MAEMOH_VAR   absolute path of the (git-ignored) state folder; default <repo>/var
#   SOLR_PORT    port to listen on; default 8983
#   CKAN_PYTHON  python of the virtualenv where ckan is installed (needed by
#                start: CKAN's schema.xml is taken from the installed package)
#   SOLR_JAVA_OPTS  extra JVM options (optional)
#   SOLR_READY_TIMEOUT  seconds start waits for the cores; default 120
#   SOLR_SYNONYMS  the synonyms file to install; default deploy/solr/synonyms.txt
#
# State:
#   $MAEMOH_VAR/solr/classpath.txt   jars resolved by Maven from deploy/solr/pom.xml
#   $MAEMOH_VAR/solr/home/           solr home: solr.xml, ckan/, ckan_test/ (conf + data)
#   $MAEMOH_VAR/log/solr.log         java stdout+stderr (appended)
#   $MAEMOH_VAR/run/solr.pid         pid of the java process
#
# Exit status: 0 ok; 1 error; 3 (status only) not running.
set -euo pipefail

source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/solr-lib.sh"

SOLR_PORT=${SOLR_PORT:-8983}
CORES=(ckan ckan_test)

STATE=$MAEMOH_VAR/solr
SOLR_HOME=$STATE/home
CLASSPATH_FILE=$STATE/classpath.txt
LOG=$LOG_DIR/solr.log
PIDFILE=$RUN_DIR/solr.pid
BASE_URL=http://127.0.0.1:$SOLR_PORT/solr
READY_TIMEOUT=${SOLR_READY_TIMEOUT:-120}   # seconds to wait for both cores

# --- process helpers --------------------------------------------------------

# Pid of this state folder's Solr, if it runs.
our_pid() { launcher_pid "$PIDFILE" "$SOLR_HOME"; }

core_ok() {
    [[ $(http_code "$BASE_URL/$1/select?q=*:*&rows=0&wt=json") == 200 ]]
}

all_cores_ok() {
    local c
    for c in "${CORES[@]}"; do core_ok "$c" || return 1; done
}

# wait_ready PID STOP_ON_FAILURE: wait until every core answers; otherwise
# report, stop the process if STOP_ON_FAILURE=yes (one we just launched), exit 1.
wait_ready() {
    local pid=$1 stop_on_failure=$2 deadline=$((SECONDS + READY_TIMEOUT)) cores_status
    while ((SECONDS < deadline)); do
        if ! alive "$pid"; then
            rm -f "$PIDFILE"
            startup_failed "the java process (pid $pid) exited" no
        fi
        all_cores_ok && return 0
        # a core that failed to load will not recover: give up at once
        cores_status=$(curl -s --max-time 5 "$BASE_URL/admin/cores?action=STATUS&indexInfo=false&wt=json" 2>/dev/null || true)
        if [[ ${cores_status//[[:space:]]/} == *'"initFailures":{"'* ]]; then
            startup_failed "a core failed to load" "$stop_on_failure"
        fi
        sleep 0.5
    done
    startup_failed "cores not answering after ${READY_TIMEOUT}s" "$stop_on_failure"
}

startup_failed() {
    echo "solr: ERROR: $1; last 40 lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2 || true
    echo "solr: core status ($BASE_URL/admin/cores?action=STATUS):" >&2
    curl -s --max-time 5 "$BASE_URL/admin/cores?action=STATUS&indexInfo=false&wt=json" >&2 ||
        echo "(no answer)" >&2
    echo >&2
    if [[ $2 == yes ]]; then do_stop >&2; fi  # don't leave a half-started Solr behind
    exit 1
}

# --- setup ------------------------------------------------------------------

# (Re)write solr.xml and each core's conf/ from deploy/solr and the installed
# CKAN; index data (<core>/data) is left alone.
write_conf() {
    local schema core
    schema=$(ckan_schema)
    mkdir -p "$SOLR_HOME"
    cp -f "$SRC/solr.xml" "$SOLR_HOME/solr.xml"
    for core in "${CORES[@]}"; do
        write_conf_dir "$SOLR_HOME/$core/conf" "$schema"
        printf 'name=%s\n' "$core" >"$SOLR_HOME/$core/core.properties"
    done
}

# --- commands ---------------------------------------------------------------

do_start() {
    local pid running_port
    mkdir -p "$STATE" "$LOG_DIR" "$RUN_DIR"
    if pid=$(our_pid); then
        running_port=$(launcher_port "$pid")
        [[ $running_port == "$SOLR_PORT" ]] ||
            die "solr: the Solr of $MAEMOH_VAR is already running on port $running_port (pid $pid), not on SOLR_PORT=$SOLR_PORT; run '$0 stop' first to change the port"
        wait_ready "$pid" no  # quick if up; waits if another start is in progress
        say "solr: already running (pid $pid) on $BASE_URL"
        return 0
    fi
    rm -f "$PIDFILE"  # stale
    if port_taken "$SOLR_PORT"; then
        die "solr: port $SOLR_PORT on 127.0.0.1 is already in use by another process (not this Solr).
Stop that process or choose another port, e.g.: SOLR_PORT=$((SOLR_PORT + 1)) $0 start
(and point CKAN's solr_url at that port)."
    fi
    check_java
    check_ckan_python

    ensure_classpath "$CLASSPATH_FILE" "$LOG"
    write_conf

    say "solr: starting Solr on $BASE_URL (log: $LOG)"
    echo "===== $(date -u '+%Y-%m-%dT%H:%M:%SZ') solr.sh start (port $SOLR_PORT) =====" >>"$LOG"
    pid=$(launch_solr "$SOLR_HOME" "$SOLR_PORT" "$LOG" "$CLASSPATH_FILE")
    echo "$pid" >"$PIDFILE"

    wait_ready "$pid" yes
    say "solr: running (pid $pid) on $BASE_URL, cores: ${CORES[*]}"
}

do_stop() {
    local pid
    if ! pid=$(our_pid); then
        rm -f "$PIDFILE"
        say "solr: not running"
        return 0
    fi
    stop_java solr "$pid"
    rm -f "$PIDFILE"
}

do_reload() {
    local schema core cores=("$@")
    ((${#cores[@]})) || cores=("${CORES[@]}")
    our_pid >/dev/null || die "solr: not running (start it with '$0 start')"
    check_ckan_python
    schema=$(ckan_schema)
    for core in "${cores[@]}"; do
        [[ -f $SOLR_HOME/$core/core.properties ]] || die "solr: no core '$core' in $SOLR_HOME"
        write_conf_dir "$SOLR_HOME/$core/conf" "$schema"
        curl -sf --max-time 120 -o /dev/null "$BASE_URL/admin/cores?action=RELOAD&core=$core&wt=json" ||
            die "solr: core '$core' did not reload; its configuration is in $SOLR_HOME/$core/conf (see $LOG)"
        say "solr: reloaded core $core"
    done
}

do_status() {
    local pid running_port
    if ! pid=$(our_pid); then
        echo "solr: not running"
        return 3
    fi
    running_port=$(launcher_port "$pid")
    if [[ $running_port != "$SOLR_PORT" ]]; then
        echo "solr: running (pid $pid) on port $running_port, not on SOLR_PORT=$SOLR_PORT"
        return 3
    fi
    if ! core_ok ckan; then
        echo "solr: process $pid is alive but $BASE_URL/ckan is not answering"
        return 3
    fi
    echo "solr running (pid $pid) on $BASE_URL"
}

# One start/stop at a time per state folder.
lock() {
    mkdir -p "$RUN_DIR"
    if command -v flock >/dev/null; then
        exec 9>"$RUN_DIR/solr.lock"
        flock -w 180 9 || die "solr: another solr.sh start/stop is still running"
    fi
}

case ${1:-} in
    start) lock; do_start ;;
    stop) lock; do_stop ;;
    reload) lock; shift; do_reload "$@" ;;
    status) do_status ;;
    *) echo "usage: $0 start|stop|status|reload [CORE...]" >&2; exit 2 ;;
esac
