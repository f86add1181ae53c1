"""Each harvest source at its own cadence.

A source's configuration may hold ``"every_minutes": N`` (5 to 10 080): the
scheduler (``ckan maemoh harvest due``, run every minute by the local stack's
scheduler) creates a job for each active source that has no job waiting or
running and that it last queued at least N minutes ago by the platform
clock (kept in Redis; a lost record makes the source due at once, and a
harvest twice is harmless); the gather consumer then runs it.
ckanext-harvest's own ``frequency`` (daily at best) stays for sources
without a cadence.
"""
import datetime as dt
import json

import redis

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestJob, HarvestSource

from ckanext.maemoh import clock
from ckanext.maemoh.harvesters.base import split_cadence
from ckanext.maemoh.store import catalog

QUEUED_KEY = "maemoh:harvest:queued:{}"
PENDING = ("New", "Running")


def due(now=None):
    """The active sources with a cadence whose next job is due at ``now``."""
    now = now or clock.now()
    connection = _redis()
    found = []
    for source in model.Session.query(HarvestSource).filter(HarvestSource.active.is_(True)):
        minutes = _minutes(source)
        if minutes is None or model.Session.query(HarvestJob).filter(
                HarvestJob.source_id == source.id, HarvestJob.status.in_(PENDING)).count():
            continue
        last = connection.get(QUEUED_KEY.format(source.id))
        if last is None or now - clock.parse(last.decode()) >= dt.timedelta(minutes=minutes):
            found.append(source)
    return found


def queue_due(now=None, run=True):
    """Create a job for every due source, sent to the gather queue unless
    ``run`` is False; ``[(source name, job id)]``."""
    now = now or clock.now()
    context, connection, queued = catalog.site_context(), _redis(), []
    for source in due(now):
        job = tk.get_action("harvest_job_create")(dict(context), {"source_id": source.id, "run": run})
        connection.set(QUEUED_KEY.format(source.id), now.isoformat())
        queued.append((model.Package.get(source.id).name, job["id"]))
    return queued


def _minutes(source):
    try:
        return split_cadence(json.loads(source.config or "{}"))[1]
    except ValueError:
        return None


def _redis():
    return redis.Redis.from_url(tk.config["ckan.redis.url"])
