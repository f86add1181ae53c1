"""What harvesting leaves behind, kept in bounds.

Every job stores each raw payload it fetched (``harvest_object.content``)
and its errors; a source harvested every 15 minutes adds about a hundred
jobs a day. :func:`prune`, run by the scheduler (``ckan maemoh tick``) at
most once an hour, deletes what is older than ``ckanext.maemoh.harvest.keep_days``
(30 by default): the objects that are not current (a current object is the
latest record of a dataset, kept), their errors and extras, then the
finished jobs left without objects, with their gather errors — never a
source's latest job. ckanext-harvest's own database log is not enabled
(``ckan.harvest.log_scope``), so there is no log table to clean.
"""
import datetime as dt

import redis
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan import model


KEEP_OPTION = "ckanext.maemoh.harvest.keep_days"
GATE_KEY = "maemoh:harvest:pruned"
EVERY_S = 3600

_OLD_OBJECTS = ("SELECT o.id FROM harvest_object o JOIN harvest_job j ON j.id = o.harvest_job_id "
                "WHERE NOT o.current AND j.status = 'Finished' AND o.gathered < :cutoff")
_LATEST_JOBS = "SELECT DISTINCT ON (source_id) id FROM harvest_job ORDER BY source_id, created DESC"
_EMPTY_JOBS = ("SELECT j.id FROM harvest_job j WHERE j.status = 'Finished' AND j.created < :cutoff "
               f"AND j.id NOT IN ({_LATEST_JOBS}) "
               "AND NOT EXISTS (SELECT 1 FROM harvest_object o WHERE o.harvest_job_id = j.id)")


def prune(now=None, keep_days=None):
    """Delete the harvest records older than ``keep_days`` before ``now``;
    ``{"objects": n, "jobs": n}`` deleted. ``now`` is the wall clock by
    default, not the platform's: ckanext-harvest stamps its records with it."""
    keep_days = tk.config[KEEP_OPTION] if keep_days is None else keep_days
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = now.astimezone(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=keep_days)
    session, bound = model.Session, {"cutoff": cutoff}
    for table in ("harvest_object_error", "harvest_object_extra"):
        session.execute(sa.text(f"DELETE FROM {table} WHERE harvest_object_id IN ({_OLD_OBJECTS})"), bound)
    objects = session.execute(sa.text(f"DELETE FROM harvest_object WHERE id IN ({_OLD_OBJECTS})"), bound).rowcount
    session.execute(sa.text(f"DELETE FROM harvest_gather_error WHERE harvest_job_id IN ({_EMPTY_JOBS})"), bound)
    jobs = session.execute(sa.text(f"DELETE FROM harvest_job WHERE id IN ({_EMPTY_JOBS})"), bound).rowcount
    session.commit()  # all or nothing: one transaction
    return {"objects": objects, "jobs": jobs}


def prune_hourly():
    """:func:`prune`, unless it ran in the last hour (on any machine); its result or None."""
    connection = redis.Redis.from_url(tk.config["ckan.redis.url"])
    if not connection.set(GATE_KEY, dt.datetime.now(dt.timezone.utc).isoformat(), nx=True, ex=EVERY_S):
        return None
    return prune()
