"""The harvester plugins, one per source type (ckanext-harvest finds each
as a plugin of its own: enable them in ``ckan.plugins``). Those of the sensor
sources are made from :data:`harvesters.SENSOR_SOURCES`; fire detections,
agency files and Traffy Fondue's complaints store their rows in their own way."""
import importlib
import json

import ckan.plugins.toolkit as tk

from ckanext.maemoh.store import datastore_tables
from ckanext.maemoh.harvest import datasets, ownership
from ckanext.maemoh.harvest.base import AdapterHarvester, observation_row
from ckanext.maemoh.citizen import reports as citizen_reports
from ckanext.maemoh.harvesters import SENSOR_SOURCES, agency_files, firms, model, traffy
from ckanext.maemoh.reference import places


def _sensor_harvester(module, class_name):
    adapter = getattr(importlib.import_module(f"ckanext.maemoh.harvesters.{module}"), class_name)
    return type(f"{class_name}Harvester", (AdapterHarvester,), {
        "adapter_class": adapter, "__module__": __name__,
        "__doc__": f"Stations and observations of {class_name} (harvesters/{module}.py)."})


globals().update({f"{class_name}Harvester": _sensor_harvester(module, class_name)
                  for module, class_name in SENSOR_SOURCES.items()})


class FirmsHarvester(AdapterHarvester):
    """Fire detections: one DataStore table per FIRMS source, in one dataset
    per harvest source."""
    adapter_class = firms.Firms

    def store(self, context, harvest_object, batch, source):
        west, south, east, north = self._adapter(harvest_object.source).config["bbox"]
        _action, dataset = ownership.upsert(context, harvest_object, datasets.source_dataset(
            source["name"],
            title={"th": f"จุดความร้อนจากดาวเทียม ({source['title']})",
                   "en": f"Satellite fire detections ({source['title']})"},
            notes={"th": "จุดความร้อนจาก NASA FIRMS (VIIRS, MODIS) เวลาเป็น UTC",
                   "en": "Active fire detections from NASA FIRMS (VIIRS, MODIS); times in UTC."},
            owner_org=source["owner_org"], theme="fire", frequency="day",
            data_source="NASA FIRMS", licence="other-at",
            spatial={"type": "Polygon", "coordinates": [[
                [west, south], [east, south], [east, north], [west, north], [west, south]]]}))
        harvest_object.package_id = dataset["id"]
        rows = [{"source": d.source, "time_utc": d.time, "latitude": d.latitude,
                 "longitude": d.longitude, "brightness_k": d.brightness_k,
                 "frp_mw": d.frp_mw, "confidence": d.confidence,
                 "confidence_raw": d.confidence_raw, "satellite": d.satellite,
                 "instrument": d.instrument, "daynight": d.daynight, "raw_ref": d.raw_ref}
                for d in batch.detections]
        return self._write(context, dataset["id"], datastore_tables.FIRE_DETECTIONS, rows,
                           resource_name=harvest_object.guid)


class AgencyFilesHarvester(AdapterHarvester):
    """Agency tables: the rows of places with coordinates (sampling points)
    in their own ``sensor-station`` datasets, as other adapters' stations;
    all other rows of a harvest source (tambon codes, places without
    coordinates) in one Observations table of one dataset."""
    adapter_class = agency_files.AgencyFiles

    def store(self, context, harvest_object, batch, source):
        points = {station.station_id for station in batch.stations}
        written = super().store(context, harvest_object, model.Batch(
            stations=batch.stations,
            observations=[o for o in batch.observations if o.station_id in points]), source)
        rest = [o for o in batch.observations if o.station_id not in points]
        return written + self._store_table(context, harvest_object, rest, source) if rest else written

    def _store_table(self, context, harvest_object, observations, source):
        record = datasets.source_dataset(
            source["name"],
            title={"th": source["title"], "en": source["title"]},
            notes={"th": f"ข้อมูลจากไฟล์ของหน่วยงาน ({source['url']})",
                   "en": f"Data from the agency's files ({source['url']})."},
            owner_org=source["owner_org"], theme=None,
            frequency="month", data_source=source["url"], licence="notspecified")
        # Each file is one harvest object: the themes of all of them add up
        # (of this source's own dataset: a clash is refused by the upsert).
        try:
            earlier = tk.get_action("package_show")(dict(context), {"id": record["name"]})
        except tk.ObjectNotFound:
            earlier = {}
        earlier = earlier.get("theme", []) if earlier.get("owner_org") == source["owner_org"] else []
        record["theme"] = datasets.in_vocabulary_order(
            "theme", set(earlier) | set(datasets.themes({o.variable for o in observations})))
        _action, dataset = ownership.upsert(context, harvest_object, record)
        harvest_object.package_id = dataset["id"]
        return self._write(context, dataset["id"], datastore_tables.OBSERVATIONS,
                           [observation_row(o) for o in observations])


#: the theme of each kind of report
REPORT_THEMES = {"smoke-burning": "air", "dust": "air", "ash": "air", "odour": "air",
                 "water-colour": "water", "waste-dumping": "waste", "other": None}


class TraffyHarvester(AdapterHarvester):
    """Traffy Fondue's complaints in the area, as community data: one
    DataStore table per harvest source placed by H3 cell (resolution 8) and
    tambon, never the point; the hour filed; no words of the complainant
    (the same layout as our own residents' reports). Not moderated here, so
    not on the residents' map nor in the fire layer's evidence."""
    adapter_class = traffy.Traffy

    def store(self, context, harvest_object, batch, source):
        rows = []
        for report in batch.reports:
            th, en = citizen_reports.CATEGORY_NAMES[report.category]
            rows.append({
                "source": report.source, "report_id": report.report_id, "category": report.category,
                "category_th": th, "category_en": en,
                "time_utc": report.time.replace(minute=0, second=0, microsecond=0),
                "tambon_code": places.tambon_of(report.longitude, report.latitude),
                "h3_cell": citizen_reports.cell(report.longitude, report.latitude),
                "h3_resolution": citizen_reports.H3_RESOLUTION, "status": report.status,
                "photo_url": report.photo_url})
        themes = {REPORT_THEMES[r["category"]] for r in rows} - {None}
        record = datasets.source_dataset(
            source["name"],
            title={"th": f"เรื่องร้องเรียนจาก Traffy Fondue ({source['title']})",
                   "en": f"Traffy Fondue complaints ({source['title']})"},
            notes={"th": "เรื่องร้องเรียนของประชาชนผ่าน Traffy Fondue (เนคเทค) ในพื้นที่: ข้อมูลจากภาคประชาชน "
                         "ไม่ใช่การตรวจวัด ระบุตำแหน่งเป็นช่อง H3 ความละเอียด 8 และตำบล ไม่มีข้อความของผู้ร้องเรียน "
                         "เวลาเป็นชั่วโมง (UTC) ประเภทเทียบกับประเภทของแพลตฟอร์ม",
                   "en": "Residents' complaints filed through Traffy Fondue (NECTEC) in the area: community "
                         "data, not measurements. Placed by H3 cell at resolution 8 and tambon, without the "
                         "complainant's words; the hour filed (UTC); Traffy's categories mapped to ours "
                         f"(Traffy's own in the source: {json.dumps(sorted(traffy.CATEGORIES), ensure_ascii=False)})."},
            owner_org=source["owner_org"], theme=None, frequency="day",
            data_source="Traffy Fondue (NECTEC)", licence="other-at")
        record["theme"] = datasets.in_vocabulary_order("theme", themes)
        _action, dataset = ownership.upsert(context, harvest_object, record)
        harvest_object.package_id = dataset["id"]
        return self._write(context, dataset["id"], datastore_tables.CITIZEN_REPORTS, rows)
