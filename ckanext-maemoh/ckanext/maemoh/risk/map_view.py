"""The risk-map view of a risk layer (resource view ``maemoh_risk_map``) and
the compact data it draws.

A risk layer's GeoJSON of 10 000 H3 hexagons weighs about 6 MB, most of it
the hexagons' coordinates, which the cell ids already determine. The view
fetches instead ``/maemoh/risk-map/<resource id>.json``: every property of
every cell, column by column, with the hexagons left out; the browser draws
them from the ids with h3-js. The full GeoJSON stays the download.

The compact format (``format``: ``maemoh-risk-map/1``)::

    {"format": "maemoh-risk-map/1", "count": N, "h3_resolution": 8,
     "columns": [{"name": "cell_id", "values": ["8864a4...", ...]},
                 {"name": "name_th", "labels": ["บ้านดง", ...], "index": [0, 0, 1, ...]},
                 ...],
     "geometry": null}

* ``columns``: one per property that any feature has, in the order met; the
  value of cell ``i`` is ``values[i]``, or ``labels[index[i]]`` for a column
  of texts that repeat (dictionary-encoded); a property a feature lacks is
  ``null``. Numbers keep their full precision.
* ``h3_resolution``: the resolution when every cell is an H3 cell of one
  resolution, else ``null``.
* ``geometry``: ``null`` when every cell is an H3 cell; otherwise one entry
  per cell, ``null`` for an H3 cell and the GeoJSON geometry of any other
  (the "tambon" grid's polygons).

Nothing of the data is put into HTML by the browser: the view's script
builds its tooltips with ``textContent``. The endpoint answers only what
``resource_show`` lets the caller read (403 otherwise, 404 for anything
but the GeoJSON of a ``risk-layer`` dataset) and keeps each layer's
payload in memory until the resource changes (its ``last_modified``,
``metadata_modified`` and file).

Legends (Thai and English together) and the colours of every class live
here and in :mod:`.risk_jobs.composite` (risk classes), the one place each.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import json
import logging
import os
import threading

import h3
import shapely
from flask import Blueprint, Response, request

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import places
from ckanext.maemoh.risk_jobs import composite
from ckanext.maemoh.store import published

log = logging.getLogger(__name__)

VIEW_TYPE = "maemoh_risk_map"
VIEW_TITLE = "แผนที่ความเสี่ยง / Risk map"
DATASET_TYPE = "risk-layer"
FORMAT = "maemoh-risk-map/1"
GEOJSON_FORMATS = ("geojson", "gjson")
#: the largest published GeoJSON the view reads (bytes); the download has no limit
MAX_GEOJSON_BYTES = 200_000_000
#: layers kept in memory per process
CACHE_SIZE = 8
#: a column of texts is sent as labels + indexes when it has at most this
#: share of distinct values
DICTIONARY_SHARE = 0.5
#: tambon outlines for the map: simplified (degrees) and rounded (decimals)
OUTLINE_TOLERANCE = 0.0003
OUTLINE_DECIMALS = 5
#: the option of the base map's tile URL template ({z}/{x}/{y}) and its attribution
TILE_URL_OPTION = "ckanext.maemoh.risk_map.tile_url"
TILE_ATTRIBUTION_OPTION = "ckanext.maemoh.risk_map.tile_attribution"


@dataclasses.dataclass(frozen=True)
class Category:
    """One class of a categorical map colouring, as the legend shows it."""

    code: str
    label_th: str
    label_en: str
    colour: str
    text_colour: str  # text on ``colour`` (tooltip badges): >= 4.5:1


# Local statistics: ColorBrewer RdBu (diverging, colour-blind safe) for the
# significant classes, greys for the others. Codes: risk_jobs/statistics.py.
LISA_CATEGORIES: tuple[Category, ...] = (
    Category("HH", "สูง–สูง: ค่าสูงล้อมรอบด้วยค่าสูง", "High–high: high among high", "#b2182b", "#ffffff"),
    Category("HL", "สูง–ต่ำ: ค่าสูงล้อมรอบด้วยค่าต่ำ", "High–low: high among low", "#ef8a62", "#000000"),
    Category("LH", "ต่ำ–สูง: ค่าต่ำล้อมรอบด้วยค่าสูง", "Low–high: low among high", "#67a9cf", "#000000"),
    Category("LL", "ต่ำ–ต่ำ: ค่าต่ำล้อมรอบด้วยค่าต่ำ", "Low–low: low among low", "#2166ac", "#ffffff"),
    Category("not significant", "ไม่มีนัยสำคัญ", "Not significant", "#f7f7f7", "#000000"),
    Category("no variation", "ค่าเท่ากับพื้นที่ข้างเคียง (ไม่ได้ทดสอบ)", "No variation (not tested)",
             "#bababa", "#000000"),
    Category("isolated", "ไม่มีพื้นที่ข้างเคียง", "Isolated (no neighbours)", "#878787", "#000000"),
    Category("no data", composite.NO_DATA_LABEL_TH, composite.NO_DATA_LABEL_EN,
             composite.NO_DATA_COLOUR, composite.NO_DATA_TEXT_COLOUR),
)
GI_CATEGORIES: tuple[Category, ...] = (
    Category("hot 99%", "จุดร้อน ความเชื่อมั่น 99%", "Hot spot, 99% confidence", "#b2182b", "#ffffff"),
    Category("hot 95%", "จุดร้อน ความเชื่อมั่น 95%", "Hot spot, 95% confidence", "#ef8a62", "#000000"),
    Category("hot 90%", "จุดร้อน ความเชื่อมั่น 90%", "Hot spot, 90% confidence", "#fddbc7", "#000000"),
    Category("cold 90%", "จุดเย็น ความเชื่อมั่น 90%", "Cold spot, 90% confidence", "#d1e5f0", "#000000"),
    Category("cold 95%", "จุดเย็น ความเชื่อมั่น 95%", "Cold spot, 95% confidence", "#67a9cf", "#000000"),
    Category("cold 99%", "จุดเย็น ความเชื่อมั่น 99%", "Cold spot, 99% confidence", "#2166ac", "#ffffff"),
    *LISA_CATEGORIES[4:],
)
#: shown in the legend even when no cell has them: they explain the palette
ALWAYS_LISTED = {"HH", "HL", "LH", "LL", "not significant",
                 "hot 99%", "hot 95%", "hot 90%", "cold 90%", "cold 95%", "cold 99%"}


@dataclasses.dataclass(frozen=True)
class Mode:
    """A way to colour the cells (a switch of the view): by which property."""

    key: str
    prop: str


MODES = (Mode("risk", "risk_class"), Mode("hazard", "hazard_level"),
         Mode("lisa", "lisa_class"), Mode("gi", "gi_class"))

#: why the LISA / Gi* switches are off, in both languages
NO_LOCAL_STATISTICS_TH = (
    "ชั้นข้อมูลนี้ไม่มีสถิติเชิงพื้นที่เฉพาะที่ (กลุ่ม LISA และจุดร้อน Gi*): "
    "เผยแพร่เฉพาะในชั้นข้อมูลที่ใช้ได้ เช่น ไฟ ส่วนชั้นข้อมูลที่ประมาณค่าจากสถานีตรวจวัด "
    "(อากาศ ความร้อน) มีค่าต่อเนื่องกันโดยวิธีคำนวณ การจับกลุ่มของค่าจึงไม่มีความหมาย")
NO_LOCAL_STATISTICS_EN = (
    "This layer has no local statistics (LISA clusters, Gi* hot spots): they are "
    "published only for layers where they apply, such as fire. Layers interpolated "
    "from stations (air, heat) are smooth by construction, so clusters in them would mean nothing.")
NO_HAZARD_TH = "ชั้นข้อมูลนี้ไม่มีระดับภัย"
NO_HAZARD_EN = "This layer has no hazard levels."


class RiskMapError(Exception):
    """The resource cannot be shown as a risk map (with the reason)."""


# ------------------------------------------------------------ which resources

def can_view(resource, dataset):
    """The GeoJSON resources of ``risk-layer`` datasets, nothing else."""
    return ((dataset or {}).get("type") == DATASET_TYPE
            and (resource.get("format") or "").strip().lower() in GEOJSON_FORMATS)


# ------------------------------------------------------------ compact format

def compact(geojson):
    """The compact form (a dict, see the module docstring) of a GeoJSON
    FeatureCollection of a risk layer."""
    if not _is_collection(geojson):
        raise RiskMapError("the GeoJSON is not a FeatureCollection")
    features = geojson.get("features") or []
    names = {}
    for feature in features:
        for name in (feature.get("properties") or {}):
            names.setdefault(name, None)
    count = len(features)
    properties = [feature.get("properties") or {} for feature in features]
    columns = [_column(name, [p.get(name) for p in properties], count) for name in names]

    cell_ids = [p.get("cell_id") for p in properties]
    h3_cells = [isinstance(c, str) and h3.is_valid_cell(c) for c in cell_ids]
    resolutions = {h3.get_resolution(c) for c, ok in zip(cell_ids, h3_cells) if ok}
    geometry = None
    if not all(h3_cells):
        geometry = [None if ok else feature.get("geometry") for ok, feature in zip(h3_cells, features)]
    return {"format": FORMAT, "count": count,
            "h3_resolution": resolutions.pop() if all(h3_cells) and len(resolutions) == 1 else None,
            "columns": columns, "geometry": geometry}


def _stored_file(resource):
    """The file of a published run's or an uploaded GeoJSON resource."""
    if resource.get("url_type") == published.URL_TYPE:
        return published.path(*published.parts(resource))
    if resource.get("url_type") != "upload":
        raise RiskMapError(tk._("only an uploaded GeoJSON is drawn: this one is a link"))
    from ckan.lib import uploader

    return uploader.get_resource_uploader(resource).get_path(resource["id"])


def _is_collection(geojson):
    return isinstance(geojson, dict) and geojson.get("type") == "FeatureCollection"


def _column(name, values, count):
    if values and all(v is None or isinstance(v, str) for v in values):
        labels = list(dict.fromkeys(values))
        if len(labels) <= max(1, DICTIONARY_SHARE * count):
            position = {label: i for i, label in enumerate(labels)}
            return {"name": name, "labels": labels, "index": [position[v] for v in values]}
    return {"name": name, "values": values}


def encode(payload):
    """The payload as the endpoint sends it: compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


# ------------------------------------------------------------ what the page shows

def summary(geojson):
    """What the page says without its script: which colourings the layer
    has, the legend of each (classes in Thai and English, colour, number of
    cells) and how many cells there are."""
    properties = [f.get("properties") or {} for f in geojson.get("features") or []]
    present = {name for p in properties for name in p}
    legends = {}
    for mode in MODES:
        if mode.prop not in present:
            continue
        counts = collections.Counter(_scalar(p.get(mode.prop)) for p in properties)
        legends[mode.key] = _legend(mode, counts, properties)
    has_local = "lisa" in legends or "gi" in legends
    return {
        "count": len(properties),
        "modes": [{"key": m.key, "available": m.key in legends} for m in MODES],
        "legends": legends,
        "has_local_statistics": has_local,
        "has_uncertainty": "uncertainty" in present,
    }


def _legend(mode, counts, properties):
    if mode.key == "risk":
        items = [_item(c.value, c.label_th, c.label_en, c.colour, c.text_colour, counts.get(c.value, 0))
                 for c in composite.RISK_CLASSES]
    elif mode.key == "hazard":
        labels = {}
        for p in properties:
            level = p.get("hazard_level")
            if level is not None and level not in labels:
                labels[level] = (p.get("hazard_label_th"), p.get("hazard_label_en"))
        items = []
        for c in composite.RISK_CLASSES:  # hazard levels 1-5 share the ramp of the risk classes
            th, en = labels.get(c.value, (None, None))
            items.append(_item(c.value, th or f"ระดับ {c.value}", en or f"Level {c.value}",
                               c.colour, c.text_colour, counts.get(c.value, 0)))
    if mode.key in ("lisa", "gi"):
        categories = LISA_CATEGORIES if mode.key == "lisa" else GI_CATEGORIES
        items = [_item(c.code, c.label_th, c.label_en, c.colour, c.text_colour, counts.get(c.code, 0))
                 for c in categories
                 if c.code in ALWAYS_LISTED or counts.get(c.code) or c.code == "no data" and counts.get(None)]
        # "no data" counts the cells without a class as well as those that say so
        for item in items:
            if item["code"] == "no data":
                item["count"] += counts.get(None, 0)
    else:
        no_data = counts.get(None, 0)
        if no_data:
            items.append(_item(None, composite.NO_DATA_LABEL_TH, composite.NO_DATA_LABEL_EN,
                               composite.NO_DATA_COLOUR, composite.NO_DATA_TEXT_COLOUR, no_data))
    # a class this view does not know is listed as it is, grey like no data
    known = {item["code"] for item in items}
    for value, count in counts.items():
        if value is not None and _code(value) not in known:
            items.append(_item(value, str(value), str(value), composite.NO_DATA_COLOUR,
                               composite.NO_DATA_TEXT_COLOUR, count))
    return items


def _scalar(value):
    return value if value is None or isinstance(value, (str, int, float)) else json.dumps(value)


def _code(value):
    """A class as the page's script reads it (JavaScript's String(value))."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _item(code, label_th, label_en, colour, text_colour, count):
    return {"code": _code(code), "label_th": label_th, "label_en": label_en,
            "colour": colour, "text_colour": text_colour, "count": count}


def categories():
    """Every (colour, text colour) pair of the map's classes, for the contrast test."""
    risk = [(c.colour, c.text_colour) for c in composite.RISK_CLASSES]
    return risk + [(composite.NO_DATA_COLOUR, composite.NO_DATA_TEXT_COLOUR)] + [
        (c.colour, c.text_colour) for c in LISA_CATEGORIES + GI_CATEGORIES]


# ------------------------------------------------------------ reading a layer

@dataclasses.dataclass(frozen=True)
class Loaded:
    version: tuple
    etag: str
    payload: bytes
    summary: dict


_cache: collections.OrderedDict[str, Loaded] = collections.OrderedDict()
_lock = threading.Lock()


def load(resource):
    """The compact payload and the summary of a published or uploaded
    risk-layer GeoJSON resource (a ``resource_show`` dict the caller may
    read), computed once per version of the resource and kept for the next
    readers."""
    try:
        path = _stored_file(resource)
        stat = os.stat(path)
    except (OSError, published.NotPublished):
        raise RiskMapError(tk._("the GeoJSON file is missing"))
    if stat.st_size > MAX_GEOJSON_BYTES:
        raise RiskMapError(tk._("the GeoJSON is too large to draw; download it instead"))
    version = (resource.get("last_modified"), resource.get("metadata_modified"),
               stat.st_mtime_ns, stat.st_size)
    with _lock:
        found = _cache.get(resource["id"])
        if found and found.version == version:
            _cache.move_to_end(resource["id"])
            return found
    try:
        with open(path, "rb") as f:
            geojson = json.load(f)
    except (OSError, ValueError) as error:
        log.warning("risk map of resource %s: %s", resource["id"], error)
        raise RiskMapError(tk._("the GeoJSON cannot be read"))
    if not _is_collection(geojson):
        raise RiskMapError(tk._("the GeoJSON is not a FeatureCollection"))
    payload = encode(compact(geojson))
    etag = hashlib.sha256(repr((resource["id"],) + version).encode()).hexdigest()[:32]
    loaded = Loaded(version, etag, payload, summary(geojson))
    with _lock:
        _cache[resource["id"]] = loaded
        _cache.move_to_end(resource["id"])
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


@functools.lru_cache(maxsize=1)
def tambon_outlines():
    """The five tambons for the map (code, names, simplified outline) as
    compact GeoJSON bytes."""
    features = []
    for shape in places.tambon_features():
        geometry = shapely.simplify(shapely.geometry.shape(shape["geometry"]), OUTLINE_TOLERANCE,
                                    preserve_topology=True)
        geometry = shapely.set_precision(geometry, 10 ** -OUTLINE_DECIMALS)
        props = shape["properties"]
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geometry),
                         "properties": {k: props[k] for k in ("tambon_code", "name_th", "name_en")}})
    return encode({"type": "FeatureCollection", "features": features})


# ------------------------------------------------------------ the view's page

def template_variables(resource, dataset):
    """What ``maemoh/risk_map_view.html`` needs."""
    config = tk.config
    variables = {
        "lang": "en" if tk.h.lang() == "en" else "th",
        "tile_url": config.get(TILE_URL_OPTION) or "",
        "tile_attribution": config.get(TILE_ATTRIBUTION_OPTION) or "",
        "no_data_colour": composite.NO_DATA_COLOUR,
        "no_local_th": NO_LOCAL_STATISTICS_TH, "no_local_en": NO_LOCAL_STATISTICS_EN,
        "no_hazard_th": NO_HAZARD_TH, "no_hazard_en": NO_HAZARD_EN,
        "dataset": dataset, "resource": resource, "error": None, "summary": None,
        "tambons_url": tk.url_for("maemoh_risk_map.tambons"),
    }
    try:
        loaded = load(resource)
    except RiskMapError as error:
        variables["error"] = str(error)
        return variables
    variables["summary"] = loaded.summary
    variables["data_url"] = tk.url_for("maemoh_risk_map.data", resource_id=resource["id"], v=loaded.etag)
    return variables


# ------------------------------------------------------------ the endpoints

risk_map_data = Blueprint("maemoh_risk_map", __name__, url_prefix="/maemoh/risk-map")


def _json_error(status, message):
    response = Response(encode({"error": message}), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@risk_map_data.route("/<resource_id>.json")
def data(resource_id):
    """The compact form of a risk layer's GeoJSON, for readers of the resource."""
    from ckan import model

    context = {"user": tk.current_user.name if tk.current_user else ""}
    try:
        resource = tk.get_action("resource_show")(context, {"id": resource_id})
    except tk.ObjectNotFound:
        return _json_error(404, tk._("Resource not found"))
    except tk.NotAuthorized:
        return _json_error(403, tk._("Not authorised to read this resource"))
    dataset = model.Package.get(resource["package_id"])
    if not can_view(resource, {"type": dataset.type if dataset else None}):
        return _json_error(404, tk._("Not the map of a risk layer"))
    try:
        loaded = load(resource)
    except RiskMapError as error:
        return _json_error(404, str(error))
    response = Response(loaded.payload, mimetype="application/json")
    response.set_etag(loaded.etag)
    # revalidated on every view (ETag), never kept by a shared cache when private
    response.headers["Cache-Control"] = "private, no-cache" if dataset.private else "public, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@risk_map_data.route("/tambons.geojson")
def tambons():
    """The tambon outlines drawn over the cells (public reference data)."""
    payload = tambon_outlines()
    response = Response(payload, mimetype="application/geo+json")
    response.set_etag(hashlib.sha256(payload).hexdigest()[:32])
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
