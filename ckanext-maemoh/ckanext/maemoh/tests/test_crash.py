"""Real consumers and workers killed with SIGKILL in the middle of their
work, then started again: no observation row lost or duplicated, no
half-published layer or inventory, and the interrupted work done by itself.
Each test prints its figures (``pytest -s``). Long scenarios: ``make
test-long`` runs them, ``make test`` does not."""
import datetime as dt
import shutil
import time

import pytest
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories, helpers as ckan_helpers
from ckanext.datastore.backend.postgres import get_read_engine
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.maemoh.demo import ghg as demo_ghg
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.harvest.base import observation_row
from ckanext.maemoh.harvesters.air4thai import Air4Thai
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.health import recovery
from ckanext.maemoh.residents import data as residents_data
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.store import datastore_tables, publish, published
from ckanext.maemoh.tests import helpers
from ckanext.maemoh.tests.processes import Process, wait_for

pytestmark = [pytest.mark.long, pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")]

AIR4THAI = {"stations": ["38t", "39t", "40t"], "days": 9, "history": True}


@pytest.fixture
def district():
    shutil.rmtree(published.root(), ignore_errors=True)  # runs of datasets clean_db removed
    return factories.Organization(name=tk.config["ckanext.maemoh.organization"], agency_type="government")


# ------------------------------------------------------------ harvest

def expected_keys(url):
    """The observation keys the replayed payloads hold, read by the pure adapter."""
    adapter = Air4Thai(url, AIR4THAI, now=lambda: helpers.NOW)
    keys = set()
    for key in adapter.gather():
        batch = adapter.parse(key, adapter.fetch(key))
        rows = [observation_row(o) for o in batch.observations]
        keys |= {tuple(row[c] for c in datastore_tables.OBSERVATIONS.primary_key) for row in rows}
    return keys


def stored_rows(job_id):
    """``(rows, distinct keys)`` of the observation tables of the job's datasets."""
    dataset_ids = {d for d, in model.Session.query(HarvestObject.package_id).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.package_id.isnot(None))}
    tables = [r["id"] for d in dataset_ids
              for r in ckan_helpers.call_action("package_show", id=d)["resources"] if r.get("datastore_active")]
    assert tables
    key = ", ".join(datastore_tables.OBSERVATIONS.primary_key)
    rows, distinct = 0, 0
    with get_read_engine().connect() as connection:
        for table in tables:
            count, keys = connection.execute(sa.text(
                f"SELECT count(*), count(DISTINCT ({key})) FROM {datastore_tables.quote_identifier(table)}")).one()
            rows, distinct = rows + count, distinct + keys
    return rows, distinct


def states(job_id):
    found = {}
    for state, in model.Session.query(HarvestObject.state).filter(HarvestObject.harvest_job_id == job_id):
        found[state] = found.get(state, 0) + 1
    return found


def test_a_fetch_consumer_killed_mid_import_loses_and_duplicates_nothing(district):
    with ReplayServer(helpers.replay_handler(helpers.NOW)) as server:
        url = server.url + "/air4thai"
        expected = expected_keys(url)
        source = helpers.create_source(district, url, "air4thai", AIR4THAI)
        job = ckan_helpers.call_action("harvest_job_create", context={"user": factories.Sysadmin()["name"]},
                                       source_id=source["id"], run=True)
        gather = Process("harvester", "gather-consumer")
        fetch = Process("harvester", "fetch-consumer")
        try:
            at_kill = wait_for("an object being imported", lambda: "IMPORT" in states(job["id"]) and states(job["id"]),
                               every=0.005)
        finally:
            fetch.kill()
        model.Session.remove()
        killed = [o.id for o in model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_job_id == job["id"], HarvestObject.state == "IMPORT")]
        started = time.monotonic()
        fetch = Process("harvester", "fetch-consumer")
        try:
            wait_for("the queued objects", lambda: "WAITING" not in states(job["id"]))
            # ckanext-harvest queues an object again 3 minutes after a consumer
            # took it without finishing (queue.resubmit_jobs, run by the
            # scheduler's `ckan maemoh tick`); the 3 minutes pass here at once
            connection = queue.get_connection()
            for object_id in killed:
                connection.set(f"{queue.get_fetch_routing_key()}:{object_id}",
                               str(dt.datetime.now() - dt.timedelta(minutes=4)))

            def finished():  # what the scheduler does every minute
                tk.get_action("harvest_jobs_run")({"ignore_auth": True}, {"source_id": source["id"]})
                return HarvestJob.get(job["id"]).status == "Finished"
            wait_for("the job finished", finished, seconds=120, every=0.5)
            recovered = time.monotonic() - started
        finally:
            fetch.kill()
            gather.kill()
    rows, distinct = stored_rows(job["id"])
    print(f"\nfetch consumer killed with objects {at_kill}; {len(expected)} rows in the payloads, "
          f"{rows} stored: {len(expected) - distinct} lost, {rows - distinct} duplicated; "
          f"recovered in {recovered:.1f} s")
    assert (rows, distinct) == (len(expected), len(expected))
    assert set(states(job["id"])) == {"COMPLETE"}


# ------------------------------------------------------------ publication

def consistent(name):
    """The dataset ``name`` as a reader sees it, checked whole: every file of
    one run, present, and its tables' rows of that run; its run."""
    dataset = ckan_helpers.call_action("package_show", context={"user": ""}, id=name)
    run = dataset[publish.RUN_FIELD]
    for resource in dataset["resources"]:
        if resource.get("url_type") == published.URL_TYPE:
            dataset_name, file_run, filename = published.parts(resource)
            assert (dataset_name, file_run) == (name, run), resource["url"]
            assert published.path(dataset_name, file_run, filename).stat().st_size == resource["size"]
        elif resource.get("datastore_active"):
            rows = ckan_helpers.call_action("datastore_search", resource_id=resource["id"], limit=10000)["records"]
            assert any(row["run_id"] == run for row in rows), f"{resource['name']}: no row of run {run}"
    return run


def kill_mid_publication(name, before, worker):
    """Kill ``worker`` once a new run of ``name`` is on disk, checking what a
    reader sees meanwhile; the number of checks made."""
    folder = published.root() / name
    checks = 0
    try:
        def new_run():
            nonlocal checks
            assert consistent(name)
            checks += 1
            return [p for p in folder.iterdir() if p.name != before and not p.name.startswith(".")]
        wait_for(f"a new run of {name}", new_run, seconds=600, every=0.005)
    finally:
        worker.kill()
    return checks


def finish_after_restart(name, before, is_done):
    """Start a worker again, queue the killed job again (the scheduler's
    `ckan maemoh jobs recover`) and wait for it; (recovered jobs, seconds)."""
    started = time.monotonic()
    worker = Process("jobs", "worker", risk_runs.RISK_QUEUE, env=LATER)
    try:
        again = recovery.recover()
        wait_for(f"{name} published again", lambda: is_done() and consistent(name) != before,
                 seconds=600, every=0.5)
    finally:
        worker.kill()
    return again, time.monotonic() - started


#: the worker's clock, an hour after the tests': its run differs from the first
LATER = {"MAEMOH_FROZEN_AT": (helpers.NOW + dt.timedelta(hours=1)).isoformat()}


def test_a_risk_worker_killed_mid_publication_leaves_a_whole_layer_and_runs_again(district):
    helpers.harvest(district, helpers.NOW, "air4thai")
    risk_runs.execute("air")
    before = consistent("risk-air")
    shown = residents_data.risk_summary(dimension="air")["air"]["tambons"]

    run = risk_runs.enqueue("air", trigger="test")
    checks = kill_mid_publication("risk-air", before, Process("jobs", "worker", risk_runs.RISK_QUEUE, env=LATER))
    at_kill = consistent("risk-air")
    assert len(residents_data.risk_summary(dimension="air")["air"]["tambons"]) == len(shown)

    def finished():
        return next(r for r in risk_runs.runs() if r["id"] == run["id"])["state"] == "finished"
    again, seconds = finish_after_restart("risk-air", before, finished)
    print(f"\nrisk worker killed mid-publication: {checks} reads while the job ran, each of one whole run; "
          f"run {'unchanged' if at_kill == before else 'already switched'} at the kill; "
          f"{len(again)} job(s) queued again; published again {seconds:.1f} s after the restart")
    assert (risk_runs.RISK_QUEUE, run["id"], recovery.WORKER_DIED, "queued again") in again


def test_a_worker_killed_mid_inventory_leaves_a_whole_inventory_and_runs_again(district):
    list(demo_ghg.load(district["name"]))
    ghg_runs.run_job(2024)
    name = ghg_runs.dataset_name(2024)
    before = consistent(name)

    job = ghg_runs.enqueue(2024)
    checks = kill_mid_publication(name, before, Process("jobs", "worker", risk_runs.RISK_QUEUE, env=LATER))
    again, seconds = finish_after_restart(name, before, lambda: True)
    print(f"\nworker killed mid-inventory: {checks} reads while the job ran, each of one whole run; "
          f"{len(again)} job(s) queued again; published again {seconds:.1f} s after the restart")
    assert (risk_runs.RISK_QUEUE, job["job_id"], recovery.WORKER_DIED, "queued again") in again
