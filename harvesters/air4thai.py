"""Air4Thai (Pollution Control Department): station air quality.

One key per station. The raw payload bundles the station's latest values
and its hourly history, both as the source sent them::

    {"latest": "<text of getNewAQI_JSON.php?stationID=..>",
     "history": "<text of getHistoryData.php?..>", a list of such texts
                (a first harvest's backfill, one per year at most), or null}

Source facts (reference §1): numbers are strings in the latest values and
JSON numbers or null in the history; times carry no offset and are
Asia/Bangkok; the latest PM value is a 24-hour rolling mean, O3 and CO
8-hour, NO2 and SO2 1-hour. A malformed answer (not JSON, truncated, not the
station asked for) makes :meth:`Air4Thai.parse` raise ``ValueError`` and
:meth:`Air4Thai.fetch` raise :class:`~.http.SourceError`: it never passes as
an empty batch.
"""
import datetime
import json
import re

from ckanext.maemoh.harvesters import http, model
from ckanext.maemoh.harvesters.base import Adapter, ConfigError, check_backfill_days

NETWORK = "air4thai"
ATTRIBUTION = "Pollution Control Department (Air4Thai)"
LATEST_PATH = "/services/getNewAQI_JSON.php"
HISTORY_PATH = "/forweb/getHistoryData.php"

# Air4Thai parameter -> (variable, unit, averaging period of the latest value)
PARAMS = {
    "PM25": ("pm25", "ug/m3", "PT24H"),
    "PM10": ("pm10", "ug/m3", "PT24H"),
    "O3": ("o3", "ppb", "PT8H"),
    "CO": ("co", "ppm", "PT8H"),
    "NO2": ("no2", "ppb", "PT1H"),
    "SO2": ("so2", "ppb", "PT1H"),
}
# The latest-values block: current name first, then the older (about 2019) one.
LATEST_BLOCKS = ("AQILast", "LastUpdate")
NO_DATA_COLOR = "0"
STATION_ID = re.compile(r"[0-9A-Za-z]+")


class Air4Thai(Adapter):
    name = "air4thai"
    title = {"th": "สถานีตรวจวัดคุณภาพอากาศ กรมควบคุมมลพิษ (Air4Thai)",
             "en": "Pollution Control Department air-quality stations (Air4Thai)"}
    config_help = ('URL: the Air4Thai host, e.g. http://air4thai.pcd.go.th. '
                   'Configuration: {"stations": ["38t", ...], "days": 1-30 '
                   '(hourly history window), "history": true|false, "backfill_days": 0-730 '
                   "(the history of a station's first harvest)}")
    defaults = {"stations": ["38t", "39t", "40t", "37t"], "days": 2, "history": True, "backfill_days": 0}
    #: the history service answers at most one year per request
    HISTORY_MAX_DAYS = 366
    timeout = 60  # seconds per request

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        stations = config["stations"]
        if (not isinstance(stations, list) or not stations
                or not all(isinstance(s, str) and STATION_ID.fullmatch(s) for s in stations)
                or len(set(stations)) != len(stations)):
            raise ConfigError('stations: a non-empty list of distinct Air4Thai '
                              'station ids such as "38t"')
        days = config["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
            raise ConfigError("days: a whole number of days from 1 to 30")
        if not isinstance(config["history"], bool):
            raise ConfigError("history: true or false")
        check_backfill_days(config, 730)
        return config

    def gather(self):
        """The configured station ids that the all-stations answer lists.

        A configured id missing from the answer (station down, renamed or
        retired) gives no key; the other stations are still harvested.
        """
        text = self._get(LATEST_PATH)
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        stations = doc.get("stations") if isinstance(doc, dict) else None
        if not isinstance(stations, list):
            raise http.SourceError(f"Air4Thai {LATEST_PATH}: no list of stations "
                                   f"in the answer: {text[:200]!r}")
        present = {s.get("stationID") for s in stations if isinstance(s, dict)}
        return [s for s in self.config["stations"] if s in present]

    def fetch(self, key):
        """Latest values and (if configured) hourly history of the last
        ``days`` (a first harvest: ``backfill_days``) Asia/Bangkok calendar
        days, today included, as one JSON text; a history longer than a year
        is asked for a year at a time."""
        latest = self._get(LATEST_PATH, {"stationID": key})
        history = None
        if self.config["history"]:
            today = self.now().astimezone(model.BANGKOK).date()
            first = today - datetime.timedelta(days=self.history_days() - 1)
            history = []
            while first <= today:
                last = min(today, first + datetime.timedelta(days=self.HISTORY_MAX_DAYS - 1))
                history.append(self._get(HISTORY_PATH, {
                    "stationID": key, "param": ",".join(PARAMS), "type": "hr",
                    "sdate": first.isoformat(), "edate": last.isoformat(),
                    "stime": "00", "etime": "23"}))
                first = last + datetime.timedelta(days=1)
            history = history[0] if len(history) == 1 else history
        raw = json.dumps({"latest": latest, "history": history}, ensure_ascii=False)
        try:
            self.parse(key, raw)
        except ValueError as error:
            raise http.SourceError(f"Air4Thai station {key}: unusable answer: {error}") from error
        return raw

    def parse(self, key, raw):
        bundle = json.loads(raw)
        if not isinstance(bundle, dict) or not isinstance(bundle.get("latest"), str):
            raise ValueError('not an Air4Thai bundle {"latest": ..., "history": ...}')
        station = _load(bundle["latest"], "latest")
        if not isinstance(station, dict) or station.get("stationID") != key:
            raise ValueError(f"latest: not the station object of {key}")
        records = _latest(key, station)
        history = bundle.get("history")
        texts = history if isinstance(history, list) else [] if history is None else [history]
        records += _history(key, [_load(text, "history") for text in texts])
        batch = model.Batch()
        for record in records:
            if isinstance(record, model.Observation):
                batch.observations.append(record)
            else:
                batch.rejects.append(record)
        measured = {o.variable for o in batch.observations}
        variables = tuple(v for v, _, _ in PARAMS.values() if v in measured)
        batch.stations.append(_station(key, station, variables))
        return batch

    def _get(self, path, params=None):
        response = http.get(self.url + path, params=params, session=self.session,
                            sleep=self.sleep, timeout=self.timeout)
        return response.content.decode("utf-8-sig", errors="replace")


def _load(text, part):
    if not isinstance(text, str):
        raise ValueError(f"{part}: not a text")
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"{part}: not valid JSON ({error})") from None


def _station(key, doc, variables):
    try:
        latitude, longitude = float(doc["lat"]), float(doc["long"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"latest: station {key} has no numeric lat/long") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"latest: station {key} lat/long {latitude},{longitude} outside WGS84")
    return model.Station(
        key, NETWORK, str(doc.get("nameTH") or "").strip(),
        str(doc.get("nameEN") or "").strip(), latitude, longitude,
        variables=variables, timezone="Asia/Bangkok",
        operator="Pollution Control Department", attribution=ATTRIBUTION, licence="",
        instrument_class="reference")  # PCD's national network of monitoring stations


def _latest(key, doc):
    """Records of the latest-values block, current or older shape.

    Entries are ``{"color_id", "aqi", "value"}`` (AQILast) or ``{"value",
    "unit"}`` (LastUpdate); ``color_id "0"`` means no data.
    """
    block_name = next((b for b in LATEST_BLOCKS if isinstance(doc.get(b), dict)), None)
    if block_name is None:
        return []
    block = doc[block_name]
    time = _utc(f"{block.get('date')} {block.get('time')}")
    records = []
    for param, (variable, unit, period) in PARAMS.items():
        if param not in block:
            continue
        entry = block[param]
        if not isinstance(entry, dict):
            entry = {"value": entry}
        value, ref = entry.get("value"), f"latest/{block_name}/{param}"
        if str(entry.get("color_id")) == NO_DATA_COLOR:
            records.append(model.Reject(key, NETWORK, variable, _text(value), time,
                                        "no data (color_id 0)", ref))
        else:
            records.append(_record(key, variable, value, entry.get("unit") or unit,
                                   period, time, ref))
    return records


def _history(key, docs):
    """Hourly records of the history answers ``docs``. When rows repeat a
    DATETIMEDATA, the last of them wins and the earlier ones are dropped (no
    record, not even a Reject)."""
    rows = {}
    for doc in docs:
        _history_rows(key, doc, rows)
    records = []
    for stamp, row in rows.items():
        time = _utc(stamp)
        for param, (variable, unit, _) in PARAMS.items():
            if param in row:
                records.append(_record(key, variable, row[param], unit, "PT1H", time,
                                       f"history/{param}/{stamp}"))
    return records


def _history_rows(key, doc, rows):
    """Add the rows of one history answer to ``rows`` (by DATETIMEDATA)."""
    if not (isinstance(doc, dict) and doc.get("result") == "OK"
            and isinstance(doc.get("stations"), list)):
        raise ValueError(f"history: not an OK answer with stations: {str(doc)[:200]}")
    stations = doc["stations"]
    mine = [s for s in stations if isinstance(s, dict) and s.get("stationID") == key]
    if stations and not mine:
        raise ValueError(f"history: no data for station {key}")
    for entry in mine:
        data = entry.get("data")
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ValueError(f"history: station {key} has no list of data rows")
        for row in data:
            rows[str(row.get("DATETIMEDATA"))] = row


def _record(key, variable, value, unit, period, time, ref):
    if time is None:
        return model.Reject(key, NETWORK, variable, _text(value), None, "unreadable time", ref)
    try:
        return model.normalise(station_id=key, network=NETWORK, variable=variable,
                               raw_value=value, unit=unit, averaging_period=period,
                               time=time, raw_ref=ref)
    except OverflowError:  # a JSON integer too large for a float
        return model.Reject(key, NETWORK, variable, _text(value), time, "not a number", ref)


def _utc(text):
    """UTC time of an Air4Thai time text (naive: Asia/Bangkok); None if unreadable."""
    try:
        return model.to_utc(datetime.datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None


def _text(value):
    return "" if value is None else str(value)
