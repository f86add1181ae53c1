"""CMU CCDC DustBoy: low-cost PM sensors run by Chiang Mai University.

The provider's API is keyed and its paths could not be verified here, so
both are configuration, relative to the source URL: ``stations_path`` (the
station registry, a JSON list) and ``values_path`` (one station's values, a
JSON object or list of objects; ``{dustboy_id}`` is replaced). The key goes
in a header or a query parameter (``api_key_param``, "header:NAME" or
"query:NAME") and is redacted from errors and payloads.

gather: the ids of the registry's stations inside ``bbox`` (west, south,
east, north). fetch: ``{"station": {...}, "values": "<answer verbatim>"}``.
The registry also carries caretakers' names, phone numbers and the like:
only the fields of ``STATION_FIELDS`` (an allow-list) are kept. fetch reads
the registry again when it runs without gather (another process).

parse: pm25 and pm10 (µg/m³), temp (°C) and humid (%); ``log_datetime`` is
Asia/Bangkok unless it carries an offset. No record field states the
averaging period: ``averaging_period`` (default PT1H, unverified) says it.
``pm25_th_aqi`` and ``th_color`` are the provider's derived values and are
ignored: the platform computes the AQI itself. Of records with the same
time the first counts; the others' values are rejected as duplicates.
"""
import datetime
import json
import math
import urllib.parse

from ckanext.maemoh.harvesters import http, model
from ckanext.maemoh.harvesters.base import Adapter, ConfigError, check_bbox
from ckanext.maemoh.harvesters.http import SourceError

NETWORK = "dustboy"
OPERATOR = "CCDC, Chiang Mai University"
ATTRIBUTION = "CCDC, Chiang Mai University (DustBoy)"
# The registry fields kept; anything else (personal data) never leaves fetch.
STATION_FIELDS = ("dustboy_id", "dustboy_name", "dustboy_name_en",
                  "dustboy_lat", "dustboy_lon", "dustboy_lng")
# Record field -> (variable code, unit as the provider gives it).
VALUES = {"pm25": ("pm25", "ug/m3"), "pm10": ("pm10", "ug/m3"),
          "temp": ("temperature", "Cel"), "humid": ("relative-humidity", "%")}


class DustBoy(Adapter):
    name = "dustboy"
    title = {"th": "ดัสต์บอย (CCDC มหาวิทยาลัยเชียงใหม่)",
             "en": "DustBoy (CCDC, Chiang Mai University)"}
    config_help = (
        'JSON: {"api_key": "...", "api_key_param": "header:X-API-Key" or "query:NAME", '
        '"stations_path": "/stations", "values_path": "/value/{dustboy_id}", '
        '"bbox": [west, south, east, north], "averaging_period": "PT1H"}; '
        "only api_key is required.")
    defaults = {"api_key": None, "api_key_param": "header:X-API-Key",
                "stations_path": "/stations", "values_path": "/value/{dustboy_id}",
                "bbox": [99.62, 18.19, 100.06, 18.63], "averaging_period": "PT1H"}
    timeout = 30

    def __init__(self, url, config, **kwargs):
        super().__init__(url, config, **kwargs)
        self._registry = {}

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        key = config["api_key"]
        if not isinstance(key, str) or not key.strip():
            raise ConfigError("api_key: must be a non-empty string")
        where, _, param = str(config["api_key_param"]).partition(":")
        if where not in ("header", "query") or not param.strip():
            raise ConfigError('api_key_param: must be "header:NAME" or "query:NAME"')
        for name in ("stations_path", "values_path"):
            if not isinstance(config[name], str) or not config[name].strip():
                raise ConfigError(f"{name}: must be a path such as {cls.defaults[name]!r}")
        if "{dustboy_id}" not in config["values_path"]:
            raise ConfigError("values_path: must contain {dustboy_id}")
        try:
            config["values_path"].format(dustboy_id="")
        except (KeyError, IndexError, ValueError):
            raise ConfigError("values_path: only {dustboy_id} may stand in braces") from None
        config["bbox"] = check_bbox(config["bbox"])
        period = config["averaging_period"]
        if not isinstance(period, str) or not model.ISO_DURATION.fullmatch(period):
            raise ConfigError("averaging_period: must be an ISO 8601 duration such as PT1H")
        return config

    def gather(self):
        self._registry = self._read_registry()
        return list(self._registry)

    def fetch(self, key):
        if key not in self._registry:
            self._registry = self._read_registry()
        if key not in self._registry:
            raise SourceError(f"DustBoy {key} is not in the registry inside the bbox")
        path = self.config["values_path"].format(dustboy_id=urllib.parse.quote(key, safe=""))
        answer = self._get(path)
        return json.dumps({"station": self._registry[key],
                           "values": self._redact(_decoded(answer))}, ensure_ascii=False)

    def parse(self, key, raw):
        try:
            payload = json.loads(raw)
            values = json.loads(payload["values"])
            station = _station(key, payload["station"])
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise SourceError(f"DustBoy {key}: unreadable payload: {error}") from None
        if isinstance(values, dict):
            records = [("values", values)]
        elif isinstance(values, list):
            records = [(f"values[{i}]", record) for i, record in enumerate(values)]
        else:
            raise SourceError(f"DustBoy {key}: the values answer is neither an object nor a list")
        batch = model.Batch(stations=[station])
        first = {}
        for ref, record in records:
            if not isinstance(record, dict):
                batch.rejects.append(model.Reject(key, NETWORK, "", str(record), None,
                                                  "not a JSON object", ref))
                continue
            time, problem = _time(record.get("log_datetime"))
            if time is not None and time in first:
                problem = f"duplicate time of {first[time]}"
            elif time is not None:
                first[time] = ref
            for field, (variable, unit) in VALUES.items():
                raw_value = record.get(field)
                if problem:
                    batch.rejects.append(model.Reject(
                        key, NETWORK, variable, "" if raw_value is None else str(raw_value),
                        time, problem, f"{ref}.{field}"))
                    continue
                result = model.normalise(
                    station_id=key, network=NETWORK, variable=variable, raw_value=raw_value,
                    unit=unit, averaging_period=self.config["averaging_period"], time=time,
                    raw_ref=f"{ref}.{field}")
                (batch.observations if isinstance(result, model.Observation)
                 else batch.rejects).append(result)
        return batch

    def _read_registry(self):
        answer = self._get(self.config["stations_path"])
        try:
            entries = json.loads(_decoded(answer))
        except ValueError as error:
            raise SourceError(f"DustBoy registry: not JSON: {error}") from None
        if not isinstance(entries, list):
            raise SourceError("DustBoy registry: not a JSON list")
        west, south, east, north = self.config["bbox"]
        registry = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            station_id = str(entry.get("dustboy_id", "")).strip()
            place = _coordinates(entry)
            if station_id and place and south <= place[0] <= north and west <= place[1] <= east:
                registry.setdefault(station_id, {
                    name: entry[name] for name in STATION_FIELDS
                    if isinstance(entry.get(name), (str, int, float))})
        return registry

    def _get(self, path):
        url = f"{self.url}/{path.lstrip('/')}"
        where, _, param = self.config["api_key_param"].partition(":")
        secret = {param.strip(): self.config["api_key"]}
        try:
            return http.get(url, headers=secret if where == "header" else None,
                            params=secret if where == "query" else None,
                            session=self.session, timeout=self.timeout, sleep=self.sleep)
        except SourceError as error:
            raise SourceError(self._redact(str(error))) from None

    def _redact(self, text):
        key = self.config["api_key"]
        for form in {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key)}:
            text = text.replace(form, "[api key]")
        return text


def _decoded(response):
    """The text of an answer: UTF-8 (as JSON is) unless a charset is given;
    PHP APIs often send JSON as text/html, which requests would read as Latin-1."""
    given = "charset" in response.headers.get("Content-Type", "").lower()
    return response.content.decode(response.encoding if given else "utf-8", errors="replace")



def _coordinates(fields):
    """(latitude, longitude) of registry fields, or None; the strings may
    carry spaces and the longitude is dustboy_lon or dustboy_lng."""
    longitude = fields.get("dustboy_lon")
    if longitude is None or not str(longitude).strip():
        longitude = fields.get("dustboy_lng")
    try:
        latitude, longitude = (float("".join(str(v).split()))
                               for v in (fields.get("dustboy_lat"), longitude))
    except ValueError:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _station(key, fields):
    place = _coordinates(fields)
    if place is None:
        raise ValueError(f"station {key} has no readable coordinates")
    return model.Station(
        station_id=key, network=NETWORK,
        name_th=str(fields.get("dustboy_name") or "").strip(),
        name_en=str(fields.get("dustboy_name_en") or "").strip(),
        latitude=place[0], longitude=place[1],
        variables=tuple(variable for variable, _unit in VALUES.values()),
        operator=OPERATOR, attribution=ATTRIBUTION, instrument_class="low-cost")


def _time(value):
    """(UTC time, None) or (None, the reason it cannot be read)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "missing log_datetime"
    try:
        return model.to_utc(datetime.datetime.fromisoformat(value.strip())), None
    except (AttributeError, ValueError):
        return None, f"unreadable log_datetime {value!r}"
