"""A ckanext-harvest harvester around any adapter of ``harvesters/``.

gather: the adapter's keys become harvest objects (guid = key).
fetch:  the adapter's raw payload is kept verbatim in the harvest object.
import: the adapter parses it; stations become ``sensor-station`` datasets,
        observations and fire detections go through the DataStore bulk path,
        and every rejected value becomes a harvest object error with its
        reason while the good values of the same payload land. When rows
        changed, the signal ``maemoh:observations_changed`` is sent.
"""
import json
import logging
from collections import defaultdict

import ckan.plugins.toolkit as tk
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestObject

from ckanext.maemoh import clock
from ckanext.maemoh.store import catalog
from ckanext.maemoh.store import datastore_tables
from ckanext.maemoh.harvest import datasets, ownership, source_secrets
from ckanext.maemoh.harvesters.base import ConfigError, split_cadence
from ckanext.maemoh.harvesters.http import SourceError

log = logging.getLogger(__name__)
OBSERVATIONS_CHANGED = "maemoh:observations_changed"
# Harvest object errors listed one by one per object; the rest are counted.
MAX_LISTED_REJECTS = 50
SECRETS_HELP = ('Secrets (api_key, map_key) are not written here: give {"secret": "NAME"} and '
                "put the value in the server configuration as ckanext.maemoh.secret.NAME. "
                '"every_minutes": N harvests the source every N minutes (5 to 10080).')


def observations_changed_signal():
    """The signal sent with the DataStore resource id as sender, and
    ``dataset_id``, ``start`` and ``end`` (UTC) of the rows written."""
    return tk.signals.ckanext.signal(OBSERVATIONS_CHANGED)


class AdapterHarvester(HarvesterBase):
    """Subclasses set ``adapter_class``."""
    adapter_class = None

    # IHarvester

    def info(self):
        adapter = self.adapter_class
        return {"name": adapter.name,
                "title": f"{adapter.title['en']} / {adapter.title['th']}",
                "description": f"{adapter.config_help} {SECRETS_HELP}"}

    def validate_config(self, config):
        try:
            parsed = json.loads(config or "{}")
        except ValueError as error:
            raise ValueError(f"The configuration is not valid JSON: {error}")
        if not isinstance(parsed, dict):
            raise ValueError("Configuration: the configuration must be a JSON object")
        try:  # ConfigError, a secret written into the source, or a bad cadence
            adapter_config, _minutes = split_cadence(parsed)
            self.adapter_class.validate_config(source_secrets.resolve(adapter_config))
        except ValueError as error:
            raise ValueError(f"Configuration: {error}")
        return json.dumps(parsed, indent=2, ensure_ascii=False)

    def gather_stage(self, harvest_job):
        try:
            keys = self._adapter(harvest_job.source).gather()
        except (SourceError, ConfigError, ValueError) as error:
            self._save_gather_error(f"Could not list {harvest_job.source.url}: {error}",
                                    harvest_job)
            return []
        ids = []
        for key in keys:
            obj = HarvestObject(guid=key, job=harvest_job)
            obj.save()
            ids.append(obj.id)
        return ids

    def fetch_stage(self, harvest_object):
        try:
            adapter = self._adapter(harvest_object.source, backfill=self._first_harvest(harvest_object))
            harvest_object.content = adapter.fetch(harvest_object.guid)
        except (SourceError, ValueError) as error:
            self._save_object_error(f"Could not fetch {harvest_object.guid}: {error}",
                                    harvest_object, "Fetch")
            return False
        harvest_object.save()
        return True

    def import_stage(self, harvest_object):
        if not harvest_object.content:
            self._save_object_error("Nothing was fetched", harvest_object, "Import")
            return False
        try:
            batch = self._adapter(harvest_object.source).parse(
                harvest_object.guid, harvest_object.content)
        except (SourceError, ValueError) as error:
            self._save_object_error(f"Could not read the payload: {error}",
                                    harvest_object, "Import")
            return False
        context = catalog.site_context()
        source = tk.get_action("package_show")(
            {"ignore_auth": True}, {"id": harvest_object.source.id})
        try:
            written = self.store(context, harvest_object, batch, source)
        except tk.ValidationError as error:
            self._save_object_error(f"Invalid dataset: {_messages(error)}",
                                    harvest_object, "Import")
            return False
        self._report_rejects(batch.rejects, harvest_object)
        self._make_current(harvest_object)
        for resource_id, dataset_id, start, end in written:
            observations_changed_signal().send(
                resource_id, dataset_id=dataset_id, start=start, end=end)
        return True

    # Storage; FIRMS and agency files override it.

    def store(self, context, harvest_object, batch, source):
        """Write the batch (``source``: the harvest source's dataset dict);
        return ``(resource_id, dataset_id, start, end)`` for each table whose
        rows changed."""
        by_station = defaultdict(list)
        for observation in batch.observations:
            by_station[observation.station_id].append(observation)
        written = []
        for station in batch.stations:
            rows = by_station.get(station.station_id, [])
            periods = {o.variable: o.averaging_period for o in rows}
            _action, dataset = ownership.upsert(context, harvest_object, datasets.station_dataset(
                station, {o.variable for o in rows}, source["owner_org"], periods))
            harvest_object.package_id = dataset["id"]
            written += self._write(context, dataset["id"], datastore_tables.OBSERVATIONS,
                                   [observation_row(o) for o in rows])
        return written

    def _write(self, context, dataset_id, table, rows, resource_name=None):
        if not rows:
            return []
        resource_id = datastore_tables.ensure_table(context, dataset_id, table, resource_name)
        count = datastore_tables.bulk_upsert(context, resource_id, table, rows)
        log.info("%s: %s inserted, %s updated, %s unchanged", resource_id,
                 count.inserted, count.updated, count.unchanged)
        if not count.changed:
            return []
        times = [row["time_utc"] for row in rows]
        return [(resource_id, dataset_id, min(times), max(times))]

    # Helpers

    def _adapter(self, source, backfill=False):
        config, _minutes = split_cadence(json.loads(source.config or "{}"))
        return self.adapter_class(source.url, source_secrets.resolve(config), now=clock.now,
                                  backfill=backfill)

    @staticmethod
    def _first_harvest(harvest_object):
        """True when no object of this key was imported from this source before
        (then an adapter fetches its ``backfill_days`` of history)."""
        return not HarvestObject.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
            HarvestObject.guid == harvest_object.guid,
            HarvestObject.current.is_(True),
        ).count()

    def _report_rejects(self, rejects, harvest_object):
        for reject in rejects[:MAX_LISTED_REJECTS]:
            self._save_object_error(
                f"Rejected {reject.variable} {reject.raw_value!r} at {reject.raw_ref}: "
                f"{reject.reason}", harvest_object, "Import")
        if len(rejects) > MAX_LISTED_REJECTS:
            self._save_object_error(
                f"... and {len(rejects) - MAX_LISTED_REJECTS} more rejected values",
                harvest_object, "Import")

    @staticmethod
    def _make_current(harvest_object):
        """This object, not the earlier ones of the same key, is current."""
        HarvestObject.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
            HarvestObject.guid == harvest_object.guid,
            HarvestObject.id != harvest_object.id,
        ).update({"current": False})
        harvest_object.current = True
        harvest_object.save()


def _messages(error):
    return "; ".join(f"{field}: {' '.join(map(str, problems)) if isinstance(problems, list) else problems}"
                     for field, problems in error.error_dict.items())


def observation_row(observation):
    return {"station_id": observation.station_id, "network": observation.network,
            "variable": observation.variable, "time_utc": observation.time,
            "averaging_period": observation.averaging_period, "value": observation.value,
            "unit": observation.unit, "quality": observation.quality,
            "raw_ref": observation.raw_ref}
