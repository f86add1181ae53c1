"""The level of each warning kind per key (tambon code or station id), from
plain data shaped like the residents' snapshot (``residents/data.py``:
``state()``, ``risk_summary()``, ``forecast()``). None means no data: it
neither opens nor closes an episode (:mod:`.episodes`).

Levels: AQI and forecast bands 1-5 (``risk_jobs.aqi.BANDS``), composite risk
classes 1-5 (``risk_jobs.composite.RISK_CLASSES``), fire rings 0-3, and 0/1
for a stale station or a failed harvest.
"""
import datetime as dt

from pyproj import Transformer
from shapely.geometry import Point
from shapely.ops import transform

from ckanext.maemoh.risk_jobs import dimensions

#: the thresholds a subscriber may choose, per kind
CHOICES = {"aqi": (3, 4, 5), "forecast": (3, 4, 5), "fire": (1, 2, 3), "risk": (3, 4, 5),
           "station_stale": (1,), "harvest_failed": (1,)}
#: the level at which public CAP messages are issued
PUBLIC_THRESHOLD = {"aqi": 4, "forecast": 4, "fire": 2, "risk": 4}
#: the events of a tambon, for residents; the events of an agency's own stations and sources
RESIDENT_KINDS = tuple(PUBLIC_THRESHOLD)
AGENCY_KINDS = ("station_stale", "harvest_failed")
#: the composite's class per tambon in the "Risk per tambon" table: its highest cell class
RISK_CLASS_FIELD = "risk_class_max"
#: metres, for distances: UTM zone 47N, which covers Mae Moh
METRIC_CRS = "EPSG:32647"
_TO_METRES = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True).transform


def aqi_levels(tambon_rows):
    """``{tambon_code: band 1-5}`` of the tambons' current AQI rows
    (``air_now.tambon_aqi``); None when stale or without a band."""
    return {row["tambon_code"]: None if row.get("stale") or row.get("band") is None else int(row["band"])
            for row in tambon_rows}


def forecast_levels(forecast_tambons, today):
    """``{tambon_code: forecast band of the day after today}`` from the
    forecast's ``tambons`` (``{code: [rows with "date" (ISO) and "band"]}``);
    ``today`` is a Bangkok date. None without a row or band for that day."""
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    levels = {}
    for code, rows in forecast_tambons.items():
        band = next((row.get("band") for row in rows if str(row["date"])[:10] == tomorrow), None)
        levels[code] = None if band is None else int(band)
    return levels


def fire_levels(fires, tambons, now, hours, rings_km=(25, 10, 5)):
    """``{tambon_code: 0-3}``: 3 when a fire detection of the last ``hours``
    (``now - hours < time_utc <= now``) lies within ``rings_km[2]`` km of the
    tambon's polygon (inside: 0 km), 2 within ``rings_km[1]``, 1 within
    ``rings_km[0]``, else 0. ``fires``: dicts with ``longitude``,
    ``latitude`` and ``time_utc`` (ISO 8601 or aware datetime); ``tambons``:
    ``{code: shapely geometry in EPSG:4326}``. Distances are in metres in UTM
    zone 47N (EPSG:32647)."""
    if len(rings_km) != 3 or not rings_km[0] > rings_km[1] > rings_km[2] > 0:
        raise ValueError(f"rings_km: three distances in km, largest first, not {rings_km!r}")
    if not hours > 0:
        raise ValueError(f"hours: a number above 0, not {hours!r}")
    now = _utc(now, "now")
    start = now - dt.timedelta(hours=hours)
    points = [transform(_TO_METRES, Point(float(f["longitude"]), float(f["latitude"])))
              for f in fires if start < _utc(f["time_utc"], "time_utc") <= now]
    levels = {}
    for code, polygon in tambons.items():
        metric = transform(_TO_METRES, polygon)
        nearest_km = min((metric.distance(p) / 1000 for p in points), default=None)
        levels[code] = 0 if nearest_km is None else sum(nearest_km <= ring for ring in rings_km)
    return levels


def risk_levels(risk_summary):
    """``{tambon_code: composite risk class 1-5}`` from ``risk_summary()``
    (``{dimension: {"tambons": [rows]}}``); None where the class is missing;
    empty without a composite layer."""
    rows = risk_summary.get(dimensions.COMPOSITE, {}).get("tambons", [])
    return {row["tambon_code"]: None if row.get(RISK_CLASS_FIELD) is None else int(row[RISK_CLASS_FIELD])
            for row in rows}


def stale_levels(stations, now, hours):
    """``{station_id: 1 when its newest AQI (``time_utc``) is more than
    ``hours`` before ``now`` or missing, else 0}`` from the snapshot's
    ``stations`` rows; a station listed twice is fresh when either row is."""
    if not hours > 0:
        raise ValueError(f"hours: a number above 0, not {hours!r}")
    limit = _utc(now, "now") - dt.timedelta(hours=hours)
    levels = {}
    for row in stations:
        stale = row.get("time_utc") is None or _utc(row["time_utc"], "time_utc") < limit
        levels[row["station_id"]] = min(levels.get(row["station_id"], 1), int(stale))
    return levels


def _utc(moment, name):
    """An ISO 8601 string or aware datetime as an aware UTC datetime."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError(f"{name}: a timezone-aware time, not {moment!r}")
    return moment.astimezone(dt.timezone.utc)
