"""The SensorThings adapter, fetching for real from a ReplayServer.

Fixtures (``fixtures/sensorthings/``) are answers written for this project
in the exact shape of a FROST server (v1.1), with realistic Mae Moh
magnitudes (not recorded data); ``{{SERVER}}`` stands for the replay
server's URL and is replaced when served. Three Things over two pages;
Thing 1 has four Datastreams over two pages (PM2.5 with hourly intervals
over three pages of Observations, relative humidity with instants, air
temperature, and an unmapped battery voltage).
"""
import datetime
import json
import pathlib
import re
import time

import pytest

from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.model import SUSPECT, UNCHECKED, VALID, Observation, Reject, Station
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer
from ckanext.maemoh.harvesters.sensorthings import SensorThings

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "sensorthings"
ROOT = "/FROST-Server/v1.1"
UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 3, 1, 4, 10, 30, 250000, tzinfo=UTC)
SINCE = "phenomenonTime ge 2024-02-28T04:10:30Z"


def at(hour, minute=0):
    return datetime.datetime(2024, 3, 1, hour, minute, tzinfo=UTC)


def fixture(name, server="http://frost.test"):
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{{SERVER}}", server)


def fixture_name(request):
    page = 1 + int(request.query.get("$skip", 0)) // 2
    path = request.path.removeprefix(ROOT)
    names = {"/Things": f"things-page{page}.json", "/Things(1)": "thing-1.json",
             "/Things(1)/Datastreams": f"thing-1-datastreams-page{page}.json"}
    observations = re.fullmatch(r"/Datastreams\((\d+)\)/Observations", path)
    if observations:
        return f"datastream-{observations[1]}-observations-page{page}.json"
    return names.get(path)


def frost(request):
    """Answers like a FROST server whose service root is ``{server}/FROST-Server/v1.1``."""
    name = fixture_name(request)
    if not name or not (FIXTURES / name).exists():
        return json_answer('{"code": 404, "type": "error", "message": "Nothing found."}', 404)
    return json_answer(fixture(name, f"http://{request.headers['Host']}"))


class Sleeps:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def make(server, **config):
    return SensorThings(server.url + ROOT, {"page_size": 2, **config}, sleep=Sleeps(), now=lambda: NOW)


def parser(**config):
    return SensorThings("http://frost.test" + ROOT, config)


def asked(server):
    return [(r.path, r.query.get("$skip")) for r in server.requests]


@pytest.fixture
def server():
    with ReplayServer(frost) as replay:
        yield replay


@pytest.fixture(scope="module")
def raw():
    """The bundle fetched for Thing 1 (once for the module)."""
    with ReplayServer(frost) as replay:
        return make(replay).fetch("1")


def test_gather_follows_next_links(server):
    assert make(server).gather() == ["1", "2", "3"]
    assert [r.query for r in server.requests] == [
        {"$expand": "Locations", "$top": "2"},
        {"$expand": "Locations", "$top": "2", "$skip": "2"},
    ]
    assert [r.path for r in server.requests] == [ROOT + "/Things"] * 2


def test_fetch_reads_every_page_once_and_skips_unmapped_datastreams(server):
    raw = make(server).fetch("1")
    assert asked(server) == [
        (ROOT + "/Things(1)", None),
        (ROOT + "/Things(1)/Datastreams", None), (ROOT + "/Things(1)/Datastreams", "2"),
        (ROOT + "/Datastreams(11)/Observations", None), (ROOT + "/Datastreams(11)/Observations", "2"),
        (ROOT + "/Datastreams(11)/Observations", "4"),
        (ROOT + "/Datastreams(12)/Observations", None), (ROOT + "/Datastreams(13)/Observations", None),
    ]  # Datastream 14 (battery voltage) is not mapped
    assert server.requests[0].query == {"$expand": "Locations"}
    assert server.requests[1].query == {"$expand": "ObservedProperty,Sensor", "$top": "2"}
    assert server.requests[3].query == {"$filter": SINCE, "$orderby": "phenomenonTime", "$top": "2"}
    bundle = json.loads(raw)
    url = server.url
    assert bundle["thing"] == json.loads(fixture("thing-1.json", url))
    assert bundle["datastreams"] == [json.loads(fixture(f"thing-1-datastreams-page{n}.json", url))
                                     for n in (1, 2)]
    assert bundle["observations"]["11"] == [
        json.loads(fixture(f"datastream-11-observations-page{n}.json", url)) for n in (1, 2, 3)]
    assert sorted(bundle["observations"]) == ["11", "12", "13"]


def test_a_first_harvest_asks_for_backfill_days_of_observations(server):
    config = {"days": 2, "backfill_days": 90, "page_size": 2}
    SensorThings(server.url + ROOT, config, now=lambda: NOW, backfill=True).fetch("1")
    def windows():  # the first page of each datastream (the next pages follow the server's links)
        return {r.query["$filter"] for r in server.requests
                if r.path.endswith("/Observations") and "$skip" not in r.query}
    assert windows() == {"phenomenonTime ge 2023-12-02T04:10:30Z"}  # 90 days before NOW
    server.requests.clear()
    SensorThings(server.url + ROOT, config, now=lambda: NOW).fetch("1")
    assert windows() == {SINCE}


def test_parse_gives_exact_station_observations_and_rejects(raw):
    batch = parser().parse("1", raw)
    assert batch.stations == [Station(
        station_id="1", network="sensorthings", name_th="MM-LCS-01 Ban Hua Fai",
        name_en="MM-LCS-01 Ban Hua Fai", latitude=18.3015, longitude=99.7412,
        variables=("pm25", "relative-humidity", "temperature"),
    )]

    def obs(variable, value, unit, period, time, quality, ref):
        return Observation("1", "sensorthings", variable, value, unit, period, time, quality, ref)

    assert batch.observations == [
        obs("pm25", 96.3, "ug/m3", "PT1H", at(1), UNCHECKED, "/observations/11/0/value/0"),
        obs("pm25", 112.5, "ug/m3", "PT1H", at(2), SUSPECT, "/observations/11/0/value/1"),
        obs("pm25", 131.0, "ug/m3", "instant", at(3, 15), VALID, "/observations/11/2/value/0"),
        obs("relative-humidity", 58.0, "%", "instant", at(1), VALID, "/observations/12/0/value/0"),
        obs("temperature", 24.8, "Cel", "PT1H", at(1), SUSPECT, "/observations/13/0/value/0"),
    ]
    assert batch.rejects == [
        Reject("1", "sensorthings", "pm25", "-9999", at(3), "no-data sentinel -9999",
               "/observations/11/1/value/0"),
        Reject("1", "sensorthings", "pm25", "118.0", at(2), "duplicate of /observations/11/0/value/1",
               "/observations/11/1/value/1"),
        Reject("1", "sensorthings", "relative-humidity", "61", None,
               "bad phenomenonTime: '2024-03-01T02:00:00' has no time zone", "/observations/12/0/value/1"),
        Reject("1", "sensorthings", "", "", None, "unmapped observed property Battery Voltage",
               "/datastreams/1/value/1"),
    ]
    assert parser().parse("1", raw) == batch


def test_observed_properties_match_a_definition_or_a_name_in_any_case(raw):
    by_definition = parser(observed_properties={
        "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/6001": "pm25", "TEMPERATURE": "temperature"})
    batch = by_definition.parse("1", raw)
    assert batch.stations[0].variables == ("pm25", "temperature")
    assert [r.reason for r in batch.rejects if r.variable == ""] == [
        "unmapped observed property Relative Humidity", "unmapped observed property Battery Voltage"]



def test_wind_and_rain_datastreams_map_by_default():
    """A weather station's Wind Speed (m/s), Wind Direction (degrees, "°")
    and Precipitation (mm in the hour) are the variables wind-speed,
    wind-direction and rainfall, in their canonical units."""
    streams = [(21, "Wind Speed", "m/s", 2.4, 1), (22, "Wind Direction", "°", 215, 1),
               (23, "Precipitation", "mm", 3.2, 1), (24, "wind speed", "km/h", 7.2, 2)]
    bundle = {
        "thing": {"@iot.id": 1, "name": "MM-WX-01", "Locations": [
            {"location": {"type": "Point", "coordinates": [99.9186, 18.4296]}}]},
        "datastreams": [{"value": [
            {"@iot.id": ds_id, "ObservedProperty": {"name": name},
             "unitOfMeasurement": {"symbol": symbol}} for ds_id, name, symbol, _, _ in streams]}],
        "observations": {str(ds_id): [{"value": [
            {"phenomenonTime": f"{at(hour - 1).isoformat()}/{at(hour).isoformat()}",
             "result": value}]}]
            for ds_id, _, _, value, hour in streams},
    }
    batch = parser().parse("1", json.dumps(bundle))
    assert batch.rejects == []
    assert batch.stations[0].variables == ("wind-speed", "wind-direction", "rainfall")
    assert [(o.variable, o.value, o.unit, o.averaging_period, o.time) for o in batch.observations] == [
        ("wind-speed", 2.4, "m/s", "PT1H", at(1)), ("wind-direction", 215, "deg", "PT1H", at(1)),
        ("rainfall", 3.2, "mm", "PT1H", at(1)), ("wind-speed", pytest.approx(2.0), "m/s", "PT1H", at(2))]


def test_the_network_comes_from_the_config(raw):
    batch = parser(network="mm-lcs").parse("1", raw)
    assert {r.network for r in batch.stations + batch.observations + batch.rejects} == {"mm-lcs"}


def serve_pages(pages):
    """A server answering ``pages[path?query]`` (URL placeholders replaced)."""
    def answer(request):
        query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
        body = pages.get(f"{request.path}?{query}")
        if body is None:
            return json_answer('{"message": "Nothing found."}', 404)
        return json_answer(json.dumps(body).replace("{{SERVER}}", f"http://{request.headers['Host']}"))
    return ReplayServer(answer)


def test_a_next_link_leaving_the_server_is_refused():
    pages = {f"{ROOT}/Things?$expand=Locations&$top=2": {
        "value": [], "@iot.nextLink": "http://frost-internal:8080/FROST-Server/v1.1/Things?$skip=2"}}
    with serve_pages(pages) as replay, pytest.raises(SourceError, match="serviceRootUrl"):
        make(replay).gather()


def test_a_next_link_loop_is_refused():
    again = "{{SERVER}}" + ROOT + "/Things?$skip=2"
    pages = {f"{ROOT}/Things?$expand=Locations&$top=2": {"value": [], "@iot.nextLink": again},
             f"{ROOT}/Things?$skip=2": {"value": [], "@iot.nextLink": again}}
    with serve_pages(pages) as replay, pytest.raises(SourceError, match="already read"):
        make(replay).gather()
    assert len(replay.requests) == 2


def test_text_ids_are_quoted_in_urls():
    datastream = json.loads(fixture("thing-1-datastreams-page2.json"))["value"][0]
    datastream["@iot.id"] = "o'neil-t"
    pages = {
        f"{ROOT}/Things('mm-01')?$expand=Locations": {"@iot.id": "mm-01", "name": "MM", "Locations": []},
        f"{ROOT}/Things('mm-01')/Datastreams?$expand=ObservedProperty,Sensor&$top=2": {"value": [datastream]},
        f"{ROOT}/Datastreams('o''neil-t')/Observations?$filter={SINCE}&$orderby=phenomenonTime&$top=2":
            {"value": []},
    }
    with serve_pages(pages) as replay:
        bundle = json.loads(make(replay).fetch("mm-01"))
    assert bundle["observations"] == {"o'neil-t": [{"value": []}]}


def test_http_500_backs_off_then_succeeds():
    failed = []

    def answer(request):
        if not failed:
            failed.append(request)
            return json_answer('{"message": "Internal Server Error"}', 500)
        return frost(request)

    with ReplayServer(answer) as replay:
        adapter = make(replay)
        assert adapter.gather() == ["1", "2", "3"]
    assert adapter.sleep.calls == [2.0]


def test_http_429_waits_retry_after_then_succeeds():
    limited = []

    def answer(request):
        if not limited:
            limited.append(request)
            return json_answer("{}", 429, {"Retry-After": "30"})
        return frost(request)

    with ReplayServer(answer) as replay:
        adapter = make(replay)
        assert adapter.gather() == ["1", "2", "3"]
    assert adapter.sleep.calls == [30.0]


def test_a_timeout_is_a_source_error():
    def slow(request):
        time.sleep(0.3)
        return frost(request)

    with ReplayServer(slow) as replay:
        adapter = make(replay)
        adapter.timeout = 0.05
        with pytest.raises(SourceError, match=r"Things\(1\).*Timeout.*after 4 attempts"):
            adapter.fetch("1")


def test_a_truncated_answer_is_a_clear_error():
    def answer(request):
        status, headers, body = frost(request)
        return status, headers, body[:200] if "Datastreams" in request.path else body

    with ReplayServer(answer) as replay, pytest.raises(SourceError, match="Datastreams.*not JSON"):
        make(replay).fetch("1")


def test_a_truncated_raw_payload_is_a_clear_error(raw):
    with pytest.raises(SourceError, match="Thing 1: the raw payload is not valid JSON"):
        parser().parse("1", raw[:-40])


def edit(raw, change):
    bundle = json.loads(raw)
    change(bundle)
    return json.dumps(bundle)


def no_point(bundle):
    bundle["thing"]["Locations"][0]["location"] = {"type": "Polygon", "coordinates": []}


@pytest.mark.parametrize("change, message", [
    (lambda b: b.clear(), "lacks thing, datastreams or observations"),
    (lambda b: b.update(thing=[]), "lacks thing, datastreams or observations"),
    (lambda b: b["thing"].update({"@iot.id": 2}), "/thing does not describe Thing 1"),
    (no_point, "no Location with a GeoJSON Point"),
    (lambda b: b["thing"].pop("Locations"), "no Location with a GeoJSON Point"),
    (lambda b: b["datastreams"][0]["value"][0].pop("@iot.id"), "a Datastream without @iot.id"),
    (lambda b: b["datastreams"][1].pop("value"), "datastreams page 1 is not a SensorThings list"),
    (lambda b: b["observations"].update({"11": {"value": []}}), "/observations/11 is not a list"),
    (lambda b: b["observations"]["12"][0].update(value=None), "/observations/12/0 is not a SensorThings"),
])
def test_a_malformed_raw_payload_is_a_clear_error(raw, change, message):
    with pytest.raises(SourceError, match=message):
        parser().parse("1", edit(raw, change))


DELETE = object()
REF = "/observations/11/0/value/0"


def first_pm25(raw, unit="µg/m³", **changes):
    """The record parsed from the first PM2.5 Observation after ``changes``
    (DELETE removes a field; "item" replaces the whole Observation)."""
    def change(bundle):
        [datastream] = [d for d in bundle["datastreams"][0]["value"] if d["@iot.id"] == 11]
        datastream["unitOfMeasurement"]["symbol"] = unit
        bundle["datastreams"] = [{"value": [datastream]}]
        page = bundle["observations"]["11"][0]
        bundle["observations"] = {"11": [page]}
        del page["value"][1:]
        if "item" in changes:
            page["value"][0] = changes["item"]
            return
        for name, value in changes.items():
            if value is DELETE:
                del page["value"][0][name]
            else:
                page["value"][0][name] = value

    batch = parser().parse("1", edit(raw, change))
    [record] = batch.observations + batch.rejects
    return record


def pm25(value, time=at(1), period="PT1H", quality=UNCHECKED):
    return Observation("1", "sensorthings", "pm25", pytest.approx(value), "ug/m3", period, time, quality, REF)


def rejected(raw_value, reason, time=at(1)):
    return Reject("1", "sensorthings", "pm25", raw_value, time, reason, REF)


@pytest.mark.parametrize("changes, expected", [
    ({}, pm25(96.3)),
    ({"result": "45.1"}, pm25(45.1)),
    ({"result": 45}, pm25(45.0)),
    ({"result": "abc"}, rejected("abc", "not a number")),
    ({"result": None}, rejected("", "no data")),
    ({"result": DELETE}, rejected("", "no data")),
    ({"result": "N/A"}, rejected("N/A", "no data")),
    ({"result": False}, rejected("False", "not a number")),
    ({"result": {"value": 96.3}}, rejected("{'value': 96.3}", "not a number")),
    ({"result": -999}, rejected("-999", "no-data sentinel -999")),
    ({"result": -2.5}, rejected("-2.5", "impossible: -2.5 ug/m3 is below 0")),
    ({"result": 1500}, rejected("1500", "impossible: 1500 ug/m3 is above 1000")),
    ({"phenomenonTime": "2024-03-01T08:00:00+07:00"}, pm25(96.3, period="instant")),
    ({"phenomenonTime": "2024-03-01T00:50:00Z/2024-03-01T01:00:00Z"}, pm25(96.3, period="PT10M")),
    ({"phenomenonTime": "2024-02-29T01:00:00Z/2024-03-01T01:00:00Z"}, pm25(96.3, period="PT24H")),
    ({"phenomenonTime": "2024-03-01T01:00:00Z/2024-03-01T01:00:00Z"}, pm25(96.3, period="instant")),
    ({"phenomenonTime": "2024-03-01T01:00:00"},
     rejected("96.3", "bad phenomenonTime: '2024-03-01T01:00:00' has no time zone", None)),
    ({"phenomenonTime": "2024-03-01T02:00:00Z/2024-03-01T01:00:00Z"},
     rejected("96.3", "bad phenomenonTime: '2024-03-01T02:00:00Z/2024-03-01T01:00:00Z' ends before it starts",
              None)),
    ({"phenomenonTime": "last hour"},
     rejected("96.3", "bad phenomenonTime: Invalid isoformat string: 'last hour'", None)),
    ({"phenomenonTime": DELETE}, rejected("96.3", "bad phenomenonTime: None is not a text", None)),
    ({"item": "96.3"}, Reject("1", "sensorthings", "pm25", "96.3", None, "not an Observation object", REF)),
])
def test_each_observation_gives_an_exact_record(raw, changes, expected):
    assert first_pm25(raw, **changes) == expected


@pytest.mark.parametrize("unit, result, expected", [
    ("ug/m3", 96.3, pm25(96.3)),
    ("mg/m³", 0.0963, pm25(96.3)),
    ("furlongs", 96.3, rejected("96.3", "unknown unit 'furlongs'")),
    (None, 96.3, rejected("96.3", "unknown unit None")),
    ("ppb", 96.3, rejected("96.3", "no conversion from [ppb] to ug/m3")),
])
def test_the_unit_is_the_datastreams_symbol(raw, unit, result, expected):
    assert first_pm25(raw, unit=unit, result=result) == expected


@pytest.mark.parametrize("quality, flag", [
    (None, UNCHECKED), (True, VALID), (False, SUSPECT),
    ("good", VALID), (" Valid ", VALID), ("OK", VALID), ("pass", VALID),
    ("suspect", SUSPECT), ("Questionable", SUSPECT), ("bad", SUSPECT), ("invalid", SUSPECT),
    ("estimated", UNCHECKED), (3, UNCHECKED), ([], UNCHECKED),
    ({"DQ_ConformanceResult": {"pass": True}}, VALID), ({"pass": False}, SUSPECT),
    ([{"result": {"pass": True}}, {"result": {"pass": True}}], VALID),
    ([{"result": {"pass": True}}, {"result": {"pass": False}}], SUSPECT),
    ({"DQ_QuantitativeResult": {"value": [0.9]}}, UNCHECKED), ({"pass": "yes"}, UNCHECKED),
])
def test_result_quality_mapping(raw, quality, flag):
    assert first_pm25(raw, resultQuality=quality).quality == flag


def test_config_defaults():
    config = SensorThings.validate_config({})
    assert (config["days"], config["network"], config["page_size"]) == (2, "sensorthings", 100)
    assert set(config["observed_properties"].values()) == {
        "pm25", "pm10", "o3", "no2", "so2", "co", "temperature", "relative-humidity",
        "wind-speed", "wind-direction", "rainfall"}


@pytest.mark.parametrize("config, key", [
    ({"days": 0}, "days"), ({"days": "2"}, "days"), ({"days": 2.5}, "days"),
    ({"page_size": 0}, "page_size"), ({"page_size": 10_000}, "page_size"),
    ({"observed_properties": []}, "observed_properties"),
    ({"observed_properties": {}}, "observed_properties"),
    ({"observed_properties": {"PM2.5": "pm2.5"}}, "observed_properties"),
    ({"observed_properties": {" ": "pm25"}}, "observed_properties"),
    ({"network": ""}, "network"), ({"network": 7}, "network"),
    ({"url": "http://x"}, "url"),
])
def test_config_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        SensorThings.validate_config(config)
