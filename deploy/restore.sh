#!/usr/bin/env bash
# Restores an archive of deploy/backup.sh onto an empty $MAEMOH_VAR: starts
# PostgreSQL, Redis and Solr, restores both databases and the stored files,
# writes the configuration with this machine's addresses and ports (with
# SECRETS, the .secrets.ini written beside
# the archive; without it, new secrets: everyone signs in again, API tokens
# are issued again and harvest sources' keys must be set again), rebuilds the
# search index from the database and checks the site against the archive's
# manifest (exit 1 when it differs).
# Usage: deploy/restore.sh ARCHIVE.tar.gz [SECRETS.ini]
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

ARCHIVE=${1:?usage: $0 ARCHIVE.tar.gz [SECRETS.ini]}
SECRETS=${2:-}
CKAN=${CKAN:-$REPO/.venv/bin/ckan}
INI=$MAEMOH_VAR/ckan.ini
PG_PORT=${PG_PORT:-5432}
SERVICES=$REPO/deploy/services
export CKAN_PYTHON=${CKAN_PYTHON:-$REPO/.venv/bin/python}

[ -f "$ARCHIVE" ] || die "no archive $ARCHIVE"
[ -z "$SECRETS" ] || [ -f "$SECRETS" ] || die "no secrets file $SECRETS"
if [ -e "$MAEMOH_VAR/postgresql/PG_VERSION" ] || [ -e "$INI" ]; then
  die "$MAEMOH_VAR already holds a site: restore onto an empty one (make stop; move $MAEMOH_VAR away)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$ARCHIVE"
src=$(echo "$work"/maemoh-backup-*)
[ -f "$src/manifest.json" ] || die "$ARCHIVE is not an archive of deploy/backup.sh"

"$SERVICES/postgres.sh" start
"$SERVICES/redis.sh" start
"$SERVICES/solr.sh" start
"$REPO/deploy/setup-databases.sh"
for db in ckan_default datastore_default; do
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR/postgresql" \
    -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE $db"
  pg_restore -h "$RUN_DIR/postgresql" -p "$PG_PORT" -U postgres --create --exit-on-error \
    -d postgres "$src/$db.dump"
  say "restored database $db"
done
"$REPO/deploy/setup-databases.sh"  # the grants of a database made anew

"$CKAN" generate config "$INI" >/dev/null  # new secrets, replaced below when SECRETS is given
chmod 600 "$INI"
"$CKAN" config-tool "$INI" -f "$src/ckan.ini"
if [ -n "$SECRETS" ]; then
  "$CKAN" config-tool "$INI" -f "$SECRETS"
else
  say "no secrets file: new ones were made; users sign in again; set the harvest sources' keys again"
fi
"$REPO/deploy/configure-ckan.sh" --addresses  # this machine's services and ports
storage=$(sed -n 's/^ckan.storage_path *= *//p' "$INI" | sed "s|%(here)s|$MAEMOH_VAR|")
mkdir -p "$storage"
tar -C "$storage" -xf "$src/storage.tar"

"$REPO/deploy/init-ckan.sh" "$INI" --no-sysadmin
if [ -z "$SECRETS" ]; then
  token=$("$CKAN" -c "$INI" maemoh xloader-token | tail -n 1)
  "$CKAN" config-tool "$INI" "ckanext.xloader.api_token=$token"
fi
"$CKAN" -c "$INI" search-index rebuild
"$CKAN" -c "$INI" maemoh manifest --compare "$src/manifest.json"
