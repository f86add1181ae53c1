"""The data behind the residents' pages (Thai first, then English): the
current air quality per station and per tambon, the risk per tambon, fire
hotspots, daily PM2.5 and the changes of band. The rules themselves are
pure (:mod:`ckanext.maemoh.risk_jobs.air_now`); this module reads the
catalogue and the DataStore for them. The pages and public actions do not
call it: :func:`state` computes the residents' snapshot they read
(:mod:`.snapshot`).

Plain functions over the catalogue and the DataStore's read engine. Each
one that depends on the clock takes ``now`` (a timezone-aware datetime,
default: the platform clock) so that tests can fix it. Functions raise
ValueError on bad arguments.

Documented choices
------------------
One catalogue read per request
    The official datasets and the kinds of their tables are read once per
    request (kept on ``flask.g``): every function called in it shares them.
    Outside a request (the snapshot's job) each call reads them again.
Public data of trusted publishers only
    Stations, fire tables and risk layers are the datasets of
    :func:`risk.inputs.official_datasets` (private ones and those of
    untrusted organisations never, whoever asks);
    only their DataStore tables are read, with the read-only database user,
    and a table is recognised by its columns (:func:`risk.inputs.table_kinds`).
Air stations
    A public ``sensor-station`` dataset with a point location, an
    observations table and an AQI pollutant among its
    ``measured_parameters``; only the rows of its own ``station_id`` count.
    Its tambon is the tambon polygon covering the point (the first in code
    order on a shared border), None outside the district.
Low-cost sensors
    A station whose ``instrument_class`` is ``low-cost`` is read from the
    district's corrected PM2.5 table only (``corrected`` True; its raw
    particulate readings never), and not at all when
    ``ckanext.maemoh.calibration.low_cost`` is ``reference-only``
    (:func:`risk.inputs.observation_tables`); ``state`` says which mode.
Station AQI
    ``air_quality.hourly_aqi`` (the one place where observations become the
    Thai AQI, averaging periods honoured) over the rows with
    ``now - 72 h < time_utc <= now``; the station's AQI is the latest hourly
    one with ``time_utc > now - 48 h``. The 24 h before those 48 let the
    24-hour means be formed; rows after ``now`` are not read.
Stale
    ``age_hours`` is ``now`` minus the time of that AQI; older than
    ``ckanext.maemoh.stale_after_hours`` (default 3) is stale, and a stale
    band must not be shown as the current one. No AQI in 48 h: ``aqi``,
    ``band``, ``dominant``, ``scheme``, the times and ``age_hours`` are None
    and ``stale`` True. A station whose rows cannot be indexed (e.g. a
    negative value) is logged and counts as having no AQI.
Tambon AQI
    The highest AQI among the tambon's fresh stations (source "station",
    ``stations`` all of them); without one, the nearest fresh station
    anywhere, by geodesic distance (WGS84) from the tambon's centroid
    (source "nearest station", ``nearest_km``). When no station at all is
    fresh, the same two rules over the stations with any AQI in 48 h, and
    the tambon is stale; with none of those, ``aqi`` is None.
Band texts
    ``band_info`` takes names, colours, icons and advice from ``aqi.BANDS``
    (the one place for them); band None is "no current data", in grey.
    :func:`aqi_latest` gives stale stations and tambons the "no current
    data" texts and colour while keeping their last ``aqi`` and ``band``.
History stations
    ``pm25_daily`` and ``band_changes`` use the tambon's stations that have
    data in the period, else the one nearest to the tambon's centroid that
    has; fresh or not. ``station_id`` in each row says whose value it is.
Daily PM2.5
    The value of Bangkok day D is the mean of a station's hourly (PT1H)
    PM2.5 readings whose hour begins on D (stamped 01:00 to 24:00 Bangkok
    time, a stamp being the end of its hour) when at least 18 of the 24
    hours have one (``air_quality.MIN_COVERAGE``; suspect rows left out),
    else None. That is the 24-hour mean ``air_quality`` forms at the day's
    end. It is truncated to the AQI table's step (0.1 µg/m³ since
    1 June 2023), as the AQI does, and compared with the standard of the
    day's scheme. With several stations the highest value of the day wins.
    Rows: the ``days`` complete Bangkok days before today, oldest first.
PM2.5 standard
    The national 24-hour standard is the concentration at AQI 100
    (sources-and-standards.md, section 2), read from the AQI table:
    ``PM25_24H_STANDARD_UG_M3`` = 37.5 µg/m³ since 1 June 2023 (50 before).
Band changes
    The tambon's AQI in an hour is the highest hourly AQI of its history
    stations in that hour; a change is an hour whose band differs from the
    previous hour with a value (gaps are bridged, nothing is smoothed: a
    value hovering at a band edge changes each time it crosses). Changes
    with ``now - days < time_utc <= now``, newest first; rows are read from
    48 h earlier so that both the means and the band before are known.
Fire hotspots
    Rows of public fire-detection tables with
    ``now - hours < time_utc <= now``; low confidence left out by the risk
    jobs' own rule (VIIRS low, MODIS below 30 %); newest first, with the
    tambon (None outside the district).
Forecast
    The district's public ``forecast-pm25`` dataset: the rows of its
    "Daily forecast" DataStore table of the published run, per tambon and per
    station, with when it was issued and how often its next-day band was right
    (``right_band_share_d1`` of its method, from the backtest).
Risk summary
    Per public ``risk-layer`` dataset, its "Risk per tambon" DataStore table
    (:data:`risk.publish.TAMBON_FIELDS`): the rows of the dataset's published
    run, in tambon code order.
"""
import datetime as dt
import functools
import json
import logging

import pandas as pd
from flask import g, has_request_context

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.reference import datasets, places
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import publish as risk_publish
from ckanext.maemoh.risk_jobs import air_now, air_quality, aqi, dimensions, hazards
from ckanext.maemoh.store import publish
from ckanext.maemoh.trust import publishers as trust

log = logging.getLogger(__name__)

STALE_OPTION = "ckanext.maemoh.stale_after_hours"
OBSERVATION_COLUMNS = "station_id, variable, time_utc, averaging_period, value, quality"
FIRE_COLUMNS = "source, time_utc, latitude, longitude, frp_mw, confidence"


def station_aqi(now=None):
    """The latest AQI of every public air station (see the module docstring)."""
    now = _utc(now)
    return [air_now.latest(station, _hourly(station, now - air_now.LOOKBACK - air_now.LEAD, now),
                           now, stale_after_hours())
            for station in _air_stations()]


def tambon_aqi(now=None, stations=None):
    """The current AQI of the five tambons in code order; ``stations``: the
    result of :func:`station_aqi` at the same ``now`` (read when None)."""
    if stations is None:
        stations = station_aqi(now)
    return air_now.tambon_aqi(stations, tambons())


def aqi_latest(lang="th", tambon=None, now=None):
    """What ``maemoh_aqi_latest`` returns: stations and tambons, each with the
    texts of its band in ``lang`` (stale ones: "no current data"). With
    ``tambon``, only that tambon and the stations in it or used by it."""
    air_now.check_lang(lang)
    check_tambon(tambon)
    stations = station_aqi(now)
    return {**air_now.with_bands(stations, tambon_aqi(now, stations), lang, tambon),
            "stale_after_hours": stale_after_hours()}


def risk_summary(tambon=None, dimension=None):
    """``{dimension: {"dataset", "computed_at", "temporal_start",
    "temporal_end", "statistic_th", "statistic_en", "unit", "tambons": [rows
    of the Risk per tambon table], "points": [rows of the Sampling points
    table]}}`` of the public risk layers, optionally of one tambon and/or one
    dimension. Each tambon row also has the level of its ``value_mean`` on the
    dimension's scale (``hazard_level``, ``hazard_label_th``, ``hazard_label_en``)."""
    check_tambon(tambon)
    if dimension is not None and dimension not in dimensions.NAMES:
        raise ValueError(f"dimension: one of {', '.join(dimensions.NAMES)}")
    columns = [field["id"] for field in risk_publish.TAMBON_FIELDS]
    summary = {}
    for dataset in _catalogue()[0]:
        found = dataset.get("risk_dimension")
        if dataset.get("type") != risk_publish.DATASET_TYPE or dimension not in (None, found):
            continue
        table = _table_id(dataset, risk_publish.TAMBON_TABLE)
        rows = _records(risk_inputs.read_table(table, dataset.get(publish.RUN_FIELD)), columns, [
            field["id"] for field in risk_publish.TAMBON_FIELDS if field["type"] == "int"]) if table else []
        spec = dimensions.REGISTRY.get(found)
        summary[found] = {
            "dataset": dataset["name"], "computed_at": dataset.get("computed_at"),
            "temporal_start": dataset.get("temporal_start"),
            "temporal_end": dataset.get("temporal_end"),
            "statistic_th": spec and spec.statistic_th, "statistic_en": spec and spec.statistic_en,
            "unit": spec and spec.unit,
            "tambons": sorted((_with_hazard(r, spec) for r in rows if tambon in (None, r["tambon_code"])),
                              key=lambda r: r["tambon_code"]),
            "points": [p for p in _points(dataset) if tambon in (None, p["tambon_code"])],
        }
    return dict(sorted(summary.items(), key=lambda item: dimensions.NAMES.index(item[0])
                       if item[0] in dimensions.NAMES else len(dimensions.NAMES)))


FORECAST_COLUMNS = ("scope", "station_id", "tambon_code", "date", "day_ahead", "p50", "p10", "p90",
                    "band", "band_low", "band_high", "method", "source", "stations")


def forecast():
    """``{"dataset", "issued_at", "right_band_share_d1", "fallback_reason",
    "tambons": {code: [rows]}, "stations": {id: [rows]}}`` of the published
    PM2.5 forecast (see the module docstring), or None without one."""
    found = [d for d in _catalogue()[0] if d.get("type") == datasets.FORECAST_TYPE
             and d["name"] == datasets.FORECAST_DATASET]
    table = _table_id(found[0], datasets.FORECAST_DAILY_TABLE) if found else None
    if not table:
        return None
    dataset = found[0]
    rows = _records(risk_inputs.read_table(table, dataset.get(publish.RUN_FIELD)), list(FORECAST_COLUMNS),
                    ("day_ahead", "band", "band_low", "band_high"))
    method = _as_dict(dataset.get("forecast_method"))
    by = {"tambons": {}, "stations": {}}
    for row in sorted(rows, key=lambda r: r["day_ahead"]):
        row["date"] = str(row["date"])[:10]
        key = ("tambons", row["tambon_code"]) if row["scope"] == "tambon" else ("stations", row["station_id"])
        by[key[0]].setdefault(key[1], []).append(row)
    return {"dataset": dataset["name"], "issued_at": dataset.get("issued_at"),
            "right_band_share_d1": method.get("right_band_share_d1") or None,
            "fallback_reason": method.get("fallback_reason"), **by}


POINT_COLUMNS = ("station_id", "name_th", "name_en", "tambon_code", "longitude", "latitude", "water_class",
                 "limiting", "samples", "exceedances", "uses_th", "uses_en")


def _with_hazard(row, spec):
    """``row`` with the level of its mean value on ``spec``'s scale (None without one)."""
    level = spec.scale.level(pd.Series([row["value_mean"]], dtype=float)).iloc[0] if spec else pd.NA
    known = not pd.isna(level)
    return dict(row, hazard_level=int(level) if known else None,
                hazard_label_th=spec.scale.labels_th[int(level) - 1] if known else None,
                hazard_label_en=spec.scale.labels_en[int(level) - 1] if known else None)


def _table_id(dataset, name):
    """The id of the dataset's DataStore table ``name``, or None."""
    return next((r["id"] for r in dataset["resources"] if r.get("name") == name and r.get("datastore_active")),
                None)


def _points(dataset):
    """The rows of a layer's "Sampling points" table (published run), by station id."""
    table = _table_id(dataset, risk_publish.SAMPLING_POINTS_TABLE)
    if not table:
        return []
    rows = _records(risk_inputs.read_table(table, dataset.get(publish.RUN_FIELD)), list(POINT_COLUMNS),
                    ("water_class", "samples", "exceedances"))
    return sorted(rows, key=lambda r: str(r["station_id"]))


def fire_hotspots(hours=48, now=None):
    """Fire detections of trusted public tables in the last ``hours``, low confidence
    left out, newest first: ``latitude, longitude, time_utc, time_local,
    frp_mw, confidence, source, tambon_code``."""
    hours = air_now.positive(hours, "hours", air_now.MAX_HOURS)
    now = _utc(now)
    datasets, kinds = _catalogue()
    frames = [risk_inputs.read_rows(resource["id"], FIRE_COLUMNS, "time_utc > :start AND time_utc <= :end",
                                    {}, now - pd.Timedelta(hours=hours), now)
              for dataset in datasets for resource in dataset["resources"]
              if kinds.get(resource["id"]) == "fire_detections"]
    frames = [f for f in frames if len(f)]
    if not frames:
        return []
    fires = pd.concat(frames, ignore_index=True)
    fires = fires[~hazards.is_low_confidence(fires["confidence"])]
    fires = fires.sort_values(["time_utc", "latitude", "longitude"], ascending=[False, True, True])
    return [{"latitude": float(row.latitude), "longitude": float(row.longitude),
             **air_now.times(row.time_utc), "frp_mw": _number(row.frp_mw),
             "confidence": row.confidence, "source": row.source,
             "tambon_code": tambon_of(row.longitude, row.latitude)}
            for row in fires.itertuples()]


REPORT_COLUMNS = "report_id, category, category_th, category_en, time_utc, tambon_code, h3_cell"


def citizen_reports(days=30, now=None):
    """Residents' approved reports seen in the last ``days``, newest first,
    from the district's public ``citizen-reports`` table: ``report_id,
    category, category_th, category_en, time_utc, time_local, tambon_code,
    h3_cell`` (a cell, never a point)."""
    days = air_now.positive(days, "days", air_now.MAX_DAYS)
    now = _utc(now)
    tables = [_table_id(d, datasets.CITIZEN_REPORTS_TABLE) for d in _catalogue()[0]
              if d["name"] == datasets.CITIZEN_REPORTS_DATASET
              and (d.get("organization") or {}).get("name") == trust.district()]
    frames = [risk_inputs.read_rows(table, REPORT_COLUMNS, "time_utc > :start AND time_utc <= :end",
                                    {}, now - pd.Timedelta(days=days), now) for table in tables if table]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        return []
    rows = rows.sort_values(["time_utc", "report_id"], ascending=[False, True])
    return [{"report_id": r.report_id, "category": r.category, "category_th": r.category_th,
             "category_en": r.category_en, **air_now.times(r.time_utc), "tambon_code": r.tambon_code,
             "h3_cell": r.h3_cell} for r in rows.itertuples()]


def pm25_daily(tambon_code, days=30, now=None):
    """The daily (24-hour) PM2.5 mean of a tambon for the ``days`` complete
    Bangkok days before today, oldest first: ``date, value_ug_m3, hours,
    station_id, standard_ug_m3, exceeds_standard``; value None when fewer
    than 18 hours were measured (see the module docstring)."""
    check_tambon(tambon_code, required=True)
    days = int(air_now.positive(days, "days", air_now.MAX_DAYS, whole=True))
    return _daily_of(_tambon(tambon_code), _history(_utc(now), days, hourly=False))


def band_changes(tambon_code, days=30, now=None):
    """The hours when the tambon's AQI band changed in the last ``days``,
    newest first: ``time_utc, time_local, band_from, band_to, aqi,
    station_id`` (for an Atom feed; see the module docstring)."""
    check_tambon(tambon_code, required=True)
    days = air_now.positive(days, "days", air_now.MAX_DAYS)
    return _changes_of(_tambon(tambon_code), _history(_utc(now), days, daily=False))


def state(now=None, days=30, fire_hours=48):
    """Everything the residents' pages show, as of ``now``, read once:
    ``stations`` (:func:`station_aqi`), ``daily`` and ``changes`` per tambon
    code (:func:`pm25_daily` and :func:`band_changes` over ``days``),
    ``fires`` (:func:`fire_hotspots` of ``fire_hours``) and ``risk``
    (:func:`risk_summary`), ``forecast`` (:func:`forecast`), ``low_cost``
    (what low-cost sensors count for: ``corrected`` or ``reference-only``) and
    ``reports`` (:func:`citizen_reports` over ``days``); JSON-safe."""
    now = _utc(now)
    history = _history(now, days)
    stale = stale_after_hours()
    recent = now - air_now.LOOKBACK - air_now.LEAD
    stations = [air_now.latest(station, hourly[hourly["time_utc"] > recent] if len(hourly) else hourly,
                               now, stale)
                for station, hourly, _ in history.stations]
    return {"stations": stations,
            "daily": {t["tambon_code"]: _daily_of(t, history) for t in tambons()},
            "changes": {t["tambon_code"]: _changes_of(t, history) for t in tambons()},
            "fires": fire_hotspots(fire_hours, now), "risk": risk_summary(), "forecast": forecast(),
            "low_cost": risk_inputs.low_cost_mode(), "reports": citizen_reports(days, now)}


class _History:
    """Per air station: its hourly AQI from ``start`` and its daily PM2.5
    means of ``dates``; :func:`_history` makes it."""

    def __init__(self, now, days):
        self.window_start = now - pd.Timedelta(days=days)
        today = now.tz_convert(aqi.BANGKOK).date()
        self.dates = [today - dt.timedelta(days=k) for k in range(int(days), 0, -1)]
        self.day_end = air_now.midnight(today)
        self.day_start = air_now.midnight(self.dates[0]) if self.dates else self.day_end
        self.stations = []  # (station, hourly AQI, daily means)


def _history(now, days, hourly=True, daily=True):
    """The rows of every public air station for the last ``days``, read
    once: the hourly AQI from ``days`` (and 48 h) before ``now``, the daily
    PM2.5 means of the ``days`` complete Bangkok days before today."""
    history = _History(now, days)
    hourly_start = history.window_start - 2 * air_now.LEAD
    start = min(hourly_start if hourly else history.day_start, history.day_start if daily else now)
    for station in _air_stations():
        rows = _observations(station, aqi.VARIABLE_ORDER if hourly else {air_now.PM25}, start, now)
        table = _hourly_aqi(station, rows[rows["time_utc"] > hourly_start]) if hourly else rows.iloc[0:0]
        pm25 = rows[(rows["variable"] == air_now.PM25) & (rows["time_utc"] > history.day_start)
                    & (rows["time_utc"] <= history.day_end)]
        history.stations.append((station, table, air_now.daily_means(pm25) if daily else None))
    return history


def _daily_of(tambon, history):
    with_data = [(station, means) for station, _, means in history.stations if means["value"].notna().any()]
    chosen = {s["dataset_name"] for s in air_now.history_stations(tambon, [s for s, _ in with_data])}
    return air_now.daily_pm25(history.dates, [pair for pair in with_data if pair[0]["dataset_name"] in chosen])


def _changes_of(tambon, history):
    with_data = [(station, table) for station, table, _ in history.stations if len(table)]
    chosen = {s["dataset_name"] for s in air_now.history_stations(tambon, [s for s, _ in with_data])}
    return air_now.band_changes([table for station, table in with_data if station["dataset_name"] in chosen],
                                history.window_start)


def latest_inventory():
    """The newest public ``ghg-inventory`` dataset the district publishes, or None."""
    found = tk.get_action("package_search")({"user": ""}, {
        "fq": f"+dataset_type:{datasets.GHG_INVENTORY_TYPE} +organization:{trust.district()}",
        "sort": "name desc", "rows": 1})["results"]
    return found[0] if found else None


def stale_after_hours():
    """Hours after which a station's latest AQI no longer counts as current."""
    return int(tk.config.get(STALE_OPTION))


def tambon_codes():
    return [t["tambon_code"] for t in tambons()]


def tambons():
    """The tambons in code order: code, names and centroid."""
    return [dict(t) for t in _tambon_table()]


tambon_of = places.tambon_of


# ------------------------------------------------------------ the catalogue

def _catalogue():
    """The official datasets and ``{resource_id: kind}`` of their DataStore
    tables: once per request, once per call outside one."""
    if not has_request_context():
        return _read_catalogue()
    if "maemoh_catalogue" not in g:
        g.maemoh_catalogue = _read_catalogue()
    return g.maemoh_catalogue


def _read_catalogue():
    datasets = risk_inputs.official_datasets()
    kinds = risk_inputs.table_kinds([r["id"] for d in datasets for r in d["resources"]
                                     if r.get("datastore_active")])
    return datasets, kinds


def _air_stations():
    """The public air stations (see "Air stations"), by station id."""
    datasets, kinds = _catalogue()
    read = list(risk_inputs.observation_tables(datasets, kinds))
    corrected = [r["id"] for d, r, _ in read if risk_inputs.is_calibration(d)]
    stations = []
    for dataset in datasets:
        if (dataset.get("type") != "sensor-station"
                or not set(_as_list(dataset.get("measured_parameters"))) & set(aqi.VARIABLE_ORDER)):
            continue
        low_cost = dataset.get("instrument_class") == risk_inputs.LOW_COST
        tables = corrected if low_cost else [r["id"] for d, r, _ in read if d["id"] == dataset["id"]]
        point = places.point(dataset.get("spatial"))
        if not tables or point is None:
            continue
        title = _as_dict(dataset.get("title_translated"))
        stations.append({
            "station_id": dataset["station_id"], "dataset_name": dataset["name"],
            "name_th": title.get("th") or title.get("en") or dataset.get("title"),
            "name_en": title.get("en") or title.get("th") or dataset.get("title"),
            "tambon_code": tambon_of(*point), "longitude": point[0], "latitude": point[1],
            "corrected": low_cost, "_tables": tables,
        })
    return sorted(stations, key=lambda s: (s["station_id"], s["dataset_name"]))


def _observations(station, variables, start, end):
    """The station's rows of ``variables`` with ``start < time_utc <= end``."""
    frames = [risk_inputs.read_rows(
        table, OBSERVATION_COLUMNS,
        "station_id = :station AND variable = ANY(:variables) AND time_utc > :start AND time_utc <= :end",
        {"station": station["station_id"], "variables": sorted(variables)}, start, end)
        for table in station["_tables"]]
    return pd.concat(frames, ignore_index=True)


def _hourly(station, start, end):
    """``air_quality.hourly_aqi`` of the station's rows in ``(start, end]``."""
    return _hourly_aqi(station, _observations(station, aqi.VARIABLE_ORDER, start, end))


def _hourly_aqi(station, rows):
    if rows.empty:
        return rows.iloc[0:0]
    try:
        return air_quality.hourly_aqi(rows)
    except ValueError as error:
        log.warning("No AQI for station %s (%s): %s", station["station_id"],
                    station["dataset_name"], error)
        return rows.iloc[0:0]


@functools.lru_cache(maxsize=None)
def _tambon_table():
    frame = risk_inputs.tambons().sort_values("tambon_code")
    return tuple({"tambon_code": row.tambon_code, "name_th": row.name_th, "name_en": row.name_en,
                  "longitude": row.geometry.centroid.x, "latitude": row.geometry.centroid.y}
                 for row in frame.itertuples())


def _tambon(code):
    return next(t for t in tambons() if t["tambon_code"] == code)


# ------------------------------------------------------------ values

def _utc(now):
    return air_now.as_utc(clock.now() if now is None else now)


def check_tambon(code, required=False):
    """ValueError unless ``code`` is one of the tambons (or None when not ``required``)."""
    if (code is not None or required) and code not in tambon_codes():
        raise ValueError(f"tambon: one of {', '.join(tambon_codes())}")


def _records(frame, columns, integers=()):
    """The rows of ``columns``; ``integers`` stay whole numbers beside missing values."""
    frame = frame.reindex(columns=columns)
    for column in integers:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame = frame.astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def _number(value):
    return None if value is None or pd.isna(value) else float(value)


def _as_list(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = value.split(",")
    return [str(v).strip() for v in value or []] if isinstance(value, (list, tuple)) else []


def _as_dict(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}
