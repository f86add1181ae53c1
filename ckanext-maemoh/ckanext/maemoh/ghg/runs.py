"""Greenhouse-gas inventory runs: read the trusted tables, compute with
:mod:`.netzero`, publish a ``ghg-inventory`` dataset per year.

Inputs are recognised by their columns in the public datasets of trusted
publishers only (:mod:`ckanext.maemoh.trust.publishers`): emission
factors, GWP values and sequestration factors (``ghg-emission-factors`` in
the demo), activity tables (the demo's illustrative one; agencies' files
replace it) and the "Risk per tambon" tables of the risk layers, which feed
the guidance. Jobs run on the risk queue (:data:`.risk_runs.RISK_QUEUE`).
The pathway's green areas (hectares per sequestration land class) come from
the land-cover raster the green-space layer reads
(:func:`.risk_inputs.land_cover_raster`, summed over the tambons) when one is
published, else from the inventory's memo items; the method record says which.

Published per year, as ``ghg-inventory-<year>``: every inventory line (CSV),
emissions per tambon (GeoJSON, map view), a sector chart and a pathway
chart (PNG, image views), the pathway (CSV), the method record (JSON), and
the guidance as a DataStore table that ``maemoh_guidance`` serves.
"""
import datetime as dt
import json
import logging

import pandas as pd

import ckan.plugins.toolkit as tk

from ckanext.maemoh.store import publish
from ckanext.maemoh.reference import datasets, places
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import publish as risk_publish
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.trust import publishers as trust
from ckanext.maemoh.netzero import factors, guidance, inventory, outputs, pathway, scenarios
from ckanext.maemoh.risk_jobs import land_cover
from ckanext.maemoh.writers import records, tables

log = logging.getLogger(__name__)

GUIDANCE_FIELDS = (
    {"id": "id", "type": "text"}, {"id": "priority", "type": "int"},
    {"id": "dimension", "type": "text"}, {"id": "tambon_code", "type": "text"},
    {"id": "text_th", "type": "text"}, {"id": "text_en", "type": "text"},
    {"id": "evidence", "type": "text"},
)
# name -> columns that identify a table of that kind
KINDS = {
    "factors": set(factors.FACTOR_COLUMNS),
    "gwp": set(factors.GWP_COLUMNS),
    "sequestration": {"land_class", "value", "unit", "source"},
    "activities": set(inventory.ACTIVITY_COLUMNS),
    "risk_summary": {c["id"] for c in risk_publish.TAMBON_FIELDS},
}
ATTRIBUTION = ("Mae Moh City Data Platform; emission factors: TGO, IPCC; "
               "population: Department of Provincial Administration 2024")


def dataset_name(year):
    return f"ghg-inventory-{int(year)}"


def enqueue(year=None, user=None):
    """Queue an inventory run; ``year`` None: the latest year with activity data."""
    job = tk.enqueue_job(run_job, [year], title=f"Greenhouse-gas inventory {year or 'latest'}",
                         queue=risk_runs.RISK_QUEUE,
                         rq_kwargs={"timeout": tk.config["ckanext.maemoh.risk.job_timeout"]})
    return {"job_id": job.id, "year": year, "requested_by": user}


def run_job(year=None, gwp_set="ar6"):
    """The job: compute and publish; the published dataset's name."""
    return execute(year, gwp_set)["name"]


def execute(year=None, gwp_set="ar6"):
    """Compute the inventory of ``year`` and publish it; the dataset dict."""
    tables = read_tables()
    for kind in ("factors", "gwp", "activities"):
        if tables[kind][0].empty:
            raise ValueError(f"no public {kind} table: load the factor and activity datasets first")
    activities, activity_sources = tables["activities"]
    year = int(year or activities["year"].max())
    factor_set = factors.FactorSet.from_frames(tables["factors"][0], tables["gwp"][0], gwp_set)
    inv = inventory.compute_inventory(activities, factor_set, year)
    tambons = risk_inputs.tambons()
    green_ha, green_record, green_sources = _green_areas(inv, tambons)
    projected = pathway.project(inv, scenarios.load_scenarios(), tables["sequestration"][0], green_ha)
    population = risk_inputs.population()
    recommendations = guidance.evaluate(guidance.load_rules(), inv, projected, _risk_summary(tables),
                                        tambons=tambons.drop(columns="geometry").merge(population))
    illustrative = _illustrative(activity_sources + green_sources)
    sources = (activity_sources + tables["factors"][1] + tables["gwp"][1] + tables["sequestration"][1]
               + green_sources)
    record = records.method_record(
        job=f"maemoh ghg {year}", inputs=sources,
        parameters={"year": year, "gwp_set": gwp_set, "standard": "GPC", "illustrative": illustrative,
                    "pathway": projected.attrs.get("method", {}), "green_areas": green_record},
        components=[inv.record()], notes=[])
    files = _files(inv, projected, recommendations, record, tambons, population)
    guidance_rows = [dict(r.to_dict(), evidence=json.dumps(r.evidence, ensure_ascii=False))
                     for r in recommendations]
    return publish.publish(risk_runs.publisher_context(), _dataset(inv, gwp_set, illustrative, sources), files, [
        publish.Table(datasets.GHG_GUIDANCE_TABLE, "ข้อเสนอแนะสู่ความเป็นกลางทางคาร์บอน / Guidance to net zero",
                      GUIDANCE_FIELDS, guidance_rows),
        publish.Table.of(datasets.GHG_TAMBON_TABLE,
                         "การปล่อยก๊าซเรือนกระจกรายตำบล (ตัน CO2e, I.4.4 แยก) / "
                         "Emissions per tambon (t CO2e, I.4.4 apart)",
                         outputs.tambon_table(inv, tambons, population))])


def read_tables():
    """``{kind: (frame, sources)}`` of every trusted public table of :data:`KINDS`."""
    datasets = risk_inputs.official_datasets()
    resources = {r["id"]: (d, r) for d in datasets for r in d["resources"] if r.get("datastore_active")}
    found = {kind: ([], []) for kind in KINDS}
    for resource_id, kind in risk_inputs.table_kinds(list(resources), KINDS).items():
        dataset, resource = resources[resource_id]
        if kind == "risk_summary":
            frame = _plain(risk_inputs.read_table(resource_id, dataset.get(publish.RUN_FIELD)))
            frame["dimension"] = dataset.get("risk_dimension")
        else:
            frame = _plain(risk_inputs.read_table(resource_id))
        found[kind][0].append(frame)
        found[kind][1].append({"kind": kind, "dataset_id": dataset["id"], "dataset_name": dataset["name"],
                               "resource_id": resource_id, "publisher": trust.publisher(dataset)})
    return {kind: (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), sources)
            for kind, (frames, sources) in found.items()}


def _green_areas(inv, tambons):
    """(hectares per land class, how they were found, sources): from the
    published land-cover raster over the tambons, else the memo items."""
    path, source = risk_inputs.land_cover_raster()
    if path is None:
        return inv.green_area_ha(), {"source": "inventory memo items (activity rows green-*)"}, []
    hectares = land_cover.land_class_ha(land_cover.zonal_areas(path, tambons, "tambon_code"))
    return hectares, {"source": "land-cover raster", "dataset_id": source["dataset_id"],
                      "resource_id": source["resource_id"], "zones": "the district's tambons"}, [source]


def _illustrative(sources):
    """True when a source dataset is tagged as made-up data."""
    return any(datasets.is_illustrative(tk.get_action("package_show")({"ignore_auth": True}, {"id": dataset_id}))
               for dataset_id in {s["dataset_id"] for s in sources})


def _plain(frame):
    """DataStore values as the CSV readers give them: numbers as floats, dates
    as ISO text, missing text as ''."""
    frame = frame.drop(columns=[c for c in ("_id", "_full_text") if c in frame.columns])
    for column in frame.columns:
        values = frame[column]
        if values.map(lambda v: hasattr(v, "as_tuple")).any():  # Decimal
            frame[column] = values.astype(float)
        elif values.map(lambda v: isinstance(v, dt.date)).any():
            frame[column] = values.map(lambda v: v.isoformat() if v is not None else "")
        elif values.dtype == object:
            frame[column] = values.fillna("")
    if "year" in frame.columns:
        frame["year"] = frame["year"].astype(int)
    if "tambon_code" in frame.columns:  # a code, even where a loader typed it as a number
        frame["tambon_code"] = frame["tambon_code"].map(
            lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return frame


def _risk_summary(tables):
    frame = tables["risk_summary"][0]
    if frame.empty:
        return {}
    return {dim: rows.drop(columns="dimension").to_dict("records")
            for dim, rows in frame.groupby("dimension") if dim}


def _files(inv, projected, recommendations, record, tambons, population):
    year = inv.year
    pathway_csv = tables.to_csv(projected.reset_index(drop=True))
    return [
        publish.File("Inventory lines (CSV)", "CSV", f"ghg-{year}-lines.csv", "text/csv",
                     "ทุกบรรทัดของบัญชี: เลขอ้างอิง GPC ขอบเขต กิจกรรม ค่าการปล่อย และปริมาณการปล่อย\n\n"
                     "Every line: GPC reference, scope, activity, factor, emissions (t CO2e)",
                     outputs.inventory_csv(inv).encode("utf-8")),
        publish.File("Emissions per tambon (GeoJSON)", "GeoJSON", f"ghg-{year}-tambons.geojson",
                     "application/geo+json",
                     "การปล่อยรายตำบล (EPSG:4326)\n\nEmissions per tambon (EPSG:4326)",
                     json.dumps(outputs.tambon_geojson(inv, tambons, population), ensure_ascii=False,
                                allow_nan=False, separators=(",", ":")).encode("utf-8"), "geojson_view"),
        publish.File(datasets.GHG_SECTORS_PNG, "PNG", f"ghg-{year}-sectors.png", "image/png",
                     "การปล่อยตามภาค แยกโรงไฟฟ้า (I.4.4)\n\nEmissions by sector, the power plant (I.4.4) apart",
                     outputs.sector_chart_png(inv, attribution=ATTRIBUTION), "image_view"),
        publish.File(datasets.GHG_PATHWAY_PNG, "PNG", f"ghg-{year}-pathway.png", "image/png",
                     "เส้นทางสู่ความเป็นกลางทางคาร์บอนถึง พ.ศ. 2593\n\nScenarios to 2050 and the gap to net zero",
                     outputs.pathway_chart_png(projected, attribution=ATTRIBUTION), "image_view"),
        publish.File(datasets.GHG_PATHWAY_CSV, "CSV", f"ghg-{year}-pathway.csv", "text/csv",
                     "การปล่อยรายปีตามแนวทาง\n\nAnnual emissions per scenario", pathway_csv.encode("utf-8")),
        publish.File("Method record (JSON)", "JSON", f"ghg-{year}-method.json", "application/json",
                     "ข้อมูลนำเข้า ค่าการปล่อย ค่า GWP และสมมติฐาน\n\nInputs, factors, GWP set and assumptions",
                     json.dumps(record, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8")),
    ]


def _dataset(inv, gwp_set, illustrative, sources):
    year, year_be = inv.year, inv.year + 543
    demo_th = " (ข้อมูลสาธิต ไม่ใช่ข้อมูลจริง)" if illustrative else ""
    demo_en = " (illustrative demo data, not real)" if illustrative else ""
    totals_en = (f"BASIC {inv.basic_t:,.0f} t CO2e; BASIC+ {inv.basic_plus_t:,.0f} t CO2e; the power plant's "
                 f"generation supplied to the grid (GPC I.4.4), reported apart: {inv.i44_t:,.0f} t CO2e.")
    totals_th = (f"BASIC {inv.basic_t:,.0f} ตัน CO2e; BASIC+ {inv.basic_plus_t:,.0f} ตัน CO2e; "
                 f"โรงไฟฟ้าที่ส่งไฟฟ้าเข้าระบบ (GPC I.4.4) รายงานแยก: {inv.i44_t:,.0f} ตัน CO2e")
    return {
        "name": dataset_name(year), "type": datasets.GHG_INVENTORY_TYPE,
        "owner_org": tk.config["ckanext.maemoh.organization"],
        "title_translated": {"th": f"บัญชีก๊าซเรือนกระจก อำเภอแม่เมาะ พ.ศ. {year_be}{demo_th}",
                             "en": f"Mae Moh greenhouse-gas inventory {year}{demo_en}"},
        "notes_translated": {
            "th": f"บัญชีก๊าซเรือนกระจกระดับเมืองตามมาตรฐาน GPC ปี พ.ศ. {year_be} {totals_th} "
                  "พร้อมเส้นทางสู่ความเป็นกลางทางคาร์บอนถึง พ.ศ. 2593 และข้อเสนอแนะที่อ้างอิงข้อมูล",
            "en": f"Community-scale inventory following the GPC, {year}. {totals_en} With the pathway to "
                  "net zero to 2050 and guidance that cites its data."},
        "theme": ["greenhouse-gas", "energy"],
        "spatial": json.dumps(places.district_geojson()),
        "temporal_start": f"{year}-01-01", "temporal_end": f"{year}-12-31",
        "update_frequency_unit": "year", "update_frequency_interval": "1",
        "quality_level": "raw" if illustrative else "validated",
        "data_type": "statistical", "unit_of_measure": "t CO2e",
        "first_year_of_data": str(year), "last_year_of_data": str(year),
        "objective": ["public-service"], "geo_coverage": "district",
        "data_source": "Mae Moh City Data Platform (GPC inventory job)",
        "data_format": ["CSV", "GeoJSON", "PNG", "JSON"], "data_category": "public",
        "data_language": ["th", "en"],
        "inventory_year": str(year), "inventory_boundary": "Mae Moh district (amphoe), Lampang",
        "gpc_level": "basic-plus", "gwp_set": gwp_set, "factor_dataset": datasets.FACTORS_DATASET,
    }
