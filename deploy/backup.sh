#!/usr/bin/env bash
# Writes a dated archive of the local site: the catalogue and DataStore
# databases (pg_dump, custom format), the uploaded and published files
# (ckan.storage_path), the configuration WITHOUT its secrets, and a
# manifest (`ckan maemoh manifest`) to check a restore against.
# The secrets (SECRET_KEY, token secrets, API tokens, source keys, LINE's
# channel token and secret, the SMTP password) go to a
# file of their own beside the archive, readable by its owner only: keep it
# apart from the archives (a password manager, a vault). Redis (queues,
# schedules) and the Solr index are not kept: restore.sh rebuilds the index
# from the database and the scheduler queues harvests again.
# Usage: deploy/backup.sh [DIRECTORY]   (default $MAEMOH_VAR/backups)
set -euo pipefail
umask 077  # the archive holds the site's data: users, private datasets, warning subscribers
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
INI=$MAEMOH_VAR/ckan.ini
PG_PORT=${PG_PORT:-5432}
OUT=${1:-$MAEMOH_VAR/backups}
# Options whose values are secrets: they never enter an archive
SECRET_KEYS='^(SECRET_KEY|WTF_CSRF_SECRET_KEY|beaker\.session\.secret|api_token\.jwt\.(en|de)code\.secret|ckanext\.xloader\.api_token|ckanext\.maemoh\.secret\.[^ =]+|ckanext\.maemoh\.alerts\.line\.channel_(token|secret)|smtp\.password) *='

[ -f "$INI" ] || die "no $INI: nothing to back up"
"$REPO/deploy/services/postgres.sh" status >/dev/null 2>&1 || die "PostgreSQL is not running: make services"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=maemoh-backup-$stamp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name" "$OUT"

for db in ckan_default datastore_default; do
  pg_dump -h "$RUN_DIR/postgresql" -p "$PG_PORT" -U postgres -Fc -d "$db" -f "$work/$name/$db.dump"
done
storage=$(sed -n 's/^ckan.storage_path *= *//p' "$INI" | sed "s|%(here)s|$MAEMOH_VAR|")
tar -C "$storage" --exclude=./webassets -cf "$work/$name/storage.tar" .
grep -Ev "$SECRET_KEYS" "$INI" >"$work/$name/ckan.ini"
"$CKAN" -c "$INI" maemoh manifest >"$work/$name/manifest.json"
echo "$stamp" >"$work/$name/CREATED_UTC"

tar -C "$work" -czf "$OUT/$name.tar.gz" "$name"
(umask 077; { echo "[app:main]"; grep -E "$SECRET_KEYS" "$INI"; } >"$OUT/$name.secrets.ini")
say "backup: $OUT/$name.tar.gz ($(du -h "$OUT/$name.tar.gz" | cut -f1))"
say "secrets: $OUT/$name.secrets.ini (mode 600): keep it apart from the archive"
echo "$OUT/$name.tar.gz"
