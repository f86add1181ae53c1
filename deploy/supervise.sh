#!/usr/bin/env bash
# Keeps a long-running process running: starts COMMAND again whenever it
# exits (a crash, `kill -9`, a lost connection to Redis or PostgreSQL),
# after 1 s, then 2, 4 ... up to 60 s while it keeps exiting within a
# minute of its start. TERM or INT stops COMMAND and the supervisor.
# The local stack's counterpart of systemd's Restart=always (deploy/systemd).
# Usage: deploy/supervise.sh NAME COMMAND...
set -uo pipefail
name=${1:?usage: $0 NAME COMMAND...}
shift
child=
stop() {
  trap - TERM INT
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
  exit 0
}
trap stop TERM INT
delay=1
while true; do
  started=$SECONDS
  "$@" &
  child=$!
  wait "$child"
  status=$?
  child=
  if ((SECONDS - started >= 60)); then delay=1; fi
  printf '%s supervise: %s exited with status %s; starting it again in %ss\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$status" "$delay" >&2
  sleep "$delay" &
  child=$!
  wait "$child"
  child=
  delay=$((delay * 2 > 60 ? 60 : delay * 2))
done
