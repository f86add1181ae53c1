# Helpers shared by solr.sh (one node) and solrcloud.sh (a cluster); sourced
# after common.sh, not run. Every Solr of these scripts is the same java
# process: deploy/solr/Launcher.java on the jars deploy/solr/pom.xml resolves,
# with a conf/ written from deploy/solr and the installed CKAN's schema.
#
# Environment: CKAN_PYTHON (python with ckan installed), SOLR_JAVA_OPTS,
# SOLR_SYNONYMS (default deploy/solr/synonyms.txt).

SRC=$REPO/deploy/solr
SYNONYMS=${SOLR_SYNONYMS:-$SRC/synonyms.txt}

# launcher_pid PIDFILE SOLR_HOME: the pid of the file if that process is
# alive and is the Launcher of that solr home (a stale pid file whose pid was
# reused is not ours).
launcher_pid() {
    pid_running "$1" "Launcher.java $2 "
}

# launcher_port PID: the port that Launcher was started with (its last argument).
launcher_port() {
    tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep . | tail -n 1
}

http_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true
}

# ensure_classpath CLASSPATH_FILE LOG: resolve the jars with Maven, only if
# the file is missing, older than pom.xml, or names jars that are gone /
# unreadable (e.g. another user's ~/.m2).
ensure_classpath() {
    local file=$1 log=$2 jar stale=
    if [[ ! -s $file || $SRC/pom.xml -nt $file ]]; then
        stale=1
    else
        local IFS=:
        for jar in $(<"$file"); do
            [[ -r $jar ]] || { stale=1; break; }
        done
    fi
    [[ -n $stale ]] || return 0
    command -v mvn >/dev/null || die "solr: mvn not found (needed once to resolve Solr from Maven Central)"
    say "solr: resolving Solr jars with Maven (first start only) ..."
    mvn -q -B -Dstyle.color=never -f "$SRC/pom.xml" dependency:build-classpath \
        -Dmdep.outputFile="$file.tmp" >>"$log" 2>&1 ||
        { tail -n 40 "$log" >&2; die "solr: Maven could not resolve deploy/solr/pom.xml (see $log)"; }
    mv -f "$file.tmp" "$file"
}

check_java() {
    command -v java >/dev/null || die "solr: java not found on PATH (Java 17 needed)"
    command -v curl >/dev/null || die "solr: curl not found on PATH"
}

check_ckan_python() {
    [[ -n ${CKAN_PYTHON:-} ]] || die "solr: CKAN_PYTHON is not set (path to the python of the virtualenv with ckan installed)"
    [[ -x $CKAN_PYTHON ]] || die "solr: CKAN_PYTHON=$CKAN_PYTHON is not an executable"
}

ckan_schema() {
    local schema
    schema=$("$CKAN_PYTHON" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml"))') ||
        die "solr: cannot import ckan with $CKAN_PYTHON"
    [[ -f $schema ]] || die "solr: CKAN schema not found: $schema"
    echo "$schema"
}

# write_conf_dir DIR SCHEMA [--cloud]: a core's (or a SolrCloud configset's)
# conf/ files in DIR, from deploy/solr and CKAN's schema.
write_conf_dir() {
    mkdir -p "$1"
    "$CKAN_PYTHON" "$SRC/make_schema.py" ${3:-} "$2" "$1/schema.xml" >/dev/null
    cp -f "$SRC/solrconfig.xml" "$SRC/protwords.txt" "$1/"
    cp -f "$SYNONYMS" "$1/synonyms.txt"
}

# launch_solr SOLR_HOME PORT LOG CLASSPATH_FILE [JAVA_OPTION...]: start
# Launcher.java in the background, in a session of its own; prints its pid.
launch_solr() {
    local home=$1 port=$2 log=$3 classpath=$4
    shift 4
    # shellcheck disable=SC2086  # SOLR_JAVA_OPTS is a list of options
    setsid nohup java \
        -Xms256m -Xmx1g -XX:+UseG1GC \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Duser.timezone=UTC \
        -Djava.net.preferIPv4Stack=true \
        -Dlog4j2.configurationFile="$SRC/log4j2.xml" \
        -Dsolr.log.dir="$(dirname "$log")" -Dsolr.install.dir="$(dirname "$home")" -Djetty.port="$port" \
        "$@" ${SOLR_JAVA_OPTS:-} \
        -cp "$(<"$classpath")" \
        "$SRC/Launcher.java" "$home" "$port" \
        </dev/null >>"$log" 2>&1 9>&- &  # 9>&-: java must not inherit the lock
    echo $!
}

# stop_java NAME PID: TERM (Solr's shutdown hook closes the cores), up to
# 20 s, then KILL.
stop_java() {
    local name=$1 pid=$2 deadline
    say "$name: stopping (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 20))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$pid"; then
        say "$name: still alive after 20s, sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    fi
    say "$name: stopped"
}
