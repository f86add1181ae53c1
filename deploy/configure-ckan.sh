#!/usr/bin/env bash
# Writes $MAEMOH_VAR/ckan.ini: generated once by `ckan generate config` (so
# each install has its own random secrets), then brought up to date with
# deploy/ckan-options.ini and the ports on every run (harvests may fetch from
# the demo replay server on 127.0.0.1:$REPLAY_PORT, not from other internal hosts;
# e-mail goes to the demo's SMTP sink on 127.0.0.1:$MAIL_PORT, and the CAP
# warnings of the demo's generated data say status Test).
# With --addresses, only the addresses of the local services, the site and
# the repository's files are set (deploy/restore.sh: a restored configuration on this machine's ports).
# With DATASTORE_STANDBY=NAME, the DataStore is read from the streaming standby
# NAME of deploy/services/postgres-standby.sh on PG_STANDBY_PORT, and from the
# primary while it is down (deploy/postgres-standby.md); without it, from the primary.
# With DASK_SCHEDULER=1, risk runs compute their local statistics on the dask
# scheduler of deploy/background.sh (127.0.0.1:$DASK_PORT); without it, in
# the worker's own process. SOLR_PORT=8990 reads the SolrCloud of
# deploy/services/solrcloud.sh through its nginx (deploy/MULTINODE.md).
set -euo pipefail
source "$(dirname "$0")/services/common.sh"

CKAN=${CKAN:-$REPO/.venv/bin/ckan}
INI=$MAEMOH_VAR/ckan.ini
PG_PORT=${PG_PORT:-5432}
SOLR_PORT=${SOLR_PORT:-8983}
REDIS_PORT=${REDIS_PORT:-6379}
CKAN_PORT=${CKAN_PORT:-5000}
REPLAY_PORT=${REPLAY_PORT:-8765}
MAIL_PORT=${MAIL_PORT:-8025}
DASK_ADDRESS=
[ -n "${DASK_SCHEDULER:-}" ] && DASK_ADDRESS=tcp://127.0.0.1:${DASK_PORT:-8786}
SOCKET="host=%(here)s/run/postgresql&port=$PG_PORT"
READ_FROM=$SOCKET
if [ -n "${DATASTORE_STANDBY:-}" ]; then
  # libpq tries the hosts in turn and keeps the first standby; none: the primary.
  READ_FROM="host=%(here)s/run/postgresql-$DATASTORE_STANDBY:${PG_STANDBY_PORT:-5433}\
&host=%(here)s/run/postgresql:$PG_PORT&target_session_attrs=prefer-standby&connect_timeout=3"
fi

if [ "${1:-}" != --addresses ]; then
  if [ ! -f "$INI" ]; then
    "$CKAN" generate config "$INI" >/dev/null
    chmod 600 "$INI"
    say "created $INI with new secrets"
  fi
  "$CKAN" config-tool "$INI" -f "$REPO/deploy/ckan-options.ini"
  "$CKAN" config-tool "$INI" -f "$REPO/deploy/demo/secrets.ini"
fi
"$CKAN" config-tool "$INI" \
  "ckan.site_url=http://127.0.0.1:$CKAN_PORT" \
  "sqlalchemy.url=postgresql://ckan_default@/ckan_default?$SOCKET" \
  "ckanext.xloader.jobs_db.uri=postgresql://ckan_default@/ckan_default?$SOCKET" \
  "ckan.datastore.write_url=postgresql://ckan_default@/datastore_default?$SOCKET" \
  "ckan.datastore.read_url=postgresql://datastore_default@/datastore_default?$READ_FROM" \
  "solr_url=http://127.0.0.1:$SOLR_PORT/solr/ckan" \
  "ckan.redis.url=redis://127.0.0.1:$REDIS_PORT/0" \
  "ckan.harvest.mq.hostname=127.0.0.1" \
  "ckan.harvest.mq.port=$REDIS_PORT" \
  "ckan.harvest.mq.redis_db=0" \
  "ckan.devserver.host=127.0.0.1" \
  "ckan.devserver.port=$CKAN_PORT" \
  "ckanext.maemoh.harvest.allowed_hosts=127.0.0.1:$REPLAY_PORT" \
  "smtp.server=127.0.0.1:$MAIL_PORT" \
  "smtp.mail_from=Mae Moh warnings <warnings@maemoh.localhost>" \
  "ckanext.maemoh.alerts.cap_status=Test" \
  "licenses_group_url=file://$REPO/schemas/licenses.json" \
  "ckanext.maemoh.risk.dask_scheduler=$DASK_ADDRESS"
# The generated config logs ckanext at DEBUG, which prints every geometry.
"$CKAN" config-tool "$INI" -s logger_ckanext "level=INFO"
