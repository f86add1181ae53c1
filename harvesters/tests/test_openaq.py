"""The OpenAQ v3 adapter, fetching for real from a ReplayServer.

Fixtures (``fixtures/openaq/``) are answers written for this project in the
exact shape of the API, with realistic Mae Moh magnitudes (not recorded
data): the bbox search finds three locations over two pages; location
225323 (an Air4Thai station) has seven sensors, gases in ppm, PM2.5 over
three pages (found ">2", ">2", 0) with a flagged hour, a -999 sentinel and
a repeated hour, and a small negative SO2 value.
"""
import datetime
import json
import pathlib
import re
import time

import pytest

from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.model import SUSPECT, UNCHECKED, Observation, Reject, Station
from ckanext.maemoh.harvesters.openaq import OpenAQ
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "openaq"
KEY = "oaq-test-key-4f1c9e27"
UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 3, 1, 4, 10, 30, 123456, tzinfo=UTC)


def at(day, hour):
    return datetime.datetime(2024, 2 if day == 29 else 3, day, hour, tzinfo=UTC)


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_name(request):
    page = request.query.get("page", "1")
    if request.path == "/v3/locations":
        return f"locations-page{page}.json"
    if request.path == "/v3/locations/225323":
        return "location-225323.json"
    if request.path == "/v3/locations/225323/sensors":
        return "location-225323-sensors.json"
    sensor = re.fullmatch(r"/v3/sensors/(\d+)/measurements", request.path)
    return sensor and f"sensor-{sensor[1]}-measurements-page{page}.json"


def openaq_api(request):
    """Answers like OpenAQ: 401 without the key, 404 for what it lacks."""
    if request.headers.get("X-API-Key") != KEY:
        return json_answer('{"detail": "Unauthorized"}', 401)
    name = fixture_name(request)
    if not name or not (FIXTURES / name).exists():
        return json_answer('{"detail": "Not Found"}', 404)
    return json_answer(fixture(name))


class Sleeps:
    """A sleep recorder: (seconds, requests the server had seen) per call."""

    def __init__(self, server):
        self.server, self.calls = server, []

    def __call__(self, seconds):
        self.calls.append((seconds, len(self.server.requests)))


def make(server, **config):
    return OpenAQ(server.url, {"api_key": KEY, "page_limit": 2, **config},
                  sleep=Sleeps(server), now=lambda: NOW)


def asked(server):
    return [(r.path, r.query.get("page")) for r in server.requests]


@pytest.fixture
def server():
    with ReplayServer(openaq_api) as replay:
        yield replay


@pytest.fixture(scope="module")
def raw():
    """The bundle fetched for location 225323 (once for the module)."""
    with ReplayServer(openaq_api) as replay:
        return make(replay).fetch("225323")


def parser():
    return OpenAQ("http://openaq.test", {"api_key": KEY})


def test_gather_reads_every_page_of_the_bbox_search(server):
    assert make(server).gather() == ["225323", "1236034", "225324"]
    assert [r.query for r in server.requests] == [
        {"bbox": "99.62,18.19,100.06,18.63", "limit": "2", "page": "1"},
        {"bbox": "99.62,18.19,100.06,18.63", "limit": "2", "page": "2"},
    ]


def test_gather_stops_when_a_numeric_found_is_reached():
    page = json.loads(fixture("locations-page1.json"))
    page["meta"]["found"] = 2

    def api(request):
        return json_answer(json.dumps(page)) if request.query["page"] == "1" else json_answer("{}", 404)

    with ReplayServer(api) as replay:
        assert make(replay).gather() == ["225323", "1236034"]
        assert len(replay.requests) == 1


def test_endless_full_pages_are_an_error_not_a_hang():
    page = json.loads(fixture("locations-page1.json"))
    page["meta"]["found"] = ">2"

    def api(request):
        return json_answer(json.dumps(page))

    with ReplayServer(api) as replay, pytest.raises(SourceError, match="more than 100 pages"):
        make(replay).gather()
    assert len(replay.requests) == 100


def test_fetch_bundles_every_page_once_with_the_key(server):
    raw = make(server).fetch("225323")
    assert asked(server) == [
        ("/v3/locations/225323", None), ("/v3/locations/225323/sensors", None),
        ("/v3/sensors/7772/measurements", "1"), ("/v3/sensors/7772/measurements", "2"),
        ("/v3/sensors/7772/measurements", "3"), ("/v3/sensors/7773/measurements", "1"),
        ("/v3/sensors/7774/measurements", "1"), ("/v3/sensors/7775/measurements", "1"),
        ("/v3/sensors/7776/measurements", "1"), ("/v3/sensors/7777/measurements", "1"),
    ]  # 7778 measures temperature, not a wanted parameter
    assert all(r.headers.get("X-API-Key") == KEY for r in server.requests)
    assert {(r.query["datetime_from"], r.query["datetime_to"], r.query["limit"])
            for r in server.requests[2:]} == {("2024-02-28T04:10:30Z", "2024-03-01T04:10:30Z", "2")}
    bundle = json.loads(raw)
    assert bundle["location"] == json.loads(fixture("location-225323.json"))
    assert bundle["sensors"] == json.loads(fixture("location-225323-sensors.json"))
    assert bundle["measurements"]["7772"] == [
        json.loads(fixture(f"sensor-7772-measurements-page{n}.json")) for n in (1, 2, 3)]
    assert sorted(bundle["measurements"]) == ["7772", "7773", "7774", "7775", "7776", "7777"]
    assert KEY not in raw


def test_parse_gives_exact_station_observations_and_rejects(raw):
    batch = parser().parse("225323", raw)
    assert batch.stations == [Station(
        station_id="225323", network="openaq",
        name_th="Provincial Waterworks Authority Mae Moh",
        name_en="Provincial Waterworks Authority Mae Moh",
        latitude=18.282664, longitude=99.659873,
        variables=("pm25", "pm10", "o3", "co", "no2", "so2"), timezone="Asia/Bangkok",
        operator="Pollution Control Department", instrument_class="reference",
        attribution="Pollution Control Department, Thailand (http://air4thai.pcd.go.th); Air4Thai via OpenAQ",
        licence="CC BY 4.0",
        first_observation=datetime.datetime(2016, 5, 11, 9, tzinfo=UTC), last_observation=at(1, 4),
    )]

    def obs(variable, value, unit, period, time, quality, ref):
        return Observation("225323", "openaq", variable, pytest.approx(value), unit, period, time,
                           quality, ref)

    assert batch.observations == [
        obs("pm25", 78.4, "ug/m3", "PT1H", at(1, 1), UNCHECKED, "/measurements/7772/0/results/0"),
        obs("pm25", 81.2, "ug/m3", "PT1H", at(1, 2), SUSPECT, "/measurements/7772/0/results/1"),
        obs("pm10", 128.6, "ug/m3", "PT24H", at(29, 17), UNCHECKED, "/measurements/7773/0/results/0"),
        obs("o3", 12.0, "[ppb]", "PT1H", at(1, 1), UNCHECKED, "/measurements/7774/0/results/0"),
        obs("co", 0.85, "[ppm]", "PT1H", at(1, 1), UNCHECKED, "/measurements/7775/0/results/0"),
        obs("no2", 18.5, "[ppb]", "PT1H", at(1, 1), UNCHECKED, "/measurements/7776/0/results/0"),
    ]
    assert batch.rejects == [
        Reject("225323", "openaq", "pm25", "-999.0", at(1, 3), "no-data sentinel -999.0",
               "/measurements/7772/1/results/0"),
        Reject("225323", "openaq", "pm25", "81.2", at(1, 2),
               "duplicate of /measurements/7772/0/results/1", "/measurements/7772/1/results/1"),
        Reject("225323", "openaq", "so2", "-0.0011", at(1, 1),
               "impossible: -1.1 [ppb] is below 0", "/measurements/7777/0/results/0"),
    ]
    assert parser().parse("225323", raw) == batch


def test_every_licence_of_a_location_is_kept():
    location = json.loads(fixture("locations-page1.json"))["results"][1]
    raw = json.dumps({"location": {"meta": {}, "results": [location]},
                      "sensors": {"meta": {}, "results": location["sensors"]}, "measurements": {}})
    station = parser().parse("1236034", raw).stations[0]
    assert (station.licence, station.attribution, station.operator) == (
        "CC BY-SA 4.0; CC BY 4.0", "AirGradient (https://www.airgradient.com); AirGradient via OpenAQ",
        "Sop Pat School")
    assert station.variables == ()  # nothing fetched, nothing claimed


@pytest.mark.parametrize("is_monitor, expected", [(True, "reference"), (False, "low-cost"),
                                                   (None, ""), ("false", "")])
def test_is_monitor_tells_a_reference_monitor_from_a_low_cost_sensor(is_monitor, expected):
    location = json.loads(fixture("locations-page1.json"))["results"][1]
    location = {**location, "isMonitor": is_monitor} if is_monitor is not None else {
        key: value for key, value in location.items() if key != "isMonitor"}
    raw = json.dumps({"location": {"meta": {}, "results": [location]},
                      "sensors": {"meta": {}, "results": location["sensors"]}, "measurements": {}})
    assert parser().parse("1236034", raw).stations[0].instrument_class == expected


def test_the_api_key_never_appears_in_errors():
    def api(request):
        return json_answer(json.dumps({"detail": f"key {request.headers.get('X-API-Key')} is not valid"}), 403)

    with ReplayServer(api) as replay, pytest.raises(SourceError) as error:
        make(replay).fetch("225323")
    assert KEY not in str(error.value) and "***" in str(error.value)
    assert error.value.__suppress_context__  # a traceback does not show the unmasked error


@pytest.mark.parametrize("per_minute, gap", [(60, 1.8), (20, 3.0), (10, 6.0)])
def test_requests_are_paced_under_both_limits(server, per_minute, gap):
    adapter = make(server, requests_per_minute=per_minute)
    adapter.fetch("225323")
    requests = len(server.requests)
    # one sleep before every request, the first one too
    assert adapter.sleep.calls == [(gap, n) for n in range(requests)]
    starts = [gap * (n + 1) for n in range(requests)]  # the least time that has passed
    assert all(sum(s <= t < s + 60 for t in starts) <= per_minute for s in starts)
    assert 3600 / gap <= 2000


def test_http_429_waits_retry_after_then_succeeds(raw):
    served = []

    def api(request):
        served.append(request.path)
        if request.path.endswith("/sensors") and served.count(request.path) == 1:
            return json_answer('{"detail": "Too Many Requests"}', 429, {"Retry-After": "7"})
        return openaq_api(request)

    with ReplayServer(api) as replay:
        adapter = make(replay)
        assert adapter.fetch("225323") == raw
    assert (7.0, 2) in adapter.sleep.calls
    assert served.count("/v3/locations/225323/sensors") == 2


def test_http_500_backs_off_then_succeeds(raw):
    failed = []

    def api(request):
        if request.path == "/v3/sensors/7774/measurements" and not failed:
            failed.append(request)
            return json_answer('{"detail": "Internal Server Error"}', 500)
        return openaq_api(request)

    with ReplayServer(api) as replay:
        adapter = make(replay)
        assert adapter.fetch("225323") == raw
    assert (2.0, 7) in adapter.sleep.calls  # the http module's first backoff


def test_a_timeout_is_a_source_error():
    def slow(request):
        time.sleep(0.3)
        return openaq_api(request)

    with ReplayServer(slow) as replay:
        adapter = make(replay)
        adapter.timeout = 0.05
        with pytest.raises(SourceError, match=r"/v3/locations.*Timeout.*after 4 attempts") as error:
            adapter.gather()
    assert KEY not in str(error.value)


def test_a_truncated_answer_is_a_clear_error():
    def api(request):
        status, headers, body = openaq_api(request)
        return status, headers, body[:300] if request.path.endswith("/sensors") else body

    with ReplayServer(api) as replay, pytest.raises(SourceError, match="sensors: the answer is not JSON"):
        make(replay).fetch("225323")


def test_a_truncated_raw_payload_is_a_clear_error(raw):
    with pytest.raises(SourceError, match="location 225323: the raw payload is not valid JSON"):
        parser().parse("225323", raw[:len(raw) // 2])


def edit(raw, change):
    bundle = json.loads(raw)
    change(bundle)
    return json.dumps(bundle)


def drop_coordinates(bundle):
    bundle["location"]["results"][0]["coordinates"] = {"latitude": None, "longitude": 99.66}


@pytest.mark.parametrize("change, message", [
    (lambda b: b.clear(), "no measurements object"),
    (lambda b: b["location"].update(results=[]), "does not describe location 225323"),
    (lambda b: b["location"]["results"][0].update(id=225324), "does not describe location 225323"),
    (drop_coordinates, "no usable coordinates"),
    (lambda b: b["sensors"].pop("results"), "/sensors: not an OpenAQ answer"),
    (lambda b: b["sensors"]["results"][0].pop("parameter"), "a sensor without id or parameter name"),
    (lambda b: b["measurements"].update({"7772": {"results": []}}), "/measurements/7772 is not a list"),
    (lambda b: b["measurements"]["7773"][0].update(results="none"), "/measurements/7773/0: not an OpenAQ"),
])
def test_a_malformed_raw_payload_is_a_clear_error(raw, change, message):
    with pytest.raises(SourceError, match=message):
        parser().parse("225323", edit(raw, change))


def first_pm25(raw, **changes):
    """The record parsed from the first PM2.5 measurement after ``changes``
    (a value of None deletes the field; "item" replaces the whole result)."""
    def change(bundle):
        pages = bundle["measurements"]
        bundle["measurements"] = {"7772": pages["7772"][:1]}
        results = pages["7772"][0]["results"]
        del results[1:]
        if "item" in changes:
            results[0] = changes["item"]
            return
        for path, value in changes.items():
            *parents, leaf = path.split("__")
            target = results[0]
            for name in parents:
                target = target[name]
            if value is DELETE:
                del target[leaf]
            else:
                target[leaf] = value

    batch = parser().parse("225323", edit(raw, change))
    [record] = batch.observations + batch.rejects
    return record


DELETE = object()
REF = "/measurements/7772/0/results/0"


def pm25(value, time=at(1, 1), period="PT1H", quality=UNCHECKED):
    return Observation("225323", "openaq", "pm25", pytest.approx(value), "ug/m3", period, time, quality, REF)


def rejected(raw_value, reason, time=at(1, 1)):
    return Reject("225323", "openaq", "pm25", raw_value, time, reason, REF)


@pytest.mark.parametrize("changes, expected", [
    ({}, pm25(78.4)),
    ({"value": "45.1"}, pm25(45.1)),
    ({"value": "abc"}, rejected("abc", "not a number")),
    ({"value": None}, rejected("", "no data")),
    ({"value": DELETE}, rejected("", "no data")),
    ({"value": True}, rejected("True", "not a number")),
    ({"value": [78.4]}, rejected("[78.4]", "not a number")),
    ({"value": -999}, rejected("-999", "no-data sentinel -999")),
    ({"value": -1}, rejected("-1", "no-data sentinel -1")),
    ({"value": -5.0}, rejected("-5.0", "impossible: -5 ug/m3 is below 0")),
    ({"value": 5000.0}, rejected("5000.0", "impossible: 5000 ug/m3 is above 1000")),
    ({"parameter__units": "furlongs"}, rejected("78.4", "unknown unit 'furlongs'")),
    ({"parameter__units": DELETE}, rejected("78.4", "unknown unit None")),
    ({"parameter__units": "mg/m³", "value": 0.0784}, pm25(78.4)),
    ({"period__datetimeTo__utc": "2024-03-01T01:00:00"}, pm25(78.4)),  # naive: the field says UTC
    ({"period__datetimeTo__utc": "2024-03-01T08:00:00+07:00"}, pm25(78.4)),
    ({"period__datetimeTo__utc": "yesterday"}, rejected("78.4", "no usable period.datetimeTo.utc", None)),
    ({"period__datetimeTo__utc": 1709254800}, rejected("78.4", "no usable period.datetimeTo.utc", None)),
    ({"period": DELETE}, rejected("78.4", "no usable period.datetimeTo.utc", None)),
    ({"period__interval": "1 hour"}, rejected("78.4", "no usable period.interval '1 hour'")),
    ({"period__interval": "00:00:00"}, rejected("78.4", "no usable period.interval '00:00:00'")),
    ({"period__interval": 3600}, rejected("78.4", "no usable period.interval 3600")),
    ({"period__interval": "00:10:00"}, pm25(78.4, period="PT10M")),
    ({"period__interval": "08:00:00"}, pm25(78.4, period="PT8H")),
    ({"flagInfo": True}, pm25(78.4, quality=SUSPECT)),
    ({"flagInfo": DELETE}, pm25(78.4)),
    ({"flagInfo__hasFlags": "yes"}, pm25(78.4)),  # only a true boolean flags
    ({"item": 42}, Reject("225323", "openaq", "pm25", "42", None, "not a measurement object", REF)),
])
def test_each_measurement_gives_an_exact_record(raw, changes, expected):
    assert first_pm25(raw, **changes) == expected


def test_config_defaults():
    assert OpenAQ.validate_config({"api_key": KEY}) == {
        "api_key": KEY, "bbox": [99.62, 18.19, 100.06, 18.63], "days": 2,
        "parameters": ["pm25", "pm10", "o3", "co", "no2", "so2"], "page_limit": 1000,
        "requests_per_minute": 60,
    }


@pytest.mark.parametrize("config, key", [
    ({"api_key": None}, "api_key"),
    ({"api_key": ""}, "api_key"),
    ({"api_key": ["secret-in-a-list"]}, "api_key"),
    ({"bbox": [99.62, 18.19, 100.06]}, "bbox"),
    ({"bbox": [100.06, 18.19, 99.62, 18.63]}, "bbox"),
    ({"bbox": "99.62,18.19,100.06,18.63"}, "bbox"),
    ({"days": 0}, "days"), ({"days": 31}, "days"), ({"days": "2"}, "days"), ({"days": True}, "days"),
    ({"parameters": "pm25"}, "parameters"), ({"parameters": []}, "parameters"),
    ({"parameters": ["pm1"]}, "parameters"),
    ({"page_limit": 0}, "page_limit"), ({"page_limit": 5000}, "page_limit"),
    ({"requests_per_minute": 0}, "requests_per_minute"),
    ({"requests_per_minute": 120}, "requests_per_minute"),
    ({"requests_per_minute": "60"}, "requests_per_minute"),
    ({"bbox_": [1, 2, 3, 4]}, "bbox_"),
])
def test_config_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=key) as error:
        OpenAQ.validate_config({"api_key": KEY, **config})
    assert "secret-in-a-list" not in str(error.value) and KEY not in str(error.value)


def test_the_source_url_may_end_in_v3():
    assert OpenAQ("https://api.openaq.org/v3/", {"api_key": KEY}).url == "https://api.openaq.org"


def test_fetch_refuses_a_key_that_is_not_a_location_id(server):
    with pytest.raises(ValueError, match="not an OpenAQ location id"):
        make(server).fetch("../licenses")
    assert server.requests == []


def test_a_config_does_not_share_lists_with_the_defaults():
    config = OpenAQ.validate_config({"api_key": KEY})
    config["parameters"].append("temperature")
    config["bbox"][0] = 0
    assert OpenAQ.defaults["parameters"] == ["pm25", "pm10", "o3", "co", "no2", "so2"]
    assert OpenAQ.defaults["bbox"][0] == 99.62
