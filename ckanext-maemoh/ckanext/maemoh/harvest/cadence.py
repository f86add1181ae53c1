"""Each harvest source at its own cadence.

A source's configuration may hold ``"every_minutes": N`` (5 to 10 080): the
scheduler (``ckan maemoh harvest due``, run every minute by the local stack's
scheduler) creates a job for each active source that has no job waiting or
running and that it last queued at least N minutes ago by the platform
clock (kept in Redis; a lost record makes the source due at once, and a
harvest twice is harmless); the gather consumer then runs it.
ckanext-harvest's own ``frequency`` (daily at best) stays for sources
without a cadence.

A job still waiting or running three cadences after it was created (at
least 30 minutes) is taken as hung, its consumer dead: it is finished with
a gather error saying so, and the source is harvested again.
"""
import datetime as dt
import json

import redis

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestSource

from ckanext.maemoh import clock
from ckanext.maemoh.harvesters.base import split_cadence
from ckanext.maemoh.store import catalog

QUEUED_KEY = "maemoh:harvest:queued:{}"
PENDING = ("New", "Running")
HUNG_AFTER_CADENCES = 3
HUNG_AT_LEAST = dt.timedelta(minutes=30)


def due(now=None):
    """The ids of the active sources with a cadence whose next job is due at ``now``."""
    now = now or clock.now()
    connection = _redis()
    sources = [(source.id, source.config) for source in
               model.Session.query(HarvestSource).filter(HarvestSource.active.is_(True))]
    found = []
    for source_id, config in sources:
        minutes = _minutes(config)
        if minutes is None or not _no_pending_job(source_id, minutes, now):
            continue
        last = connection.get(QUEUED_KEY.format(source_id))
        if last is None or now - clock.parse(last.decode()) >= dt.timedelta(minutes=minutes):
            found.append(source_id)
    return found


def queue_due(now=None, run=True):
    """Create a job for every due source, sent to the gather queue unless
    ``run`` is False; ``[(source name, job id)]``."""
    now = now or clock.now()
    context, connection, queued = catalog.site_context(), _redis(), []
    for source_id in due(now):
        job = tk.get_action("harvest_job_create")(dict(context), {"source_id": source_id, "run": run})
        connection.set(QUEUED_KEY.format(source_id), now.isoformat())
        queued.append((model.Package.get(source_id).name, job["id"]))
    return queued


def _no_pending_job(source_id, minutes, now):
    """True when the source has no job waiting or running, once hung jobs
    are finished (ckanext-harvest stamps jobs in UTC without a zone)."""
    limit = max(HUNG_AT_LEAST, HUNG_AFTER_CADENCES * dt.timedelta(minutes=minutes))
    naive_now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    pending = model.Session.query(HarvestJob).filter(
        HarvestJob.source_id == source_id, HarvestJob.status.in_(PENDING)).all()
    hung = [(job.id, job.status, naive_now - job.created) for job in pending
            if naive_now - job.created > limit]
    for job_id, status, age in hung:
        HarvestGatherError(harvest_job_id=job_id, message=(
            f"Abandoned: still {status.lower()} {int(age.total_seconds() // 60)} minutes after it was "
            f"created (its consumer has stopped); the next job harvests again")).save()
        tk.get_action("harvest_job_abort")(catalog.site_context(), {"id": job_id})
    return len(hung) == len(pending)


def _minutes(config):
    try:
        return split_cadence(json.loads(config or "{}"))[1]
    except ValueError:
        return None


def _redis():
    return redis.Redis.from_url(tk.config["ckan.redis.url"])
