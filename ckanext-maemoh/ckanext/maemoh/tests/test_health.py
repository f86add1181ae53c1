"""Health for monitors, read from the real services: ``/maemoh/health`` as
JSON and ``/metrics`` as Prometheus text."""
import os
import socket
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

import ckan.plugins.toolkit as tk

from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.tests import helpers, jobs

# one running stack for the module: its tests read it (the last adds a failed job)
pytestmark = pytest.mark.usefixtures("running")


@pytest.fixture(scope="module")
def running(shared_portal):
    """The portal's harvests, a recorded risk run of fire, the residents' snapshot."""
    risk_runs.run_job(risk_runs.new_run("fire", via="sync")["id"])
    snapshot.refresh()
    return shared_portal


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_health_of_a_running_stack(app, running):
    response = app.get("/maemoh/health")
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("no-store")
    report = response.json
    assert report["status"] == "ok"
    assert {name: state["up"] for name, state in report["services"].items()} == {
        "postgresql": True, "datastore": True, "solr": True, "redis": True}
    assert set(report["queues"]) == {"default", risk_runs.RISK_QUEUE, "harvest_gather", "harvest_fetch"}
    assert all(isinstance(depth, int) and depth >= 0 for depth in report["queues"].values())
    assert set(report["harvests"]) == {"air4thai-source", "firms-source"}
    assert all(h["last_success"] and h["last_finished"] for h in report["harvests"].values())
    assert report["stations"]["total"] == 3 and 0 <= report["stations"]["stale"] <= 3
    assert report["risk_runs"]["fire"]["state"] == "finished"
    assert set(report["failed_jobs"]) == {"default", risk_runs.RISK_QUEUE}
    inventory = tk.get_action("package_show")({}, {"id": "ghg-inventory-2024"})
    assert report["inventory"] == {"dataset": "ghg-inventory-2024", "year": "2024",
                                   "published_at": inventory["metadata_modified"] + "Z"}
    assert report["snapshot"] == {"computed_at": helpers.NOW.isoformat()}


def test_a_service_down_answers_503_naming_it_and_nothing_more(app, running, monkeypatch):
    port = closed_port()
    monkeypatch.setitem(tk.config, "ckan.redis.url", f"redis://127.0.0.1:{port}/1")
    response = app.get("/maemoh/health")
    assert response.status_code == 503
    report = response.json
    assert report["status"] == "down" and report["services"]["redis"]["up"] is False
    assert all(report["services"][name]["up"] for name in ("postgresql", "datastore", "solr"))
    assert set(report) == {"status", "services"} and str(port) not in response.get_data(as_text=True)


def test_metrics_in_prometheus_text(app, running):
    response = app.get("/metrics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.get_data(as_text=True))
               for s in family.samples}
    assert samples[("maemoh_service_up", (("service", "solr"),))] == 1
    assert samples[("maemoh_stations", (("state", "all"),))] == 3
    assert samples[("maemoh_harvest_last_success_timestamp_seconds", (("source", "air4thai-source"),))] > 0
    assert samples[("maemoh_risk_run_finished_timestamp_seconds",
                    (("dimension", "fire"), ("state", "finished")))] > 0
    assert ("maemoh_queue_depth", (("queue", risk_runs.RISK_QUEUE),)) in samples
    assert ("maemoh_failed_jobs", (("queue", "default"),)) in samples
    assert samples[("maemoh_snapshot_computed_timestamp_seconds", ())] == helpers.NOW.timestamp()


def test_a_job_that_fails_for_good_is_counted(app, running):
    before = app.get("/maemoh/health").json["failed_jobs"]["default"]
    tk.get_action("job_clear")({"ignore_auth": True}, {"queues": ["default"]})  # the worker runs this job only
    tk.enqueue_job(jobs.fails, ["bug"])
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "ckan"), "-c", tk.config["__file__"],
                    "jobs", "worker", "--burst"], capture_output=True, timeout=300, check=True)
    assert app.get("/maemoh/health").json["failed_jobs"]["default"] == before + 1
