"""What a monitor needs to know, read from the real services with short
timeouts. Nothing here says more than is harmless in public: states,
counts, times and the names of public harvest sources; never an error's
text, a host name or a credential."""
import time

import redis
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import jobs
from ckan.lib.search import common as search_common
from ckanext.datastore.backend.postgres import get_read_engine
from ckanext.harvest import queue as harvest_queue
from ckanext.harvest.model import HarvestJob, HarvestSource

from ckanext.maemoh.reference import datasets
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.risk_jobs import dimensions

SERVICES = ("postgresql", "datastore", "solr", "redis")
TIMEOUT_S = 2


def report():
    """The whole health report; ``status`` "ok", or "down" when a service is."""
    services = service_states()
    up = all(s["up"] for s in services.values())
    result = {"status": "ok" if up else "down", "services": services}
    if not up:  # what follows reads the services: only the states are known
        return result
    return {**result, "queues": queue_depths(), "failed_jobs": failed_jobs(), "harvests": harvests(),
            "stations": stations(), "risk_runs": last_risk_runs(), "inventory": last_inventory(),
            "snapshot": last_snapshot()}


def service_states():
    """``{service: {"up": bool, "ms": float}}``, each checked on its own."""
    checks = {"postgresql": _postgresql, "datastore": _datastore, "solr": _solr, "redis": _redis}
    states = {}
    for name in SERVICES:
        started = time.perf_counter()
        try:
            checks[name]()
            up = True
        except Exception:  # any failure means down; its text may hold internals
            up = False
        states[name] = {"up": up, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return states


def queue_depths():
    """Jobs waiting per queue: CKAN's background jobs (the default queue and
    the risk queue) and the harvest gather and fetch queues."""
    connection = _redis_connection()
    depths = {name: jobs.get_queue(name).count for name in ("default", risk_runs.RISK_QUEUE)}
    depths["harvest_gather"] = connection.llen(harvest_queue.get_gather_queue_name())
    depths["harvest_fetch"] = connection.llen(harvest_queue.get_fetch_queue_name())
    return depths


def failed_jobs():
    """Jobs that failed for good per queue (after ``ckan maemoh jobs recover``
    has queued again what an outage or a dead worker interrupted)."""
    return {name: jobs.get_queue(name).failed_job_registry.count for name in ("default", risk_runs.RISK_QUEUE)}


def last_inventory():
    """The newest public greenhouse-gas inventory: its dataset, year and
    when its publication run was written; None before the first."""
    found = tk.get_action("package_search")({"user": ""}, {
        "fq": f"+dataset_type:{datasets.GHG_INVENTORY_TYPE}", "sort": "metadata_modified desc", "rows": 1})
    if not found["results"]:
        return None
    dataset = found["results"][0]
    return {"dataset": dataset["name"], "year": dataset.get("inventory_year"),
            "published_at": dataset["metadata_modified"] + "Z"}


def last_snapshot():
    """When the residents' snapshot was computed (ISO 8601), None before the first."""
    computed_at = snapshot.computed_at()
    return {"computed_at": computed_at.isoformat() if computed_at else None}


def harvests():
    """Per active public harvest source: its type, the end of its last job
    that finished without gather errors, and that of its last job at all."""
    sources = (model.Session.query(HarvestSource).filter(HarvestSource.active.is_(True))
               .order_by(HarvestSource.id).all())
    public = {p.id: p.name for p in model.Session.query(model.Package).filter(
        model.Package.id.in_([s.id for s in sources]), model.Package.private.is_(False),
        model.Package.state == "active")}
    result = {}
    for source in sources:
        if source.id not in public:
            continue
        finished = (model.Session.query(HarvestJob).filter(
            HarvestJob.source_id == source.id, HarvestJob.status == "Finished")
            .order_by(HarvestJob.finished.desc()).all())
        good = next((job for job in finished if not job.gather_errors), None)
        result[public[source.id]] = {
            "type": source.type,
            "last_finished": _iso(finished[0].finished) if finished else None,
            "last_success": _iso(good.finished) if good else None,
        }
    return result


def stations():
    """Public air stations and how many of them are stale."""
    rows = residents.station_aqi()
    return {"total": len(rows), "stale": sum(1 for row in rows if row["stale"]),
            "stale_after_hours": residents.stale_after_hours()}


def last_risk_runs():
    """Per dimension, its newest run: state, outcome and times."""
    newest = {}
    for run in risk_runs.runs(limit=risk_runs.KEEP_RUNS):
        newest.setdefault(run["dimension"], {k: run.get(k) for k in (
            "state", "outcome", "queued_at", "finished_at")})
    return {name: newest[name] for name in dimensions.NAMES if name in newest}


def _postgresql():
    with model.Session.get_bind().connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def _datastore():
    with get_read_engine().connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def _solr():
    connection = search_common.make_connection()
    connection.timeout = TIMEOUT_S
    connection.ping()


def _redis():
    _redis_connection().ping()


def _redis_connection():
    return redis.Redis.from_url(tk.config["ckan.redis.url"], socket_timeout=TIMEOUT_S,
                                socket_connect_timeout=TIMEOUT_S)


def _iso(moment):
    return moment.isoformat() + "Z" if moment else None
