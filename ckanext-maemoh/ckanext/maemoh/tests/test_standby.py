"""The DataStore read from a streaming standby (deploy/postgres-standby.md),
with the deploy/ files: deploy/services/postgres-standby.sh copies the test
cluster and streams from it, deploy/configure-ckan.sh writes the read_url
(DATASTORE_STANDBY), and CKAN's DataStore runs its start-up checks on it.
Reads really run on the standby (a row written while its replay is paused
is not seen, then is), the lag is measured and printed; while the standby is
down the API and the residents' snapshot's read path answer from the
primary, and after its restart reads go back to it with no row lost. A
read through CKAN sees the write before it even when the standby applies
it later (store/replica.py).

Its state and log: var/test-artifacts/standby/ (its run/postgresql is a link
to the primary's socket folder, as in var/).
"""
import configparser
import datetime as dt
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.datastore.backend import DatastoreBackend
from ckanext.datastore.backend import postgres as datastore_postgres

from ckanext.maemoh.risk import inputs
from ckanext.maemoh.store import replica
from ckanext.maemoh.tests.processes import free_ports, wait_for

REPO = pathlib.Path(__file__).resolve().parents[4]
STATE = REPO / "var" / "test-artifacts" / "standby"
NAME = "test"
#: seconds a pooled read connection is kept: after it, a connection made to
#: the primary while the standby was down is made again, to the standby
RECYCLE = 1
#: how long a read waits for the standby's replay (store/replica.py), and
#: how much later than the primary's commit the standby applies it in
#: :func:`test_a_read_waits_for_the_write_before_it`
WAIT_MS = 3000
APPLY_DELAY_MS = 500
START = dt.datetime(2026, 3, 10, 6, tzinfo=dt.timezone.utc)
FIELDS = [{"id": "time_utc", "type": "timestamp"}, {"id": "latitude", "type": "float8"},
          {"id": "longitude", "type": "float8"}, {"id": "frp_mw", "type": "float8"},
          {"id": "confidence", "type": "text"}]


def fire(minute):
    """A fire detection ``minute`` minutes after :data:`START`."""
    return {"time_utc": (START + dt.timedelta(minutes=minute)).isoformat(), "latitude": 18.3,
            "longitude": 99.7 + minute / 1000, "frp_mw": float(minute), "confidence": "high"}


class Standby:
    """deploy/services/postgres-standby.sh for the standby ``test`` of the
    test cluster, on a free port, its state in :data:`STATE`."""

    def __init__(self, primary_socket, primary_port):
        self.port, = free_ports(1)
        self.socket = STATE / "run" / f"postgresql-{NAME}"
        self.env = dict(os.environ, MAEMOH_VAR=str(STATE), PG_PRIMARY_SOCKET=primary_socket,
                        PG_PORT=primary_port, PG_STANDBY_NAME=NAME, PG_STANDBY_PORT=str(self.port))

    def run(self, *args, check=True):
        done = subprocess.run([str(REPO / "deploy" / "services" / "postgres-standby.sh"), *args],
                              env=self.env, capture_output=True, text=True, timeout=120)
        assert not check or done.returncode == 0, f"postgres-standby.sh {' '.join(args)}:\n{done.stderr}"
        return done

    def lag(self):
        """``{"state", "lag_bytes", "lag_seconds"}`` of the script's ``lag`` line, printed."""
        line = self.run("lag", check=False).stdout.strip()
        print(line)
        return dict(field.split("=", 1) for field in line.split()[1:])

    def sql(self, statement):
        engine = sa.create_engine(f"postgresql://postgres@/datastore_test?host={self.socket}&port={self.port}",
                                  isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


def configured_read_url(standby):
    """The read_url deploy/configure-ckan.sh writes with DATASTORE_STANDBY,
    for the test database."""
    ini = STATE / "ckan.ini"
    # the sections the script edits (ckan config-tool repeats a section it finds nothing to edit in)
    ini.write_text("[app:main]\nuse = egg:ckan\n\n[logger_ckanext]\nlevel=INFO\n")
    done = subprocess.run([str(REPO / "deploy" / "configure-ckan.sh"), "--addresses"],
                          env=dict(standby.env, DATASTORE_STANDBY=NAME,
                                   CKAN=os.path.join(os.path.dirname(sys.executable), "ckan")),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    parser = configparser.ConfigParser(defaults={"here": str(STATE)})
    parser.read(ini)
    url = make_url(parser["app:main"]["ckan.datastore.read_url"])
    return url.set(database="datastore_test").render_as_string(hide_password=False)


def reconfigure_datastore():
    """The DataStore configured afresh from ``tk.config``, start-up checks included."""
    backend = DatastoreBackend.get_active_backend()
    backend.configure(tk.config)
    return backend


@pytest.fixture(scope="module")
def standby():
    """The standby, started once for the module; after it, stopped, its slot
    dropped and its copy deleted, and its read engine closed."""
    shutil.rmtree(STATE, ignore_errors=True)
    primary = make_url(tk.config["ckan.datastore.write_url"])
    (STATE / "run").mkdir(parents=True)
    (STATE / "run" / "postgresql").symlink_to(primary.query["host"])
    standby = Standby(primary.query["host"], primary.query["port"])
    try:
        began = time.monotonic()
        standby.run("start")
        print(f"base backup and start of the standby: {time.monotonic() - began:.1f} s")
        standby.read_url = configured_read_url(standby)
        yield standby
    finally:
        engine = datastore_postgres._engines.pop(getattr(standby, "read_url", None), None)
        if engine:
            engine.dispose()
        standby.run("stop", "--forget")
    shutil.rmtree(STATE, ignore_errors=True)


@pytest.fixture
def reading_standby(app, standby):
    """CKAN's DataStore reading from the standby for the test (its read_url,
    configured afresh: start-up checks, engine cache), as test.ini has it after."""
    options = {"ckan.datastore.read_url": standby.read_url, "ckan.datastore.sqlalchemy.pool_recycle": RECYCLE,
               replica.WAIT_OPTION: WAIT_MS}
    before = {key: tk.config[key] if key in tk.config else None for key in options}
    tk.config.update(options)
    try:
        yield reconfigure_datastore()
    finally:
        for key, value in before.items():
            if value is None:
                tk.config.pop(key, None)
            else:
                tk.config[key] = value
        reconfigure_datastore()


@pytest.fixture
def fires(reading_standby, clean_db, create_dataset):
    """A fire-detection table of three rows, written through CKAN (on the primary)."""
    resource = factories.Resource(package_id=create_dataset()["id"])
    helpers.call_action("datastore_create", resource_id=resource["id"], fields=FIELDS,
                        primary_key=["time_utc", "latitude", "longitude"],
                        records=[fire(minute) for minute in range(3)], force=True)
    return resource["id"]


def upsert(resource_id, *minutes):
    helpers.call_action("datastore_upsert", resource_id=resource_id, method="upsert", force=True,
                        records=[fire(minute) for minute in minutes])


def searched(app, resource_id):
    """The minutes of the rows ``datastore_search`` answers over HTTP (a 200)."""
    response = app.get("/api/3/action/datastore_search", query_string={"resource_id": resource_id, "limit": 1000})
    assert response.status_code == 200, response.body
    return sorted(int(row["frp_mw"]) for row in response.json["result"]["records"])


def read_path(resource_id):
    """The minutes of the rows the residents' snapshot reads (its fire read, risk.inputs)."""
    frame = inputs.read_fire(resource_id, START, START + dt.timedelta(days=1))
    return sorted(int(value) for value in frame["frp_mw"])


def caught_up(standby):
    return wait_for("the standby's replay", lambda: standby.lag()["lag_bytes"] == "0", seconds=30)


def reads_on_standby(app, standby, resource_id, minute):
    """True when reads run on the standby: the row of ``minute``, written
    while its replay is paused, is not seen until replay resumes. The lag
    (bytes behind) is printed while paused and after; reads wait 0.1 s for
    the paused replay."""
    before = searched(app, resource_id)
    standby.sql("SELECT pg_wal_replay_pause()")
    tk.config[replica.WAIT_OPTION] = 100
    try:
        upsert(resource_id, minute)
        paused = wait_for("a lag", lambda: standby.lag()["lag_bytes"] != "0", seconds=10)
        unseen = searched(app, resource_id) == before and read_path(resource_id) == before
    finally:
        tk.config[replica.WAIT_OPTION] = WAIT_MS
        standby.sql("SELECT pg_wal_replay_resume()")
    caught_up(standby)
    seen = minute in searched(app, resource_id) and minute in read_path(resource_id)
    return bool(paused) and unseen and seen


def test_the_datastore_reads_from_the_standby(app, standby, reading_standby, fires):
    # CKAN's start-up checks ran on this read_url (the primary is writable)
    assert not reading_standby._is_read_only_database()
    with datastore_postgres.get_read_engine().connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_is_in_recovery()")) is True
    assert standby.run("status").returncode == 0
    caught_up(standby)
    assert searched(app, fires) == read_path(fires) == [0, 1, 2]
    assert reads_on_standby(app, standby, fires, 3)


def test_reads_outlive_a_restart_of_the_standby(app, standby, reading_standby, fires):
    caught_up(standby)
    standby.run("stop")
    assert standby.run("status", check=False).returncode == 3
    assert standby.lag()["state"] == "disconnected"
    upsert(fires, 3, 4)  # written while it is down: the slot keeps the WAL
    assert searched(app, fires) == read_path(fires) == [0, 1, 2, 3, 4]

    standby.run("start")
    caught_up(standby)
    time.sleep(RECYCLE + 0.1)  # the pooled connections to the primary are made again
    assert reads_on_standby(app, standby, fires, 5)
    assert searched(app, fires) == read_path(fires) == [0, 1, 2, 3, 4, 5]


def test_a_read_waits_for_the_write_before_it(app, standby, reading_standby, fires):
    caught_up(standby)
    standby.sql(f"ALTER SYSTEM SET recovery_min_apply_delay = {APPLY_DELAY_MS}")
    standby.sql("SELECT pg_reload_conf()")
    try:
        upsert(fires, 3)
        # the standby itself does not have it yet; CKAN's reads wait for it
        assert standby.sql(f'SELECT count(*) FROM "{fires}"') == 3
        assert searched(app, fires) == read_path(fires) == [0, 1, 2, 3]
    finally:
        standby.sql("ALTER SYSTEM RESET recovery_min_apply_delay")
        standby.sql("SELECT pg_reload_conf()")


def test_reads_answer_from_the_standby_while_the_primary_does_not(standby, reading_standby, fires):
    caught_up(standby)
    write_url = tk.config["ckan.datastore.write_url"]
    nowhere = f"postgresql://ckan_default@/datastore_test?host={STATE}/nowhere&port=5432"
    tk.config["ckan.datastore.write_url"] = nowhere
    try:
        assert read_path(fires) == [0, 1, 2]
    finally:
        tk.config["ckan.datastore.write_url"] = write_url
        datastore_postgres._engines.pop(nowhere).dispose()
