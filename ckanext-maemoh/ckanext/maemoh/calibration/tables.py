"""The ``sensor-calibration`` dataset and its two DataStore tables.

``Corrections``: one row per sensor and window (key ``sensor_id,
window_end``): the coefficients, the held-out scores before and after, or
why there is none; earlier windows stay, so every ``correction_id`` found
beside a value can be looked up. ``Corrected PM2.5``: the columns of an
observations table (so every reader knows it) plus the raw hourly value it
was computed from, the humidity used, where that came from and the
correction's id; the stations' own tables are never written.
"""
from ckanext.maemoh.reference import datasets
from ckanext.maemoh.store import datastore_tables
from ckanext.maemoh.store.datastore_tables import Table

CORRECTIONS = Table(
    name={"th": "สมการปรับแก้", "en": datasets.CALIBRATION_CORRECTIONS_TABLE},
    fields=(
        {"id": "sensor_id", "type": "text"},
        {"id": "window_end", "type": "timestamp"},
        {"id": "window_start", "type": "timestamp"},
        {"id": "status", "type": "text"},
        {"id": "reason", "type": "text"},
        {"id": "correction_id", "type": "text"},
        {"id": "reference_id", "type": "text"},
        {"id": "distance_km", "type": "float8"},
        {"id": "method", "type": "text"},
        {"id": "formula", "type": "text"},
        {"id": "a", "type": "float8"},
        {"id": "b", "type": "float8"},
        {"id": "c", "type": "float8"},
        {"id": "test_start", "type": "timestamp"},
        {"id": "n_train", "type": "int"},
        {"id": "n_test", "type": "int"},
        {"id": "r2_before", "type": "float8"},
        {"id": "rmse_before", "type": "float8"},
        {"id": "bias_before", "type": "float8"},
        {"id": "r2_after", "type": "float8"},
        {"id": "rmse_after", "type": "float8"},
        {"id": "bias_after", "type": "float8"},
    ),
    primary_key=("sensor_id", "window_end"),
    compared=("status", "reason", "correction_id", "reference_id", "a", "b", "c", "n_train", "n_test"),
    searchable=("sensor_id", "reference_id", "status", "correction_id"),
)

CORRECTED = Table(
    name={"th": "PM2.5 ที่ปรับแก้แล้ว", "en": datasets.CALIBRATION_CORRECTED_TABLE},
    fields=datastore_tables.OBSERVATIONS.fields + (
        {"id": "raw_value", "type": "float8"},
        {"id": "relative_humidity", "type": "float8"},
        {"id": "rh_source", "type": "text"},
        {"id": "correction_id", "type": "text"},
    ),
    primary_key=datastore_tables.OBSERVATIONS.primary_key,
    compared=("value", "raw_value", "relative_humidity", "correction_id"),
    searchable=("station_id", "network", "correction_id"),
)


def dataset_fields(organization):
    """The metadata of the ``sensor-calibration`` dataset (Thai and English)."""
    return {
        **datasets.GDC_DEFAULTS,
        "name": datasets.CALIBRATION_DATASET,
        "type": "dataset",
        "owner_org": organization,
        "title_translated": {"th": "การปรับเทียบเซนเซอร์ฝุ่นราคาประหยัด (ค่า PM2.5 ที่ปรับแก้แล้ว)",
                             "en": "Low-cost PM2.5 sensor calibration"},
        "notes_translated": {
            "th": "สมการปรับแก้ค่า PM2.5 ของเซนเซอร์ราคาประหยัดแต่ละตัว เทียบกับสถานีตรวจวัดมาตรฐาน"
                  "ของกรมควบคุมมลพิษที่ใกล้ที่สุด (รูปแบบของ US EPA: PM2.5 = a·ค่าดิบ + b·ความชื้นสัมพัทธ์ + c) "
                  "ปรับใหม่ทุกวันจากชั่วโมงที่ตรวจวัดพร้อมกัน พร้อมค่า R² RMSE และความเอนเอียง "
                  "ก่อนและหลังปรับแก้ บนชั่วโมงล่าสุดที่ไม่ได้ใช้ปรับสมการ และค่าที่ปรับแก้แล้ว"
                  "วางคู่กับค่าดิบ (ค่าดิบไม่ถูกแก้ไข) หน่วย µg/m³ เวลา UTC",
            "en": "Per low-cost sensor, a correction of its PM2.5 against the nearest Pollution "
                  "Control Department reference station (the US EPA form: PM2.5 = a·raw + "
                  "b·relative humidity + c), refitted daily on overlapping hours, with R², RMSE "
                  "and bias before and after on the newest hours held out of the fit; and the "
                  "corrected hourly values beside the raw ones (which are never changed). "
                  "µg/m³, times in UTC. Reference figures: the US EPA PurpleAir correction took "
                  "the RMSE from about 8 to 3 µg/m³ (Barkjohn et al. 2021); a Chiang Mai "
                  "calibration against a PCD station reached R² 0.915, RMSE 5.08 µg/m³."},
        "theme": ["air"],
        "tags": [{"name": "pm25"}, {"name": "low-cost-sensors"}, {"name": "calibration"}],
        "license_id": "CC-BY-4.0",
        "update_frequency_unit": "day",
        "update_frequency_interval": "1",
        "quality_level": "validated",
        "geo_coverage": "district",
        "data_source": "Mae Moh City Data Platform, from the stations' published readings",
    }
