"""Publish an issued forecast as the ``forecast-pm25`` dataset.

Resources: the hourly forecast as a DataStore table (:data:`HOURLY_FIELDS`)
and a CSV; the daily 24-hour means per station and per tambon as a
DataStore table (:data:`DAILY_FIELDS`), which the residents' pages and
``maemoh_forecast`` read; a chart per tambon (PNG); the method record
(JSON: backtest scores, drivers used and missing, versions, seed).

A tambon's forecast is that of its own stations, the highest median among
them each day, else of the station nearest to its centroid (the rule of the
residents' current air, :func:`.air_now.history_stations`); ``source`` and
``stations`` say which. Bands are those of the Thai AQI of PM2.5, read as a
24-hour mean (for an hourly value the band is indicative).
"""
import json

import pandas as pd

import ckan.plugins.toolkit as tk

from ckanext.maemoh.forecasting import chart
from ckanext.maemoh.reference import datasets, places
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.risk_jobs import air_now, aqi
from ckanext.maemoh.store import publish
from ckanext.maemoh.writers import records, tables, values

ATTRIBUTION = ("Mae Moh City Data Platform PM2.5 forecast (LightGBM, split-conformal ranges); "
               "data: trusted public stations and NASA FIRMS")
QUANTILES = ("p50", "p10", "p90", "p025", "p975")
HOURLY_FIELDS = (
    {"id": "station_id", "type": "text"}, {"id": "tambon_code", "type": "text"},
    {"id": "issued_at", "type": "timestamp"}, {"id": "valid_time", "type": "timestamp"},
    {"id": "horizon", "type": "int"}, *({"id": q, "type": "float8"} for q in QUANTILES),
    {"id": "band", "type": "int"}, {"id": "method", "type": "text"},
)
DAILY_FIELDS = (
    {"id": "scope", "type": "text"}, {"id": "station_id", "type": "text"},
    {"id": "tambon_code", "type": "text"}, {"id": "date", "type": "date"},
    {"id": "day_ahead", "type": "int"}, *({"id": q, "type": "float8"} for q in QUANTILES),
    {"id": "band", "type": "int"}, {"id": "band_low", "type": "int"}, {"id": "band_high", "type": "int"},
    {"id": "method", "type": "text"}, {"id": "source", "type": "text"}, {"id": "stations", "type": "text"},
)


def publish_forecast(context, issued, stations, sources):
    """Create or update ``forecast-pm25`` from ``issued`` (a
    :class:`forecast.Forecast`); the dataset dict."""
    located = _located(stations)
    hourly = issued.hourly.assign(
        tambon_code=issued.hourly["station_id"].map(located["tambon_code"]),
        band=issued.hourly["p50"].map(_band))
    daily = pd.concat([issued.daily.assign(scope="station", tambon_code=issued.daily["station_id"].map(
        located["tambon_code"]), source=None, stations=issued.daily["station_id"]),
        tambon_rows(issued.daily, located)], ignore_index=True)
    record = records.method_record(
        job="maemoh forecast", inputs=sources, parameters=issued.record.get("settings", {}),
        components=[issued.record], notes=[])
    hourly_rows = _rows(hourly, HOURLY_FIELDS)
    daily_rows = _rows(daily, DAILY_FIELDS)
    files = [
        publish.File("Hourly forecast (CSV)", "CSV", "forecast-pm25-hourly.csv", "text/csv",
                     "ฝุ่น PM2.5 รายชั่วโมง 72 ชั่วโมงข้างหน้า รายสถานี พร้อมช่วง 80% และ 95% (ไมโครกรัม/ลบ.ม., เวลา UTC)"
                     "\n\nHourly PM2.5 for the next 72 hours per station, with 80 % and 95 % ranges "
                     "(µg/m³, times UTC)",
                     tables.to_csv(pd.DataFrame(hourly_rows)).encode("utf-8")),
        publish.File("Method record (JSON)", "JSON", "forecast-pm25-method.json", "application/json",
                     "วิธีการ คะแนนการทดสอบย้อนหลัง ปัจจัยที่ใช้และที่ขาด รุ่นของซอฟต์แวร์ และค่า seed\n\n"
                     "Method, backtest scores, drivers used and missing, versions and seed",
                     json.dumps(record, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8")),
    ]
    for tambon in residents.tambons():
        chosen = daily[(daily["scope"] == "tambon") & (daily["tambon_code"] == tambon["tambon_code"])
                       & (daily["day_ahead"] == 1)]
        if chosen.empty:
            continue
        station = chosen["station_id"].iloc[0]  # the station whose tomorrow the tambon shows
        files.append(publish.File(
            f"Chart {tambon['name_en']} (PNG)", "PNG", f"forecast-pm25-{tambon['tambon_code']}.png", "image/png",
            f"กราฟพยากรณ์ ต.{tambon['name_th']} (สถานี {station})\n\n"
            f"Forecast chart, {tambon['name_en']} (station {station})",
            chart.png(hourly[hourly["station_id"] == station], tambon, ATTRIBUTION), "image_view"))
    return publish.publish(context, _dataset(issued, hourly, sources), files, [
        publish.Table(datasets.FORECAST_DAILY_TABLE,
                      "ค่าเฉลี่ย 24 ชั่วโมงของวันพรุ่งนี้ถึงอีกสามวัน รายสถานีและรายตำบล / "
                      "24-hour means of the next three days, per station and per tambon", DAILY_FIELDS, daily_rows),
        publish.Table(datasets.FORECAST_TABLE, "พยากรณ์รายชั่วโมง / Hourly forecast", HOURLY_FIELDS, hourly_rows)])


def tambon_rows(daily, located):
    """The daily rows of each tambon (see the module docstring)."""
    candidates = [dict(located.loc[s], station_id=s) for s in daily["station_id"].unique()]
    rows = []
    for tambon in residents.tambons():
        chosen = air_now.history_stations(tambon, candidates)
        if not chosen:
            continue
        ids = [s["station_id"] for s in chosen]
        inside = chosen[0]["tambon_code"] == tambon["tambon_code"]
        for _, day in daily[daily["station_id"].isin(ids)].groupby("day_ahead"):
            best = day.loc[day["p50"].idxmax()]
            rows.append(dict(best.to_dict(), scope="tambon", tambon_code=tambon["tambon_code"],
                             source="station" if inside else "nearest station", stations=" ".join(ids)))
    return pd.DataFrame(rows)


def _located(stations):
    """Stations (indexed by id, as :class:`forecast.Inputs` keeps them) with
    their tambon (None outside the district)."""
    frame = stations[["longitude", "latitude"]].astype(float)
    frame["tambon_code"] = [residents.tambon_of(lon, lat) for lon, lat in
                            zip(frame["longitude"], frame["latitude"])]
    return frame


def _band(value):
    return aqi.band_of(aqi.sub_index("pm25", max(float(value), 0.0), "TH-2023"))


def _rows(frame, fields):
    columns = [f["id"] for f in fields]
    out = frame.reindex(columns=columns).copy()
    for field in fields:
        column = out[field["id"]]
        if field["type"] == "timestamp":
            out[field["id"]] = pd.to_datetime(column, utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif field["type"] == "date":
            out[field["id"]] = column.map(lambda d: d.isoformat())
    return values.json_safe(out.to_dict("records"))


def _dataset(issued, hourly, sources):
    record = issued.record
    issued_at = pd.Timestamp(hourly["issued_at"].iloc[0]).tz_convert("UTC")
    start, end = hourly["valid_time"].min(), hourly["valid_time"].max()
    skill = record.get("right_band_share_d1") or {}
    method_en = ("persistence and climatology (too little history: " + str(record.get("fallback_reason")) + ")"
                 if record.get("fallback_reason") else "gradient-boosted trees (LightGBM), one model per horizon")
    return {
        "name": datasets.FORECAST_DATASET, "type": datasets.FORECAST_TYPE,
        "owner_org": tk.config["ckanext.maemoh.organization"],
        "title_translated": {"th": "พยากรณ์ฝุ่น PM2.5 72 ชั่วโมง อำเภอแม่เมาะ",
                             "en": "PM2.5 forecast for the next 72 hours, Mae Moh district"},
        "notes_translated": {
            "th": "พยากรณ์ฝุ่น PM2.5 รายชั่วโมงและค่าเฉลี่ย 24 ชั่วโมงของสามวันข้างหน้า รายสถานีและรายตำบล "
                  "พร้อมช่วงความไม่แน่นอน 80% และ 95% และคะแนนความแม่นยำจากการทดสอบย้อนหลังเทียบกับการใช้ค่าเดิม "
                  "(persistence) อยู่ในไฟล์บันทึกวิธีการ",
            "en": f"Hourly PM2.5 and the 24-hour means of the next three days, per station and per tambon, "
                  f"with 80 % and 95 % ranges; method: {method_en}. The method record holds the backtest "
                  "scores against persistence and climatology."},
        "theme": ["air", "climate-weather", "fire"],
        "spatial": json.dumps(places.district_geojson()),
        "temporal_start": start.tz_convert(aqi.BANGKOK).date().isoformat(),
        "temporal_end": end.tz_convert(aqi.BANGKOK).date().isoformat(),
        "update_frequency_unit": "hour", "update_frequency_interval": "1",
        "quality_level": "validated",
        "data_type": "statistical", "unit_of_measure": "µg/m³",
        "first_year_of_data": str(start.tz_convert(aqi.BANGKOK).year),
        "last_year_of_data": str(end.tz_convert(aqi.BANGKOK).year),
        "objective": ["public-service"], "geo_coverage": "district",
        "data_source": "Mae Moh City Data Platform forecast job",
        "data_format": ["CSV", "PNG", "JSON"], "data_category": "public", "data_language": ["th", "en"],
        "forecast_variable": "pm25",
        "issued_at": issued_at.isoformat(),
        "forecast_method": {"method": record.get("method"), "fallback_reason": record.get("fallback_reason"),
                            "right_band_share_d1": skill, "seed": record.get("seed"),
                            "drivers_missing": record.get("drivers_missing", {})},
        "input_datasets": sorted({s["dataset_name"] for s in sources if s.get("dataset_name")}),
    }
