"""DataStore reads that see the writes before them when the read_url leads
to a streaming standby (deploy/postgres-standby.md).

Documented choices
------------------
Why
    A standby replays the primary's WAL a moment later (asynchronous
    replication), yet CKAN reads with the read engine inside its own writes
    (``datastore_upsert`` and ``datastore_delete`` look the table up with
    it; xloader asks ``datastore_search`` whether a table exists) and the
    jobs that follow a harvest (the residents' snapshot, risk runs) read
    what it has just written.
How
    Each connection of the DataStore's read engine (``ckan.datastore.read_url``)
    asks once whether it leads to a standby (``pg_is_in_recovery()``). On a
    standby, every use of it first waits until the standby has replayed the
    WAL the primary had written at that moment (``pg_current_wal_lsn()``
    through the write engine: one trivial query on the primary; the reading
    itself runs on the standby), polling every 5 ms for at most
    ``ckanext.maemoh.datastore.standby_wait_ms``; after that, or at once
    when the primary does not answer, it reads what the standby has, with
    a warning: a late answer beats none.
One cluster
    A connection to the primary is asked once and never waits.
"""
import functools
import logging
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import get_write_engine

log = logging.getLogger(__name__)

WAIT_OPTION = "ckanext.maemoh.datastore.standby_wait_ms"
POLL_SECONDS = 0.005
STANDBY = "maemoh_standby"  # key of the connection's info: does it lead to a standby?


def install():
    """Make every use of a read connection on a standby wait for the
    primary's writes (once per process; a no-op on one cluster)."""
    if not sa.event.contains(Engine, "engine_connect", _caught_up):
        sa.event.listen(Engine, "engine_connect", _caught_up)


def _caught_up(connection, *_branch):
    # A default: CKAN connects while it loads, before the DataStore has
    # declared the option (no warning about an undeclared option then).
    read_url = tk.config.get("ckan.datastore.read_url", "")
    if not read_url or connection.engine.url != _url(read_url):
        return
    info = connection.connection.info
    if info.get(STANDBY) is None:
        info[STANDBY] = connection.exec_driver_sql("SELECT pg_is_in_recovery()").scalar()
    if info[STANDBY]:
        wait_for_replay(connection, tk.config.get(WAIT_OPTION) / 1000)


@functools.lru_cache(maxsize=8)
def _url(text):
    return make_url(text)


def wait_for_replay(connection, seconds):
    """Wait until the standby of ``connection`` has replayed what the
    primary had written now, at most ``seconds``; True if it has."""
    try:
        with get_write_engine().connect() as primary:
            written = primary.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar()
    except sa.exc.OperationalError as error:
        log.warning("the DataStore's primary does not answer (%s): reading what the standby has", error)
        return False
    deadline = time.monotonic() + seconds
    while not connection.exec_driver_sql(
            "SELECT pg_last_wal_replay_lsn() >= %(written)s::pg_lsn", {"written": written}).scalar():
        if time.monotonic() >= deadline:
            log.warning("the DataStore's standby has not replayed %s after %.1f s: reading what it has",
                        written, seconds)
            return False
        time.sleep(POLL_SECONDS)
    return True
