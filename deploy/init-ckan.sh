#!/usr/bin/env bash
# Brings the databases of a CKAN config up to date: core and plugin
# migrations, DataStore permissions and, unless --no-sysadmin, xloader's API
# token and a sysadmin.
# Usage: deploy/init-ckan.sh CONFIG.ini [--no-sysadmin]
# The sysadmin is MAEMOH_ADMIN_NAME (default "admin") with the password in
# MAEMOH_ADMIN_PASSWORD or, when unset, a random one printed once.
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

INI=${1:?usage: $0 CONFIG.ini [--no-sysadmin]}
CKAN=${CKAN:-$REPO/.venv/bin/ckan}
PG_PORT=${PG_PORT:-5432}

"$CKAN" -c "$INI" db upgrade
"$CKAN" -c "$INI" datastore set-permissions \
  | PGOPTIONS='-c client_min_messages=warning' psql -X -q \
    -v ON_ERROR_STOP=1 -h "$RUN_DIR/postgresql" -p "$PG_PORT" -U postgres \
    -d postgres >/dev/null

[ "${2:-}" = --no-sysadmin ] && exit 0
# ckanext-xloader's jobs act with an API token of the site user, kept in the
# configuration: the one there while it is valid, else a new one.
token=$("$CKAN" -c "$INI" maemoh xloader-token | tail -n 1)
"$CKAN" config-tool "$INI" "ckanext.xloader.api_token=$token"
name=${MAEMOH_ADMIN_NAME:-admin}
if "$CKAN" -c "$INI" user show "$name" | grep -q '^User: None$'; then
  password=${MAEMOH_ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | base64 \
    | tr '/+' '_-')}
  "$CKAN" -c "$INI" user add "$name" "email=$name@localhost" \
    "password=$password" >/dev/null
  "$CKAN" -c "$INI" sysadmin add "$name" >/dev/null
  say "========================================================"
  say " sysadmin created: $name / $password"
  say " (shown once; change it with: $CKAN -c $INI user setpass $name)"
  say "========================================================"
fi
