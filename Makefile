# The local Mae Moh platform: `make run` serves it, `make test` tests it.
# Ports: CKAN_PORT (5000), SOLR_PORT (8983), PG_PORT (5432), REDIS_PORT (6379),
# MAIL_PORT (8025, the demo's SMTP sink), REPLAY_PORT (8765, the demo's sources).
# Several nodes (make run-nodes, deploy/MULTINODE.md): WEB_NODES web nodes,
# WORKERS and RISK_WORKERS job workers per queue, DASK_WORKERS dask workers.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
CKAN := $(VENV)/bin/ckan
INI := var/ckan.ini
export MAEMOH_VAR := $(CURDIR)/var
export CKAN_PYTHON := $(CURDIR)/$(VENV)/bin/python
export CKAN := $(CURDIR)/$(CKAN)
SERVICES := deploy/services
WEB_NODES ?= 1
WORKERS ?= 1
RISK_WORKERS ?= 1
DASK_WORKERS ?= 2
export WEB_NODES
BACKGROUND = replay mail worker:$(WORKERS) risk-worker:$(RISK_WORKERS) gather fetch scheduler alerts
DASK = dask-scheduler dask-worker:$(DASK_WORKERS)
# The layout of several nodes on this machine: SolrCloud behind its nginx
# (port 8990), DataStore reads from the streaming standby, local statistics
# on the dask scheduler.
NODES := SOLR_PORT=$${SOLRCLOUD_PORT:-8990} DATASTORE_STANDBY=$${PG_STANDBY_NAME:-standby} DASK_SCHEDULER=1

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: install services init  ## install, start everything, load the demo, serve http://127.0.0.1:5000 (nginx, gunicorn)
	deploy/background.sh start $(INI) $(BACKGROUND)
	deploy/web.sh run $(INI)

dev: install services init  ## the same with CKAN's development server, reloading changed code
	deploy/background.sh start $(INI) $(BACKGROUND)
	deploy/serve.sh $(INI)

# The scale-out layout on one machine, from the files several machines use
# (deploy/MULTINODE.md). The SolrCloud collection starts empty: datasets
# already in PostgreSQL are indexed into it.
run-nodes: WEB_NODES = 2
run-nodes: WORKERS = 2
run-nodes: RISK_WORKERS = 2
run-nodes: install services  ## make run as several nodes: 2 web nodes, 2 workers a queue, SolrCloud, a DataStore standby, dask
	$(SERVICES)/solrcloud.sh start
	$(SERVICES)/postgres-standby.sh start
	$(NODES) $(MAKE) init
	$(CKAN) -c $(INI) search-index rebuild --only-missing
	deploy/background.sh start $(INI) $(DASK)
	deploy/background.sh start $(INI) $(BACKGROUND)
	deploy/web.sh run $(INI)

test: install services test-db  ## the whole test suite against the real services, but the long scenarios
	$(VENV)/bin/pytest -p no:ckan -p no:ckan_fixtures harvesters risk_jobs netzero writers forecast alerts citizen
	$(VENV)/bin/pytest --ckan-ini=test.ini --durations=20 -m "not long" ckanext-maemoh

test-long: install services test-db  ## the long scenarios: processes killed mid-work and their recovery (about 3 min)
	$(VENV)/bin/pytest --ckan-ini=test.ini -m long ckanext-maemoh

# Instants the suite must pass at: 00:05 and 23:55 in Bangkok, in the haze
# season (March) and out of it (August); test.ini's own is 14:00, 10 March.
DATES ?= 2026-03-09T17:05:00Z 2026-03-10T16:55:00Z 2026-08-15T17:05:00Z 2026-08-16T16:55:00Z

test-dates: install services test-db  ## the CKAN suite at each of DATES (about 20 min each)
	for at in $(DATES); do \
	    echo "== the suite at $$at"; \
	    MAEMOH_FROZEN_AT=$$at $(VENV)/bin/pytest --ckan-ini=test.ini -m "not long" ckanext-maemoh || exit 1; \
	done

test-scale: install services  ## national-scale statistics on dask: 100 000 to 800 000 cells, 1 and 2 workers, against esda (about 6 min)
	$(VENV)/bin/python bench/risk_scale.py --check
	$(VENV)/bin/python bench/standby_lag.py

backup:  ## a dated archive of the site in var/backups (its secrets in a file beside it)
	deploy/backup.sh

restore:  ## restore BACKUP=archive.tar.gz [SECRETS=file] onto an empty var/
	deploy/restore.sh "$(BACKUP)" $(SECRETS)

# Backs up the site of `make run` (its background processes stopped for a
# quiet copy), moves var/ aside to var.before-restore-TIME, restores the
# archive into a new var/ and compares the site with the archive's manifest.
check-restore: install  ## back up, restore into a new var/ and compare (the old var/ is kept aside)
	deploy/background.sh stop $(BACKGROUND)
	archive=$$(deploy/backup.sh | tail -n 1); \
	aside=var.before-restore-$$(date -u +%Y%m%dT%H%M%SZ); \
	$(MAKE) stop; mv var $$aside; mkdir -p var; cp $$aside/.system-packages var/; \
	archive=$$aside/$${archive#$(CURDIR)/var/}; \
	time deploy/restore.sh "$$archive" "$${archive%.tar.gz}.secrets.ini"

check-outages:  ## stop PostgreSQL, Solr, Redis in turn under `make run`; print what pages did and what came back
	$(VENV)/bin/python deploy/checks/outages.py

MINUTES ?= 10
soak:  ## MINUTES of harvests every minute and steady page traffic under `make run`; RSS growth and errors
	MINUTES=$(MINUTES) $(VENV)/bin/python deploy/checks/soak.py

stop:  ## stop every process `make run` or `make test` started
	-deploy/web.sh stop
	-deploy/serve.sh stop
	-deploy/background.sh stop $(BACKGROUND) $(DASK)
	-$(SERVICES)/solrcloud.sh stop
	-$(SERVICES)/solr.sh stop
	-$(SERVICES)/postgres-standby.sh stop
	-$(SERVICES)/redis.sh stop
	-$(SERVICES)/postgres.sh stop

I18N := ckanext-maemoh/ckanext/maemoh/i18n
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(I18N)/*/LC_MESSAGES/ckanext-maemoh.po))

# Browser libraries from the npm registry, pinned in package.json and
# package-lock.json: h3-js is copied into the extension's webassets (the
# risk-map view draws H3 cells with it; no CDN), axe-core stays in
# node_modules for the browser tests.
ASSETS := ckanext-maemoh/ckanext/maemoh/assets
H3_JS := $(ASSETS)/vendor/h3-js/h3-js.umd.js

install: var/.system-packages $(VENV)/.installed $(MO_FILES) $(H3_JS)  ## Debian packages, the virtualenv, translations, browser libraries

%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -D ckanext-maemoh -i $< -o $@

messages:  ## re-extract translatable strings and update the .po files
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --omit-header -k _ \
	    -o $(I18N)/ckanext-maemoh.pot ckanext-maemoh/ckanext/maemoh
	$(VENV)/bin/pybabel update --no-fuzzy-matching -D ckanext-maemoh -i $(I18N)/ckanext-maemoh.pot -d $(I18N)

var/.system-packages: deploy/install-system-packages.sh
	deploy/install-system-packages.sh
	@mkdir -p var && touch $@

$(VENV)/.installed: requirements.txt requirements-ckan.txt requirements-test.txt constraints.txt setup.py
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -c constraints.txt pip setuptools wheel
	$(VENV)/bin/pip install -q -c constraints.txt \
	    -r requirements.txt -r requirements-test.txt
	$(VENV)/bin/pip install -q --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json var/.system-packages
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

$(H3_JS): node_modules/.installed
	mkdir -p $(dir $@)
	cp node_modules/h3-js/dist/h3-js.umd.js node_modules/h3-js/LICENSE $(dir $@)

services:  ## start PostgreSQL, Redis and Solr (no-op when running)
	$(SERVICES)/postgres.sh start
	$(SERVICES)/redis.sh start
	$(SERVICES)/solr.sh start
	deploy/setup-databases.sh

init:  ## configure CKAN, migrate, DataStore permissions, sysadmin, demo
	deploy/configure-ckan.sh
	deploy/init-ckan.sh $(INI)
	$(CKAN) -c $(INI) maemoh load-demo --harvest-sources deploy/demo/harvest_sources.json \
	    --replay-url http://127.0.0.1:$${REPLAY_PORT:-8765}
	$(CKAN) -c $(INI) maemoh risk run  # queue every dimension; fresh harvests queue them again
	$(CKAN) -c $(INI) maemoh ghg run   # queue the inventory of the latest year with activity data
	$(CKAN) -c $(INI) maemoh forecast run  # queue the PM2.5 forecast; the scheduler issues it every hour

test-db:  ## migrate the test databases (make test does it)
	deploy/init-ckan.sh test.ini --no-sysadmin

constraints:  ## re-pin constraints.txt from a fresh virtualenv
	rm -rf var/constraints-venv
	$(PYTHON) -m venv var/constraints-venv
	var/constraints-venv/bin/pip install -q -U pip setuptools wheel
	var/constraints-venv/bin/pip install -q -r requirements.txt -r requirements-test.txt
	{ sed -n '1,2p' constraints.txt; var/constraints-venv/bin/pip freeze --all; } > var/constraints.txt
	mv var/constraints.txt constraints.txt

.PHONY: help run run-nodes dev test test-long test-scale test-dates backup restore check-restore check-outages soak stop install services init test-db constraints messages
