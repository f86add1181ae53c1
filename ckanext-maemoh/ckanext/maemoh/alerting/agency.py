"""What agencies are warned of: their stations gone quiet and their
harvests failed, each with the organisation that owns it."""
import datetime as dt

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestJob, HarvestSource

from ckanext.maemoh.alerts import levels


def station_levels(stations, now):
    """``{station_id: (organization id, level)}``: 1 when the public air
    station's newest observation is older than
    ``ckanext.maemoh.alerts.station_stale_hours`` (or there is none)."""
    hours = tk.config["ckanext.maemoh.alerts.station_stale_hours"]
    owners = dict(model.Session.query(model.Package.name, model.Package.owner_org).filter(
        model.Package.name.in_([s["dataset_name"] for s in stations])))
    found = levels.stale_levels(stations, now, hours)
    return {s["station_id"]: (owners.get(s["dataset_name"]), found[s["station_id"]]) for s in stations}


def harvest_levels(now):
    """``{source name: (organization id, level)}``: 1 when the active
    source's last finished job (of the last day) ended with gather errors."""
    since = (now - dt.timedelta(days=1)).replace(tzinfo=None)
    result = {}
    sources = model.Session.query(HarvestSource, model.Package).join(
        model.Package, model.Package.id == HarvestSource.id).filter(
        HarvestSource.active.is_(True), model.Package.state == "active")
    for source, package in sources:
        last = (model.Session.query(HarvestJob)
                .filter(HarvestJob.source_id == source.id, HarvestJob.status == "Finished",
                        HarvestJob.finished >= since)
                .order_by(HarvestJob.finished.desc()).first())
        result[package.name] = (package.owner_org, 1 if last is not None and last.gather_errors else 0)
    return result
