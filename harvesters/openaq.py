"""OpenAQ API v3: air quality measurements at the locations in a bounding box.

The source URL is the API host, e.g. ``https://api.openaq.org``.

- gather: the ids of the locations in ``bbox`` (``/v3/locations``, all pages).
- fetch: one JSON document bundling the answers about one location verbatim::

      {"window": {"datetime_from": ..., "datetime_to": ...},
       "location": <GET /v3/locations/{id}>,
       "sensors": <GET /v3/locations/{id}/sensors>,
       "measurements": {"<sensor id>": [<page 1>, <page 2>, ...]}}

  Measurements are fetched only for sensors of a wanted parameter. A list
  ends at a short page or when page x limit reaches a numeric
  ``meta.found`` (">1000" means more); past 100 pages it is an error.
- parse:

  - ``station_id`` is the location id as text ("225323") in network
    "openaq": the pair is the identity, and the bare id is the one
    explore.openaq.org shows. OpenAQ republishes Air4Thai stations; the
    provider stays in ``attribution`` so such duplicates can be spotted.
  - OpenAQ gives one name, in the provider's language: it fills both
    ``name_th`` and ``name_en``. Every licence of the location is kept
    (``licence``, names joined by "; "), with its attribution.
  - ``time`` is ``period.datetimeTo.utc``, the end of the averaging period:
    OpenAQ stores a measurement under that instant, and the SensorThings
    adapter uses the end of an interval too. A ``utc`` text without offset
    is read as UTC (the field says so).
  - ``averaging_period`` from ``period.interval`` ("01:00:00" -> "PT1H",
    "24:00:00" -> "PT24H"); quality SUSPECT when ``flagInfo.hasFlags`` is
    true, else UNCHECKED.
  - The first value for a (variable, time, averaging period) is kept; a
    later one (a second sensor of the parameter, a page overlap) becomes a
    Reject "duplicate of <raw_ref of the first>".
  - ``raw_ref`` is a JSON pointer into the bundle, e.g.
    "/measurements/7772/0/results/3".

Rate limits (60 requests a minute and 2,000 an hour per key): the adapter
sleeps before every request, the first one too, so that requests are at
least max(60 / requests_per_minute, 3600 / 2000) = 1.8 s apart, which keeps
both limits however many adapter instances run one after another. A key
shared with other clients may still meet HTTP 429: ``http.get`` then waits
what ``Retry-After`` says. The API key travels only in the ``X-API-Key``
header and is masked in error messages.
"""
import datetime
import json
import re

from ckanext.maemoh.harvesters import http
from ckanext.maemoh.harvesters.base import Adapter, ConfigError, check_whole
from ckanext.maemoh.harvesters.model import (
    BANGKOK, SUSPECT, UNCHECKED, Batch, Reject, Station, add_unique, normalise,
)

NETWORK = "openaq"
UTC = datetime.timezone.utc
# OpenAQ parameter name -> our variable code.
PARAMETERS = {
    "pm25": "pm25", "pm10": "pm10", "o3": "o3", "co": "co", "no2": "no2",
    "so2": "so2", "temperature": "temperature",
    "relativehumidity": "relative-humidity",
}
REQUESTS_PER_MINUTE = 60
REQUESTS_PER_HOUR = 2000
MAX_PAGE_LIMIT = 1000
# More pages than a 30-day window of one-minute values needs at 1,000 a page.
MAX_PAGES = 100


class OpenAQ(Adapter):
    name = NETWORK
    title = {"th": "OpenAQ (ข้อมูลคุณภาพอากาศเปิด)", "en": "OpenAQ open air quality data"}
    config_help = (
        '{"api_key": "...", "bbox": [minLon, minLat, maxLon, maxLat], "days": 1-30, '
        '"parameters": ["pm25", ...], "page_limit": 1-1000, "requests_per_minute": 1-60}'
    )
    defaults = {
        "api_key": None,
        "bbox": [99.62, 18.19, 100.06, 18.63],
        "days": 2,
        "parameters": ["pm25", "pm10", "o3", "co", "no2", "so2"],
        "page_limit": 1000,
        "requests_per_minute": REQUESTS_PER_MINUTE,
    }
    #: seconds to wait for one answer
    timeout = 30

    def __init__(self, url, config, **kwargs):
        super().__init__(url, config, **kwargs)
        self.url = re.sub(r"/v3$", "", self.url)

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        key = config["api_key"]
        if not isinstance(key, str) or not key.strip():
            raise ConfigError("api_key must be a non-empty text")
        bbox = config["bbox"]
        if (not isinstance(bbox, (list, tuple)) or len(bbox) != 4
                or not all(_is_number(v) for v in bbox)
                or not -180 <= bbox[0] < bbox[2] <= 180
                or not -90 <= bbox[1] < bbox[3] <= 90):
            raise ConfigError("bbox must be [minLon, minLat, maxLon, maxLat] "
                              "with min < max, in degrees")
        check_whole(config, "days", 1, 30)
        check_whole(config, "page_limit", 1, MAX_PAGE_LIMIT)
        parameters = config["parameters"]
        if (not isinstance(parameters, list) or not parameters
                or not all(isinstance(p, str) and p in PARAMETERS for p in parameters)):
            raise ConfigError(f"parameters must be a non-empty list of: {', '.join(PARAMETERS)}")
        rate = config["requests_per_minute"]
        if not _is_number(rate) or not 0 < rate <= REQUESTS_PER_MINUTE:
            raise ConfigError(f"requests_per_minute must be a number above 0 "
                              f"and at most {REQUESTS_PER_MINUTE}")
        return {**config, "bbox": list(bbox), "parameters": list(parameters)}

    def gather(self):
        bbox = ",".join(str(v) for v in self.config["bbox"])
        ids = []
        for page in self._pages("/v3/locations", {"bbox": bbox}):
            for location in page["results"]:
                if not isinstance(location, dict) or not _positive_int(location.get("id")):
                    raise http.SourceError(f"{self.url}/v3/locations: a result without an id")
                ids.append(str(location["id"]))
        return list(dict.fromkeys(ids))

    def fetch(self, key):
        if not (str(key).isascii() and str(key).isdecimal()):
            raise ValueError(f"not an OpenAQ location id: {key!r}")
        end = self.now().astimezone(UTC).replace(microsecond=0)
        window = {"datetime_from": _iso(end - datetime.timedelta(days=self.config["days"])),
                  "datetime_to": _iso(end)}
        location = self._get(f"/v3/locations/{key}")
        sensors = self._get(f"/v3/locations/{key}/sensors")
        wanted = set(self.config["parameters"])
        measurements = {
            str(sensor_id): self._pages(f"/v3/sensors/{sensor_id}/measurements", window)
            for sensor_id, parameter in _sensors(sensors, f"/v3/locations/{key}/sensors")
            if parameter in wanted
        }
        return json.dumps({"window": window, "location": location, "sensors": sensors,
                           "measurements": measurements}, ensure_ascii=False)

    def parse(self, key, raw):
        where = f"openaq location {key}"
        try:
            bundle = json.loads(raw)
        except ValueError as error:
            raise http.SourceError(
                f"{where}: the raw payload is not valid JSON ({error})") from None
        if not isinstance(bundle, dict) or not isinstance(bundle.get("measurements"), dict):
            raise http.SourceError(f"{where}: the raw payload has no measurements object")
        locations = _results(bundle.get("location"), f"{where}: /location")
        location = locations[0] if locations and isinstance(locations[0], dict) else {}
        if str(location.get("id")) != str(key):
            raise http.SourceError(f"{where}: /location does not describe location {key}")
        fetched = [(sensor_id, PARAMETERS.get(parameter, parameter))
                   for sensor_id, parameter in _sensors(bundle.get("sensors"), f"{where}: /sensors")
                   if str(sensor_id) in bundle["measurements"]]
        batch = Batch(stations=[_station(str(key), location, fetched, where)])
        kept = {}
        for sensor_id, variable in fetched:
            pages = bundle["measurements"][str(sensor_id)]
            if not isinstance(pages, list):
                raise http.SourceError(f"{where}: /measurements/{sensor_id} is not a list of pages")
            for number, page in enumerate(pages):
                ref = f"/measurements/{sensor_id}/{number}"
                for index, item in enumerate(_results(page, f"{where}: {ref}")):
                    record = _measurement(str(key), variable, item, f"{ref}/results/{index}")
                    add_unique(batch, kept, record,
                               item.get("value") if isinstance(item, dict) else item)
        return batch

    def _get(self, path, params=None):
        """The JSON answer to one paced request for ``path``."""
        key = self.config["api_key"]
        self.sleep(max(60 / self.config["requests_per_minute"], 3600 / REQUESTS_PER_HOUR))
        try:
            response = http.get(f"{self.url}{path}", params=params, headers={"X-API-Key": key},
                                session=self.session, timeout=self.timeout, sleep=self.sleep)
        except http.SourceError as error:
            raise http.SourceError(str(error).replace(key, "***")) from None
        try:
            return response.json()
        except ValueError as error:
            raise http.SourceError(
                f"GET {self.url}{path}: the answer is not JSON ({error})") from None

    def _pages(self, path, params):
        """Every page of a paged list, in order; ``meta.found`` may be a
        number or a text such as ">1000"."""
        limit = self.config["page_limit"]
        pages = []
        for number in range(1, MAX_PAGES + 1):
            answer = self._get(path, {**params, "limit": limit, "page": number})
            results = _results(answer, f"GET {self.url}{path} page {number}")
            pages.append(answer)
            found = (_field(answer, "meta", dict) or {}).get("found")
            if isinstance(found, str) and found.strip().isdecimal():
                found = int(found)
            if len(results) < limit or (_positive_int(found) and number * limit >= found):
                return pages
        raise http.SourceError(f"GET {self.url}{path}: more than {MAX_PAGES} pages of {limit}; "
                               f"raise page_limit or shorten days")


def _station(station_id, location, variables, where):
    coordinates = _field(location, "coordinates", dict) or {}
    latitude, longitude = coordinates.get("latitude"), coordinates.get("longitude")
    if not (_is_number(latitude) and _is_number(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise http.SourceError(f"{where}: no usable coordinates")
    name = _field(location, "name", str) or f"OpenAQ {station_id}"
    owner, provider = _name(location.get("owner")), _name(location.get("provider"))
    licences = [item for item in _field(location, "licenses", list) or [] if isinstance(item, dict)]
    credits = [_credit(item.get("attribution")) for item in licences]
    credits.append(f"{provider or 'unknown provider'} via OpenAQ")
    return Station(
        station_id=station_id, network=NETWORK,
        name_th=name, name_en=name,
        latitude=float(latitude), longitude=float(longitude),
        variables=tuple(dict.fromkeys(variable for _, variable in variables)),
        timezone=_field(location, "timezone", str) or BANGKOK.key,
        operator=owner or provider,
        instrument_class=_instrument_class(location.get("isMonitor")),
        attribution="; ".join(dict.fromkeys(c for c in credits if c)),
        licence="; ".join(dict.fromkeys(_name(item) for item in licences if _name(item))),
        first_observation=_optional_utc(location.get("datetimeFirst")),
        last_observation=_optional_utc(location.get("datetimeLast")),
    )


def _instrument_class(is_monitor):
    """OpenAQ's ``isMonitor``: true for reference monitors, false for sensors."""
    return {True: "reference", False: "low-cost"}.get(is_monitor, "") if isinstance(is_monitor, bool) else ""


def _measurement(station_id, variable, item, ref):
    """An Observation or a Reject for one measurement result."""
    if not isinstance(item, dict):
        return Reject(station_id, NETWORK, variable, str(item), None,
                      "not a measurement object", ref)
    raw_value = item.get("value")
    period = _field(item, "period", dict) or {}
    try:
        time = _utc(period["datetimeTo"]["utc"])
    except (KeyError, TypeError, ValueError):
        return Reject(station_id, NETWORK, variable, _text(raw_value), None,
                      "no usable period.datetimeTo.utc", ref)
    averaging = _duration(period.get("interval"))
    if averaging is None:
        return Reject(station_id, NETWORK, variable, _text(raw_value), time,
                      f"no usable period.interval {period.get('interval')!r}", ref)
    parameter = _field(item, "parameter", dict) or {}
    flags = item.get("flagInfo")
    flagged = flags is True or (isinstance(flags, dict) and flags.get("hasFlags") is True)
    return normalise(station_id=station_id, network=NETWORK, variable=variable,
                     raw_value=raw_value, unit=parameter.get("units"), averaging_period=averaging,
                     time=time, raw_ref=ref, quality=SUSPECT if flagged else UNCHECKED)


def _sensors(answer, where):
    """(sensor id, parameter name) of every sensor in a sensors answer."""
    sensors = []
    for sensor in _results(answer, where):
        parameter = sensor.get("parameter") if isinstance(sensor, dict) else None
        if not (isinstance(parameter, dict) and isinstance(parameter.get("name"), str)
                and _positive_int(sensor.get("id"))):
            raise http.SourceError(f"{where}: a sensor without id or parameter name")
        sensors.append((sensor["id"], parameter["name"]))
    return sensors


def _results(answer, where):
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise http.SourceError(f"{where}: not an OpenAQ answer (no results list)")
    return answer["results"]


def _duration(interval):
    """ISO 8601 duration of an "HH:MM:SS" interval; None if unusable."""
    text = interval if isinstance(interval, str) else ""
    match = re.fullmatch(r"([0-9]+):([0-5][0-9]):([0-5][0-9])", text)
    if not match:
        return None
    hours, minutes, seconds = (int(part) for part in match.groups())
    if not hours + minutes + seconds:
        return None
    parts = ((hours, "H"), (minutes, "M"), (seconds, "S"))
    return "PT" + "".join(f"{n}{unit}" for n, unit in parts if n)


def _utc(text):
    moment = datetime.datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _optional_utc(stamp):
    try:
        return _utc(stamp["utc"])
    except (KeyError, TypeError, ValueError):
        return None


def _credit(attribution):
    if not isinstance(attribution, dict) or not _name(attribution):
        return ""
    url = attribution.get("url")
    return f"{_name(attribution)} ({url})" if isinstance(url, str) and url else _name(attribution)


def _field(entity, name, kind):
    """``entity[name]`` if it is of type ``kind``, else None."""
    value = entity.get(name)
    return value if isinstance(value, kind) else None


def _name(entity):
    name = entity.get("name") if isinstance(entity, dict) else None
    return name.strip() if isinstance(name, str) else ""


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")



def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(raw_value):
    return "" if raw_value is None else str(raw_value)
