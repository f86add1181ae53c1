"""The demo's greenhouse-gas inputs, as DataStore tables anyone can query:

* ``ghg-emission-factors``: emission factors (TGO, IPCC), GWP sets (from
  ``netzero/gwp.yaml``: fossil and non-fossil methane apart) and
  sequestration factors, each row with its source, validity and how well it
  is verified (``data/ghg/*.csv``);
* ``maemoh-ghg-activity-demo``: activity data for the inventory, ILLUSTRATIVE
  (made up at plausible magnitudes), said so in both languages in its title
  and description. Real agency files replace it through the agency-files
  harvester.

A table already present is kept as it is (loading twice changes nothing),
unless its columns are no longer those of its source: then it is replaced.
"""
import pandas as pd

import ckan.plugins.toolkit as tk

from ckanext.maemoh.store import catalog
from ckanext.maemoh.reference import places
from ckanext.maemoh.reference.datasets import FACTORS_DATASET, GDC_DEFAULTS, ILLUSTRATIVE_TAG
from ckanext.maemoh.netzero import factors

GHG_DIR = places.DATA_DIR / "ghg"
ACTIVITY_DATASET = "maemoh-ghg-activity-demo"
# dataset name -> [(file or function giving the table, resource name, (th, en) description)]
TABLES = {
    FACTORS_DATASET: [
        ("emission_factors.csv", "Emission factors",
         ("ค่าการปล่อยก๊าซเรือนกระจกต่อหน่วยกิจกรรม พร้อมแหล่งที่มาและช่วงเวลาที่ใช้ได้",
          "Emissions per unit of activity, with source and validity")),
        (factors.read_gwp, "GWP values",
         ("ค่าศักยภาพทำให้โลกร้อน 100 ปี ของ IPCC AR5 และ AR6 (มีเทนจากฟอสซิลและไม่ใช่ฟอสซิลแยกกัน)",
          "IPCC AR5 and AR6 100-year GWP (fossil and non-fossil methane apart)")),
        ("sequestration.csv", "Sequestration factors",
         ("การกักเก็บคาร์บอนต่อเฮกตาร์ต่อปี ตามประเภทพื้นที่สีเขียว",
          "Carbon removals per hectare and year, by land-cover class")),
    ],
    ACTIVITY_DATASET: [
        ("activity_demo.csv", "Activity data",
         ("ข้อมูลกิจกรรม (สาธิต ไม่ใช่ข้อมูลจริง)", "Activity data (illustrative, not real)")),
    ],
}


def datasets(org_name):
    """The two dataset dicts."""
    common = {**GDC_DEFAULTS, "type": "dataset", "owner_org": org_name, "theme": ["greenhouse-gas"],
              "update_frequency_unit": "year", "update_frequency_interval": "1",
              "geo_coverage": "district"}
    return [
        {**common, "name": FACTORS_DATASET, "license_id": "CC-BY-4.0", "quality_level": "validated",
         "title_translated": {"th": "ค่าการปล่อยก๊าซเรือนกระจกและค่าศักยภาพทำให้โลกร้อน (อบก. และ IPCC)",
                              "en": "Greenhouse-gas emission factors and GWP values (TGO, IPCC)"},
         "notes_translated": {
             "th": "ค่าการปล่อยก๊าซเรือนกระจกที่บัญชีก๊าซเรือนกระจกของอำเภอใช้ แต่ละแถวมีแหล่งที่มา "
                   "ช่วงเวลาที่ใช้ได้ และระดับการตรวจสอบ (verification)",
             "en": "The factors the district inventory uses. Every row names its source, the dates it "
                   "is valid for and how well it is verified (column verification)."},
         "data_source": "Thailand Greenhouse Gas Management Organization (TGO); IPCC"},
        {**common, "name": ACTIVITY_DATASET, "license_id": "CC-BY-4.0", "quality_level": "raw",
         "tags": [{"name": ILLUSTRATIVE_TAG}],
         "title_translated": {"th": "ข้อมูลกิจกรรมสำหรับบัญชีก๊าซเรือนกระจก อำเภอแม่เมาะ (ข้อมูลสาธิต ไม่ใช่ข้อมูลจริง)",
                              "en": "Activity data for the Mae Moh greenhouse-gas inventory "
                                    "(illustrative demo data, not real)"},
         "notes_translated": {
             "th": "ข้อมูลสาธิตที่สร้างขึ้นในระดับที่สมเหตุสมผล เพื่อแสดงการทำงานของบัญชีก๊าซเรือนกระจก "
                   "เส้นทางสู่ความเป็นกลางทางคาร์บอน และข้อเสนอแนะ ตั้งแต่ต้นจนจบ ไม่ใช่ข้อมูลจริง "
                   "ข้อมูลจริงจากหน่วยงานจะเข้ามาแทนผ่านตัวเก็บเกี่ยวข้อมูลไฟล์ของหน่วยงาน",
             "en": "Made-up data at plausible magnitudes, to show the inventory, the pathway to net "
                   "zero and the guidance end to end. NOT real data: agencies' files replace it "
                   "through the agency-files harvester."},
         "data_source": "Mae Moh City Data Platform (illustrative)"},
    ]


def load(org_name):
    """Upsert the datasets and create their missing tables; yield one line per step."""
    context = catalog.site_context()
    for data in datasets(org_name):
        action, dataset = catalog.upsert(context, "package", data)
        yield f"{action} package {data['name']}"
        present = {r["name"]: r["id"] for r in dataset["resources"] if r.get("datastore_active")}
        for source, name, (desc_th, desc_en) in TABLES[data["name"]]:
            fields, records = _table(source() if callable(source) else _read(GHG_DIR / source))
            if name in present:
                if _columns(context, present[name]) == [f["id"] for f in fields]:
                    yield f"kept table {name}"
                    continue
                tk.get_action("resource_delete")(dict(context), {"id": present[name]})
                yield f"replaced table {name}: its columns changed"
            tk.get_action("datastore_create")(dict(context), {
                "resource": {"package_id": dataset["id"], "name": name, "format": "CSV",
                             "description": f"{desc_th}\n\n{desc_en}"},
                "fields": fields, "records": records, "force": True})
            yield f"created table {name} ({len(records)} rows)"


def _read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _columns(context, resource_id):
    shown = tk.get_action("datastore_search")(dict(context), {"resource_id": resource_id, "limit": 0})
    return [f["id"] for f in shown["fields"] if f["id"] != "_id"]


def _table(frame):
    """DataStore fields and records of a table of texts (empty cells are null)."""
    frame = frame.fillna("").astype(str)
    fields = [{"id": column, "type": _field_type(column, frame[column])} for column in frame.columns]
    records = [{k: (v if v != "" else None) for k, v in row.items()} for row in frame.to_dict("records")]
    return fields, records


def _field_type(column, values):
    """``valid_*`` dates, ``year`` int, other all-number columns numeric, the rest text (codes too)."""
    if column.startswith("valid_"):
        return "date"
    filled = values[values != ""]
    if column == "tambon_code" or filled.empty or pd.to_numeric(filled, errors="coerce").isna().any():
        return "text"
    return "int" if column == "year" else "numeric"
