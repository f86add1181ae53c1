"""DustBoy adapter: the real fetching code against a replayed provider."""
import datetime
import json
import pathlib
import time

import pytest

from ckanext.maemoh.harvesters import model
from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.dustboy import DustBoy
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "dustboy"
API_KEY = "ccdc-k3y/0042+test"
# Every personal value and key of the registry fixture.
PERSONAL = (
    "สมศรี", "ใจดี", "Somsri", "Jaidee", "089-000-1122", "+66 89 000 1122",
    "somsri.jaidee@example.org", "99 หมู่ 3", "somsri.mm", "ประเสริฐ", "คำปัน",
    "081 555 0199", "prasert.k@example.net", "12 หมู่ 5", "@prasert99", "อรุณี",
    "054-000-777", "arunee.k", "contact", "phone", "email", "address", "line_id",
    "caretaker", "tel",
)
UTC = datetime.timezone.utc


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def at(hour):
    return datetime.datetime(2024, 3, 14, hour, tzinfo=UTC)


def observation(station, variable, value, unit, hour, ref):
    return model.Observation(station, "dustboy", variable, value, unit, "PT1H", at(hour),
                             model.UNCHECKED, ref)


def reject(station, variable, raw, hour, reason, ref):
    return model.Reject(station, "dustboy", variable, raw,
                        None if hour is None else at(hour), reason, ref)


class Provider:
    """A replayed DustBoy API under /api: answers by path, a queue of
    special answers first; 401 without the key in the X-API-Key header."""

    def __init__(self, key_in=lambda request: request.headers.get("X-API-Key")):
        self.key_in = key_in
        self.queued = {}

    def __call__(self, request):
        if request.path in self.queued and self.queued[request.path]:
            answer = self.queued[request.path].pop(0)
            return answer() if callable(answer) else answer
        if self.key_in(request) != API_KEY:
            return json_answer(f'{{"error": "invalid api key {self.key_in(request)}"}}', 401)
        if request.path == "/api/stations":
            return json_answer(fixture("stations.json"))
        name = f"value_{request.path.rsplit('/', 1)[-1]}.json"
        if request.path.startswith("/api/value/") and (FIXTURES / name).exists():
            return json_answer(fixture(name))
        return json_answer('{"error": "not found"}', 404)


@pytest.fixture
def provider():
    handler = Provider()
    with ReplayServer(handler) as server:
        handler.server = server
        yield handler


def adapter(server, waits=None, **config):
    return DustBoy(server.url + "/api/", {"api_key": API_KEY, **config},
                   sleep=(waits if waits is not None else []).append)


def test_gather_keeps_the_stations_inside_the_bbox(provider):
    keys = adapter(provider.server).gather()

    assert keys == ["5201", "5202", "5203"]  # not Chiang Mai, not the one without coordinates
    request, = provider.server.requests
    assert (request.path, request.headers["X-API-Key"], request.query) == (
        "/api/stations", API_KEY, {})


def test_fetch_keeps_only_non_personal_station_fields_and_the_values_verbatim(provider):
    dustboy = adapter(provider.server)
    dustboy.gather()

    raw = dustboy.fetch("5201")

    assert json.loads(raw) == {
        "station": {"dustboy_id": "5201", "dustboy_name": "โรงเรียนแม่เมาะวิทยา  ",
                    "dustboy_name_en": " Mae Moh Witthaya School", "dustboy_lat": " 18.2869",
                    "dustboy_lon": "99.6583 "},
        "values": fixture("value_5201.json"),
    }
    assert [r.path for r in provider.server.requests] == ["/api/stations", "/api/value/5201"]


@pytest.mark.parametrize("key", ["5201", "5202", "5203"])
def test_personal_data_never_leaks_into_fetch_or_parse_output(provider, key):
    provider.queued["/api/value/5203"] = [json_answer("[]")]
    dustboy = adapter(provider.server)  # no gather: fetch reads the registry itself

    raw = dustboy.fetch(key)
    batch = dustboy.parse(key, raw)

    for text in (raw, repr(batch)):
        leaked = [value for value in PERSONAL if value in text]
        assert leaked == [] and API_KEY not in text


def test_parse_one_record_in_the_bangkok_time_zone(provider):
    dustboy = adapter(provider.server)

    batch = dustboy.parse("5201", dustboy.fetch("5201"))

    assert batch.stations == [model.Station(
        station_id="5201", network="dustboy", name_th="โรงเรียนแม่เมาะวิทยา",
        name_en="Mae Moh Witthaya School", latitude=18.2869, longitude=99.6583,
        variables=("pm25", "pm10", "temperature", "relative-humidity"),
        operator="CCDC, Chiang Mai University",
        attribution="CCDC, Chiang Mai University (DustBoy)", instrument_class="low-cost")]
    # 09:00 Asia/Bangkok is 02:00 UTC; pm25_th_aqi and th_color are ignored.
    assert batch.observations == [
        observation("5201", "pm25", 87.5, "ug/m3", 2, "values.pm25"),
        observation("5201", "pm10", 142.0, "ug/m3", 2, "values.pm10"),
        observation("5201", "temperature", 27.4, "Cel", 2, "values.temp"),
        observation("5201", "relative-humidity", 48.0, "%", 2, "values.humid"),
    ]
    assert batch.rejects == []


def test_parse_hourly_records_with_every_kind_of_bad_value(provider):
    dustboy = adapter(provider.server)

    batch = dustboy.parse("5202", dustboy.fetch("5202"))

    assert batch.stations[0].longitude == 99.7802  # from dustboy_lng
    assert batch.observations == [
        observation("5202", "pm25", 64.2, "ug/m3", 0, "values[0].pm25"),
        observation("5202", "pm10", 98.0, "ug/m3", 0, "values[0].pm10"),
        observation("5202", "temperature", 22.9, "Cel", 0, "values[0].temp"),
        observation("5202", "relative-humidity", 71.0, "%", 0, "values[0].humid"),
        # "2024-03-14T09:00:00+07:00" carries its offset: the same instant as a naive 09:00.
        observation("5202", "pm10", 131.0, "ug/m3", 2, "values[3].pm10"),
        observation("5202", "temperature", 25.1, "Cel", 2, "values[3].temp"),
    ]
    duplicate = "duplicate time of values[0]"
    unreadable = "unreadable log_datetime '14/03/2024 10:00'"
    assert batch.rejects == [
        reject("5202", "pm25", "-999", 1, "no-data sentinel -999", "values[1].pm25"),
        reject("5202", "pm10", "", 1, "no data", "values[1].pm10"),  # field missing
        reject("5202", "temperature", "True", 1, "not a number", "values[1].temp"),
        reject("5202", "relative-humidity", "-5", 1, "impossible: -5 % is below 0",
               "values[1].humid"),
        # The first record of a time counts.
        reject("5202", "pm25", "66.0", 0, duplicate, "values[2].pm25"),
        reject("5202", "pm10", "101", 0, duplicate, "values[2].pm10"),
        reject("5202", "temperature", "23.0", 0, duplicate, "values[2].temp"),
        reject("5202", "relative-humidity", "70", 0, duplicate, "values[2].humid"),
        reject("5202", "pm25", "4800", 2, "impossible: 4800 ug/m3 is above 1000",
               "values[3].pm25"),
        reject("5202", "relative-humidity", "N/A", 2, "no data", "values[3].humid"),
        reject("5202", "pm25", "70.3", None, unreadable, "values[4].pm25"),
        reject("5202", "pm10", "120", None, unreadable, "values[4].pm10"),
        reject("5202", "temperature", "26.0", None, unreadable, "values[4].temp"),
        reject("5202", "relative-humidity", "60", None, unreadable, "values[4].humid"),
        reject("5202", "", "oops", None, "not a JSON object", "values[5]"),
    ]


def test_station_coordinates_with_inner_spaces_and_an_empty_dustboy_lon():
    station = {"dustboy_id": 5203, "dustboy_name": "อบต.บ้านดง", "dustboy_name_en": "Ban Dong SAO",
               "dustboy_lat": "18.41 51", "dustboy_lon": "", "dustboy_lng": "99.8237"}
    dustboy = DustBoy("http://dustboy.invalid", {"api_key": API_KEY})

    batch = dustboy.parse("5203", json.dumps({"station": station, "values": "[]"}))

    assert (batch.stations[0].latitude, batch.stations[0].longitude) == (18.4151, 99.8237)
    assert batch.observations == batch.rejects == []


def test_missing_log_datetime_and_a_configured_averaging_period():
    station = {"dustboy_lat": "18.2869", "dustboy_lon": "99.6583"}
    values = [{"pm25": "35.0", "pm10": "50", "temp": "30", "humid": "40"},
              {"log_datetime": "2024-03-14 12:00:00", "pm25": 35.0, "pm10": 50, "temp": 30,
               "humid": 40}]
    dustboy = DustBoy("http://dustboy.invalid", {"api_key": API_KEY, "averaging_period": "PT24H"})

    batch = dustboy.parse("5201", json.dumps({"station": station, "values": json.dumps(values)}))

    assert {(r.raw_ref, r.reason) for r in batch.rejects} == {
        (f"values[0].{field}", "missing log_datetime")
        for field in ("pm25", "pm10", "temp", "humid")}
    assert [(o.variable, o.value, o.averaging_period, o.time) for o in batch.observations] == [
        ("pm25", 35.0, "PT24H", at(5)), ("pm10", 50.0, "PT24H", at(5)),
        ("temperature", 30.0, "PT24H", at(5)), ("relative-humidity", 40.0, "PT24H", at(5))]


@pytest.mark.parametrize("raw, message", [
    ('{"station": {"dustboy_lat": "18.2", "dustboy_lon": "99.7"}, "values": "[{\\"pm25\\": \\"4',
     "unreadable payload"),  # the harvest object itself cut short
    (json.dumps({"station": {"dustboy_lat": "18.2", "dustboy_lon": "99.7"},
                 "values": '[{"log_datetime": "2024-03-14 09:00:00", "pm25": "8'}),
     "unreadable payload"),  # the provider's answer cut short
    (json.dumps({"station": {"dustboy_lat": "18.2", "dustboy_lon": "99.7"}, "values": ""}),
     "unreadable payload"),
    (json.dumps({"station": {"dustboy_lat": "", "dustboy_lon": "99.7"}, "values": "[]"}),
     "no readable coordinates"),
    (json.dumps({"station": "5201", "values": "[]"}), "unreadable payload"),
    (json.dumps({"values": "[]"}), "unreadable payload"),
    (json.dumps({"station": {"dustboy_lat": "18.2", "dustboy_lon": "99.7"}, "values": "42"}),
     "neither an object nor a list"),
])
def test_unreadable_payloads_are_errors_not_empty_batches(raw, message):
    dustboy = DustBoy("http://dustboy.invalid", {"api_key": API_KEY})

    with pytest.raises(SourceError, match=message):
        dustboy.parse("5201", raw)


@pytest.mark.parametrize("answer, message", [
    (json_answer('[{"dustboy_id": "5201", "dustboy_lat": "18.28'), "registry: not JSON"),
    (json_answer('{"data": []}'), "registry: not a JSON list"),
])
def test_unreadable_registry(provider, answer, message):
    provider.queued["/api/stations"] = [answer]

    with pytest.raises(SourceError, match=message):
        adapter(provider.server).gather()


def test_fetch_of_a_station_no_longer_in_the_registry(provider):
    with pytest.raises(SourceError, match="1001 is not in the registry inside the bbox"):
        adapter(provider.server).fetch("1001")  # outside the bbox


def test_http_429_then_success_waits_as_retry_after_says(provider):
    provider.queued["/api/stations"] = [
        json_answer('{"error": "rate"}', 429, {"Retry-After": "7"})]
    waits = []

    assert adapter(provider.server, waits).gather() == ["5201", "5202", "5203"]
    assert waits == [7.0]


def test_http_500_then_success(provider):
    provider.queued["/api/value/5201"] = [json_answer("oops", 500), json_answer("oops", 503)]
    waits = []

    raw = adapter(provider.server, waits).fetch("5201")

    assert json.loads(raw)["values"] == fixture("value_5201.json")
    assert waits == [2.0, 4.0]


def test_timeout_is_a_source_error(provider):
    def slow():
        time.sleep(0.3)
        return json_answer("[]")
    provider.queued["/api/stations"] = [slow] * 4
    dustboy = adapter(provider.server)
    dustboy.timeout = 0.05

    with pytest.raises(SourceError, match=r"ReadTimeout.*after 4 attempts"):
        dustboy.gather()


def test_the_key_as_a_query_parameter_never_appears_in_errors_or_payloads():
    handler = Provider(key_in=lambda request: request.query.get("apikey"))
    with ReplayServer(handler) as server:
        handler.server = server
        dustboy = adapter(server, api_key_param="query:apikey")
        assert dustboy.gather() == ["5201", "5202", "5203"]
        assert server.requests[0].query == {"apikey": API_KEY}
        assert "X-API-Key" not in server.requests[0].headers

        # The provider echoes the key it refused; neither the error nor the payload keeps it.
        handler.queued["/api/value/5201"] = [json_answer(f'{{"bad key": "{API_KEY}"}}')]
        raw = dustboy.fetch("5201")
        dustboy.config["api_key"] = API_KEY + "-wrong"
        with pytest.raises(SourceError) as error:
            dustboy.gather()

    assert API_KEY not in raw and "[api key]" in raw
    assert "HTTP 401" in str(error.value) and API_KEY not in str(error.value)


def test_configured_paths():
    answers = {"/v2/registry": fixture("stations.json"),
               "/v2/dustboy/5202/latest": fixture("value_5202.json")}

    def handler(request):  # JSON sent as text/html without a charset, as PHP APIs do
        return 200, {"Content-Type": "text/html"}, answers[request.path].encode("utf-8")
    with ReplayServer(handler) as server:
        dustboy = DustBoy(server.url, {"api_key": API_KEY, "stations_path": "v2/registry",
                                       "values_path": "/v2/dustboy/{dustboy_id}/latest",
                                       "bbox": [99.7, 18.2, 99.9, 18.3]})
        assert dustboy.gather() == ["5202"]
        raw = dustboy.fetch("5202")

    assert json.loads(raw)["values"] == fixture("value_5202.json")
    assert dustboy.parse("5202", raw).stations[0].name_th == "รพ.สต.บ้านสบป้าด"


def test_defaults():
    assert DustBoy.validate_config({"api_key": API_KEY}) == {
        "api_key": API_KEY, "api_key_param": "header:X-API-Key", "stations_path": "/stations",
        "values_path": "/value/{dustboy_id}", "bbox": [99.62, 18.19, 100.06, 18.63],
        "averaging_period": "PT1H"}


@pytest.mark.parametrize("config, key", [
    ({}, "api_key"),
    ({"api_key": ""}, "api_key"),
    ({"api_key": 42}, "api_key"),
    ({"api_key": API_KEY, "apikey": "x"}, "apikey"),
    ({"api_key": API_KEY, "api_key_param": "cookie:k"}, "api_key_param"),
    ({"api_key": API_KEY, "api_key_param": "header:"}, "api_key_param"),
    ({"api_key": API_KEY, "stations_path": ""}, "stations_path"),
    ({"api_key": API_KEY, "values_path": "/value"}, "values_path"),
    ({"api_key": API_KEY, "values_path": "/value/{dustboy_id}/{day}"}, "values_path"),
    ({"api_key": API_KEY, "bbox": [99.62, 18.19, 100.06]}, "bbox"),
    ({"api_key": API_KEY, "bbox": [99.62, 18.19, "100.06", 18.63]}, "bbox"),
    ({"api_key": API_KEY, "bbox": [100.06, 18.19, 99.62, 18.63]}, "bbox"),
    ({"api_key": API_KEY, "averaging_period": "1 hour"}, "averaging_period"),
])
def test_config_errors_name_the_key_and_never_show_the_api_key(config, key):
    with pytest.raises(ConfigError, match=key) as error:
        DustBoy.validate_config(config)
    assert API_KEY not in str(error.value)
