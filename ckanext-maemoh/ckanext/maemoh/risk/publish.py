"""Publish a computed risk layer to CKAN: the one place a risk result
becomes a ``risk-layer`` dataset named ``risk-<dimension>``.

The four files are built and checked first, then :func:`.publish.publish`
creates or patches the dataset and replaces the uploads in place (same
resource ids): a bad layer leaves the previous one as it was. Views: the
risk map (``maemoh_risk_map``, shown first) on the GeoJSON, an
``image_view`` on the PNG, and the tambon summary is a DataStore table
(``datatables_view``) that other pages and actions can query.
"""
import dataclasses
import datetime as dt
import json

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import places, vocabularies
from ckanext.maemoh.risk_jobs import dimensions
from ckanext.maemoh.store import publish

DATASET_TYPE = "risk-layer"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TAMBON_TABLE = "Risk per tambon"
TAMBON_FIELDS = (
    {"id": "tambon_code", "type": "text"}, {"id": "name_th", "type": "text"},
    {"id": "name_en", "type": "text"}, {"id": "cells", "type": "int"},
    {"id": "value_mean", "type": "float8"}, {"id": "risk_mean", "type": "float8"},
    {"id": "risk_class_max", "type": "int"}, {"id": "hot_spot_cells", "type": "int"},
    {"id": "high_high_cells", "type": "int"},
)

#: the other tables a layer may give (:attr:`pipeline.Layer.tables`): resource name, description
EXTRA_TABLES = {
    "sampling points": ("Sampling points", "จุดเก็บตัวอย่างน้ำและประเภทคุณภาพน้ำตามมาตรฐานน้ำผิวดิน / "
                                           "Water sampling points and their class on the surface-water standard"),
    "parameters": ("Parameters per sampling point", "ค่าสถิติและประเภทของแต่ละดัชนีคุณภาพน้ำรายจุด / "
                                                    "Statistic and class of each parameter at each point"),
    "landfills": ("Landfills", "ที่ตั้งสถานที่ฝังกลบขยะและปริมาณที่รับ / Landfills and the waste they received"),
    "residents' reports": ("Residents' reports (evidence)",
                           "รายงานควัน การเผา และเถ้าของประชาชนที่อนุมัติแล้วรายช่อง: หลักฐานประกอบ ถ่วงน้ำหนัก "
                           "ไม่รวมในค่าความเสี่ยง / Residents' approved reports of smoke, burning and ash per "
                           "cell: weighted supporting evidence, not added to the hazard"),
}
SAMPLING_POINTS_TABLE = EXTRA_TABLES["sampling points"][0]

#: the catalogue theme of the composite, which reads no dataset of its own
COMPOSITE_THEME = "disaster"

# name, format, file name (``{d}`` is the dimension), mimetype, view, (th, en) description
RESOURCES = (
    ("Risk map (GeoJSON)", "GeoJSON", "risk-{d}.geojson", "application/geo+json", "maemoh_risk_map",
     ("แผนที่ความเสี่ยง (GeoJSON, EPSG:4326)", "Risk map (GeoJSON, EPSG:4326)")),
    ("Risk table (CSV)", "CSV", "risk-{d}.csv", "text/csv", None,
     ("ตารางความเสี่ยงรายหน่วยพื้นที่", "Risk per spatial unit, as a table")),
    ("Risk map (PNG)", "PNG", "risk-{d}.png", "image/png", "image_view",
     ("ภาพแผนที่ความเสี่ยง", "Risk map, as an image")),
    ("Method record (JSON)", "JSON", "risk-{d}-method.json", "application/json", None,
     ("บันทึกวิธีการคำนวณ ข้อมูลนำเข้า และพารามิเตอร์",
      "How the layer was computed: inputs, parameters, library versions")),
)


@dataclasses.dataclass
class RiskLayer:
    """A computed risk result, ready to publish."""
    dimension: str                  # risk_dimension code
    method: str                     # risk_method code
    spatial_unit: str               # "tambon" or "h3"
    h3_resolution: int | None
    period_start: dt.date
    period_end: dt.date
    parameters: dict
    input_datasets: list
    computed_at: dt.datetime        # UTC
    geojson: dict
    csv: str
    png: bytes
    method_record: dict
    tambon_summary: list = dataclasses.field(default_factory=list)  # rows of TAMBON_FIELDS
    tables: dict = dataclasses.field(default_factory=dict)          # EXTRA_TABLES key -> DataFrame


def dataset_name(dimension):
    return f"risk-{dimension}"


def publish_layer(context, layer):
    """Create or update the ``risk-<dimension>`` dataset from ``layer``,
    acting with ``context``. Returns the dataset dict (with resources).
    Raises ``tk.ValidationError`` (nothing written) for a bad layer."""
    data = _dataset_dict(layer)
    files = _files(layer)
    uploads = [publish.File(name, fmt, filename.format(d=layer.dimension), mimetype,
                            f"{desc_th}\n\n{desc_en}", files[name], view)
               for name, fmt, filename, mimetype, view, (desc_th, desc_en) in RESOURCES]
    tables = [publish.Table(TAMBON_TABLE, "สรุปความเสี่ยงรายตำบล / Risk summary per tambon",
                            TAMBON_FIELDS, layer.tambon_summary)] if layer.tambon_summary else []
    tables += [publish.Table.of(*EXTRA_TABLES[key], frame) for key, frame in layer.tables.items()]
    return publish.publish(context, data, uploads, tables)


# ------------------------------------------------------------ building

def _dataset_dict(layer):
    errors = {}
    if layer.dimension not in vocabularies.codes("risk_dimension"):
        errors["risk_dimension"] = [f"Unknown risk dimension: {layer.dimension!r}"]
    if layer.method not in vocabularies.codes("risk_method"):
        errors["risk_method"] = [f"Unknown risk method: {layer.method!r}"]
    if layer.spatial_unit not in vocabularies.codes("spatial_unit"):
        errors["spatial_unit"] = [f"Unknown spatial unit: {layer.spatial_unit!r}"]
    if layer.spatial_unit == "h3" and layer.h3_resolution is None:
        errors["h3_resolution"] = ["An H3 layer needs its resolution"]
    if layer.computed_at.tzinfo is None:
        errors["computed_at"] = ["Give computed_at with a time zone (UTC)"]
    if errors:
        raise tk.ValidationError(errors)

    dim_th = vocabularies.label("risk_dimension", layer.dimension, "th")
    dim_en = vocabularies.label("risk_dimension", layer.dimension, "en")
    method_th = vocabularies.label("risk_method", layer.method, "th")
    method_en = vocabularies.label("risk_method", layer.method, "en")
    unit_th = vocabularies.label("spatial_unit", layer.spatial_unit, "th")
    unit_en = vocabularies.label("spatial_unit", layer.spatial_unit, "en")
    start, end = layer.period_start.isoformat(), layer.period_end.isoformat()
    data = {
        "name": dataset_name(layer.dimension),
        "type": DATASET_TYPE,
        "owner_org": tk.config["ckanext.maemoh.organization"],
        "title_translated": {
            "th": f"แผนที่ความเสี่ยงด้าน{dim_th} อำเภอแม่เมาะ",
            "en": f"{dim_en} risk map, Mae Moh district",
        },
        "notes_translated": {
            "th": (f"ความเสี่ยงด้าน{dim_th}ราย{unit_th} อำเภอแม่เมาะ จังหวัดลำปาง "
                   f"ช่วง {start} ถึง {end} คำนวณด้วย {method_th} "
                   "รายละเอียดวิธีการอยู่ในไฟล์บันทึกวิธีการ (JSON)"),
            "en": (f"{dim_en} risk per unit ({unit_en}) in Mae Moh district, "
                   f"Lampang, {start} to {end}, computed with {method_en}. "
                   "The method record (JSON) says how."),
        },
        "theme": themes(layer.dimension),
        "spatial": json.dumps(places.district_geojson()),
        "temporal_start": start,
        "temporal_end": end,
        "update_frequency_unit": "unknown",
        "quality_level": "validated",
        "data_type": "geospatial",
        "objective": ["public-service"],
        "geo_coverage": "district",
        "data_source": "Mae Moh City Data Platform risk jobs",
        "data_format": ["GeoJSON", "CSV", "PNG", "JSON"],
        "data_category": "public",
        "data_language": ["th", "en"],
        "risk_dimension": layer.dimension,
        "risk_method": layer.method,
        "spatial_unit": layer.spatial_unit,
        "risk_parameters": layer.parameters,
        "input_datasets": list(layer.input_datasets),
        "computed_at": layer.computed_at.astimezone(dt.timezone.utc).isoformat(),
    }
    if layer.h3_resolution is not None:
        data["h3_resolution"] = str(layer.h3_resolution)
    return data


def _files(layer):
    """The bytes of each resource, by name; ValidationError when one is bad."""
    errors = {}
    geojson = layer.geojson
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        errors["geojson"] = ["Give a GeoJSON FeatureCollection"]
    if not isinstance(layer.csv, str) or not layer.csv.strip():
        errors["csv"] = ["Give the CSV text"]
    if not isinstance(layer.png, bytes) or not layer.png.startswith(PNG_SIGNATURE):
        errors["png"] = ["Give a PNG image"]
    if not isinstance(layer.method_record, dict):
        errors["method_record"] = ["Give the method record as a dict"]
    if errors:
        raise tk.ValidationError(errors)
    try:
        return {
            "Risk map (GeoJSON)": json.dumps(geojson, ensure_ascii=False, allow_nan=False,
                                             separators=(",", ":")).encode("utf-8"),
            "Risk table (CSV)": layer.csv.encode("utf-8"),
            "Risk map (PNG)": layer.png,
            "Method record (JSON)": json.dumps(layer.method_record, ensure_ascii=False,
                                               allow_nan=False, indent=2).encode("utf-8"),
        }
    except (TypeError, ValueError) as error:
        raise tk.ValidationError({"files": [f"Not JSON-serialisable: {error}"]})


def themes(dimension):
    """The catalogue themes of a dimension's layer: those of the data it reads."""
    return list(dimensions.get(dimension).themes) or [COMPOSITE_THEME]
