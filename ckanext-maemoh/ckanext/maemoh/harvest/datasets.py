"""Catalogue records of harvested things: a station's ``sensor-station``
dataset, and the ``dataset`` that holds a whole source's table (fire
detections, agency files), mapped from the domain records."""
import json
import logging
import re

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.reference.datasets import GDC_DEFAULTS
from ckanext.maemoh.harvesters.variables import VARIABLES
from ckanext.maemoh.risk_jobs import water

VARIABLE_THEMES = {
    **dict.fromkeys(water.VARIABLES, "water"),
    "temperature": "climate-weather", "relative-humidity": "climate-weather",
    "wind-speed": "climate-weather", "wind-direction": "climate-weather",
    "rainfall": "climate-weather", "pressure": "climate-weather",
    "fire-radiative-power": "fire",
    "waste-mass": "waste", "waste-landfilled": "waste", "electricity-use": "energy",
}
log = logging.getLogger(__name__)

# Licence spellings sources give -> our licence ids (schemas/licenses.json).
LICENCE_SPELLINGS = {
    "cc by 4.0": "CC-BY-4.0", "cc-by-4.0": "CC-BY-4.0",
    "cc by-sa 4.0": "CC-BY-SA-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc0 1.0": "CC0-1.0", "cc0-1.0": "CC0-1.0", "odbl": "ODbL-1.0",
}


def slug(text):
    return re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-")


def station_dataset_name(station):
    return f"{slug(station.network)}-station-{slug(station.station_id)}"


def in_vocabulary_order(name, codes):
    """``codes`` of vocabulary ``name`` in its order (as scheming stores
    multiple choices), unknown codes dropped."""
    return [code for code in vocabularies.codes(name) if code in set(codes)]


def themes(variables):
    found = {VARIABLE_THEMES.get(code, "air") for code in variables}
    return in_vocabulary_order("theme", found) or ["air"]


def licence_id(value, name=""):
    """Our licence id for a licence id, title, URL or common spelling
    ("CC BY 4.0"); ``notspecified`` when none or not in our register."""
    folded = " ".join(str(value or "").lower().split())
    if not folded:
        return "notspecified"
    if folded in LICENCE_SPELLINGS:
        return LICENCE_SPELLINGS[folded]
    for licence in tk.get_action("license_list")({"ignore_auth": True}, {}):
        if folded in (licence["id"].lower(), licence["title"].lower(),
                      (licence.get("url") or "").lower()):
            return licence["id"]
    log.warning("%s: licence %r not in our register: notspecified", name, value)
    return "notspecified"


def station_dataset(station, observed, owner_org, averaging_periods):
    """The ``sensor-station`` dataset of a :class:`~harvesters.model.Station`.

    ``observed``: variable codes seen in this harvest (with the station's own
    list, they make ``measured_parameters``); ``averaging_periods``:
    ``{variable: period}`` of the observations, for the ``variables`` field.
    """
    codes = in_vocabulary_order("variable", set(station.variables) | set(observed))
    source = station.attribution or station.network
    notes_en = f"Monitoring station {station.station_id} of the {station.network} network."
    notes_th = f"สถานีตรวจวัด {station.station_id} ของเครือข่าย {station.network}"
    if station.licence and licence_id(station.licence) == "notspecified":
        notes_en += f"\n\nLicence stated by the source: {station.licence}"
        notes_th += f"\n\nสัญญาอนุญาตตามแหล่งข้อมูล: {station.licence}"
    return {
        **GDC_DEFAULTS,
        "type": "sensor-station",
        "name": station_dataset_name(station),
        "owner_org": owner_org,
        "title_translated": {"th": station.name_th or station.name_en,
                             "en": station.name_en or station.name_th},
        "notes_translated": {"th": f"{notes_th}\n\nที่มา: {source}",
                             "en": f"{notes_en}\n\nSource: {source}"},
        "theme": themes(codes),
        "spatial": json.dumps({"type": "Point",
                               "coordinates": [station.longitude, station.latitude]}),
        "update_frequency_unit": "hour",
        "update_frequency_interval": "1",
        "quality_level": "raw",
        "license_id": licence_id(station.licence),
        "geo_coverage": "coordinates",
        "data_source": source,
        "variables": [{"variable": code, "unit": VARIABLES[code].unit,
                       "averaging_period": averaging_periods.get(code, "PT1H")}
                      for code in codes if code in VARIABLES],
        "station_id": station.station_id,
        "network": station.network,
        "operator": station.operator,
        **({"instrument_class": station.instrument_class} if station.instrument_class else {}),
        "measured_parameters": codes,
        "station_status": "active",
        "timezone": station.timezone,
        **({"elevation_m": str(float(station.elevation_m))}
           if station.elevation_m is not None else {}),
    }


def source_dataset(source_name, title, notes, owner_org, theme, frequency,
                   data_source, licence, spatial=None):
    """The ``dataset`` holding the table of a whole harvest source."""
    return {
        **GDC_DEFAULTS,
        "type": "dataset",
        "name": f"{slug(source_name)}-data",
        "owner_org": owner_org,
        "title_translated": title,
        "notes_translated": notes,
        "theme": [theme] if theme else [],
        "update_frequency_unit": frequency,
        "update_frequency_interval": "1",
        "quality_level": "raw",
        "license_id": licence,
        "geo_coverage": "district",
        "data_source": data_source,
        **({"spatial": json.dumps(spatial)} if spatial else {}),
    }
