#!/usr/bin/env python3
"""The demo's stand-in for every source the harvesters read.

Serves on 127.0.0.1 until SIGTERM or SIGINT answers shaped like the real APIs
(the adapters' fixtures are the reference), made up deterministically: every
value is seeded by place, variable and hour, so the same request at the same
``now`` gives the same bytes. PM2.5 and PM10, the weather (temperature,
humidity, wind, rain) and the FIRMS fire detections come from the generator
``ckanext.maemoh.demo.atmosphere`` (made up, with the structure of the
northern-Thai haze season: upwind fires, transport lag, night-time
accumulation, rain washout; its docstring gives the equations). The
low-cost sensors (DustBoy, and OpenAQ's PurpleAir and Clarity locations)
read that PM2.5 as such sensors do: about 40 % high, more in humid hours
(``atmosphere.low_cost_pm25``), so that the calibration has a bias to find;
Air4Thai's stations read it as it is. The other
Air4Thai parameters are hashed noise around daily and diurnal cycles, CO
following PM2.5. Paths, below the demo base URL:

- ``/air4thai``: ``/services/getNewAQI_JSON.php[?stationID=]``,
  ``/forweb/getHistoryData.php?stationID&param&type=hr&sdate&edate&stime&etime``
- ``/openaq`` (header X-API-Key): ``/v3/locations``, ``/v3/locations/{id}``,
  ``/v3/locations/{id}/sensors``, ``/v3/sensors/{id}/measurements``
- ``/sensorthings/v1.1``: ``/Things``, ``/Things(1)``, ``/Things(1)/Datastreams``,
  ``/Datastreams({id})/Observations`` (temperature, relative humidity, wind
  speed and direction, hourly rainfall)
- ``/dustboy`` (header X-API-Key): ``/stations``, ``/value/{dustboy_id}``
- ``/firms``: ``/api/area/csv/{MAP_KEY}/{SOURCE}/{west,south,east,north}/{days}``:
  the generator's detections (a domain of 300 km around the district) in the bbox
- ``/agency``: ``/index.html``, ``/files/waste_by_tambon.csv`` (cp874, with
  the landfill's row), ``/files/electricity_by_tambon.xlsx``
- ``/pcd``: ``/files/water_quality.csv``: monthly grab samples at four
  made-up sampling points on the Mae Moh streams

Usage: replay_sources.py --port 8765
"""
import argparse
import csv
import datetime
import functools
import hashlib
import io
import json
import math
import pathlib
import re
import signal
import urllib.parse
import zipfile
import zoneinfo

import openpyxl
from openpyxl.writer.excel import ExcelWriter

from ckanext.maemoh.demo import atmosphere
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

DATA = pathlib.Path(__file__).resolve().parents[2] / "ckanext-maemoh/ckanext/maemoh/data"
BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
# A Monday: station-weeks (one outage and one sentinel each) count from here.
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=BANGKOK)
DISTRICT_BBOX = (99.62, 18.19, 100.06, 18.63)  # west, south, east, north
DAYS = 28  # history when the request gives no window (DustBoy, SensorThings without $filter)


def _unit(*parts):
    """A number in [0, 1) fixed by ``parts`` (the seed of every made-up value)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2 ** 64


def _hours(first, last):
    """Whole hours (UTC) from ``first`` (rounded up) to ``last`` (rounded down)."""
    t = _floor_hour(first)
    t += HOUR if t < first else datetime.timedelta()
    while t <= last:
        yield t
        t += HOUR


def _floor_hour(moment):
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# --- made-up measurements ---------------------------------------------------------

def _position(place):
    """(latitude, longitude) of a place of the demo: an Air4Thai station or
    the weather station (``atmosphere.STATIONS``), an OpenAQ location, a
    DustBoy; None for others (the generator then uses the district centre)."""
    place = str(place)
    if place in atmosphere.STATIONS:
        return atmosphere.STATIONS[place]
    if place.isdecimal() and int(place) in OPENAQ_LOCATIONS:
        location = OPENAQ_LOCATIONS[int(place)]
        return location["latitude"], location["longitude"]
    for entry in DUSTBOY_REGISTRY:
        if entry["dustboy_id"] == place:
            longitude = entry.get("dustboy_lon") or entry["dustboy_lng"]
            return float(entry["dustboy_lat"].strip()), float(longitude.strip())
    return None


def _pm25(place, t):
    """PM2.5 (µg/m³, 0.1) of the hour ending at ``t`` at ``place`` (atmosphere.pm25)."""
    return atmosphere.pm25(str(place), t, _position(place))


def _low_cost_pm25(place, t):
    """What a low-cost sensor at ``place`` reads: about 40 % high, more in
    humid hours (atmosphere.low_cost_pm25)."""
    return atmosphere.low_cost_pm25(str(place), t, _position(place))


def _pm10(place, t):
    """PM10 (µg/m³, 0.1): PM2.5 times 1.3-1.6 (atmosphere.pm10)."""
    return atmosphere.pm10(str(place), t, _position(place))


def _weather(place, t):
    """(temperature °C, relative humidity %, wind speed m/s, wind direction
    degrees from north, rainfall mm in the hour) of the hour ending at ``t``."""
    values = atmosphere.weather(str(place), t)
    return tuple(values[name] for name in atmosphere.WEATHER_VARIABLES)


# --- Air4Thai -----------------------------------------------------------------------

PARAMS = ("PM25", "PM10", "O3", "CO", "NO2", "SO2")
AIR4THAI_AREAS = {
    "37t": ("ต.พระบาท อ.เมือง, ลำปาง", "Phra Bat, Meuang, Lampang"),
    "38t": ("ต.สบป้าด อ.แม่เมาะ, ลำปาง", "Sob Pad, Mae Moh, Lampang"),
    "39t": ("ต.บ้านดง อ.แม่เมาะ, ลำปาง", "Ban Dong, Mae Moh, Lampang"),
    "40t": ("ต.แม่เมาะ อ.แม่เมาะ, ลำปาง", "Mae Moh, Mae Moh, Lampang"),
}
with open(DATA / "air4thai_stations.csv", encoding="utf-8", newline="") as _file:
    AIR4THAI_STATIONS = {row["station_id"]: row for row in csv.DictReader(_file)}
# Hours averaged by the latest value (PM 24 h, O3 and CO 8 h) and its text.
LATEST = {"PM25": (24, "{:.1f}"), "PM10": (24, "{:.0f}"), "O3": (8, "{:.0f}"),
          "CO": (8, "{:.2f}"), "NO2": (1, "{:.0f}"), "SO2": (1, "{:.0f}")}
# Thai AQI: concentrations at AQI 25, 50, 100 and 200 (PCD, 2023).
AQI_LEVELS = (25, 50, 100, 200)
AQI_BANDS = {"PM25": (15, 25, 37.5, 75), "PM10": (50, 80, 120, 180),
             "O3": (35, 50, 70, 120), "CO": (4.4, 6.4, 9.0, 30),
             "NO2": (60, 106, 170, 340), "SO2": (100, 200, 300, 400)}


def _air(place, t, params=PARAMS):
    """The Air4Thai parameters ``params`` in their units (µg/m³, ppb, ppm) for hour ``t``."""
    local = t.astimezone(BANGKOK)
    hour, day = local.hour, local.toordinal()
    sun = max(0.0, math.sin(math.pi * (hour - 7) / 12))
    traffic = math.exp(-((hour - 8) / 2) ** 2) + math.exp(-((hour - 19) / 2.5) ** 2)

    def so2():
        value = 1 + 12 * _unit(place, "so2", t) ** 2 + 8 * sun * _unit(place, "so2-mix", t)
        if _unit(place, "so2-spike", t) < 0.015:  # the power plant's plume comes down
            value = 30 + 90 * _unit(place, "so2-size", t)
        return round(value)

    formulas = {
        "PM25": lambda: round(_pm25(place, t), 1),
        "PM10": lambda: round(_pm10(place, t), 1),
        # O3 peaks at 18-69 ppb in the early afternoon
        "O3": lambda: round(3 + (15 + 48 * _unit("o3", day)) * sun + 3 * _unit(place, "o3", t)),
        # CO follows PM2.5
        "CO": lambda: round(0.3 + 0.9 * (_pm25(place, t) - 20) / 100
                            * (0.85 + 0.15 * _unit(place, "co", t)), 2),
        "NO2": lambda: round(5 + 20 * traffic * (0.5 + 0.5 * _unit(place, "no2", t))
                             + 4 * _unit(place, "no2-base", t)),
        "SO2": so2,
    }
    return {param: formulas[param]() for param in params}


def air4thai_flaw(station, param, t):
    """"gap" (null: the analysers were down), "sentinel" (-999) or None.

    Every station-week has one outage of 2-4 hours in its second half and one
    sentinel of one parameter in its first half.
    """
    week, hour = divmod(int((t - EPOCH) / HOUR), 168)
    start, stop, sentinel_hour, sentinel_param = _week_flaws(station, week)
    if start <= hour < stop:
        return "gap"
    if hour == sentinel_hour and param == sentinel_param:
        return "sentinel"
    return None


@functools.lru_cache(maxsize=4096)
def _week_flaws(station, week):
    """(first and after-last hour of the outage, hour and parameter of the
    sentinel) of a station-week, hours counted from its Monday 00:00."""
    start = 84 + int(80 * _unit(station, "outage", week))
    return (start, start + 2 + int(3 * _unit(station, "outage-hours", week)),
            int(84 * _unit(station, "sentinel", week)),
            PARAMS[int(6 * _unit(station, "sentinel-param", week))])


def _air4thai_hour(station, t, params):
    values = _air(station, t, params)
    flaws = {p: air4thai_flaw(station, p, t) for p in params}
    return {p: None if flaws[p] == "gap" else -999 if flaws[p] == "sentinel" else values[p]
            for p in params}


def _aqi(param, value):
    bands = AQI_BANDS[param]
    band = next((i for i, top in enumerate(bands) if value <= top), len(bands) - 1)
    low, low_aqi = (bands[band - 1], AQI_LEVELS[band - 1]) if band else (0, 0)
    return round(low_aqi + (AQI_LEVELS[band] - low_aqi) * (value - low) / (bands[band] - low))


def _air4thai_station(station, now):
    """The station object with its AQILast block at the current hour."""
    row, hour = AIR4THAI_STATIONS[station], _floor_hour(now)
    hours = [_air4thai_hour(station, hour - k * HOUR, PARAMS) for k in range(24)]
    block = {"date": hour.astimezone(BANGKOK).date().isoformat(),
             "time": hour.astimezone(BANGKOK).strftime("%H:00")}
    for param, (window, text) in LATEST.items():
        values = [h[param] for h in hours[:window] if h[param] not in (None, -999)]
        if values:
            mean = sum(values) / len(values)
            aqi = _aqi(param, mean)
            colour = 1 + sum(aqi > level for level in AQI_LEVELS)
            block[param] = {"color_id": str(colour), "aqi": str(aqi), "value": text.format(mean)}
        else:
            block[param] = {"color_id": "0", "aqi": "-1", "value": "-1"}
    worst = max(PARAMS, key=lambda p: int(block[p]["aqi"]))
    block["AQI"] = {"color_id": block[worst]["color_id"], "aqi": block[worst]["aqi"],
                    "param": worst}
    area_th, area_en = AIR4THAI_AREAS[station]
    return {"stationID": station, "nameTH": row["name_th"] + " ", "nameEN": row["name_en"],
            "areaTH": area_th, "areaEN": area_en, "stationType": "GROUND",
            "lat": row["lat"], "long": row["lon"], "forecast": [], "AQILast": block}


def air4thai(request, path, now):
    """Latest values (all stations, or ``stationID`` as a bare object) and
    hourly history from ``sdate stime`` to ``edate etime`` (Asia/Bangkok)."""
    query = request.query
    if path == "/services/getNewAQI_JSON.php":
        if "stationID" not in query:
            return _json({"stations": [_air4thai_station(s, now) for s in AIR4THAI_STATIONS]})
        if query["stationID"] not in AIR4THAI_STATIONS:
            return _text(404, "no such station")
        return _json(_air4thai_station(query["stationID"], now))
    if path != "/forweb/getHistoryData.php":
        return _text(404, "not found")
    station, params = query.get("stationID"), query.get("param", "").split(",")
    if query.get("type") != "hr" or not set(params) <= set(PARAMS):
        return _json({"result": "Error",
                      "message": "type must be hr, param a list of " + ",".join(PARAMS)})
    first, last = (datetime.datetime.combine(datetime.date.fromisoformat(query[day]),
                                             datetime.time(int(query[hour])), BANGKOK)
                   for day, hour in (("sdate", "stime"), ("edate", "etime")))
    if last - first > datetime.timedelta(days=366):
        return _json({"result": "Error", "message": "at most one year"})
    if station not in AIR4THAI_STATIONS:
        return _json({"result": "OK", "stations": []})
    data = [{"DATETIMEDATA": t.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S"),
             **_air4thai_hour(station, t, params)}
            for t in _hours(first, min(last, now))]
    return _json({"result": "OK", "stations": [
        {"stationID": station, "params": params, "data": data}]})


# --- OpenAQ v3 ----------------------------------------------------------------------

OPENAQ_LOCATIONS = {
    3004101: {"name": "Wat Ban Dong, Mae Moh", "latitude": 18.4638, "longitude": 99.7755,
              "provider": {"id": 170, "name": "PurpleAir"},
              "instrument": {"id": 6, "name": "PurpleAir Sensor"},
              "attribution": {"name": "PurpleAir", "url": "https://www.purpleair.com"}},
    3004102: {"name": "Ban Na Sak School, Mae Moh", "latitude": 18.3571, "longitude": 99.8402,
              "provider": {"id": 166, "name": "Clarity"},
              "instrument": {"id": 3, "name": "Clarity Node-S"},
              "attribution": {"name": "Clarity Movement Co.", "url": "https://www.clarity.io"}},
}
# OpenAQ parameter id -> (name, display name); a sensor id is location id * 100 + this id.
OPENAQ_PARAMETERS = {2: ("pm25", "PM2.5"), 1: ("pm10", "PM10")}
OPENAQ_SINCE = datetime.datetime(2024, 11, 1, tzinfo=UTC)


def _openaq_time(t):
    return {"utc": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "local": t.astimezone(BANGKOK).isoformat(timespec="seconds")}


def _openaq_parameter(parameter_id):
    name, display = OPENAQ_PARAMETERS[parameter_id]
    return {"id": parameter_id, "name": name, "units": "µg/m³", "displayName": display}


def _openaq_value(sensor_id, t):
    location, parameter_id = divmod(sensor_id, 100)
    if parameter_id == 1:  # pm10
        return round(_pm10(location, t), 1)
    return round(_low_cost_pm25(location, t), 1)  # PurpleAir and Clarity: low-cost


def _openaq_location(location_id, now):
    place = OPENAQ_LOCATIONS[location_id]
    point = [place["longitude"], place["latitude"]]
    return {"id": location_id, "name": place["name"], "locality": "Mae Moh",
            "timezone": "Asia/Bangkok", "country": {"id": 111, "code": "TH", "name": "Thailand"},
            "owner": {"id": 9301, "name": "Mae Moh Clean Air Network"},
            "provider": place["provider"], "isMobile": False, "isMonitor": False,
            "instruments": [place["instrument"]],
            "sensors": [{"id": location_id * 100 + p, "name": f"{OPENAQ_PARAMETERS[p][0]} µg/m³",
                         "parameter": _openaq_parameter(p)} for p in OPENAQ_PARAMETERS],
            "coordinates": {"latitude": place["latitude"], "longitude": place["longitude"]},
            "licenses": [{"id": 33, "name": "CC BY 4.0", "attribution": place["attribution"],
                          "dateFrom": OPENAQ_SINCE.date().isoformat(), "dateTo": None}],
            "bounds": point + point, "distance": None,
            "datetimeFirst": _openaq_time(OPENAQ_SINCE),
            "datetimeLast": _openaq_time(_floor_hour(now))}


def _openaq_sensor(sensor_id, now):
    location_id, parameter_id = divmod(sensor_id, 100)
    place, hour = OPENAQ_LOCATIONS[location_id], _floor_hour(now)
    return {"id": sensor_id, "name": f"{OPENAQ_PARAMETERS[parameter_id][0]} µg/m³",
            "parameter": _openaq_parameter(parameter_id),
            "datetimeFirst": _openaq_time(OPENAQ_SINCE), "datetimeLast": _openaq_time(hour),
            "coverage": None,
            "latest": {"datetime": _openaq_time(hour), "value": _openaq_value(sensor_id, hour),
                       "coordinates": {"latitude": place["latitude"],
                                       "longitude": place["longitude"]}},
            "summary": None}


def _openaq_measurement(sensor_id, end):
    period = {"datetimeFrom": _openaq_time(end - HOUR), "datetimeTo": _openaq_time(end)}
    return {"value": _openaq_value(sensor_id, end), "flagInfo": {"hasFlags": False},
            "parameter": _openaq_parameter(sensor_id % 100),
            "period": {"label": "raw", "interval": "01:00:00", **period},
            "coordinates": None, "summary": None,
            "coverage": {"expectedCount": 1, "expectedInterval": "01:00:00", "observedCount": 1,
                         "observedInterval": "01:00:00", "percentComplete": 100.0,
                         "percentCoverage": 100.0, **period}}


def openaq(request, path, now):
    """Locations in ``bbox``, one location, its sensors, and a sensor's hourly
    measurements whose period ends from ``datetime_from`` to ``datetime_to``;
    lists are paged by ``page`` and ``limit``."""
    if not _header(request, "X-API-Key").strip():
        return _json({"detail": "Unauthorized. A valid API key must be provided "
                                "in the X-API-Key header."}, 401)
    query, hour = request.query, _floor_hour(now)
    if path == "/v3/locations":
        west, south, east, north = map(float, query.get("bbox", "-180,-90,180,90").split(","))
        items = [_openaq_location(i, now) for i, p in OPENAQ_LOCATIONS.items()
                 if west <= p["longitude"] <= east and south <= p["latitude"] <= north]
    elif (match := re.fullmatch(r"/v3/locations/(\d+)(/sensors)?", path)) \
            and int(match[1]) in OPENAQ_LOCATIONS:
        location_id = int(match[1])
        items = [_openaq_sensor(location_id * 100 + p, now) for p in OPENAQ_PARAMETERS] \
            if match[2] else [_openaq_location(location_id, now)]
    elif (match := re.fullmatch(r"/v3/sensors/(\d+)/measurements", path)) \
            and divmod(int(match[1]), 100)[0] in OPENAQ_LOCATIONS \
            and int(match[1]) % 100 in OPENAQ_PARAMETERS:
        first = datetime.datetime.fromisoformat(query.get("datetime_from", "2016-01-01T00:00:00Z"))
        last = datetime.datetime.fromisoformat(query.get("datetime_to", hour.isoformat()))
        items = [_openaq_measurement(int(match[1]), t)
                 for t in _hours(max(first, OPENAQ_SINCE), min(last, hour))]
    else:
        return _json({"detail": "Not Found"}, 404)
    limit, page = int(query.get("limit", 100)), int(query.get("page", 1))
    if not (1 <= limit <= 1000 and page >= 1):
        return _json({"detail": "limit must be 1-1000 and page at least 1"}, 422)
    return _json({"meta": {"name": "openaq-api", "website": "/", "page": page, "limit": limit,
                           "found": len(items)},
                  "results": items[(page - 1) * limit:page * limit]})


# --- OGC SensorThings -------------------------------------------------------------------

ST_THING = {"@iot.id": 1, "name": "MM-WX-01 Chang Nuea",
            "description": "Automatic weather station at the Chang Nuea subdistrict office",
            "properties": {"network": "Mae Moh community weather stations",
                           "installed": "2024-06-01"}}
ST_LOCATION = {"@iot.id": 1, "name": "Chang Nuea subdistrict office",
               "description": "Mast on the roof of the Chang Nuea subdistrict office",
               "encodingType": "application/geo+json",
               "location": {"type": "Point", "coordinates": [99.9186, 18.4296, 342.0]}}
OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
# Datastream id -> (observed property, its description, unit name, unit symbol,
# UCUM code, column of _weather, sensor id)
ST_DATASTREAMS = {
    101: ("Temperature", "Temperature of the air", "degree Celsius", "°C", "Cel", 0, 1),
    102: ("Relative Humidity", "Relative Humidity of the air", "percent", "%", "%", 1, 1),
    103: ("Wind Speed", "Wind speed at 10 m", "metre per second", "m/s", "m/s", 2, 2),
    104: ("Wind Direction", "Direction the wind blows from, clockwise from north", "degree", "°",
          "deg", 3, 2),
    105: ("Precipitation", "Rainfall in the hour", "millimetre", "mm", "mm", 4, 3),
}
ST_SENSORS = {
    1: {"name": "Vaisala HMP155", "description": "Humidity and temperature probe",
        "encodingType": "application/pdf",
        "metadata": "https://www.vaisala.com/en/products/weather-environmental-"
                    "sensors/humidity-temperature-probe-hmp155"},
    2: {"name": "Gill WindSonic", "description": "Ultrasonic wind speed and direction sensor",
        "encodingType": "application/pdf",
        "metadata": "https://gillinstruments.com/wp-content/uploads/2023/03/WindSonic-Manual.pdf"},
    3: {"name": "Tipping-bucket rain gauge", "description": "Rain gauge, 0.1 mm a tip",
        "encodingType": "text/plain", "metadata": "https://example.org/mm-wx/sensors/rain-gauge"},
}


def _st_datastream(root, ds_id):
    prop, description, unit_name, symbol, ucum, _, sensor = ST_DATASTREAMS[ds_id]
    link, slug = f"{root}/Datastreams({ds_id})", prop.lower().replace(" ", "-")
    return {"@iot.selfLink": link, "@iot.id": ds_id, "name": f"MM-WX-01 {prop.lower()}",
            "description": f"{prop} at MM-WX-01, hourly mean",
            "observationType": OM_MEASUREMENT,
            "unitOfMeasurement": {"name": unit_name, "symbol": symbol,
                                  "definition": f"http://unitsofmeasure.org/ucum.html#{ucum}"},
            "ObservedProperty": {"@iot.selfLink": f"{root}/ObservedProperties({ds_id})",
                                 "@iot.id": ds_id, "name": prop,
                                 "definition": "https://example.org/mm-wx/def/" + slug,
                                 "description": description},
            "Sensor": {"@iot.selfLink": f"{root}/Sensors({sensor})", "@iot.id": sensor,
                       **ST_SENSORS[sensor]},
            "Thing@iot.navigationLink": f"{link}/Thing",
            "Observations@iot.navigationLink": f"{link}/Observations"}


def _st_observation(root, ds_id, end):
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    obs_id = ds_id * 10 ** 7 + int((end - EPOCH) / HOUR)
    link = f"{root}/Observations({obs_id})"
    return {"@iot.selfLink": link, "@iot.id": obs_id,
            "phenomenonTime": f"{(end - HOUR).strftime(stamp)}/{end.strftime(stamp)}",
            "resultTime": end.strftime(stamp),
            "result": _weather("MM-WX-01", end)[ST_DATASTREAMS[ds_id][5]],
            "Datastream@iot.navigationLink": f"{link}/Datastream",
            "FeatureOfInterest@iot.navigationLink": f"{link}/FeatureOfInterest"}


def sensorthings(request, path, now):
    """A SensorThings v1.1 service with one Thing (a weather station) and its
    hourly temperature, humidity, wind speed and direction and rainfall; lists are paged by ``$top``/``$skip``
    with absolute ``@iot.nextLink``; ``$filter=phenomenonTime ge T``."""
    root = f"http://{_header(request, 'Host')}{request.path[:len(request.path) - len(path)]}/v1.1"
    path = path.removeprefix("/v1.1")
    thing_link = f"{root}/Things(1)"
    thing = {"@iot.selfLink": thing_link, **ST_THING}
    if "Locations" in request.query.get("$expand", ""):
        thing["Locations"] = [{"@iot.selfLink": f"{root}/Locations(1)", **ST_LOCATION}]
    thing.update({f"{n}@iot.navigationLink": f"{thing_link}/{n}"
                  for n in ("Locations", "Datastreams", "HistoricalLocations")})
    match = re.fullmatch(r"/Datastreams\((\d+)\)/Observations", path)
    if path == "/Things(1)":
        return _json(thing)
    if path == "/Things":
        items, build = [thing], None
    elif path == "/Things(1)/Datastreams":
        items, build = [_st_datastream(root, ds_id) for ds_id in ST_DATASTREAMS], None
    elif match and int(match[1]) in ST_DATASTREAMS:
        since = re.fullmatch(r"phenomenonTime ge (\S+)", request.query.get("$filter", ""))
        first = (datetime.datetime.fromisoformat(since[1]) if since
                 else now - datetime.timedelta(days=DAYS))
        # the ends of the hourly intervals that start from ``first``, built page by page
        items = list(_hours(first + HOUR, _floor_hour(now)))
        build = functools.partial(_st_observation, root, int(match[1]))
    else:
        return _json({"code": 404, "type": "error", "message": "Nothing found."}, 404)
    top, skip = int(request.query.get("$top", 100)), int(request.query.get("$skip", 0))
    chosen = items[skip:skip + top]
    page = {"@iot.count": len(items), "value": list(map(build, chosen)) if build else chosen}
    if skip + top < len(items):
        query = {**request.query, "$skip": skip + top}
        page["@iot.nextLink"] = f"{root}{path}?" + "&".join(
            f"{k}={urllib.parse.quote(str(v), safe=',:()')}" for k, v in query.items())
    return _json(page)


# --- DustBoy --------------------------------------------------------------------------

# The registry as the provider publishes it: caretakers' contacts included (made up).
DUSTBOY_REGISTRY = [
    {"id": "301", "dustboy_id": "5211", "dustboy_uri": "mae-moh-witthaya",
     "dustboy_name": "โรงเรียนแม่เมาะวิทยา ", "dustboy_name_en": "Mae Moh Witthaya School",
     "dustboy_lat": "18.2869 ", "dustboy_lon": " 99.6583", "dustboy_version": "DB-2",
     "dustboy_status": "1", "dustboy_contact_name": "นางสาวพิมพ์ใจ ศรีวงค์",
     "dustboy_contact_phone": "081-234-5601", "dustboy_email": "pimjai.s@example.org",
     "dustboy_address": "99 หมู่ 6 ต.แม่เมาะ อ.แม่เมาะ จ.ลำปาง 52220",
     "dustboy_line_id": "pimjai.mm"},
    {"id": "302", "dustboy_id": "5212", "dustboy_uri": "ban-sop-pat-school",
     "dustboy_name": "โรงเรียนบ้านสบป้าด", "dustboy_name_en": "Ban Sop Pat School ",
     "dustboy_lat": "18.2438", "dustboy_lng": "99.7846", "dustboy_version": "DB-2",
     "dustboy_status": "1", "dustboy_contact_name": "นายสมชาย ปัญญาดี",
     "dustboy_contact_phone": "089 765 4302", "dustboy_email": "somchai.p@example.net",
     "dustboy_address": "45 หมู่ 2 ต.สบป้าด อ.แม่เมาะ จ.ลำปาง 52220",
     "dustboy_line_id": "@somchai45"},
    {"id": "303", "dustboy_id": "5213", "dustboy_uri": "chang-nuea-sao",
     "dustboy_name": "อบต.จางเหนือ", "dustboy_name_en": "Chang Nuea SAO",
     "dustboy_lat": "18.4512", "dustboy_lon": "99.9021", "dustboy_version": "DB-3",
     "dustboy_status": "1", "dustboy_contact_name": "นางบัวเรียว คำมา",
     "dustboy_contact_phone": "054-000-303", "dustboy_email": "buariew.k@example.org",
     "dustboy_address": "1 หมู่ 1 ต.จางเหนือ อ.แม่เมาะ จ.ลำปาง 52220",
     "dustboy_line_id": "buariew.cn"},
    {"id": "118", "dustboy_id": "5201", "dustboy_uri": "lampang-city-hall",
     "dustboy_name": "ศาลากลางจังหวัดลำปาง", "dustboy_name_en": "Lampang City Hall",
     "dustboy_lat": "18.2882", "dustboy_lon": "99.4919", "dustboy_version": "DB-2",
     "dustboy_status": "1", "dustboy_contact_name": "นายวีระ ใจมั่น",
     "dustboy_contact_phone": "086-111-0118", "dustboy_email": "weera.j@example.org",
     "dustboy_address": "ถ.บุญวาทย์ ต.หัวเวียง อ.เมือง จ.ลำปาง 52000",
     "dustboy_line_id": "weera118"},
]
DUSTBOY_COLOURS = ("59,204,255", "146,208,80", "255,255,0", "255,162,0", "240,70,70")


def dustboy(request, path, now):
    """The station registry and a station's hourly values of the last ``DAYS`` days."""
    if not _header(request, "X-API-Key").strip():
        return _json({"error": "invalid api key"}, 401)
    if path == "/stations":
        return _json(DUSTBOY_REGISTRY)
    station = path.removeprefix("/value/")
    if station not in {entry["dustboy_id"] for entry in DUSTBOY_REGISTRY}:
        return _json({"error": "not found"}, 404)
    values = []
    for t in _hours(now - datetime.timedelta(days=DAYS), now):
        pm25 = _low_cost_pm25(station, t)
        aqi = _aqi("PM25", pm25)
        temperature, humidity, *_ = _weather(station, t)
        values.append({"dustboy_id": station,
                       "log_datetime": t.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S"),
                       "pm25": f"{pm25:.1f}", "pm10": f"{_pm10(station, t):.0f}",
                       "pm25_th_aqi": str(aqi),
                       "th_color": DUSTBOY_COLOURS[sum(aqi > level for level in AQI_LEVELS)],
                       "temp": f"{temperature:.1f}", "humid": f"{humidity:.0f}"})
    return _json(values)


# --- NASA FIRMS -----------------------------------------------------------------------

# Source -> instrument; the satellites and their overpasses are atmosphere.SOURCES.
FIRMS_SOURCES = {source: "MODIS" if source.startswith("MODIS") else "VIIRS"
                 for source in atmosphere.SOURCES}
FIRMS_HEADER = {
    "VIIRS": "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,"
             "instrument,confidence,version,bright_ti5,frp,daynight",
    "MODIS": "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,"
             "instrument,confidence,version,bright_t31,frp,daynight",
}


def _firms_detections(source, day, bbox):
    """[(UTC time, latitude, longitude, CSV row)] of the generator's
    detections (atmosphere.fire_table) of ``source`` on UTC ``day`` in ``bbox``."""
    instrument = FIRMS_SOURCES[source]
    west, south, east, north = bbox
    table = atmosphere.fire_table(day)
    chosen = ((table["source"] == atmosphere.SOURCE_NAMES.index(source))
              & (table["latitude"] >= south) & (table["latitude"] <= north)
              & (table["longitude"] >= west) & (table["longitude"] <= east))
    detections = []
    for i in chosen.nonzero()[0].tolist():
        def u(name):
            return float(table["u_" + name][i])

        latitude, longitude, frp = (float(table[name][i]) for name in ("latitude", "longitude", "frp"))
        satellite = atmosphere.SATELLITES[int(table["satellite"][i])][1]
        daytime = bool(table["daytime"][i])
        time = atmosphere.fire_time(day, table["minute"][i])
        acq_time = str(time.hour * 100 + time.minute)  # HHMM without leading zeros
        if instrument == "VIIRS":
            bright = (300 + 67 * u("bright")) if daytime else (295 + 35 * u("bright"))
            confidence = "h" if bright > 345 else "l" if bright < 305 else "n"
            fields = (f"{latitude:.5f}", f"{longitude:.5f}", f"{bright:.2f}",
                      f"{0.38 + 0.17 * u('scan'):.2f}", f"{0.36 + 0.14 * u('track'):.2f}",
                      day.isoformat(), acq_time, satellite, "VIIRS", confidence, "2.0NRT",
                      f"{285 + 20 * u('bright2'):.2f}", f"{frp:.2f}", "D" if daytime else "N")
        else:
            fields = (f"{latitude:.4f}", f"{longitude:.4f}", f"{305 + 45 * u('bright'):.1f}",
                      f"{1 + 0.6 * u('scan'):.2f}", f"{1 + 0.2 * u('track'):.2f}",
                      day.isoformat(), acq_time, satellite, "MODIS",
                      str(int(100 * u("confidence"))), "6.1NRT", f"{290 + 15 * u('bright2'):.1f}",
                      f"{frp:.1f}", "D" if daytime else "N")
        detections.append((time, latitude, longitude, ",".join(fields)))
    return detections


def firms(request, path, now):
    """The area CSV of a source for the last ``days`` UTC days (today included):
    the detections of ``atmosphere.fires`` of that source in the bbox (as many
    as the day's fire activity gives), ``acq_time`` without leading zeros."""
    parts = path.split("/")
    if len(parts) != 8 or parts[1:4] != ["api", "area", "csv"]:
        return _text(404, "not found")
    map_key, source, area, days = parts[4:]
    if not map_key:
        return _text(200, "Invalid MAP_KEY.")
    if source not in FIRMS_SOURCES or not days.isdecimal() or not 1 <= int(days) <= 10:
        return _text(400, "Invalid source or day range [1..10].")
    bbox = tuple(map(float, area.split(",")))
    today = now.astimezone(UTC).date()
    detections = sorted(
        detection
        for day in (today - datetime.timedelta(days=k) for k in range(int(days) - 1, -1, -1))
        for detection in _firms_detections(source, day, bbox))
    rows = [row for time, _latitude, _longitude, row in detections if time <= now]
    return 200, {"Content-Type": "text/csv; charset=utf-8"}, \
        "\n".join([FIRMS_HEADER[FIRMS_SOURCES[source]], *rows, ""]).encode()


# --- agency files -----------------------------------------------------------------------

with open(DATA / "population_2024.csv", encoding="utf-8", newline="") as _file:
    TAMBONS = {row["tambon_code"]: row for row in csv.DictReader(_file)}
AGENCY_HEADER = ["เดือน", "รหัสตำบล", "ตำบล", "รายการ", "ปริมาณ", "หน่วย", "ละติจูด", "ลองจิจูด"]
AGENCY_INDEX = """<!DOCTYPE html>
<html lang="th">
<head><meta charset="utf-8"><title>ข้อมูลสถิติรายเดือน ที่ว่าการอำเภอแม่เมาะ</title></head>
<body>
<h1>ข้อมูลสถิติรายเดือนรายตำบล อำเภอแม่เมาะ จังหวัดลำปาง</h1>
<ul>
  <li><a href="files/waste_by_tambon.csv">ปริมาณขยะมูลฝอยรายตำบล (CSV)</a></li>
  <li><a href="files/electricity_by_tambon.xlsx">ปริมาณการใช้ไฟฟ้ารายตำบล (XLSX)</a></li>
</ul>
</body>
</html>
"""
# Table -> (item, unit, amount(tambon, month, u)): about 0.7 kg of waste a
# person a day, about four fifths of it landfilled; about 190 kWh a house a
# month, a quarter more in the hot season.
AGENCY_TABLES = {
    "waste": ("ปริมาณขยะมูลฝอย", "ตัน",
              lambda tambon, month, u: round(int(tambon["population"]) * 0.021
                                             * (0.9 + 0.2 * u), 1)),
    "landfilled": ("ปริมาณขยะที่นำไปฝังกลบ", "ตัน",
                   lambda tambon, month, u: round(int(tambon["population"]) * 0.021 * 0.8
                                                  * (0.9 + 0.2 * u), 1)),
    "electricity": ("ปริมาณการใช้ไฟฟ้า", "kWh",
                    lambda tambon, month, u: round(int(tambon["houses"]) * 190 * (0.95 + 0.1 * u)
                                                   * (1.25 if month in (3, 4, 5) else 1))),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _months(now):
    """(year, month) of the 12 whole months before the current Asia/Bangkok month."""
    local = now.astimezone(BANGKOK)
    current = local.year * 12 + local.month - 1
    return [divmod(m, 12) for m in range(current - 12, current)]


# The district's landfill (a made-up point in tambon Mae Mo): what the tambons landfill.
LANDFILL = ("LF-01", "บ่อฝังกลบขยะอำเภอแม่เมาะ (สาธิต)", 18.2853, 99.7378)


def _agency_rows(table, now):
    """Rows of a monthly table per tambon, months as MM/BE-year texts; the
    landfilled table also has the landfill's row, with its coordinates."""
    item, unit, amount = AGENCY_TABLES[table]
    rows = []
    for year, month0 in _months(now):
        month = f"{month0 + 1:02d}/{year + 543}"
        values = [amount(tambon, month0 + 1, _unit(table, code, year, month0)) for code, tambon in TAMBONS.items()]
        rows += [[month, code, tambon["name_th"], item, value, unit, "", ""]
                 for (code, tambon), value in zip(TAMBONS.items(), values)]
        if table == "landfilled":
            code, name, lat, lon = LANDFILL
            rows.append([month, code, name, item, round(sum(values), 1), unit, lat, lon])
    return rows


# Sampling points (made up, inside the tambons named): code, Thai and English
# names, latitude, longitude, and the typical level of each parameter there.
WATER_POINTS = (
    ("MM01", "ห้วยแม่เมาะ ต้นน้ำ (สาธิต)", "Mae Moh stream, upstream (demo)", 18.4750, 99.7860,
     {"DO": 7.0, "BOD": 1.2, "TCB": 2500, "FCB": 500, "NH3-N": 0.1, "pH": 7.2, "EC": 220, "Mn": 0.1, "As": 0.002}),
    ("MM02", "ห้วยแม่เมาะ ท้ายเหมือง (สาธิต)", "Mae Moh stream below the mine (demo)", 18.2760, 99.7420,
     {"DO": 5.0, "BOD": 3.0, "TCB": 9000, "FCB": 1500, "NH3-N": 0.3, "pH": 7.8, "EC": 1200, "Mn": 1.1, "As": 0.006}),
    ("MM03", "อ่างเก็บน้ำ ตำบลนาสัก (สาธิต)", "Reservoir in Na Sak (demo)", 18.3655, 99.8330,
     {"DO": 6.5, "BOD": 1.8, "TCB": 4000, "FCB": 800, "NH3-N": 0.2, "pH": 7.4, "EC": 350, "Mn": 0.3, "As": 0.003}),
    ("MM04", "ลำน้ำจาง ท้ายน้ำ (สาธิต)", "Chang river, downstream (demo)", 18.4380, 99.9220,
     {"DO": 4.5, "BOD": 2.6, "TCB": 15000, "FCB": 3000, "NH3-N": 0.4, "pH": 7.6, "EC": 600, "Mn": 0.5, "As": 0.004}),
)
WATER_UNITS = {"DO": "mg/l", "BOD": "mg/l", "TCB": "MPN/100ml", "FCB": "MPN/100ml", "NH3-N": "mg/l",
               "pH": "pH", "EC": "µS/cm", "Mn": "mg/l", "As": "mg/l"}
WATER_HEADER = ["วันที่เก็บตัวอย่าง", "รหัสจุด", "ชื่อจุด", "ละติจูด", "ลองจิจูด", "ดัชนี", "ค่า", "หน่วย"]


def _water_rows(now):
    """A grab sample on the 10th of each of 24 months per point: each value its
    point's level times 0.7-1.4 (pH plus or minus 0.4), seeded."""
    rows = []
    for year, month0 in [divmod(m, 12) for m in range(now.year * 12 + now.month - 25, now.year * 12 + now.month - 1)]:
        for code, name_th, _name_en, lat, lon, levels in WATER_POINTS:
            for parameter, level in levels.items():
                u = _unit("water", code, parameter, year, month0)
                value = level + (u - 0.5) * 0.8 if parameter == "pH" else level * (0.7 + 0.7 * u)
                rows.append([f"10/{month0 + 1:02d}/{year + 543}", code, name_th, lat, lon, parameter,
                             round(value, 4 if level < 0.1 else 2), WATER_UNITS[parameter]])
    return rows


def _xlsx(book):
    """The bytes of ``book``, the same for the same content: no save time in
    its properties, and every ZIP member dated 2024-01-01."""
    written, fixed = io.BytesIO(), io.BytesIO()
    book.properties.created = book.properties.modified = datetime.datetime(2024, 1, 1)
    with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()  # book.save() would stamp the time
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(fixed, "w") as target:
        for member in source.infolist():
            target.writestr(zipfile.ZipInfo(member.filename, (2024, 1, 1, 0, 0, 0)),
                            source.read(member), zipfile.ZIP_DEFLATED)
    return fixed.getvalue()


def agency(request, path, now):
    """An index page linking the monthly waste CSV (cp874) and the monthly
    electricity XLSX (written with openpyxl on each request)."""
    if path == "/index.html":
        return 200, {"Content-Type": "text/html; charset=utf-8"}, AGENCY_INDEX.encode()
    if path == "/files/waste_by_tambon.csv":
        text = io.StringIO()
        csv.writer(text).writerows([AGENCY_HEADER, *_agency_rows("waste", now), *_agency_rows("landfilled", now)])
        return 200, {"Content-Type": "text/csv"}, text.getvalue().encode("cp874")
    if path == "/files/electricity_by_tambon.xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "การใช้ไฟฟ้า"
        for row in [AGENCY_HEADER, *_agency_rows("electricity", now)]:
            sheet.append(row)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=5, max_col=5):
            cell.number_format = "#,##0"
        return 200, {"Content-Type": XLSX_TYPE}, _xlsx(book)
    return _text(404, "not found")


def pcd(request, path, now):
    """The water-quality file of the sampling points (UTF-8 CSV)."""
    if path == "/files/water_quality.csv":
        text = io.StringIO()
        csv.writer(text).writerows([WATER_HEADER, *_water_rows(now)])
        return 200, {"Content-Type": "text/csv; charset=utf-8"}, text.getvalue().encode("utf-8")
    return _text(404, "not found")


# --- serving ------------------------------------------------------------------------------

SOURCES = {"air4thai": air4thai, "openaq": openaq, "sensorthings": sensorthings,
           "dustboy": dustboy, "firms": firms, "agency": agency, "pcd": pcd}


def _json(body, status=200):
    return json_answer(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status)


def _header(request, name):
    """A request header, whatever its case; "" when absent."""
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), "")


def _text(status, text):
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()


def make_handler(now=lambda: datetime.datetime.now(UTC)):
    """The ReplayServer handler: the first path segment names the source;
    ``now`` (a UTC datetime) is read once per request."""
    def handler(request):
        name, _, rest = request.path.lstrip("/").partition("/")
        if name not in SOURCES:
            return _text(404, f"no source {name!r}; sources: {', '.join(SOURCES)}")
        try:
            return SOURCES[name](request, "/" + rest, now())
        except (ValueError, KeyError, TypeError) as error:
            return _text(400, f"bad request: {error!r}")
    return handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # the server thread inherits the mask
    handler = make_handler()

    def logged(request):
        answer = handler(request)
        print(answer[0], request.path, flush=True)
        return answer

    with ReplayServer(logged, port=port, record=False) as server:
        print(f"replaying {', '.join(SOURCES)} on {server.url}", flush=True)
        signal.sigwait(stop)


if __name__ == "__main__":
    main()
