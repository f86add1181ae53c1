#!/usr/bin/env bash
# SolrCloud for CKAN on this machine: a ZooKeeper, Solr nodes in cloud mode
# and nginx in front of them, each a plain background process on 127.0.0.1
# (the same jars and Launcher.java as solr.sh's single node). The collection
# (SHARDS x REPLICAS, replicas spread over the nodes) uses our configset,
# written like the single node's conf and uploaded to ZooKeeper. CKAN's
# solr_url: http://127.0.0.1:$SOLRCLOUD_PORT/solr/$SOLRCLOUD_COLLECTION.
# See deploy/solr/CLOUD.md.
#
#   deploy/services/solrcloud.sh start     start what is not running, create the
#                                          collection if missing, wait until every
#                                          replica is active (running: a no-op)
#   deploy/services/solrcloud.sh stop      stop nginx, the nodes, ZooKeeper
#   deploy/services/solrcloud.sh status    each process, then each shard's replicas
#   deploy/services/solrcloud.sh stop-node N   stop Solr node N (1, 2, ...)
#   deploy/services/solrcloud.sh start-node N  start it again; returns once its
#                                          replicas have recovered (all active)
#   deploy/services/solrcloud.sh reload    upload the configset again (e.g. an
#                                          edited synonyms.txt) and reload the collection
#
# Environment:
#   MAEMOH_VAR             state folder; default <repo>/var
#   SOLRCLOUD_PORT         nginx, CKAN's address of the collection; default 8990
#   SOLRCLOUD_NODE_PORTS   the nodes' ports, one node each; default "8984 8985"
#   SOLRCLOUD_ZK_PORT      ZooKeeper's client port; default 9983
#   SOLRCLOUD_COLLECTION   default ckan
#   SOLRCLOUD_SHARDS, SOLRCLOUD_REPLICAS   of a new collection; default 2 and 2
#   SOLRCLOUD_READY_TIMEOUT  seconds to wait for nodes and replicas; default 120
#   CKAN_PYTHON (needed by start and reload), SOLR_JAVA_OPTS, SOLR_SYNONYMS: as solr.sh
#   NGINX                  default /usr/sbin/nginx
#
# State ($MAEMOH_VAR/solrcloud/): classpath.txt; zk/ (zoo.cfg, data/);
# nodeN/home/ (solr.xml and the replicas' cores); configset/ (the files last
# uploaded); nginx/ (nginx.conf, temp/). Logs $MAEMOH_VAR/log/solrcloud-*.log,
# pids $MAEMOH_VAR/run/solrcloud-*.pid.
#
# Exit status: 0 ok; 1 error; 2 usage; 3 (status only) not all running and active.
set -euo pipefail

source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/solr-lib.sh"

LB_PORT=${SOLRCLOUD_PORT:-8990}
read -r -a NODE_PORTS <<<"${SOLRCLOUD_NODE_PORTS:-8984 8985}"
ZK_PORT=${SOLRCLOUD_ZK_PORT:-9983}
COLLECTION=${SOLRCLOUD_COLLECTION:-ckan}
SHARDS=${SOLRCLOUD_SHARDS:-2}
REPLICAS=${SOLRCLOUD_REPLICAS:-2}
READY_TIMEOUT=${SOLRCLOUD_READY_TIMEOUT:-120}
NGINX=${NGINX:-/usr/sbin/nginx}

STATE=$MAEMOH_VAR/solrcloud
CLASSPATH_FILE=$STATE/classpath.txt
ZK_DIR=$STATE/zk
ZK_HOST=127.0.0.1:$ZK_PORT/solr   # the chroot keeps Solr's znodes apart
CONFIGSET=$STATE/configset
NGINX_DIR=$STATE/nginx
ZK_LOG=$LOG_DIR/solrcloud-zk.log
ZK_PID=$RUN_DIR/solrcloud-zk.pid
NGINX_PID=$RUN_DIR/solrcloud-nginx.pid   # written by nginx
LB_URL=http://127.0.0.1:$LB_PORT/solr

((${#NODE_PORTS[@]} >= 1)) || die "solrcloud: SOLRCLOUD_NODE_PORTS names no port"
[[ $COLLECTION =~ ^[A-Za-z0-9_-]+$ ]] || die "solrcloud: SOLRCLOUD_COLLECTION=$COLLECTION is not a collection name"

node_home() { echo "$STATE/node$1/home"; }
node_log() { echo "$LOG_DIR/solrcloud-node$1.log"; }
node_pidfile() { echo "$RUN_DIR/solrcloud-node$1.pid"; }
node_port() { echo "${NODE_PORTS[$1 - 1]}"; }
node_url() { echo "http://127.0.0.1:$(node_port "$1")/solr"; }
node_numbers() { seq "${#NODE_PORTS[@]}"; }
node_pid() { launcher_pid "$(node_pidfile "$1")" "$(node_home "$1")"; }

check_node_number() {
    [[ ${1:-} =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= ${#NODE_PORTS[@]})) ||
        die "solrcloud: no node '${1:-}': the nodes are 1 to ${#NODE_PORTS[@]} (SOLRCLOUD_NODE_PORTS=${NODE_PORTS[*]})"
}

# --- ZooKeeper --------------------------------------------------------------

zk_pid() {
    pid_running "$ZK_PID" "ZooKeeperServerMain $ZK_DIR/zoo.cfg"
}

zk_ok() {  # ZooKeeper's "are you ok" command
    local answer
    answer=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT && echo ruok >&3 && cat <&3" 2>/dev/null) || true
    [[ $answer == imok ]]
}

# A standalone ZooKeeper (an ensemble of one; production: three, see CLOUD.md)
# from the zookeeper jar on Solr's classpath.
start_zk() {
    local pid
    if pid=$(zk_pid); then
        [[ $(sed -n 's/^clientPort=//p' "$ZK_DIR/zoo.cfg") == "$ZK_PORT" ]] ||
            die "solrcloud: ZooKeeper (pid $pid) runs with another port than SOLRCLOUD_ZK_PORT=$ZK_PORT; run '$0 stop' first"
        wait_for "ZooKeeper" zk_ok "$pid" "$ZK_LOG"
        return 0
    fi
    port_taken "$ZK_PORT" && die "solrcloud: port $ZK_PORT (ZooKeeper) is in use by another process; set SOLRCLOUD_ZK_PORT"
    mkdir -p "$ZK_DIR/data"
    cat >"$ZK_DIR/zoo.cfg" <<EOF
# written by deploy/services/solrcloud.sh
tickTime=2000
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
autopurge.snapRetainCount=3
autopurge.purgeInterval=24
EOF
    echo "===== $(date -u '+%Y-%m-%dT%H:%M:%SZ') solrcloud.sh start (ZooKeeper port $ZK_PORT) =====" >>"$ZK_LOG"
    setsid nohup java -Xms64m -Xmx256m -Djava.net.preferIPv4Stack=true \
        -Dlog4j2.configurationFile="$SRC/log4j2.xml" \
        -cp "$(<"$CLASSPATH_FILE")" org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_DIR/zoo.cfg" \
        </dev/null >>"$ZK_LOG" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$ZK_PID"
    wait_for "ZooKeeper" zk_ok "$pid" "$ZK_LOG"
    say "solrcloud: ZooKeeper running (pid $pid) on 127.0.0.1:$ZK_PORT"
}

# --- Solr nodes -------------------------------------------------------------

node_ok() {  # the node is up and connected to ZooKeeper
    [[ $(http_code "$(node_url "$1")/admin/info/health?wt=json") == 200 ]]
}

# launch_node N: start node N unless it runs; prints nothing, records the pid.
launch_node() {
    local n=$1 pid port home
    port=$(node_port "$n")
    home=$(node_home "$n")
    if pid=$(node_pid "$n"); then
        [[ $(launcher_port "$pid") == "$port" ]] ||
            die "solrcloud: node $n (pid $pid) runs on port $(launcher_port "$pid"), not $port; run '$0 stop-node $n' first"
        return 0
    fi
    port_taken "$port" && die "solrcloud: port $port (node $n) is in use by another process; set SOLRCLOUD_NODE_PORTS"
    mkdir -p "$home"
    cp -f "$SRC/solr-cloud.xml" "$home/solr.xml"
    echo "===== $(date -u '+%Y-%m-%dT%H:%M:%SZ') solrcloud.sh start node $n (port $port, zkHost $ZK_HOST) =====" >>"$(node_log "$n")"
    launch_solr "$home" "$port" "$(node_log "$n")" "$CLASSPATH_FILE" \
        -DzkHost="$ZK_HOST" -DcreateZkChroot=true -DhostPort="$port" >"$(node_pidfile "$n")"
}

wait_node() {
    local n=$1 pid
    pid=$(<"$(node_pidfile "$n")")
    wait_for "Solr node $n" "node_ok $n" "$pid" "$(node_log "$n")"
    say "solrcloud: node $n running (pid $pid) on $(node_url "$n")"
}

stop_node() {
    local n=$1 pid
    if pid=$(node_pid "$n"); then
        stop_java "solrcloud node $n" "$pid"
    else
        say "solrcloud node $n: not running"
    fi
    rm -f "$(node_pidfile "$n")"
}

# wait_for WHAT CHECK PID LOG: poll CHECK (a command line) until it succeeds;
# fail, with the end of LOG, when PID exits or after READY_TIMEOUT.
wait_for() {
    local what=$1 check=$2 pid=$3 log=$4 deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        $check && return 0
        alive "$pid" || { tail -n 30 "$log" >&2; die "solrcloud: $what (pid $pid) exited; see $log"; }
        sleep 0.2
    done
    tail -n 30 "$log" >&2
    die "solrcloud: $what (pid $pid) not ready after ${READY_TIMEOUT}s; see $log"
}

# --- the collection ---------------------------------------------------------

# any_node_url: the URL of a node that answers.
any_node_url() {
    local n
    for n in $(node_numbers); do
        node_ok "$n" && { node_url "$n"; return 0; }
    done
    die "solrcloud: no Solr node answers"
}

admin() {  # PATH?QUERY: GET a node's admin API; the JSON answer, or fail with it
    local answer
    answer=$(curl -sS --max-time 180 "$(any_node_url)$1") || die "solrcloud: $1: no answer"
    [[ ${answer//[[:space:]]/} == *'"status":0'* ]] || die "solrcloud: $1 failed: $answer"
    printf '%s\n' "$answer"
}

collection_exists() {
    local list
    list=$(admin "/admin/collections?action=LIST&wt=json") || exit 1
    [[ $list == *"\"$COLLECTION\""* ]]
}

# The configset: the single node's conf files (--cloud: _version_ a long),
# zipped and uploaded to ZooKeeper through the configsets API.
upload_configset() {
    local schema
    schema=$(ckan_schema)
    rm -rf "$CONFIGSET"
    write_conf_dir "$CONFIGSET/conf" "$schema" --cloud
    (cd "$CONFIGSET/conf" && "$CKAN_PYTHON" -m zipfile -c ../configset.zip ./*)
    curl -sS --fail-with-body --max-time 60 -X POST -H 'Content-Type: application/octet-stream' \
        --data-binary "@$CONFIGSET/configset.zip" \
        "$(any_node_url)/admin/configs?action=UPLOAD&name=$COLLECTION&overwrite=true&cleanup=true&wt=json" >/dev/null ||
        die "solrcloud: the configset upload was refused (see the node logs in $LOG_DIR)"
    say "solrcloud: configset $COLLECTION uploaded to ZooKeeper"
}

create_collection() {
    admin "/admin/collections?action=CREATE&name=$COLLECTION&collection.configName=$COLLECTION&numShards=$SHARDS&replicationFactor=$REPLICAS&waitForFinalState=true&wt=json" >/dev/null
    say "solrcloud: collection $COLLECTION created ($SHARDS shards x $REPLICAS replicas)"
}

cluster_state() {  # prints each shard's replicas; true when all are active
    curl -sS --max-time 10 "$(any_node_url)/admin/collections?action=CLUSTERSTATUS&collection=$COLLECTION&wt=json" |
        "$CKAN_PYTHON" "$SRC/cloud_state.py" "$COLLECTION" "$SHARDS" "$REPLICAS"
}

wait_active() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        cluster_state >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    cluster_state >&2 || true
    die "solrcloud: not every replica of $COLLECTION is active after ${READY_TIMEOUT}s; see $LOG_DIR/solrcloud-node*.log"
}

# --- nginx ------------------------------------------------------------------

nginx_pid() {
    pid_running "$NGINX_PID" "$NGINX_DIR"
}

# nginx_conf: deploy/solr/nginx-solrcloud.conf with this cluster's ports.
nginx_conf() {
    local servers="" port conf
    for port in "${NODE_PORTS[@]}"; do
        servers+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
    done
    conf=$(<"$SRC/nginx-solrcloud.conf")
    conf=${conf//@SERVERS@/${servers%$'\n'}}
    conf=${conf//@PORT@/$LB_PORT}
    conf=${conf//@RUN_DIR@/$RUN_DIR}
    conf=${conf//@LOG_DIR@/$LOG_DIR}
    printf '%s\n' "$conf"
}

# Start nginx; if it runs, give it the configuration of the current ports
# (e.g. a node added to SOLRCLOUD_NODE_PORTS) when that changed.
start_nginx() {
    local pid conf
    conf=$(nginx_conf)
    if pid=$(nginx_pid); then
        [[ $conf == "$(<"$NGINX_DIR/nginx.conf")" ]] && return 0
        printf '%s\n' "$conf" >"$NGINX_DIR/nginx.conf"
        "$NGINX" -t -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/solrcloud-nginx-error.log" ||
            die "solrcloud: nginx refuses its new configuration; see $LOG_DIR/solrcloud-nginx-error.log"
        kill -HUP "$pid"
        say "solrcloud: nginx (pid $pid) reloaded with the nodes ${NODE_PORTS[*]} on port $LB_PORT"
        return 0
    fi
    [[ -x $NGINX ]] || die "solrcloud: nginx not found at $NGINX (deploy/install-system-packages.sh installs it)"
    port_taken "$LB_PORT" && die "solrcloud: port $LB_PORT (nginx) is in use by another process; set SOLRCLOUD_PORT"
    mkdir -p "$NGINX_DIR/temp"
    printf '%s\n' "$conf" >"$NGINX_DIR/nginx.conf"
    "$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/solrcloud-nginx-error.log" 9>&- ||
        die "solrcloud: nginx did not start; see $LOG_DIR/solrcloud-nginx-error.log"
    wait_until 10 "nginx" curl -sf -o /dev/null --max-time 5 "$LB_URL/$COLLECTION/select?q=*:*&rows=0" ||
        die "solrcloud: nginx does not answer on $LB_URL; see $LOG_DIR/solrcloud-nginx-error.log"
    say "solrcloud: nginx (pid $(nginx_pid)) serves $LB_URL/$COLLECTION"
}

# --- commands ---------------------------------------------------------------

do_start() {
    local n
    check_java
    check_ckan_python
    mkdir -p "$STATE"
    ensure_classpath "$CLASSPATH_FILE" "$ZK_LOG"
    start_zk
    for n in $(node_numbers); do launch_node "$n"; done
    for n in $(node_numbers); do wait_node "$n"; done
    if ! collection_exists; then
        upload_configset
        create_collection
    fi
    wait_active
    start_nginx
    cluster_state >&2
    say "solrcloud: running; CKAN's solr_url = $LB_URL/$COLLECTION"
}

do_stop() {
    local n pid
    if pid=$(nginx_pid); then
        stop_pid "solrcloud nginx" "$NGINX_PID"
    else
        rm -f "$NGINX_PID"
    fi
    for n in $(node_numbers); do stop_node "$n"; done
    if pid=$(zk_pid); then
        stop_java "solrcloud ZooKeeper" "$pid"
    fi
    rm -f "$ZK_PID"
    say "solrcloud: stopped"
}

do_start_node() {
    check_node_number "$1"
    check_java
    check_ckan_python
    zk_pid >/dev/null || die "solrcloud: ZooKeeper is not running; start the cluster with '$0 start'"
    launch_node "$1"
    wait_node "$1"
    wait_active
    cluster_state >&2
}

do_stop_node() {
    check_node_number "$1"
    stop_node "$1"
}

do_reload() {
    check_ckan_python
    collection_exists || die "solrcloud: no collection $COLLECTION (start the cluster with '$0 start')"
    upload_configset
    admin "/admin/collections?action=RELOAD&name=$COLLECTION&wt=json" >/dev/null
    say "solrcloud: collection $COLLECTION reloaded"
}

do_status() {
    local n pid down=0 up=0
    if pid=$(zk_pid) && zk_ok; then echo "ZooKeeper: running (pid $pid) on 127.0.0.1:$ZK_PORT"; else echo "ZooKeeper: not running"; down=1; fi
    for n in $(node_numbers); do
        if pid=$(node_pid "$n") && node_ok "$n"; then
            echo "node $n: running (pid $pid) on $(node_url "$n")"; up=1
        else
            echo "node $n: not running (port $(node_port "$n"))"; down=1
        fi
    done
    if pid=$(nginx_pid); then echo "nginx: running (pid $pid) on $LB_URL"; else echo "nginx: not running"; down=1; fi
    if ((up)); then
        check_ckan_python
        cluster_state || down=1
    fi
    ((down == 0)) || return 3
}

# One start/stop at a time per state folder.
lock() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/solrcloud.lock"
    flock -w 300 9 || die "solrcloud: another solrcloud.sh command is still running"
}

case ${1:-} in
    start) lock; do_start ;;
    stop) lock; do_stop ;;
    start-node) lock; do_start_node "${2:-}" ;;
    stop-node) lock; do_stop_node "${2:-}" ;;
    reload) lock; do_reload ;;
    status) do_status ;;
    *) echo "usage: $0 start|stop|status|reload|start-node N|stop-node N" >&2; exit 2 ;;
esac
