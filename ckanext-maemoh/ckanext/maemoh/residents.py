"""The data behind the residents' pages (Thai first, then English): the
current air quality per station and per tambon, what each AQI band means,
the risk per tambon, fire hotspots, daily PM2.5 and the changes of band.

Plain functions over the catalogue and the DataStore's read engine. Each
one that depends on the clock takes ``now`` (a timezone-aware datetime,
default: the current time) so that tests can fix it. Functions raise
ValueError on bad arguments; the actions turn that into ValidationError.

Documented choices
------------------
Public data of trusted publishers only
    Stations, fire tables and risk layers are the datasets of
    :func:`risk_inputs.official_datasets` (private ones and those of
    untrusted organisations never, whoever asks);
    only their DataStore tables are read, with the read-only database user,
    and a table is recognised by its columns (:func:`risk_inputs.table_kinds`).
Air stations
    A public ``sensor-station`` dataset with a point location, an
    observations table and an AQI pollutant among its
    ``measured_parameters``; only the rows of its own ``station_id`` count.
    Its tambon is the tambon polygon covering the point (the first in code
    order on a shared border), None outside the district.
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
Risk summary
    Per public ``risk-layer`` dataset, its "Risk per tambon" DataStore table
    (:data:`risk_publish.TAMBON_FIELDS`), rows in tambon code order.
"""
import datetime as dt
import functools
import json
import logging
import math

import pandas as pd
from pyproj import Geod
from shapely.geometry import Point

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock, places, risk_inputs, risk_publish
from ckanext.maemoh.risk_jobs import air_quality, aqi, dimensions, hazards

log = logging.getLogger(__name__)

LANGUAGES = ("th", "en")
STALE_OPTION = "ckanext.maemoh.stale_after_hours"
LOOKBACK = pd.Timedelta(hours=48)       # how old a station's latest AQI may be
LEAD = pd.Timedelta(hours=24)           # rows read before a window, for the 24-hour means
HOUR = pd.Timedelta(hours=1)
MAX_DAYS = 366
MAX_HOURS = 24 * 31
PM25 = "pm25"
OBSERVATION_COLUMNS = "station_id, variable, time_utc, averaging_period, value, quality"
FIRE_COLUMNS = "source, time_utc, latitude, longitude, frp_mw, confidence"
_GEOD = Geod(ellps="WGS84")


def pm25_standard(scheme="TH-2023"):
    """The national 24-hour PM2.5 standard (µg/m³) of an AQI scheme: the
    concentration at AQI 100, the top of the 51-100 row."""
    rows = aqi.SCHEMES[scheme].pollutants[PM25].breakpoints
    return float(next(row.c_hi for row in rows if row.i_hi == 100))


#: Thailand's 24-hour PM2.5 standard since 1 June 2023: 37.5 µg/m³.
PM25_24H_STANDARD_UG_M3 = pm25_standard("TH-2023")

NO_CURRENT_DATA = {
    "th": {"name": "ไม่มีข้อมูลปัจจุบัน", "label": "ไม่มีข้อมูลปัจจุบัน",
           "advice_general": "ยังไม่มีค่าคุณภาพอากาศล่าสุด ดูค่าจากสถานีใกล้เคียงหรือประกาศของทางราชการ",
           "advice_sensitive": ("เมื่อไม่มีค่าล่าสุด ให้สังเกตหมอกควันและอาการของตนเอง "
                                "หากมีอาการ เช่น ไอ หายใจลำบาก หรือระคายเคืองตา "
                                "ควรลดเวลาทำกิจกรรมกลางแจ้ง")},
    "en": {"name": "No current data", "label": "No current data",
           "advice_general": ("There is no recent air-quality reading. Check a nearby "
                              "station or official announcements."),
           "advice_sensitive": ("Without a recent reading, watch for haze and for symptoms "
                                "such as a cough, difficulty breathing or sore eyes; if you "
                                "have them, spend less time outdoors.")},
}
NO_DATA_COLOUR, NO_DATA_TEXT_COLOUR, NO_DATA_ICON = "#A0A0A0", "#000000", "circle-question"


# ------------------------------------------------------------ public API

def station_aqi(now=None):
    """The latest AQI of every public air station (see the module docstring)."""
    now = _utc(now)
    stations = _air_stations()
    return [_latest(station, _hourly(station, now - LOOKBACK - LEAD, now), now)
            for station in stations]


def tambon_aqi(now=None, stations=None):
    """The current AQI of the five tambons in code order; ``stations``: the
    result of :func:`station_aqi` at the same ``now`` (read when None)."""
    if stations is None:
        stations = station_aqi(now)
    with_aqi = [s for s in stations if s["aqi"] is not None]
    pool = [s for s in with_aqi if not s["stale"]] or with_aqi
    rows = []
    for tambon in _tambons():
        inside = [s for s in pool if s["tambon_code"] == tambon["tambon_code"]]
        row = {k: tambon[k] for k in ("tambon_code", "name_th", "name_en")}
        if inside:
            best = max(inside, key=lambda s: s["aqi"])      # ties: the first in station order
            row.update(source="station", stations=[s["station_id"] for s in inside],
                       nearest_km=None)
        elif pool:
            best = min(pool, key=lambda s: _km(tambon, s))
            row.update(source="nearest station", stations=[best["station_id"]],
                       nearest_km=round(_km(tambon, best), 1))
        else:
            best = None
            row.update(source=None, stations=[], nearest_km=None)
        row.update({k: best[k] if best else None for k in (
            "aqi", "band", "dominant", "scheme", "time_utc", "time_local", "age_hours")})
        row["stale"] = best is None or best["stale"]
        rows.append(row)
    return rows


def aqi_latest(lang="th", tambon=None, now=None):
    """What ``maemoh_aqi_latest`` returns: stations and tambons, each with the
    texts of its band in ``lang`` (stale ones: "no current data"). With
    ``tambon``, only that tambon and the stations in it or used by it."""
    _check_lang(lang)
    _check_tambon(tambon)
    stations = station_aqi(now)
    tambons = tambon_aqi(now, stations)
    if tambon:
        tambons = [t for t in tambons if t["tambon_code"] == tambon]
        used = set(tambons[0]["stations"])
        stations = [s for s in stations if s["tambon_code"] == tambon or s["station_id"] in used]
    return {"stations": [_with_band(s, lang) for s in stations],
            "tambons": [_with_band(t, lang) for t in tambons],
            "stale_after_hours": stale_after_hours()}


def band_info(band, lang="th"):
    """Number, name, colours, icon and advice of an AQI band (1-5) in
    ``lang``; band None: the "no current data" entry (number None)."""
    _check_lang(lang)
    if band is None:
        return {"number": None, "aqi_min": None, "aqi_max": None, **NO_CURRENT_DATA[lang],
                "colour": NO_DATA_COLOUR, "text_colour": NO_DATA_TEXT_COLOUR,
                "icon": NO_DATA_ICON, "sensitive_groups": _sensitive_groups(lang)}
    try:
        found = aqi.BANDS[int(band)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"band: 1 to 5 or None, not {band!r}") from None
    return {"number": found.number, "aqi_min": found.aqi_min, "aqi_max": found.aqi_max,
            "name": getattr(found, f"name_{lang}"), "label": getattr(found, f"label_{lang}"),
            "advice_general": getattr(found, f"advice_general_{lang}"),
            "advice_sensitive": getattr(found, f"advice_sensitive_{lang}"),
            "colour": found.hex, "text_colour": found.text_hex, "icon": found.icon,
            "sensitive_groups": _sensitive_groups(lang)}


def risk_summary(tambon=None, dimension=None):
    """``{dimension: {"dataset", "computed_at", "temporal_start",
    "temporal_end", "tambons": [rows of the Risk per tambon table]}}`` of the
    public risk layers, optionally of one tambon and/or one dimension."""
    _check_tambon(tambon)
    if dimension is not None and dimension not in dimensions.NAMES:
        raise ValueError(f"dimension: one of {', '.join(dimensions.NAMES)}")
    columns = [field["id"] for field in risk_publish.TAMBON_FIELDS]
    summary = {}
    for dataset in risk_inputs.official_datasets():
        found = dataset.get("risk_dimension")
        if dataset.get("type") != risk_publish.DATASET_TYPE or dimension not in (None, found):
            continue
        table = next((r["id"] for r in dataset["resources"]
                      if r.get("name") == risk_publish.TAMBON_TABLE and r.get("datastore_active")),
                     None)
        rows = _records(risk_inputs.read_table(table), columns) if table else []
        summary[found] = {
            "dataset": dataset["name"], "computed_at": dataset.get("computed_at"),
            "temporal_start": dataset.get("temporal_start"),
            "temporal_end": dataset.get("temporal_end"),
            "tambons": sorted((r for r in rows if tambon in (None, r["tambon_code"])),
                              key=lambda r: r["tambon_code"]),
        }
    return dict(sorted(summary.items(), key=lambda item: dimensions.NAMES.index(item[0])
                       if item[0] in dimensions.NAMES else len(dimensions.NAMES)))


def fire_hotspots(hours=48, now=None):
    """Fire detections of trusted public tables in the last ``hours``, low confidence
    left out, newest first: ``latitude, longitude, time_utc, time_local,
    frp_mw, confidence, source, tambon_code``."""
    hours = _positive(hours, "hours", MAX_HOURS)
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
             **_times(row.time_utc), "frp_mw": _number(row.frp_mw),
             "confidence": row.confidence, "source": row.source,
             "tambon_code": _tambon_of(row.longitude, row.latitude)}
            for row in fires.itertuples()]


def pm25_daily(tambon_code, days=30, now=None):
    """The daily (24-hour) PM2.5 mean of a tambon for the ``days`` complete
    Bangkok days before today, oldest first: ``date, value_ug_m3, hours,
    station_id, standard_ug_m3, exceeds_standard``; value None when fewer
    than 18 hours were measured (see the module docstring)."""
    _check_tambon(tambon_code, required=True)
    days = int(_positive(days, "days", MAX_DAYS, whole=True))
    now = _utc(now)
    today = now.tz_convert(aqi.BANGKOK).date()
    dates = [today - dt.timedelta(days=k) for k in range(days, 0, -1)]
    start, end = _midnight(dates[0]), _midnight(today)
    daily = {}
    for station in _air_stations():
        rows = _observations(station, {PM25}, start, end)
        means = _daily_means(rows)
        if means["value"].notna().any():
            daily[station["dataset_name"]] = (station, means)
    chosen = _history_stations(tambon_code, [station for station, _ in daily.values()])
    result = []
    for date in dates:
        scheme = aqi.scheme_for(date)
        standard = pm25_standard(scheme)
        best = None
        for station in chosen:
            means = daily[station["dataset_name"]][1]
            if date in means.index and not pd.isna(means.at[date, "value"]):
                value = float(aqi.truncate(PM25, round(means.at[date, "value"], air_quality.DECIMALS),
                                           scheme))
                if best is None or value > best["value_ug_m3"]:
                    best = {"value_ug_m3": value, "hours": int(means.at[date, "hours"]),
                            "station_id": station["station_id"]}
        if best is None:
            hours = [int(daily[s["dataset_name"]][1].at[date, "hours"]) for s in chosen
                     if date in daily[s["dataset_name"]][1].index]
            best = {"value_ug_m3": None, "hours": max(hours, default=0), "station_id": None}
        result.append({"date": date.isoformat(), **best, "standard_ug_m3": standard,
                       "exceeds_standard": None if best["value_ug_m3"] is None
                       else best["value_ug_m3"] > standard})
    return result


def band_changes(tambon_code, days=30, now=None):
    """The hours when the tambon's AQI band changed in the last ``days``,
    newest first: ``time_utc, time_local, band_from, band_to, aqi,
    station_id`` (for an Atom feed; see the module docstring)."""
    _check_tambon(tambon_code, required=True)
    days = _positive(days, "days", MAX_DAYS)
    now = _utc(now)
    window_start = now - pd.Timedelta(days=days)
    hourly = {}
    for station in _air_stations():
        table = _hourly(station, window_start - 2 * LEAD, now)
        if len(table):
            hourly[station["dataset_name"]] = (station, table)
    chosen = _history_stations(tambon_code, [station for station, _ in hourly.values()])
    if not chosen:
        return []
    series = pd.concat([hourly[s["dataset_name"]][1] for s in chosen], ignore_index=True)
    series = (series.sort_values(["time_utc", "aqi"], ascending=[True, False], kind="stable")
              .drop_duplicates("time_utc").reset_index(drop=True))
    before = series["band"].shift(1)
    changed = series[before.notna() & (series["band"] != before)
                     & (series["time_utc"] > window_start)]
    return [{**_times(row.time_utc), "band_from": int(before[index]), "band_to": int(row.band),
             "aqi": int(row.aqi), "station_id": row.station_id}
            for index, row in changed.iloc[::-1].iterrows()]


def stale_after_hours():
    """Hours after which a station's latest AQI no longer counts as current."""
    return int(tk.config.get(STALE_OPTION))


def tambon_codes():
    return [t["tambon_code"] for t in _tambons()]


# ------------------------------------------------------------ stations

def _catalogue():
    """The public datasets and ``{resource_id: kind}`` of their DataStore tables."""
    datasets = risk_inputs.official_datasets()
    kinds = risk_inputs.table_kinds([r["id"] for d in datasets for r in d["resources"]
                                     if r.get("datastore_active")])
    return datasets, kinds


def _air_stations():
    """The public air stations (see "Air stations"), by station id."""
    datasets, kinds = _catalogue()
    stations = []
    for dataset in datasets:
        if (dataset.get("type") != "sensor-station"
                or not set(_as_list(dataset.get("measured_parameters"))) & set(aqi.VARIABLE_ORDER)):
            continue
        tables = [r["id"] for r in dataset["resources"] if kinds.get(r["id"]) == "observations"]
        point = places.point(dataset.get("spatial"))
        if not tables or point is None:
            continue
        title = _as_dict(dataset.get("title_translated"))
        stations.append({
            "station_id": dataset["station_id"], "dataset_name": dataset["name"],
            "name_th": title.get("th") or title.get("en") or dataset.get("title"),
            "name_en": title.get("en") or title.get("th") or dataset.get("title"),
            "tambon_code": _tambon_of(*point), "longitude": point[0], "latitude": point[1],
            "_tables": tables,
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
    rows = _observations(station, aqi.VARIABLE_ORDER, start, end)
    if rows.empty:
        return rows.iloc[0:0]
    try:
        return air_quality.hourly_aqi(rows)
    except ValueError as error:
        log.warning("No AQI for station %s (%s): %s", station["station_id"],
                    station["dataset_name"], error)
        return rows.iloc[0:0]


def _latest(station, hourly, now):
    row = {k: v for k, v in station.items() if not k.startswith("_")}
    recent = hourly[hourly["time_utc"] > now - LOOKBACK] if len(hourly) else hourly
    if recent.empty:
        return {**row, "aqi": None, "band": None, "dominant": None, "scheme": None,
                "time_utc": None, "time_local": None, "age_hours": None, "stale": True}
    latest = recent.loc[recent["time_utc"].idxmax()]
    age = (now - latest["time_utc"]) / HOUR
    return {**row, "aqi": int(latest["aqi"]), "band": int(latest["band"]),
            "dominant": str(latest["dominant"]), "scheme": str(latest["scheme"]),
            **_times(latest["time_utc"]), "age_hours": round(float(age), 2),
            "stale": bool(age > stale_after_hours())}


def _history_stations(tambon_code, stations):
    """Among ``stations`` (those with data): the tambon's own, else the nearest."""
    inside = [s for s in stations if s["tambon_code"] == tambon_code]
    if inside or not stations:
        return inside
    tambon = next(t for t in _tambons() if t["tambon_code"] == tambon_code)
    return [min(stations, key=lambda s: _km(tambon, s))]


def _daily_means(rows):
    """Per Bangkok day (index): ``value`` (mean of the hourly PM2.5, None
    below the coverage) and ``hours`` (hours with a reading)."""
    hourly = rows[(rows["averaging_period"] == air_quality.HOURLY)
                  & (rows["quality"] != air_quality.SUSPECT) & rows["value"].notna()]
    day = (hourly["time_utc"] - HOUR).dt.tz_convert(aqi.BANGKOK).dt.date
    grouped = hourly["value"].astype(float).groupby(day)
    need = math.ceil(air_quality.MIN_COVERAGE * 24)
    means = pd.DataFrame({"value": grouped.mean(), "hours": grouped.size()})
    means["value"] = means["value"].where(means["hours"] >= need)
    return means


def _with_band(item, lang):
    info = band_info(None if item["stale"] else item["band"], lang)
    return {**item, "name": item[f"name_{lang}"], "band_name": info["name"],
            "band_label": info["label"], "colour": info["colour"],
            "text_colour": info["text_colour"], "icon": info["icon"],
            "advice_general": info["advice_general"],
            "advice_sensitive": info["advice_sensitive"]}


# ------------------------------------------------------------ places

@functools.lru_cache(maxsize=None)
def _tambon_table():
    frame = risk_inputs.tambons().sort_values("tambon_code")
    return tuple({"tambon_code": row.tambon_code, "name_th": row.name_th, "name_en": row.name_en,
                  "longitude": row.geometry.centroid.x, "latitude": row.geometry.centroid.y}
                 for row in frame.itertuples())


def _tambons():
    return [dict(t) for t in _tambon_table()]


def _tambon_of(longitude, latitude):
    point = Point(float(longitude), float(latitude))
    return next((code for code, polygon in sorted(places.tambons().items())
                 if polygon.covers(point)), None)


def _km(a, b):
    """Geodesic distance (km) between two dicts with longitude and latitude."""
    return _GEOD.inv(a["longitude"], a["latitude"], b["longitude"], b["latitude"])[2] / 1000


# ------------------------------------------------------------ values

def _utc(now):
    if now is None:
        return pd.Timestamp(clock.now())
    stamp = pd.Timestamp(now)
    if stamp.tzinfo is None:
        raise ValueError("now: give a timezone-aware time (UTC)")
    return stamp.tz_convert("UTC")


def _times(stamp):
    moment = pd.Timestamp(stamp).to_pydatetime()
    return {"time_utc": moment.astimezone(dt.timezone.utc).isoformat(),
            "time_local": moment.astimezone(aqi.BANGKOK).isoformat()}


def _midnight(date):
    """00:00 Bangkok time of ``date``, in UTC."""
    return pd.Timestamp(dt.datetime.combine(date, dt.time(), aqi.BANGKOK)).tz_convert("UTC")


def _positive(value, name, maximum, whole=False):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: give a number") from None
    if not 0 < number <= maximum or (whole and number != int(number)):
        raise ValueError(f"{name}: give a {'whole ' if whole else ''}number above 0, "
                         f"at most {maximum}")
    return number


def _check_lang(lang):
    if lang not in LANGUAGES:
        raise ValueError(f"lang: one of {', '.join(LANGUAGES)}")


def _check_tambon(code, required=False):
    if (code is not None or required) and code not in tambon_codes():
        raise ValueError(f"tambon: one of {', '.join(tambon_codes())}")


def _sensitive_groups(lang):
    return aqi.SENSITIVE_GROUPS_TH if lang == "th" else aqi.SENSITIVE_GROUPS_EN


def _records(frame, columns):
    frame = frame.reindex(columns=columns).astype(object)
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
