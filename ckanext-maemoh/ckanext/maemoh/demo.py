"""The first demo: the district organisation, its boundaries and stations.

Every step is an upsert, so loading twice changes nothing. Harvested data
replaces this demo in later work.
"""
import csv
import json
import os

from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk

from ckanext.maemoh import catalog

BOUNDARY_ATTRIBUTION = (
    "Administrative boundaries: Royal Thai Survey Department / OCHA ROAP, "
    "Thailand COD-AB (HDX cod-ab-tha), CC BY-IGO 3.0; modified (subset, "
    "rounded coordinates, renamed attributes)."
)
STATION_ATTRIBUTION = "Pollution Control Department (Air4Thai)"

BOUNDARY_DATASET = "maemoh-tambon-boundaries"

BOUNDARY_RESOURCES = [
    ("maemoh_tambons.geojson", "Tambon boundaries (5 sub-districts)",
     "ขอบเขตตำบล 5 ตำบล / the five sub-districts, EPSG:4326."),
    ("maemoh_district.geojson", "District outline",
     "ขอบเขตอำเภอแม่เมาะ / the district outline, EPSG:4326."),
]

REQUIRED_FILES = [
    "maemoh_district.geojson", "maemoh_tambons.geojson", "air4thai_stations.csv",
]


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
    yield from _upsert_resources(context, BOUNDARY_DATASET, data_dir)
    for station in _read_stations(data_dir):
        yield _report(context, "package", _station_dataset(station, org_name))


# GDC fields every demo dataset shares.
GDC_DEFAULTS = {
    "objective": ["public-service"],
    "data_category": "public",
    "data_language": ["th", "en"],
}
AIR4THAI_VARIABLES = [  # units as Air4Thai publishes them; hourly history
    ("pm25", "ug/m3"), ("pm10", "ug/m3"), ("o3", "[ppb]"), ("co", "[ppm]"),
    ("no2", "[ppb]"), ("so2", "[ppb]"),
]


def _report(context, kind, data):
    action, _result = catalog.upsert(context, kind, data)
    return f"{action} {kind} {data['name']}"


def _boundary_dataset(data_dir, org_name):
    with open(os.path.join(data_dir, "maemoh_district.geojson"),
              encoding="utf-8") as f:
        district = json.load(f)
    return {
        **GDC_DEFAULTS,
        "name": BOUNDARY_DATASET,
        "type": "dataset",
        "title_translated": {
            "th": "ขอบเขตตำบล อำเภอแม่เมาะ",
            "en": "Mae Moh sub-district boundaries",
        },
        "notes_translated": {
            "th": "ขอบเขตการปกครองระดับตำบลทั้ง 5 ตำบลของอำเภอแม่เมาะ จังหวัดลำปาง "
                  "(บ้านดง นาสัก จางเหนือ แม่เมาะ สบป้าด) และขอบเขตอำเภอ "
                  "พิกัด EPSG:4326\n\n" + BOUNDARY_ATTRIBUTION,
            "en": "Administrative boundaries of the five sub-districts (tambons) "
                  "of Mae Moh district, Lampang: Ban Dong, Na Sak, Chang Nuea, "
                  "Mae Mo and Sop Pat, and the district outline. Polygons in "
                  "EPSG:4326.\n\n" + BOUNDARY_ATTRIBUTION,
        },
        "owner_org": org_name,
        "theme": ["land-use", "population"],
        "tags": [{"name": "boundaries"}, {"name": "tambon"}],
        "license_id": "CC-BY-IGO-3.0",
        "spatial": json.dumps(_single_geometry(district)),
        "update_frequency_unit": "never",
        "quality_level": "official",
        "data_type": "geospatial",
        "geo_coverage": "district",
        "data_source": "Royal Thai Survey Department / OCHA ROAP (HDX cod-ab-tha)",
        "data_format": ["GeoJSON"],
        "reference_period": "2022-01-21",
    }


def _single_geometry(feature_collection):
    (feature,) = feature_collection["features"]
    return feature["geometry"]


def _upsert_resources(context, dataset_name, data_dir):
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_name})
    existing = {resource["name"] for resource in dataset["resources"]}
    for filename, name, description in BOUNDARY_RESOURCES:
        if name in existing:
            yield f"kept resource {name}"
            continue
        with open(os.path.join(data_dir, filename), "rb") as stream:
            tk.get_action("resource_create")(dict(context), {
                "package_id": dataset_name,
                "name": name,
                "description": description,
                "format": "GeoJSON",
                "upload": FileStorage(stream=stream, filename=filename),
            })
        yield f"created resource {name}"


def _read_stations(data_dir):
    with open(os.path.join(data_dir, "air4thai_stations.csv"),
              encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _station_dataset(station, org_name):
    station_id = station["station_id"]
    place_th = "นอกอำเภอแม่เมาะ (อำเภอเมืองลำปาง)" if station["note"] else "อำเภอแม่เมาะ"
    place_en = station["note"] or "Mae Moh district"
    return {
        **GDC_DEFAULTS,
        "name": f"air4thai-station-{station_id}",
        "type": "sensor-station",
        "title_translated": {
            "th": f"สถานีตรวจวัดคุณภาพอากาศ {station_id} {station['name_th']}",
            "en": f"Air4Thai station {station_id}: {station['name_en']}",
        },
        "notes_translated": {
            "th": f"สถานีตรวจวัดคุณภาพอากาศ {station_id} ของกรมควบคุมมลพิษ "
                  f"({place_th})\n\nที่มา: {STATION_ATTRIBUTION}",
            "en": f"Air-quality monitoring station {station_id} of the Pollution "
                  f"Control Department ({place_en}).\n\nSource: {STATION_ATTRIBUTION}",
        },
        "owner_org": org_name,
        "theme": ["air"],
        "tags": [{"name": "air4thai"}, {"name": "pm25"}],
        "license_id": "notspecified",
        "spatial": json.dumps({
            "type": "Point",
            "coordinates": [float(station["lon"]), float(station["lat"])],
        }),
        "update_frequency_unit": "hour",
        "update_frequency_interval": "1",
        "quality_level": "raw",
        "variables": [{"variable": code, "unit": unit, "averaging_period": "PT1H"}
                      for code, unit in AIR4THAI_VARIABLES],
        "data_type": "record",
        "geo_coverage": "coordinates",
        "data_source": STATION_ATTRIBUTION,
        "station_id": station_id,
        "network": "air4thai",
        "operator": "กรมควบคุมมลพิษ / Pollution Control Department",
        "measured_parameters": [code for code, _unit in AIR4THAI_VARIABLES],
        "station_status": "active",
        "timezone": "Asia/Bangkok",
    }
