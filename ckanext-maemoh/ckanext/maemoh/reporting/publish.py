"""The public ``citizen-reports`` dataset: one DataStore row per approved
report, placed by its H3 cell (resolution 8) and tambon, never closer; the
hour it was seen (UTC), not the minute; the category in Thai and English;
the photo's address when it has one. No point, no words, no address of the
reporter ever reach it. Owned by the district organisation, written by the
platform's jobs account. A change refreshes the residents' snapshot and,
for smoke, burning or ash, queues the fire layer, whose evidence table
counts them."""
import datetime as dt

import ckan.plugins.toolkit as tk

from ckanext.maemoh.citizen import reports
from ckanext.maemoh.risk_jobs import hazards
from ckanext.maemoh.reference import datasets
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.store import catalog, datastore_tables

SOURCE = "maemoh"  # reports made through our own form


def add(row):
    """Publish an approved report (a row of the restricted table)."""
    context = risk_runs.publisher_context()
    resource_id = _table(context)
    th, en = reports.CATEGORY_NAMES[row["category"]]
    datastore_tables.bulk_upsert(context, resource_id, datastore_tables.CITIZEN_REPORTS, [{
        "source": SOURCE, "report_id": row["id"], "category": row["category"], "category_th": th, "category_en": en,
        "time_utc": _hour(row["observed_at"]),
        "tambon_code": row["tambon_code"], "h3_cell": row["h3_cell"], "h3_resolution": reports.H3_RESOLUTION,
        "status": row["status"],
        "photo_url": tk.url_for("maemoh_reports.photo", report_id=row["id"], _external=True) if row["photo"] else None,
    }])
    _changed(row["category"])


def withdraw(report_id, category):
    """Remove a report from the public table (its reporter deleted it)."""
    context = risk_runs.publisher_context()
    tk.get_action("datastore_delete")(dict(context), {
        "resource_id": _table(context), "filters": {"source": SOURCE, "report_id": report_id}, "force": True})
    _changed(category)


def _changed(category):
    """The residents' map and, for smoke, burning or ash, the fire layer's evidence are out of date."""
    snapshot.request()
    if category in hazards.FIRE_REPORT_CATEGORIES:
        risk_runs.request("fire")


def _hour(moment):
    """The UTC hour (naive, as the DataStore's timestamps) a moment falls in."""
    return moment.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)


def _table(context):
    """The id of the public table, creating the dataset and table when missing."""
    _action, dataset = catalog.upsert(context, "package", dataset_fields(tk.config["ckanext.maemoh.organization"]))
    return datastore_tables.ensure_table(context, dataset["id"], datastore_tables.CITIZEN_REPORTS,
                                         datasets.CITIZEN_REPORTS_TABLE)


def dataset_fields(organization):
    """The metadata of the ``citizen-reports`` dataset (Thai and English)."""
    return {
        **datasets.GDC_DEFAULTS,
        "name": datasets.CITIZEN_REPORTS_DATASET,
        "type": "dataset",
        "owner_org": organization,
        "title_translated": {"th": "รายงานจากประชาชน: ควัน ฝุ่น กลิ่น น้ำ และขยะ อำเภอแม่เมาะ",
                             "en": "Residents' reports: smoke, dust, odour, water and waste in Mae Moh"},
        "notes_translated": {
            "th": "สิ่งที่ประชาชนเห็นและรายงานผ่านแบบฟอร์มของแพลตฟอร์ม (ควันหรือการเผา ฝุ่น เถ้า กลิ่น "
                  "สีของน้ำ การทิ้งขยะ) หลังเจ้าหน้าที่อำเภอตรวจสอบและอนุมัติแล้ว ระบุตำแหน่งเป็นช่อง H3 "
                  "ความละเอียด 8 (ประมาณ 0.74 ตร.กม.) และตำบลเท่านั้น ไม่ระบุพิกัดที่แน่นอน เวลาเป็นชั่วโมง (UTC) "
                  "ไม่มีข้อความหรือข้อมูลส่วนบุคคลของผู้รายงาน เป็นข้อมูลจากการสังเกต ไม่ใช่การตรวจวัด",
            "en": "What residents saw and reported through the platform's form (smoke or open burning, "
                  "dust, ash, odour, water colour, waste dumping), once an editor of the district approved "
                  "it. Placed by H3 cell at resolution 8 (about 0.74 km²) and tambon only, never the exact "
                  "point; the hour seen (UTC); no words or personal data of the reporter. Observations by "
                  "people, not measurements."},
        "theme": ["air", "waste", "water"],
        "tags": [{"name": "citizen-science"}, {"name": "reports"}],
        "license_id": "CC-BY-4.0",
        "update_frequency_unit": "real-time",
        "quality_level": "raw",
        "geo_coverage": "district",
        "data_source": "Residents of Mae Moh, through the Mae Moh City Data Platform",
    }
