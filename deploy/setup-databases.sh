#!/usr/bin/env bash
# Roles and databases of CKAN and its DataStore, for the portal and the tests,
# as CKAN's DataStore documentation lays them out: ckan_default owns and
# writes everything; datastore_default may only read the DataStore. Run after
# postgres.sh start; running it twice changes nothing.
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

PG_PORT=${PG_PORT:-5432}
psql_admin() {
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR/postgresql" -p "$PG_PORT" \
    -U postgres "$@"
}

ensure_role() {
  psql_admin -d postgres -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1') THEN
      CREATE ROLE $1 LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF; END \$\$;"
}

ensure_database() {
  if [ -z "$(psql_admin -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE $1 OWNER ckan_default \
ENCODING 'UTF8' TEMPLATE template0"
    say "created database $1"
  fi
  # PostGIS in a schema of its own: CKAN's test fixtures drop every table
  # of "public", and spatial_ref_sys belongs to the extension.
  psql_admin -d "$1" -c "CREATE SCHEMA IF NOT EXISTS postgis" \
    -c "CREATE EXTENSION IF NOT EXISTS postgis SCHEMA postgis" \
    -c "GRANT USAGE ON SCHEMA postgis TO PUBLIC" \
    -c "ALTER DATABASE $1 SET search_path = \"\$user\", public, postgis"
}

ensure_role ckan_default
ensure_role datastore_default
for db in ckan_default datastore_default ckan_test datastore_test; do
  ensure_database "$db"
done
# Only CKAN opens its catalogue: the DataStore's read-only user, which runs
# the public's SQL, must not reach it (PUBLIC may connect by default).
for db in ckan_default ckan_test; do
  psql_admin -d postgres -c "REVOKE CONNECT ON DATABASE $db FROM PUBLIC"
done
