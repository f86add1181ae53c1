"""What residents are told about the air, as pure rules over observation
tables: a station's latest AQI and whether it is stale, the tambon's AQI,
the texts of a band, daily PM2.5 against the standard, and the hours a
tambon's band changed. The catalogue reads around them live in the CKAN
layer (``residents/data.py``, whose docstring documents each choice).

A station is a dict with ``station_id``, ``dataset_name``, ``tambon_code``,
``longitude`` and ``latitude``; a tambon a dict with ``tambon_code``,
``name_th``, ``name_en``, ``longitude`` and ``latitude`` (its centroid).
Times are pandas Timestamps in UTC.
"""
import datetime as dt
import math

import pandas as pd
from pyproj import Geod

from ckanext.maemoh.risk_jobs import air_quality, aqi

LANGUAGES = ("th", "en")
LOOKBACK = pd.Timedelta(hours=48)       # how old a station's latest AQI may be
LEAD = pd.Timedelta(hours=24)           # rows read before a window, for the 24-hour means
HOUR = pd.Timedelta(hours=1)
MAX_DAYS = 366
MAX_HOURS = 24 * 31
PM25 = "pm25"
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


def band_info(band, lang="th"):
    """Number, name, colours, icon and advice of an AQI band (1-5) in
    ``lang``; band None: the "no current data" entry (number None)."""
    check_lang(lang)
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


def with_band(item, lang):
    """A station or tambon row with the texts of its band in ``lang`` (a
    stale one: "no current data")."""
    info = band_info(None if item["stale"] else item["band"], lang)
    return {**item, "name": item[f"name_{lang}"], "band_name": info["name"],
            "band_label": info["label"], "colour": info["colour"],
            "text_colour": info["text_colour"], "icon": info["icon"],
            "advice_general": info["advice_general"],
            "advice_sensitive": info["advice_sensitive"]}


def forecast_day(row, lang):
    """A forecast day (``date``, ``p50``, ``p10``, ``p90``, ``band``,
    ``band_low``, ``band_high``) with its band texts and its range in words."""
    info = band_info(row["band"], lang)
    low, high = band_info(row["band_low"], lang), band_info(row["band_high"], lang)
    if lang == "th":
        span = (f"น่าจะอยู่ระหว่าง {row['p10']:.0f} ถึง {row['p90']:.0f} ไมโครกรัม/ลบ.ม. "
                f"(ระดับ {low['number']} ถึง {high['number']})")
    else:
        span = (f"likely between {row['p10']:.0f} and {row['p90']:.0f} µg/m³ "
                f"(level {low['number']} to {high['number']})")
    return {**row, "band_name": info["name"], "band_label": info["label"], "colour": info["colour"],
            "text_colour": info["text_colour"], "icon": info["icon"],
            "advice_general": info["advice_general"], "advice_sensitive": info["advice_sensitive"],
            "range_text": span}


def forecast_reliability(share, lang):
    """One plain sentence of how often the next-day forecast was in the right
    band (``share``: ``{"share": 0-1, "days": N}``), or of why it is not known."""
    if not share or not share.get("days"):
        return ("ยังไม่มีประวัติพอจะบอกความแม่นยำของการพยากรณ์" if lang == "th"
                else "There is not yet enough history to say how reliable the forecast is.")
    percent, days = round(100 * share["share"]), share["days"]
    if lang == "th":
        return f"ในช่วง {days} วันที่ผ่านมา การพยากรณ์ของวันถัดไปอยู่ในระดับที่ถูกต้อง {percent}% ของจำนวนวัน"
    return f"Over the last {days} days the next-day forecast was in the right band {percent} % of the time."


def with_bands(stations, tambons, lang, tambon=None):
    """``{"stations", "tambons"}``: the rows of :func:`latest` and
    :func:`tambon_aqi` with the texts of their bands in ``lang``; with
    ``tambon`` (a code), only that tambon and the stations in it or used by it."""
    if tambon:
        tambons = [t for t in tambons if t["tambon_code"] == tambon]
        used = set(tambons[0]["stations"])
        stations = [s for s in stations if s["tambon_code"] == tambon or s["station_id"] in used]
    return {"stations": [with_band(s, lang) for s in stations],
            "tambons": [with_band(t, lang) for t in tambons]}


def latest(station, hourly, now, stale_after_hours):
    """The station's row with its latest hourly AQI of the last 48 hours
    (``air_quality.hourly_aqi`` rows in ``hourly``), its age and whether it is stale."""
    row = {k: v for k, v in station.items() if not k.startswith("_")}
    recent = hourly[hourly["time_utc"] > now - LOOKBACK] if len(hourly) else hourly
    if recent.empty:
        return {**row, "aqi": None, "band": None, "dominant": None, "scheme": None,
                "time_utc": None, "time_local": None, "age_hours": None, "stale": True}
    newest = recent.loc[recent["time_utc"].idxmax()]
    age = (now - newest["time_utc"]) / HOUR
    return {**row, "aqi": int(newest["aqi"]), "band": int(newest["band"]),
            "dominant": str(newest["dominant"]), "scheme": str(newest["scheme"]),
            **times(newest["time_utc"]), "age_hours": round(float(age), 2),
            "stale": bool(age > stale_after_hours)}


def tambon_aqi(stations, tambons):
    """The current AQI of each tambon (in the order given) from the rows of
    :func:`latest`: the highest of its fresh stations, else the nearest fresh
    station; when none is fresh, the same over stations with any AQI."""
    with_aqi = [s for s in stations if s["aqi"] is not None]
    pool = [s for s in with_aqi if not s["stale"]] or with_aqi
    rows = []
    for tambon in tambons:
        inside = [s for s in pool if s["tambon_code"] == tambon["tambon_code"]]
        row = {k: tambon[k] for k in ("tambon_code", "name_th", "name_en")}
        if inside:
            best = max(inside, key=lambda s: s["aqi"])      # ties: the first in station order
            row.update(source="station", stations=[s["station_id"] for s in inside],
                       nearest_km=None)
        elif pool:
            best = min(pool, key=lambda s: km(tambon, s))
            row.update(source="nearest station", stations=[best["station_id"]],
                       nearest_km=round(km(tambon, best), 1))
        else:
            best = None
            row.update(source=None, stations=[], nearest_km=None)
        row.update({k: best[k] if best else None for k in (
            "aqi", "band", "dominant", "scheme", "time_utc", "time_local", "age_hours")})
        row["stale"] = best is None or best["stale"]
        rows.append(row)
    return rows


def history_stations(tambon, stations):
    """Among ``stations`` (those with data): the tambon's own, else the one
    nearest to its centroid."""
    inside = [s for s in stations if s["tambon_code"] == tambon["tambon_code"]]
    if inside or not stations:
        return inside
    return [min(stations, key=lambda s: km(tambon, s))]


def daily_means(rows):
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


def daily_pm25(dates, chosen):
    """Rows ``date, value_ug_m3, hours, station_id, standard_ug_m3,
    exceeds_standard`` of ``dates`` from ``chosen``: (station, daily means)
    pairs; the highest value of a day wins, truncated to the AQI table's step."""
    result = []
    for date in dates:
        scheme = aqi.scheme_for(date)
        standard = pm25_standard(scheme)
        best = None
        for station, means in chosen:
            if date in means.index and not pd.isna(means.at[date, "value"]):
                value = float(aqi.truncate(PM25, round(means.at[date, "value"], air_quality.DECIMALS),
                                           scheme))
                if best is None or value > best["value_ug_m3"]:
                    best = {"value_ug_m3": value, "hours": int(means.at[date, "hours"]),
                            "station_id": station["station_id"]}
        if best is None:
            hours = [int(means.at[date, "hours"]) for _station, means in chosen if date in means.index]
            best = {"value_ug_m3": None, "hours": max(hours, default=0), "station_id": None}
        result.append({"date": date.isoformat(), **best, "standard_ug_m3": standard,
                       "exceeds_standard": None if best["value_ug_m3"] is None
                       else best["value_ug_m3"] > standard})
    return result


def band_changes(tables, window_start):
    """The hours after ``window_start`` whose band differs from the previous
    hour with a value, newest first, from the hourly AQI ``tables`` of the
    chosen stations (the highest AQI of an hour wins)."""
    if not tables:
        return []
    series = pd.concat(tables, ignore_index=True)
    series = (series.sort_values(["time_utc", "aqi"], ascending=[True, False], kind="stable")
              .drop_duplicates("time_utc").reset_index(drop=True))
    before = series["band"].shift(1)
    changed = series[before.notna() & (series["band"] != before)
                     & (series["time_utc"] > window_start)]
    return [{**times(row.time_utc), "band_from": int(before[index]), "band_to": int(row.band),
             "aqi": int(row.aqi), "station_id": row.station_id}
            for index, row in changed.iloc[::-1].iterrows()]


def km(a, b):
    """Geodesic distance (km) between two dicts with longitude and latitude."""
    return _GEOD.inv(a["longitude"], a["latitude"], b["longitude"], b["latitude"])[2] / 1000


def times(stamp):
    """``time_utc`` and ``time_local`` (Asia/Bangkok), ISO 8601."""
    moment = pd.Timestamp(stamp).to_pydatetime()
    return {"time_utc": moment.astimezone(dt.timezone.utc).isoformat(),
            "time_local": moment.astimezone(aqi.BANGKOK).isoformat()}


def midnight(date):
    """00:00 Bangkok time of ``date``, in UTC."""
    return pd.Timestamp(dt.datetime.combine(date, dt.time(), aqi.BANGKOK)).tz_convert("UTC")


def as_utc(now):
    """``now`` (timezone-aware) as a UTC Timestamp; ValueError when naive."""
    stamp = pd.Timestamp(now)
    if stamp.tzinfo is None:
        raise ValueError("now: give a timezone-aware time (UTC)")
    return stamp.tz_convert("UTC")


def positive(value, name, maximum, whole=False):
    """``value`` as a number in (0, maximum]; ValueError naming ``name`` otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: give a number") from None
    if not 0 < number <= maximum or (whole and number != int(number)):
        raise ValueError(f"{name}: give a {'whole ' if whole else ''}number above 0, "
                         f"at most {maximum}")
    return number


def check_lang(lang):
    if lang not in LANGUAGES:
        raise ValueError(f"lang: one of {', '.join(LANGUAGES)}")


def _sensitive_groups(lang):
    return aqi.SENSITIVE_GROUPS_TH if lang == "th" else aqi.SENSITIVE_GROUPS_EN
