"""The residents' snapshot: what the residents' pages and public actions
show, computed by the background jobs when the data change and read by
every web process from Redis.

Documented choices
------------------
What it holds
    :func:`.data.state` as of its ``computed_at`` (the stations' latest AQI,
    30 days of daily PM2.5 and band changes per tambon, 48 hours of fire
    detections, the risk per tambon), the guidance of the latest inventory
    (district-wide and per tambon) and that inventory's dataset, read as an
    anonymous visitor: public data only.
When it is computed
    :func:`request` (a harvest imported observations or fire detections, a
    risk layer or an inventory was published) marks it dirty and queues
    :func:`refresh_job` on the default queue unless a refresh is queued and
    not yet started: a harvest of a hundred objects makes one or two
    refreshes, and a change during a refresh queues the next one.
    ``ckan maemoh tick`` (:func:`flush`) queues one for a dirty snapshot and
    for one older than ``ckanext.maemoh.snapshot.max_age_minutes``, so that
    a day's history moves on at midnight without new data (and a refresh
    lost with its worker is queued again after :data:`GATE_SECONDS`).
    Refreshes are serialised by a lock, and a refresh never replaces a
    snapshot computed at a later time.
    Each refresh job then sends ``maemoh:snapshot_refreshed``: the warnings
    are decided from the new snapshot (alerting/evaluate.py).
Honest ages
    The ages, staleness and windows are those of the time of reading, not of
    the snapshot: a station's AQI is current only while it is younger than
    ``ckanext.maemoh.stale_after_hours`` now, an AQI older than 48 hours is
    no AQI, a fire older than the window is left out, and a day the
    snapshot does not cover has no value. A snapshot that was never
    computed shows nothing as current and queues a refresh.
Cost of a read
    One Redis ``GET`` of the version; the parsed snapshot is kept per
    process until the version changes.
"""
import datetime as dt
import functools
import hashlib
import json
import logging

import redis

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.residents import data
from ckanext.maemoh.risk_jobs import air_now, aqi, dimensions

log = logging.getLogger(__name__)

KEY = "maemoh:residents:snapshot"
VERSION_KEY = KEY + ":version"
DIRTY_KEY = KEY + ":dirty"
GATE_KEY = KEY + ":gate"
LOCK_KEY = KEY + ":lock"
GATE_SECONDS = 600
REFRESHED = "maemoh:snapshot_refreshed"
LOCK_SECONDS = 600
MAX_AGE_OPTION = "ckanext.maemoh.snapshot.max_age_minutes"
HISTORY_DAYS = 30
FIRE_HOURS = 48
NO_DATA_FIELDS = ("aqi", "band", "dominant", "scheme", "time_utc", "time_local", "age_hours")

_cache = {"version": None, "snapshot": None}


def connection():
    """This process's Redis client (its pool reconnects after a fork)."""
    return _client(tk.config["ckan.redis.url"])


@functools.lru_cache(maxsize=None)
def _client(url):
    return redis.Redis.from_url(url)


# ------------------------------------------------------------ computing

def refresh(now=None):
    """Compute the snapshot as of ``now`` (default: the platform clock) and
    store it unless a later one is stored; the snapshot."""
    now = now or clock.now()
    redis_ = connection()
    with redis_.lock(LOCK_KEY, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS):
        redis_.delete(GATE_KEY, DIRTY_KEY)  # a change from now on queues the next refresh
        try:
            snapshot = _compute(now)
        except Exception:  # still out of date: the next tick queues it again
            redis_.set(DIRTY_KEY, clock.now().isoformat())
            raise
        stored = _load(redis_)
        if stored and _computed_at(stored) > _computed_at(snapshot):
            log.info("snapshot of %s kept: newer than %s", stored["computed_at"], snapshot["computed_at"])
            return stored
        body = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, default=_plain)
        version = hashlib.sha256(body.encode()).hexdigest()[:16]
        with redis_.pipeline() as pipe:
            pipe.set(KEY, body).set(VERSION_KEY, version).execute()
    log.info("residents' snapshot %s computed at %s", version, snapshot["computed_at"])
    return snapshot


def refreshed_signal():
    """``maemoh:snapshot_refreshed``, sent after each refresh job with the
    snapshot's ``computed_at`` (the warnings are decided from it)."""
    return tk.signals.ckanext.signal(REFRESHED)


def refresh_job():
    """The job :func:`request` queues."""
    computed_at = refresh()["computed_at"]
    refreshed_signal().send(KEY, computed_at=computed_at)
    return computed_at


def request():
    """Mark the snapshot out of date and queue a refresh unless one is
    queued and not started yet; True when one was queued."""
    redis_ = connection()
    redis_.set(DIRTY_KEY, clock.now().isoformat())
    return _enqueue(redis_)


def on_data_changed(sender, **kwargs):
    """The handler of ``maemoh:observations_changed`` (a harvest imported
    rows) and ``maemoh:published`` (a risk layer or an inventory): :func:`request`."""
    request()


def flush():
    """Queue a refresh when the snapshot is dirty, missing or older than
    ``ckanext.maemoh.snapshot.max_age_minutes``; True when one was queued."""
    redis_ = connection()
    stored = _load(redis_)
    max_age = dt.timedelta(minutes=tk.config[MAX_AGE_OPTION])
    if stored and not redis_.exists(DIRTY_KEY) and clock.now() - _computed_at(stored) < max_age:
        return False
    return _enqueue(redis_)


def _enqueue(redis_):
    if not redis_.set(GATE_KEY, clock.now().isoformat(), nx=True, ex=GATE_SECONDS):
        return False
    tk.enqueue_job(refresh_job, title="Residents' snapshot")
    return True


def _compute(now):
    snapshot = data.state(now, HISTORY_DAYS, FIRE_HOURS)
    guidance = {code: _guidance(code) for code in [None] + data.tambon_codes()}
    snapshot.update(computed_at=air_now.as_utc(now).isoformat(), inventory=data.latest_inventory(),
                    guidance={code or "": found for code, found in guidance.items()})
    return snapshot


def _guidance(tambon):
    try:
        return tk.get_action("maemoh_guidance")({"user": ""}, {"tambon": tambon} if tambon else {})
    except tk.ObjectNotFound:
        return None


# ------------------------------------------------------------ reading

def current():
    """The stored snapshot (a dict), or None when none was computed yet
    (a refresh is then requested)."""
    redis_ = connection()
    version = redis_.get(VERSION_KEY)
    if version is None:
        _cache.update(version=None, snapshot=None)
        request()
        return None
    if version != _cache["version"]:
        _cache.update(version=version, snapshot=_load(redis_))
    return _cache["snapshot"]


def computed_at():
    """When the snapshot was computed (an aware datetime), or None."""
    snapshot = current()
    return _computed_at(snapshot) if snapshot else None


def station_aqi(now=None):
    """:func:`.data.station_aqi` from the snapshot, aged to ``now``."""
    now = _now(now)
    stale = data.stale_after_hours()
    return [_aged(row, now, stale) for row in _part("stations", [])]


def tambon_aqi(now=None, stations=None):
    """:func:`.data.tambon_aqi` from the snapshot, aged to ``now``."""
    return air_now.tambon_aqi(station_aqi(now) if stations is None else stations, data.tambons())


def aqi_latest(lang="th", tambon=None, now=None):
    """What ``maemoh_aqi_latest`` returns (:func:`.data.aqi_latest`), from
    the snapshot, with its ``computed_at``."""
    air_now.check_lang(lang)
    data.check_tambon(tambon)
    stations = station_aqi(now)
    snapshot = current()
    return {**air_now.with_bands(stations, tambon_aqi(now, stations), lang, tambon),
            "stale_after_hours": data.stale_after_hours(),
            "computed_at": snapshot and snapshot["computed_at"]}


def risk_summary(tambon=None, dimension=None):
    """:func:`.data.risk_summary` from the snapshot."""
    data.check_tambon(tambon)
    if dimension is not None and dimension not in dimensions.NAMES:
        raise ValueError(f"dimension: one of {', '.join(dimensions.NAMES)}")
    return {name: dict(layer, tambons=[r for r in layer["tambons"] if tambon in (None, r["tambon_code"])],
                       points=[p for p in layer.get("points", []) if tambon in (None, p["tambon_code"])])
            for name, layer in _part("risk", {}).items() if dimension in (None, name)}


def forecast(lang="th", tambon=None, station=None, now=None):
    """What ``maemoh_forecast`` returns: the published PM2.5 forecast's days
    after today (Bangkok) per tambon and per station, optionally of one
    tambon or one station, with band texts in ``lang``, when it was issued
    and how reliable it has been (:func:`.air_now.forecast_reliability`)."""
    air_now.check_lang(lang)
    data.check_tambon(tambon)
    found = _part("forecast", None) or {"tambons": {}, "stations": {}}
    if station is not None and station not in found["stations"]:
        raise ValueError(f"station: no forecast for {station!r}")
    today = _now(now).astimezone(aqi.BANGKOK).date().isoformat()

    def days(rows):
        return [air_now.forecast_day(r, lang) for r in rows if r["date"] > today]
    names = {t["tambon_code"]: t[f"name_{lang}"] for t in data.tambons()}
    return {
        "dataset": found.get("dataset"), "issued_at": found.get("issued_at"),
        "reliability": air_now.forecast_reliability(found.get("right_band_share_d1"), lang),
        "right_band_share_d1": found.get("right_band_share_d1"),
        "fallback_reason": found.get("fallback_reason"),
        "tambons": [{"tambon_code": code, "name": names.get(code), "days": days(rows)}
                    for code, rows in sorted(found["tambons"].items())
                    if station is None and tambon in (None, code)],
        "stations": [{"station_id": key, "days": days(rows)} for key, rows in sorted(found["stations"].items())
                     if tambon is None and station in (None, key)],
    }


def fire_hotspots(hours=FIRE_HOURS, now=None):
    """:func:`.data.fire_hotspots` from the snapshot (``hours`` at most
    :data:`FIRE_HOURS`)."""
    hours = air_now.positive(hours, "hours", FIRE_HOURS)
    start = _now(now) - dt.timedelta(hours=hours)
    return [f for f in _part("fires", []) if _time(f["time_utc"]) > start]


def pm25_daily(tambon_code, days=HISTORY_DAYS, now=None):
    """:func:`.data.pm25_daily` from the snapshot (``days`` at most
    :data:`HISTORY_DAYS`); a day the snapshot does not cover has no value."""
    data.check_tambon(tambon_code, required=True)
    days = int(air_now.positive(days, "days", HISTORY_DAYS, whole=True))
    today = _now(now).astimezone(aqi.BANGKOK).date()
    known = {row["date"]: row for row in _part("daily", {}).get(tambon_code, [])}
    dates = [(today - dt.timedelta(days=k)).isoformat() for k in range(days, 0, -1)]
    return [known.get(date) or _no_daily_value(date) for date in dates]


def band_changes(tambon_code, days=HISTORY_DAYS, now=None):
    """:func:`.data.band_changes` from the snapshot (``days`` at most :data:`HISTORY_DAYS`)."""
    data.check_tambon(tambon_code, required=True)
    days = air_now.positive(days, "days", HISTORY_DAYS)
    start = _now(now) - dt.timedelta(days=days)
    return [c for c in _part("changes", {}).get(tambon_code, []) if _time(c["time_utc"]) > start]


def citizen_reports():
    """:func:`.data.citizen_reports` of the last :data:`HISTORY_DAYS` from the snapshot."""
    return _part("reports", [])


def low_cost_mode():
    """What the snapshot's AQI took of low-cost sensors (``corrected`` or
    ``reference-only``), or None before the first snapshot."""
    return _part("low_cost", None)


def guidance(tambon=None):
    """What ``maemoh_guidance`` returned for ``tambon`` (None: the district)
    when the snapshot was computed, or None without an inventory."""
    return _part("guidance", {}).get(tambon or "")


def inventory():
    """The newest public inventory dataset of the district, or None."""
    return _part("inventory", None)


def _part(name, default):
    snapshot = current()
    return snapshot.get(name, default) if snapshot else default


def _aged(row, now, stale_after_hours):
    """A station row of the snapshot as it reads at ``now``."""
    if row["time_utc"] is None or _time(row["time_utc"]) <= now - air_now.LOOKBACK:
        return dict(row, stale=True, **dict.fromkeys(NO_DATA_FIELDS))
    age = (now - _time(row["time_utc"])) / dt.timedelta(hours=1)
    return dict(row, age_hours=round(age, 2), stale=age > stale_after_hours)


def _no_daily_value(date):
    standard = air_now.pm25_standard(aqi.scheme_for(dt.date.fromisoformat(date)))
    return {"date": date, "value_ug_m3": None, "hours": 0, "station_id": None,
            "standard_ug_m3": standard, "exceeds_standard": None}


def _plain(value):
    """JSON for numpy's scalars (``item``) and anything else as text."""
    return value.item() if hasattr(value, "item") else str(value)


def _load(redis_):
    body = redis_.get(KEY)
    return json.loads(body) if body else None


def _computed_at(snapshot):
    return _time(snapshot["computed_at"])


def _time(iso):
    return dt.datetime.fromisoformat(iso)


def _now(now):
    return air_now.as_utc(clock.now() if now is None else now).to_pydatetime()
