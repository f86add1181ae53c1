"""The demo: the district organisation and its boundaries, a generated
land-cover raster (:mod:`.land_cover`), and harvest sources that bring in
stations, observations, fire detections and agency files (from the local
replay server of ``deploy/demo``).

Every step is an upsert, so loading twice changes nothing.
"""
import json
import os

from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckanext.harvest.logic import HarvestJobExists

from ckanext.maemoh.demo import land_cover
from ckanext.maemoh.store import catalog
from ckanext.maemoh.reference import datasets, places

REQUIRED_FILES = ["maemoh_district.geojson", "maemoh_tambons.geojson", "population_2024.csv"]


class DemoDataError(Exception):
    """The demo folder lacks a file it needs."""


def load(data_dir):
    """Upsert the demo content from ``data_dir``; yield one line per step.

    Raises :class:`DemoDataError` before changing anything when a file is
    missing.
    """
    missing = [name for name in REQUIRED_FILES
               if not os.path.isfile(os.path.join(data_dir, name))]
    if missing:
        raise DemoDataError(f"{data_dir} lacks {', '.join(missing)}")
    context = catalog.site_context()
    org_name = tk.config["ckanext.maemoh.organization"]
    yield _report(context, "organization", {
        "name": org_name,
        "agency_type": "government",
        "title": "อำเภอแม่เมาะ · Mae Moh District",
        "description": (
            "ข้อมูลพลังงานและสิ่งแวดล้อมของอำเภอแม่เมาะ จังหวัดลำปาง\n\n"
            "Energy and environment data of Mae Moh district, Lampang."
        ),
    })
    yield _report(context, "package", _boundary_dataset(data_dir, org_name))
    yield from _upsert_resources(context, datasets.boundary_dataset(), data_dir)
    yield from land_cover.load(org_name)


def _report(context, kind, data):
    action, _result = catalog.upsert(context, kind, data)
    return f"{action} {kind} {data['name']}"


def _boundary_dataset(data_dir, org_name):
    return {
        "objective": ["public-service"],
        "data_category": "public",
        "data_language": ["th", "en"],
        "name": datasets.boundary_dataset(),
        "type": "dataset",
        "title_translated": {
            "th": "ขอบเขตตำบล อำเภอแม่เมาะ",
            "en": "Mae Moh sub-district boundaries",
        },
        "notes_translated": {
            "th": "ขอบเขตการปกครองระดับตำบลทั้ง 5 ตำบลของอำเภอแม่เมาะ จังหวัดลำปาง "
                  "(บ้านดง นาสัก จางเหนือ แม่เมาะ สบป้าด) และขอบเขตอำเภอ "
                  "พิกัด EPSG:4326\n\n" + datasets.BOUNDARY_ATTRIBUTION,
            "en": "Administrative boundaries of the five sub-districts (tambons) "
                  "of Mae Moh district, Lampang: Ban Dong, Na Sak, Chang Nuea, "
                  "Mae Mo and Sop Pat, and the district outline. Polygons in "
                  "EPSG:4326.\n\n" + datasets.BOUNDARY_ATTRIBUTION,
        },
        "owner_org": org_name,
        "theme": ["land-use", "population"],
        "tags": [{"name": "boundaries"}, {"name": "tambon"}],
        "license_id": "CC-BY-IGO-3.0",
        "spatial": json.dumps(places.district_geojson(data_dir)),
        "update_frequency_unit": "never",
        "quality_level": "official",
        "data_type": "geospatial",
        "geo_coverage": "district",
        "data_source": "Royal Thai Survey Department / OCHA ROAP (HDX cod-ab-tha)",
        "data_format": ["GeoJSON"],
        "reference_period": "2022-01-21",
    }


def _upsert_resources(context, dataset_name, data_dir):
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_name})
    existing = {resource["name"] for resource in dataset["resources"]}
    for filename, fmt, name, description in datasets.BOUNDARY_RESOURCES:
        if name in existing:
            yield f"kept resource {name}"
            continue
        with open(os.path.join(data_dir, filename), "rb") as stream:
            tk.get_action("resource_create")(dict(context), {
                "package_id": dataset_name,
                "name": name,
                "description": description,
                "format": fmt,
                "upload": FileStorage(stream=stream, filename=filename),
            })
        yield f"created resource {name}"


def register_harvest_sources(sources_file, base_url):
    """Create or update the demo's harvest sources (a JSON list: name, title,
    source_type, path, config, frequency) against ``base_url``, owned by the
    district organisation, and queue a harvest job for each; yield one line
    per source."""
    with open(sources_file, encoding="utf-8") as f:
        sources = json.load(f)
    context = catalog.site_context()
    org_name = tk.config["ckanext.maemoh.organization"]
    for source in sources:
        data = {
            "name": source["name"],
            "title": f"{source['title']['th']} / {source['title']['en']}",
            "url": base_url.rstrip("/") + source["path"],
            "source_type": source["source_type"],
            "config": json.dumps(source["config"], ensure_ascii=False),
            "frequency": source["frequency"],
            "owner_org": org_name,
        }
        try:
            existing = tk.get_action("harvest_source_show")(dict(context), {"id": data["name"]})
        except tk.ObjectNotFound:
            existing = tk.get_action("harvest_source_create")(dict(context), data)
            action = "created"
        else:
            changed = (json.loads(existing.get("config") or "{}") != source["config"]
                       or any(existing.get(key) != data[key]
                              for key in ("url", "source_type", "frequency", "title")))
            if changed:
                existing = tk.get_action("harvest_source_update")(
                    dict(context), dict(data, id=existing["id"]))
            action = "updated" if changed else "kept"
        yield f"{action} harvest source {data['name']}: {_queue_job(context, existing['id'])}"


def _queue_job(context, source_id):
    try:
        tk.get_action("harvest_job_create")(dict(context), {"source_id": source_id, "run": True})
    except HarvestJobExists:
        return "an earlier job is not finished yet"
    return "harvest queued"
