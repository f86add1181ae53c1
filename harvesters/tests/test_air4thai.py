"""Air4Thai adapter: exact parsing of the fixtures, every bad-input class,
and the real fetching code against a local replay server.

Fixtures (``fixtures/air4thai/``) are written for this project in the shape
of the real answers: string numbers, trailing spaces in ``nameTH``, the
current ``AQILast`` and the older ``LastUpdate`` blocks, a bare
single-station object, and a history with nulls and a repeated hour.
"""
import datetime
import json
import pathlib
import socket
import time

import pytest

from ckanext.maemoh.harvesters import http, model
from ckanext.maemoh.harvesters.air4thai import Air4Thai
from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "air4thai"
UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 3, 10, 7, 20, tzinfo=UTC)  # 14:20 in Bangkok


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def adapter(url="http://air4thai.test", config=None, **kwargs):
    return Air4Thai(url, config or {}, now=lambda: NOW, **kwargs)


def bundle(latest, history=None):
    return json.dumps({"latest": latest, "history": history}, ensure_ascii=False)


def utc(day, hour):
    return datetime.datetime(2026, 3, day, hour, tzinfo=UTC)


def obs(variable, value, unit, period, time, ref, station="38t"):
    return model.Observation(station, "air4thai", variable, value, unit, period, time,
                             model.UNCHECKED, ref)


def rej(variable, raw, time, reason, ref, station="38t"):
    return model.Reject(station, "air4thai", variable, raw, time, reason, ref)


def station_with(block_name, block, station_id="38t"):
    """A bare station object with the given latest-values block."""
    doc = json.loads(fixture("station_38t.json"))
    doc.pop("AQILast")
    doc["stationID"] = station_id
    if block is not None:
        doc[block_name] = block
    return json.dumps(doc, ensure_ascii=False)


def history_with(rows, station_id="38t"):
    return json.dumps({"result": "OK", "stations": [
        {"stationID": station_id, "params": ["PM25"], "data": rows}]})


# --- parsing the fixtures ---------------------------------------------------

EXPECTED_38T_OBSERVATIONS = [
    # latest values (AQILast of 2026-03-10 12:00 Bangkok = 05:00 UTC)
    obs("pm25", 58.3, "ug/m3", "PT24H", utc(10, 5), "latest/AQILast/PM25"),
    obs("pm10", 86.0, "ug/m3", "PT24H", utc(10, 5), "latest/AQILast/PM10"),
    obs("o3", 29.0, "[ppb]", "PT8H", utc(10, 5), "latest/AQILast/O3"),
    obs("co", 0.61, "[ppm]", "PT8H", utc(10, 5), "latest/AQILast/CO"),
    obs("so2", 9.0, "[ppb]", "PT1H", utc(10, 5), "latest/AQILast/SO2"),
    # history: 2026-03-09 23:00 Bangkok = 16:00 UTC
    obs("pm25", 48.7, "ug/m3", "PT1H", utc(9, 16), "history/PM25/2026-03-09 23:00:00"),
    obs("pm10", 71.2, "ug/m3", "PT1H", utc(9, 16), "history/PM10/2026-03-09 23:00:00"),
    obs("o3", 12.0, "[ppb]", "PT1H", utc(9, 16), "history/O3/2026-03-09 23:00:00"),
    obs("co", 0.71, "[ppm]", "PT1H", utc(9, 16), "history/CO/2026-03-09 23:00:00"),
    obs("no2", 9.0, "[ppb]", "PT1H", utc(9, 16), "history/NO2/2026-03-09 23:00:00"),
    obs("so2", 2.0, "[ppb]", "PT1H", utc(9, 16), "history/SO2/2026-03-09 23:00:00"),
    obs("pm25", 61.2, "ug/m3", "PT1H", utc(10, 3), "history/PM25/2026-03-10 10:00:00"),
    obs("pm10", 88.4, "ug/m3", "PT1H", utc(10, 3), "history/PM10/2026-03-10 10:00:00"),
    obs("o3", 31.0, "[ppb]", "PT1H", utc(10, 3), "history/O3/2026-03-10 10:00:00"),
    obs("co", 0.62, "[ppm]", "PT1H", utc(10, 3), "history/CO/2026-03-10 10:00:00"),
    obs("so2", 3.0, "[ppb]", "PT1H", utc(10, 3), "history/SO2/2026-03-10 10:00:00"),
    # 11:00 appears twice: the second row (all values present) wins
    obs("pm25", 64.8, "ug/m3", "PT1H", utc(10, 4), "history/PM25/2026-03-10 11:00:00"),
    obs("pm10", 93.1, "ug/m3", "PT1H", utc(10, 4), "history/PM10/2026-03-10 11:00:00"),
    obs("o3", 38.0, "[ppb]", "PT1H", utc(10, 4), "history/O3/2026-03-10 11:00:00"),
    obs("co", 0.58, "[ppm]", "PT1H", utc(10, 4), "history/CO/2026-03-10 11:00:00"),
    obs("so2", 4.0, "[ppb]", "PT1H", utc(10, 4), "history/SO2/2026-03-10 11:00:00"),
    obs("pm25", 70.5, "ug/m3", "PT1H", utc(10, 5), "history/PM25/2026-03-10 12:00:00"),
    obs("pm10", 101.0, "ug/m3", "PT1H", utc(10, 5), "history/PM10/2026-03-10 12:00:00"),
    obs("o3", 45.0, "[ppb]", "PT1H", utc(10, 5), "history/O3/2026-03-10 12:00:00"),
    obs("co", 0.55, "[ppm]", "PT1H", utc(10, 5), "history/CO/2026-03-10 12:00:00"),
    obs("so2", 12.0, "[ppb]", "PT1H", utc(10, 5), "history/SO2/2026-03-10 12:00:00"),
]

EXPECTED_38T_REJECTS = [
    rej("no2", "-1", utc(10, 5), "no data (color_id 0)", "latest/AQILast/NO2"),
    rej("no2", "", utc(10, 3), "no data", "history/NO2/2026-03-10 10:00:00"),
    rej("no2", "", utc(10, 4), "no data", "history/NO2/2026-03-10 11:00:00"),
    rej("no2", "", utc(10, 5), "no data", "history/NO2/2026-03-10 12:00:00"),
]


def test_parse_current_shape_with_history_gives_the_exact_records():
    raw = bundle(fixture("station_38t.json"), fixture("history_38t.json"))
    batch = adapter().parse("38t", raw)

    assert batch.stations == [model.Station(
        "38t", "air4thai", "โรงพยาบาลส่งเสริมสุขภาพตำบลบ้านสบป้าด",
        "Health Promotion Hospital Sob Pad, Lampang", 18.250747, 99.763986,
        variables=("pm25", "pm10", "o3", "co", "no2", "so2"), timezone="Asia/Bangkok",
        operator="Pollution Control Department",
        attribution="Pollution Control Department (Air4Thai)", licence="",
        instrument_class="reference")]
    assert batch.observations == EXPECTED_38T_OBSERVATIONS
    assert batch.rejects == EXPECTED_38T_REJECTS
    assert batch.detections == []


def test_parse_older_lastupdate_shape_with_units_and_sentinels():
    batch = adapter().parse("40t", bundle(fixture("station_40t_lastupdate.json")))

    t = datetime.datetime(2019, 3, 5, 2, tzinfo=UTC)  # 09:00 Bangkok
    assert batch.stations[0].name_th == "การประปาส่วนภูมิภาคแม่เมาะ"
    assert batch.stations[0].variables == ("pm25", "pm10")
    assert batch.observations == [
        obs("pm25", 72.0, "ug/m3", "PT24H", t, "latest/LastUpdate/PM25", "40t"),
        obs("pm10", 118.0, "ug/m3", "PT24H", t, "latest/LastUpdate/PM10", "40t"),
    ]
    assert batch.rejects == [
        rej("o3", "N/A", t, "no data", "latest/LastUpdate/O3", "40t"),
        rej("co", "-", t, "no data", "latest/LastUpdate/CO", "40t"),
        rej("no2", "-999", t, "no-data sentinel -999", "latest/LastUpdate/NO2", "40t"),
        rej("so2", "-9999", t, "no-data sentinel -9999", "latest/LastUpdate/SO2", "40t"),
    ]


def test_parse_is_deterministic():
    raw = bundle(fixture("station_38t.json"), fixture("history_38t.json"))
    assert adapter().parse("38t", raw) == adapter().parse("38t", raw)


# --- bad inputs ---------------------------------------------------------------

def latest_pm25(entry, block_name="AQILast"):
    block = {"date": "2026-03-10", "time": "12:00", "PM25": entry}
    batch = adapter().parse("38t", bundle(station_with(block_name, block)))
    return (batch.observations + batch.rejects)[0]


@pytest.mark.parametrize("entry, reason", [
    ({"color_id": "4", "aqi": "-1", "value": "-1"}, "no-data sentinel -1"),
    ({"color_id": "4", "aqi": "-1", "value": "-999"}, "no-data sentinel -999"),
    ({"color_id": "4", "aqi": "-1", "value": "-9999"}, "no-data sentinel -9999"),
    ({"color_id": "4", "aqi": "-1", "value": "N/A"}, "no data"),
    ({"color_id": "4", "aqi": "-1", "value": "-"}, "no data"),
    ({"color_id": "4", "aqi": "-1", "value": ""}, "no data"),
    ({"color_id": "0", "aqi": "-1", "value": "35.2"}, "no data (color_id 0)"),
    ({"color_id": 0, "aqi": "-1", "value": "35.2"}, "no data (color_id 0)"),
])
def test_every_sentinel_gives_a_reject(entry, reason):
    record = latest_pm25(entry)
    assert isinstance(record, model.Reject)
    assert (record.reason, record.raw_value) == (reason, entry["value"])
    assert record.raw_ref == "latest/AQILast/PM25"


@pytest.mark.parametrize("value, reason", [
    (True, "not a number"), ([35], "not a number"), ({"v": 35}, "not a number"),
    ("abc", "not a number"), ("NaN", "no data"), ("Infinity", "not a number"),
    (10 ** 400, "not a number"), ("1e400", "not a number"),
    ("-5", "impossible: -5 ug/m3 is below 0"),
    ("1500", "impossible: 1500 ug/m3 is above 1000"),
])
def test_wrong_types_negative_and_absurd_values_give_rejects(value, reason):
    record = latest_pm25({"color_id": "4", "aqi": "200", "value": value})
    assert isinstance(record, model.Reject) and record.reason == reason


def test_plain_value_without_entry_object_is_read():
    assert latest_pm25("41.5", "LastUpdate") == obs(
        "pm25", 41.5, "ug/m3", "PT24H", utc(10, 5), "latest/LastUpdate/PM25")


@pytest.mark.parametrize("unit, value, reason", [
    ("mg/m³", 0.072, None),  # a known unit is converted to µg/m³
    ("furlongs", None, "unknown unit 'furlongs'"),
    ("mg/L", None, "no conversion from mg/L to ug/m3"),
])
def test_lastupdate_units(unit, value, reason):
    record = latest_pm25({"value": str(value or 72), "unit": unit}, "LastUpdate")
    if reason is None:
        assert isinstance(record, model.Observation)
        assert (record.value, record.unit) == (pytest.approx(72.0), "ug/m3")
    else:
        assert isinstance(record, model.Reject) and record.reason == reason


def test_history_string_numbers_are_read_and_duplicates_keep_the_last():
    rows = [{"DATETIMEDATA": "2026-03-10 09:00:00", "PM25": 30.1},
            {"DATETIMEDATA": "2026-03-10 09:00:00", "PM25": "33.4"}]
    batch = adapter().parse("38t", bundle(station_with("AQILast", None), history_with(rows)))
    assert batch.observations == [
        obs("pm25", 33.4, "ug/m3", "PT1H", utc(10, 2), "history/PM25/2026-03-10 09:00:00")]


@pytest.mark.parametrize("stamp, expected", [
    ("2026-03-10 12:00:00", utc(10, 5)),            # naive: Asia/Bangkok
    ("2026-03-10T12:00:00+07:00", utc(10, 5)),      # zoned: as stated
    ("2026-03-10T12:00:00+00:00", utc(10, 12)),
])
def test_naive_times_are_bangkok_and_zoned_times_keep_their_offset(stamp, expected):
    rows = [{"DATETIMEDATA": stamp, "PM25": 50}]
    batch = adapter().parse("38t", bundle(station_with("AQILast", None), history_with(rows)))
    assert [o.time for o in batch.observations] == [expected]


@pytest.mark.parametrize("stamp", ["yesterday", "", None, "2026-13-10 12:00:00",
                                   "0001-01-01 00:00:00"])  # before year 1 in UTC
def test_unreadable_history_time_gives_rejects(stamp):
    rows = [{"DATETIMEDATA": stamp, "PM25": 50}] if stamp is not None else [{"PM25": 50}]
    batch = adapter().parse("38t", bundle(station_with("AQILast", None), history_with(rows)))
    assert batch.rejects == [rej("pm25", "50", None, "unreadable time", f"history/PM25/{stamp}")]


def test_latest_block_without_time_gives_rejects():
    block = {"date": "2026-03-10", "PM25": {"color_id": "4", "aqi": "156", "value": "58.3"}}
    batch = adapter().parse("38t", bundle(station_with("AQILast", block)))
    assert batch.rejects == [rej("pm25", "58.3", None, "unreadable time", "latest/AQILast/PM25")]


def test_station_without_latest_block_still_describes_the_station():
    batch = adapter().parse("38t", bundle(station_with("AQILast", None)))
    assert (batch.stations[0].station_id, batch.stations[0].variables) == ("38t", ())
    assert batch.observations == batch.rejects == []


def broken(text, **changes):
    doc = json.loads(text)
    doc.update(changes)
    return json.dumps(doc)


STATION = fixture("station_38t.json")
HISTORY = fixture("history_38t.json")


@pytest.mark.parametrize("raw, message", [
    (bundle(STATION, HISTORY)[:-40], "Unterminated string"),                  # bundle cut
    (bundle(STATION[:300]), "latest: not valid JSON"),                        # truncated answer
    (bundle(STATION, HISTORY[:250]), "history: not valid JSON"),
    (bundle(""), "latest: not valid JSON"),
    (json.dumps([STATION]), "not an Air4Thai bundle"),
    (json.dumps({"latest": {"stationID": "38t"}}), "not an Air4Thai bundle"),
    (bundle(STATION, {"result": "OK"}), "history: not a text"),
    (bundle(json.dumps({"stations": [json.loads(STATION)]})), "not the station object of 38t"),
    (bundle(broken(STATION, stationID="40t")), "not the station object of 38t"),
    (bundle(broken(STATION, lat="")), "no numeric lat/long"),
    (bundle(broken(STATION, long=None)), "no numeric lat/long"),
    (bundle(broken(STATION, lat="118.25")), "outside WGS84"),
    (bundle(broken(STATION, lat="nan")), "outside WGS84"),
    (bundle(STATION, json.dumps({"result": "Error", "message": "bad param"})), "not an OK answer"),
    (bundle(STATION, json.dumps({"result": "OK"})), "not an OK answer"),
    (bundle(STATION, history_with([], "40t")), "no data for station 38t"),
    (bundle(STATION, history_with({"DATETIMEDATA": "x"})), "no list of data rows"),
    (bundle(STATION, history_with(["2026-03-10 12:00:00", 50])), "no list of data rows"),
])
def test_malformed_payloads_raise_value_error_never_an_empty_batch(raw, message):
    with pytest.raises(ValueError, match=message):
        adapter().parse("38t", raw)


# --- configuration --------------------------------------------------------------

def test_defaults_are_filled_in():
    assert Air4Thai.validate_config({}) == {
        "stations": ["38t", "39t", "40t", "37t"], "days": 2, "history": True, "backfill_days": 0}


@pytest.mark.parametrize("config, key", [
    ({"stations": []}, "stations"), ({"stations": "38t"}, "stations"),
    ({"stations": ["38t", "38t"]}, "stations"), ({"stations": ["38t", ""]}, "stations"),
    ({"stations": ["../38t"]}, "stations"), ({"stations": [38]}, "stations"),
    ({"days": 0}, "days"), ({"days": 31}, "days"), ({"days": "2"}, "days"),
    ({"days": True}, "days"), ({"days": 2.5}, "days"),
    ({"history": "yes"}, "history"), ({"history": 1}, "history"),
    ({"backfill_days": 731}, "backfill_days"), ({"backfill_days": -1}, "backfill_days"),
    ({"backfill_days": "90"}, "backfill_days"),
    ({"station": ["38t"]}, "unknown key"),
])
def test_config_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=f"^{key}"):
        Air4Thai.validate_config(config)


# --- fetching against a replay server ---------------------------------------------

def routes(latest=None, history=None, everything=None):
    """A replay handler answering the three Air4Thai paths."""
    def handler(request):
        if request.path == "/forweb/getHistoryData.php":
            return json_answer(history or fixture("history_38t.json"))
        if request.path == "/services/getNewAQI_JSON.php" and "stationID" in request.query:
            return json_answer(latest or fixture("station_38t.json"))
        if request.path == "/services/getNewAQI_JSON.php":
            return json_answer(everything or fixture("all_stations.json"))
        return 404, {}, b"not found"
    return handler


def test_gather_keeps_configured_stations_present_in_the_answer():
    with ReplayServer(routes()) as server:
        keys = adapter(server.url).gather()
    assert keys == ["38t", "39t", "40t"]  # 37t is configured but not in the answer
    assert [(r.path, r.query) for r in server.requests] == [("/services/getNewAQI_JSON.php", {})]


def test_fetch_asks_for_latest_and_history_and_bundles_them_verbatim():
    with ReplayServer(routes()) as server:
        source = adapter(server.url + "/")
        raw = source.fetch("38t")
    assert json.loads(raw) == {"latest": fixture("station_38t.json"),
                               "history": fixture("history_38t.json")}
    assert [(r.path, r.query) for r in server.requests] == [
        ("/services/getNewAQI_JSON.php", {"stationID": "38t"}),
        ("/forweb/getHistoryData.php", {
            "stationID": "38t", "param": "PM25,PM10,O3,CO,NO2,SO2", "type": "hr",
            "sdate": "2026-03-09", "edate": "2026-03-10", "stime": "00", "etime": "23"}),
    ]
    assert source.parse("38t", raw).observations == EXPECTED_38T_OBSERVATIONS


def test_history_window_ends_on_the_bangkok_date():
    late = datetime.datetime(2026, 3, 9, 18, 30, tzinfo=UTC)  # 01:30 on 10 March in Bangkok
    with ReplayServer(routes()) as server:
        Air4Thai(server.url, {"days": 7}, now=lambda: late).fetch("38t")
    assert (server.requests[1].query["sdate"], server.requests[1].query["edate"]) == (
        "2026-03-04", "2026-03-10")


def test_a_first_harvest_backfills_a_year_at_a_time():
    with ReplayServer(routes()) as server:
        raw = Air4Thai(server.url, {"days": 2, "backfill_days": 400}, now=lambda: NOW,
                       backfill=True).fetch("38t")
        Air4Thai(server.url, {"days": 2, "backfill_days": 400}, now=lambda: NOW).fetch("38t")
    windows = [(r.query["sdate"], r.query["edate"]) for r in server.requests
               if r.path == "/forweb/getHistoryData.php"]
    assert windows == [("2025-02-04", "2026-02-04"), ("2026-02-05", "2026-03-10"),  # the backfill
                       ("2026-03-09", "2026-03-10")]                                # then ``days``
    assert json.loads(raw)["history"] == [fixture("history_38t.json")] * 2
    assert adapter().parse("38t", raw).observations == EXPECTED_38T_OBSERVATIONS  # the same rows twice: kept once


def test_fetch_without_history_asks_once():
    with ReplayServer(routes(latest=fixture("station_40t_lastupdate.json"))) as server:
        raw = adapter(server.url, {"history": False}).fetch("40t")
    assert json.loads(raw)["history"] is None
    assert len(server.requests) == 1


def test_fetch_reads_utf8_with_a_byte_order_mark():
    body = "\ufeff" + fixture("station_38t.json")
    with ReplayServer(lambda request: json_answer(body)) as server:
        raw = adapter(server.url, {"history": False}).fetch("38t")
    assert adapter().parse("38t", raw).stations[0].name_th.startswith("โรงพยาบาล")


@pytest.mark.parametrize("answers, message", [
    ({"latest": fixture("station_38t.json")[:200]}, "latest: not valid JSON"),
    ({"history": fixture("history_38t.json")[:100]}, "history: not valid JSON"),
    ({"latest": "<html><body>Maintenance</body></html>"}, "latest: not valid JSON"),
    ({"latest": fixture("station_40t_lastupdate.json")}, "latest: not the station object of 38t"),
])
def test_fetch_refuses_broken_answers_with_source_error(answers, message):
    with ReplayServer(routes(**answers)) as server:
        with pytest.raises(http.SourceError, match=f"station 38t: unusable answer: {message}"):
            adapter(server.url).fetch("38t")


@pytest.mark.parametrize("body", [
    '{"stations": [{"stationID": "38t"', "[]", '{"stations": "38t"}'])
def test_gather_refuses_a_broken_station_list(body):
    with ReplayServer(routes(everything=body)) as server:
        with pytest.raises(http.SourceError, match="no list of stations"):
            adapter(server.url).gather()


def flaky(first_status, first_headers):
    """A handler that fails once with ``first_status``, then answers normally."""
    normal = routes()
    calls = []

    def handler(request):
        calls.append(request.path)
        if len(calls) == 1:
            return first_status, first_headers, b"busy"
        return normal(request)
    return handler


@pytest.mark.parametrize("status, headers, waits", [
    (429, {"Retry-After": "7"}, [7.0]),
    (500, {}, [2.0]),
])
def test_fetch_waits_and_retries_then_succeeds(status, headers, waits):
    slept = []
    with ReplayServer(flaky(status, headers)) as server:
        raw = adapter(server.url, sleep=slept.append).fetch("38t")
    assert slept == waits
    assert len(server.requests) == 3  # failed latest, latest, history
    assert json.loads(raw)["latest"] == fixture("station_38t.json")


def test_persistent_server_error_is_a_source_error():
    slept = []
    with ReplayServer(lambda request: (503, {}, b"down")) as server:
        with pytest.raises(http.SourceError, match="HTTP 503 after 4 attempts"):
            adapter(server.url, sleep=slept.append).gather()
    assert slept == [2.0, 4.0, 8.0]


def test_timeout_is_a_source_error():
    def slow(request):
        time.sleep(1)
        return json_answer(fixture("all_stations.json"))

    slept = []
    with ReplayServer(slow) as server:
        source = adapter(server.url, sleep=slept.append)
        source.timeout = 0.2
        with pytest.raises(http.SourceError, match="ReadTimeout"):
            source.gather()
    assert len(slept) == 3


def test_connection_refused_is_a_source_error():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(http.SourceError, match="ConnectionError"):
        adapter(f"http://127.0.0.1:{port}", sleep=lambda seconds: None).fetch("38t")
