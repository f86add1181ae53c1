"""OGC SensorThings API v1.1 (FROST and compatible servers): Things and the
Observations of their Datastreams.

The source URL is the service root, e.g. ``https://example.org/FROST-Server/v1.1``.

- gather: the ``@iot.id`` of every Thing, as text (``/Things?$expand=Locations``,
  following ``@iot.nextLink``).
- fetch: one JSON document bundling the answers about one Thing verbatim::

      {"window": {"phenomenonTime_from": ...},
       "thing": <GET /Things(id)?$expand=Locations>,
       "datastreams": [<GET /Things(id)/Datastreams?$expand=ObservedProperty,Sensor>, ...],
       "observations": {"<datastream id>": [<page>, ...]}}

  Observations are fetched only for Datastreams whose ObservedProperty is
  mapped, with ``$filter=phenomenonTime ge <window start>`` and
  ``$orderby=phenomenonTime``. Every ``@iot.nextLink`` is followed until
  absent; one that leaves the server's origin or comes back to a page
  already read is an error (a wrongly set serviceRootUrl shows this way).
  A gathered id made of digits is sent as a number (``Things(7)``), any
  other as a quoted text (``Things('ab')``).
- parse:

  - the Station is the Thing: ``@iot.id`` as text, ``name`` in both name
    fields (``description`` when the name is empty), the first Location
    that is a GeoJSON Point (a bare geometry or a Feature), coordinates
    [lon, lat(, elevation)]. SensorThings says nothing of licences or time
    zones: those fields keep the model's defaults.
  - ObservedProperty ``definition`` then ``name`` are looked up, ignoring
    case, in ``observed_properties``. An unmapped Datastream gives ONE
    Reject "unmapped observed property <name>" (empty variable, no time),
    not one per Observation, and its Observations are not fetched.
  - unit from ``unitOfMeasurement.symbol``; value ``result`` (a number or a
    numeric text, through ``model.normalise``).
  - ``phenomenonTime``: an instant gives that time and "instant"; an
    interval "start/end" gives its end and its length as an ISO 8601
    duration ("PT1H"). A time without offset is rejected: the standard
    requires one and guessing a zone would shift the value.
  - ``resultQuality`` (free in the standard): missing -> UNCHECKED; true or
    a text "good", "valid", "ok", "pass", "passed" -> VALID; false or
    "suspect", "questionable", "doubtful", "bad", "invalid", "fail",
    "failed" -> SUSPECT; a DQ_Element object (or a list of them) -> SUSPECT
    if any ``pass`` in it is false, VALID if all are true; anything else
    -> UNCHECKED.
  - the first value for a (variable, time, averaging period) is kept; a
    later one becomes a Reject "duplicate of <raw_ref of the first>".
  - ``raw_ref`` is a JSON pointer into the bundle, e.g.
    "/observations/12/0/value/5".
"""
import datetime
import json
import urllib.parse

from ckanext.maemoh.harvesters import http
from ckanext.maemoh.harvesters.base import Adapter, ConfigError, check_backfill_days
from ckanext.maemoh.harvesters.model import (
    SUSPECT, UNCHECKED, VALID, Batch, Reject, Station, add_unique, normalise,
)
from ckanext.maemoh.harvesters.variables import VARIABLES

UTC = datetime.timezone.utc
VALID_TEXTS = {"good", "valid", "ok", "pass", "passed"}
SUSPECT_TEXTS = {"suspect", "questionable", "doubtful", "bad", "invalid", "fail", "failed"}


class SensorThings(Adapter):
    name = "sensorthings"
    title = {"th": "OGC SensorThings API", "en": "OGC SensorThings API"}
    config_help = (
        '{"days": 1-30, "backfill_days": 0-730 (the history of a Thing\'s first harvest), '
        '"observed_properties": {"<ObservedProperty name or definition>": '
        '"<variable code>"}, "network": "sensorthings", "page_size": 1-1000}'
    )
    defaults = {
        "days": 2,
        "backfill_days": 0,
        "observed_properties": {
            "PM2.5": "pm25", "pm25": "pm25", "PM10": "pm10", "O3": "o3", "NO2": "no2",
            "SO2": "so2", "CO": "co", "Temperature": "temperature",
            "Relative Humidity": "relative-humidity", "Wind Speed": "wind-speed",
            "Wind Direction": "wind-direction", "Precipitation": "rainfall",
        },
        "network": "sensorthings",
        "page_size": 100,
    }
    #: seconds to wait for one answer
    timeout = 30

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        for key, high in (("days", 30), ("page_size", 1000)):
            value = config[key]
            if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= high):
                raise ConfigError(f"{key} must be a whole number from 1 to {high}")
        check_backfill_days(config, 730)
        mapping = config["observed_properties"]
        if not isinstance(mapping, dict) or not mapping:
            raise ConfigError("observed_properties must be a non-empty object")
        for name, code in mapping.items():
            if not isinstance(name, str) or not name.strip() or code not in VARIABLES:
                raise ConfigError(f"observed_properties: {name!r} maps to {code!r}, "
                                  f"not one of {', '.join(VARIABLES)}")
        network = config["network"]
        if not isinstance(network, str) or not network.strip():
            raise ConfigError("network must be a non-empty text")
        return {**config, "observed_properties": dict(mapping)}

    def gather(self):
        ids = []
        for page in self._pages(f"{self.url}/Things",
                                {"$expand": "Locations", "$top": self.config["page_size"]}):
            for thing in page["value"]:
                if not isinstance(thing, dict) or not _is_key(thing.get("@iot.id")):
                    raise http.SourceError(f"{self.url}/Things: a Thing without @iot.id")
                ids.append(str(thing["@iot.id"]))
        return list(dict.fromkeys(ids))

    def fetch(self, key):
        key = str(key)
        numeric = key.isascii() and key.isdecimal()
        thing_url = f"{self.url}/Things({_literal(int(key) if numeric else key)})"
        start = self.now().astimezone(UTC) - datetime.timedelta(days=self.history_days())
        since = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        top = self.config["page_size"]
        thing = self._get(thing_url, {"$expand": "Locations"})
        if not isinstance(thing, dict):
            raise http.SourceError(f"GET {thing_url}: not a Thing")
        datastreams = self._pages(f"{thing_url}/Datastreams",
                                  {"$expand": "ObservedProperty,Sensor", "$top": top})
        observations = {}
        for datastream in _datastreams(datastreams, thing_url):
            if self._variable(datastream) is not None:
                observations[str(datastream["@iot.id"])] = self._pages(
                    f"{self.url}/Datastreams({_literal(datastream['@iot.id'])})/Observations",
                    {"$filter": f"phenomenonTime ge {since}", "$orderby": "phenomenonTime",
                     "$top": top})
        return json.dumps({"window": {"phenomenonTime_from": since}, "thing": thing,
                           "datastreams": datastreams, "observations": observations},
                          ensure_ascii=False)

    def parse(self, key, raw):
        where = f"sensorthings Thing {key}"
        try:
            bundle = json.loads(raw)
        except ValueError as error:
            raise http.SourceError(
                f"{where}: the raw payload is not valid JSON ({error})") from None
        if not (isinstance(bundle, dict) and isinstance(bundle.get("thing"), dict)
                and isinstance(bundle.get("datastreams"), list)
                and isinstance(bundle.get("observations"), dict)):
            raise http.SourceError(
                f"{where}: the raw payload lacks thing, datastreams or observations")
        network, station_id = self.config["network"], str(key)
        if str(bundle["thing"].get("@iot.id")) != station_id:
            raise http.SourceError(f"{where}: /thing does not describe Thing {key}")
        batch, kept, variables = Batch(), {}, []
        for ref, datastream in _datastreams(bundle["datastreams"], where, refs=True):
            variable = self._variable(datastream)
            if variable is None:
                reason = f"unmapped observed property {_property_name(datastream)}"
                batch.rejects.append(Reject(station_id, network, "", "", None, reason, ref))
                continue
            variables.append(variable)
            ds_id = str(datastream["@iot.id"])
            pages = bundle["observations"].get(ds_id, [])
            if not isinstance(pages, list):
                raise http.SourceError(f"{where}: /observations/{_pointer(ds_id)} is not a list")
            unit = (_field(datastream, "unitOfMeasurement", dict) or {}).get("symbol")
            for number, page in enumerate(pages):
                ref = f"/observations/{_pointer(ds_id)}/{number}"
                if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                    raise http.SourceError(f"{where}: {ref} is not a SensorThings list")
                for index, item in enumerate(page["value"]):
                    record = _observation(station_id, network, variable, unit, item,
                                          f"{ref}/value/{index}")
                    raw_value = item.get("result") if isinstance(item, dict) else item
                    add_unique(batch, kept, record, raw_value)
        batch.stations.append(_station(station_id, network, bundle["thing"], variables, where))
        return batch

    def _variable(self, datastream):
        """Our variable code for a Datastream's ObservedProperty, or None."""
        prop = _field(datastream, "ObservedProperty", dict) or {}
        mapping = self.config["observed_properties"]
        wanted = {name.strip().lower(): code for name, code in mapping.items()}
        for field in ("definition", "name"):
            text = _field(prop, field, str)
            if text and text.strip().lower() in wanted:
                return wanted[text.strip().lower()]
        return None

    def _get(self, url, params=None):
        response = http.get(url, params=params, session=self.session, timeout=self.timeout,
                            sleep=self.sleep)
        try:
            return response.json()
        except ValueError as error:
            raise http.SourceError(f"GET {url}: the answer is not JSON ({error})") from None

    def _pages(self, url, params):
        """Every page of a list, following ``@iot.nextLink`` until absent."""
        origin = urllib.parse.urlsplit(self.url)[:2]
        pages, seen = [], set()
        while url:
            answer = self._get(url, params)
            if not isinstance(answer, dict) or not isinstance(answer.get("value"), list):
                raise http.SourceError(f"GET {url}: not a SensorThings list (no value array)")
            pages.append(answer)
            link, params = answer.get("@iot.nextLink"), None
            url = urllib.parse.urljoin(url, link) if isinstance(link, str) and link else None
            if url and urllib.parse.urlsplit(url)[:2] != origin:
                raise http.SourceError(f"@iot.nextLink {url} leaves {self.url}; "
                                       f"is the server's serviceRootUrl right?")
            if url in seen:
                raise http.SourceError(f"@iot.nextLink {url} was already read: a paging loop")
            seen.add(url)
        return pages


def _station(station_id, network, thing, variables, where):
    locations = thing.get("Locations") if isinstance(thing.get("Locations"), list) else []
    point = next(filter(None, map(_point, locations)), None)
    if point is None:
        raise http.SourceError(f"{where}: no Location with a GeoJSON Point")
    longitude, latitude, elevation = point
    name = next((text.strip() for text in (thing.get("name"), thing.get("description"))
                 if isinstance(text, str) and text.strip()), f"Thing {station_id}")
    return Station(station_id=station_id, network=network, name_th=name, name_en=name,
                   latitude=latitude, longitude=longitude, elevation_m=elevation,
                   variables=tuple(dict.fromkeys(variables)))


def _point(location):
    """(lon, lat, elevation or None) of a Location whose ``location`` is a
    GeoJSON Point or a Feature with one; None otherwise."""
    geometry = location.get("location") if isinstance(location, dict) else None
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return None
    coordinates = geometry.get("coordinates")
    if (not isinstance(coordinates, list) or len(coordinates) not in (2, 3)
            or not all(_is_number(c) for c in coordinates)
            or not (-180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90)):
        return None
    longitude, latitude, *elevation = (float(c) for c in coordinates)
    return longitude, latitude, (elevation[0] if elevation else None)


def _observation(station_id, network, variable, unit, item, ref):
    """An Observation or a Reject for one SensorThings Observation."""
    if not isinstance(item, dict):
        return Reject(station_id, network, variable, str(item), None,
                      "not an Observation object", ref)
    raw_value = item.get("result")
    try:
        time, averaging = _phenomenon(item.get("phenomenonTime"))
    except (TypeError, ValueError) as error:
        return Reject(station_id, network, variable, _text(raw_value), None,
                      f"bad phenomenonTime: {error}", ref)
    return normalise(station_id=station_id, network=network, variable=variable,
                     raw_value=raw_value, unit=unit, averaging_period=averaging, time=time,
                     raw_ref=ref, quality=_quality(item.get("resultQuality")))


def _phenomenon(text):
    """(UTC time, averaging period) of an instant or a "start/end" interval."""
    if not isinstance(text, str):
        raise TypeError(f"{text!r} is not a text")
    start, _, end = text.partition("/")
    if not end:
        return _zoned(start), "instant"
    start, end = _zoned(start), _zoned(end)
    seconds = round((end - start).total_seconds())
    if seconds < 0:
        raise ValueError(f"{text!r} ends before it starts")
    return end, _duration(seconds) if seconds else "instant"


def _zoned(text):
    moment = datetime.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment.astimezone(UTC)


def _duration(seconds):
    """ISO 8601 duration of a number of seconds ("PT1H", "PT24H", "PT10M")."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = ((hours, "H"), (minutes, "M"), (seconds, "S"))
    return "PT" + "".join(f"{n}{unit}" for n, unit in parts if n)


def _quality(value):
    if value is None:
        return UNCHECKED
    if isinstance(value, bool):
        return VALID if value else SUSPECT
    if isinstance(value, str):
        text = value.strip().lower()
        return VALID if text in VALID_TEXTS else SUSPECT if text in SUSPECT_TEXTS else UNCHECKED
    passes = list(_passes(value))
    return SUSPECT if False in passes else VALID if passes else UNCHECKED


def _passes(value):
    """Every boolean ``pass`` in a DQ_Element or list of them, however nested."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "pass" and isinstance(item, bool):
                yield item
            else:
                yield from _passes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _passes(item)


def _datastreams(pages, where, refs=False):
    """The Datastreams of the pages (with their JSON pointers if ``refs``)."""
    found = []
    for number, page in enumerate(pages):
        values = page.get("value") if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise http.SourceError(f"{where}: datastreams page {number} is not a SensorThings list")
        for index, datastream in enumerate(values):
            if not isinstance(datastream, dict) or not _is_key(datastream.get("@iot.id")):
                raise http.SourceError(f"{where}: a Datastream without @iot.id")
            ref = f"/datastreams/{number}/value/{index}"
            found.append((ref, datastream) if refs else datastream)
    return found


def _property_name(datastream):
    prop = _field(datastream, "ObservedProperty", dict) or {}
    for field in ("name", "definition"):
        text = _field(prop, field, str)
        if text and text.strip():
            return text.strip()
    return "(none)"


def _literal(value):
    """An OData key literal: a number as is, a text quoted."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _is_key(value):
    """An @iot.id: a whole number or a non-empty text."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value != "")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field(entity, name, kind):
    """``entity[name]`` if it is of type ``kind``, else None."""
    value = entity.get(name)
    return value if isinstance(value, kind) else None


def _pointer(token):
    return token.replace("~", "~0").replace("/", "~1")


def _text(raw_value):
    return "" if raw_value is None else str(raw_value)
