"""The health report as Prometheus text metrics (a registry per request:
no global state between workers)."""
import datetime as dt

from prometheus_client import CollectorRegistry, Gauge, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition(report):
    """Prometheus text of a :func:`checks.report`."""
    registry = CollectorRegistry()
    up = Gauge("maemoh_service_up", "1 when the service answers its check", ["service"], registry=registry)
    for name, state in report["services"].items():
        up.labels(name).set(1 if state["up"] else 0)
    if "queues" in report:
        depth = Gauge("maemoh_queue_depth", "Jobs waiting in the queue", ["queue"], registry=registry)
        for name, count in report["queues"].items():
            depth.labels(name).set(count)
        failed = Gauge("maemoh_failed_jobs", "Jobs that failed for good", ["queue"], registry=registry)
        for name, count in report["failed_jobs"].items():
            failed.labels(name).set(count)
        success = Gauge("maemoh_harvest_last_success_timestamp_seconds",
                        "End of the source's last harvest job without gather errors (Unix time)",
                        ["source"], registry=registry)
        for name, harvest in report["harvests"].items():
            if harvest["last_success"]:
                success.labels(name).set(_seconds(harvest["last_success"]))
        stations = Gauge("maemoh_stations", "Public air stations, and those whose latest AQI is stale",
                         ["state"], registry=registry)
        stations.labels("all").set(report["stations"]["total"])
        stations.labels("stale").set(report["stations"]["stale"])
        finished = Gauge("maemoh_risk_run_finished_timestamp_seconds",
                         "End of the dimension's newest risk run (Unix time), by its state",
                         ["dimension", "state"], registry=registry)
        for name, run in report["risk_runs"].items():
            if run["finished_at"]:
                finished.labels(name, run["state"]).set(_seconds(run["finished_at"]))
        if report["inventory"]:
            Gauge("maemoh_inventory_published_timestamp_seconds",
                  "When the newest greenhouse-gas inventory was published (Unix time)",
                  registry=registry).set(_seconds(report["inventory"]["published_at"]))
        if report["snapshot"]["computed_at"]:
            Gauge("maemoh_snapshot_computed_timestamp_seconds",
                  "When the residents' snapshot was computed (Unix time)",
                  registry=registry).set(_seconds(report["snapshot"]["computed_at"]))
    return generate_latest(registry)


def _seconds(iso):
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
