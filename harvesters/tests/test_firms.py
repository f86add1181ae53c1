"""NASA FIRMS adapter: exact detections from the fixtures, every bad-row
class, FIRMS error answers, MAP_KEY masking, and the real fetching code
against a local replay server.

Fixtures (``fixtures/firms/``) are written for this project in the shape of
the area API's answers: VIIRS and MODIS CSV with ``acq_time`` lacking its
leading zeros, a header-only CSV, and the error bodies FIRMS sends with
HTTP 200.
"""
import datetime
import pathlib
import socket
import time

import pytest

from ckanext.maemoh.harvesters import http, model
from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.firms import Firms
from ckanext.maemoh.harvesters.replay import ReplayServer

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "firms"
UTC = datetime.timezone.utc
KEY = "0123456789abcdef0123456789abcdef"
VIIRS_HEADER = ("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,"
                "instrument,confidence,version,bright_ti5,frp,daynight")
MODIS_HEADER = ("latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,"
                "instrument,confidence,version,bright_t31,frp,daynight")
GOOD_VIIRS = "18.31245,99.7138,341.62,0.39,0.36,2026-03-10,612,N,VIIRS,n,2.0NRT,296.14,8.73,D"
GOOD_MODIS = "18.3127,99.7141,326.5,1.1,1.04,2026-03-10,330,Terra,MODIS,64,6.1NRT,301.2,17.3,D"


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def adapter(url="https://firms.test", **kwargs):
    config = {"map_key": KEY, **kwargs.pop("config", {})}
    return Firms(url, config, **kwargs)


def at(day, hour, minute):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def fire(source, lat, lon, time, brightness, frp, confidence, raw, satellite, daynight, row):
    instrument = "MODIS" if source.startswith("MODIS") else "VIIRS"
    return model.FireDetection(source, lat, lon, time, brightness, frp, confidence, raw,
                               satellite, instrument, daynight, f"{source}/row {row}")


# --- parsing the fixtures ---------------------------------------------------

def test_viirs_csv_gives_the_exact_detections():
    batch = adapter().parse("VIIRS_SNPP_NRT", fixture("viirs_snpp_nrt.csv"))
    s = "VIIRS_SNPP_NRT"
    assert batch.detections == [
        fire(s, 18.31245, 99.7138, at(10, 6, 12), 341.62, 8.73, "nominal", "n", "N", "D", 1),
        fire(s, 18.30871, 99.71702, at(10, 6, 12), 355.09, 21.45, "high", "h", "N", "D", 2),
        fire(s, 18.45213, 99.86544, at(10, 6, 12), 329.4, 3.12, "low", "l", "N", "D", 3),
        fire(s, 18.2216, 99.95831, at(10, 18, 54), 303.18, 1.86, "nominal", "n", "N", "N", 4),
        fire(s, 18.53902, 99.64417, at(11, 5, 54), 367.0, 57.9, "high", "h", "N", "D", 5),
    ]
    assert batch.rejects == batch.observations == batch.stations == []


def test_modis_csv_gives_the_exact_detections_on_one_confidence_scale():
    batch = adapter().parse("MODIS_NRT", fixture("modis_nrt.csv"))
    s = "MODIS_NRT"
    assert batch.detections == [
        fire(s, 18.3127, 99.7141, at(10, 3, 30), 326.5, 17.3, "nominal", "64", "Terra", "D", 1),
        fire(s, 18.4519, 99.8661, at(10, 6, 30), 318.9, 9.8, "low", "29", "Aqua", "D", 2),
        fire(s, 18.2875, 99.9903, at(11, 6, 43), 341.7, 38.6, "high", "80", "Aqua", "D", 3),
        fire(s, 18.5012, 99.6385, at(11, 15, 28), 309.2, 6.2, "nominal", "30", "Terra", "N", 4),
    ]
    assert batch.rejects == []


def test_header_only_csv_is_a_valid_empty_batch():
    batch = adapter().parse("VIIRS_NOAA20_NRT", fixture("viirs_noaa20_nrt_empty.csv"))
    assert batch == model.Batch()


def one_row(row, source="VIIRS_SNPP_NRT"):
    header = MODIS_HEADER if source.startswith("MODIS") else VIIRS_HEADER
    batch = adapter().parse(source, f"{header}\n{row}\n")
    return (batch.detections + batch.rejects)[0]


def viirs(**changes):
    """The good VIIRS row with some fields changed."""
    fields = dict(zip(VIIRS_HEADER.split(","), GOOD_VIIRS.split(",")))
    fields.update(changes)
    return ",".join(fields.values())


@pytest.mark.parametrize("acq_time, hour, minute", [
    ("5", 0, 5), ("45", 0, 45), ("712", 7, 12), ("0712", 7, 12), ("1854", 18, 54), ("0", 0, 0),
])
def test_acq_time_without_leading_zeros(acq_time, hour, minute):
    assert one_row(viirs(acq_time=acq_time)).time == at(10, hour, minute)


@pytest.mark.parametrize("confidence, scale", [
    ("0", "low"), ("29", "low"), ("30", "nominal"), ("79", "nominal"), ("80", "high"),
    ("100", "high"),
])
def test_modis_confidence_bands(confidence, scale):
    row = GOOD_MODIS.replace(",64,", f",{confidence},")
    detection = one_row(row, "MODIS_NRT")
    assert (detection.confidence, detection.confidence_raw) == (scale, confidence)


@pytest.mark.parametrize("row, reason", [
    (viirs(frp=""), "missing frp"),
    (viirs(latitude="", acq_date=""), "missing latitude, acq_date"),
    (viirs(latitude="18.3N"), "latitude '18.3N' is not a number"),
    (viirs(longitude="nan"), "longitude 'nan' is not a number"),
    (viirs(latitude="95.5"), "latitude/longitude 95.5,99.7138 outside WGS84"),
    (viirs(latitude="18.7"), "latitude/longitude 18.7,99.7138 outside the bbox"),
    (viirs(longitude="99.5"), "latitude/longitude 18.31245,99.5 outside the bbox"),
    (viirs(frp="-3.2"), "frp: impossible: -3.2 MW is below 0"),
    (viirs(frp="-1"), "frp: no-data sentinel -1"),
    (viirs(frp="25000"), "frp: impossible: 25000 MW is above 20000"),
    (viirs(frp="high"), "frp: not a number"),
    (viirs(bright_ti4="5000"), "bright_ti4 5000 K outside 150-700 K"),
    (viirs(bright_ti4="-12"), "bright_ti4 -12 K outside 150-700 K"),
    (viirs(confidence="x"), "confidence 'x' is not l, n or h"),
    (viirs(confidence="85"), "confidence '85' is not l, n or h"),
    (viirs(daynight="Day"), "daynight 'Day' is not D or N"),
    (GOOD_VIIRS.rsplit(",", 2)[0], "12 fields where the header has 14 (truncated row?)"),
    (GOOD_VIIRS + ",extra", "15 fields where the header has 14 (truncated row?)"),
])
def test_bad_rows_give_rejects_naming_the_problem(row, reason):
    record = one_row(row)
    assert record == model.Reject("VIIRS_SNPP_NRT", "firms", "fire-radiative-power", row,
                                  record.time, reason, "VIIRS_SNPP_NRT/row 1")


@pytest.mark.parametrize("acq_date, acq_time", [
    ("2026-03-10", "2460"), ("2026-03-10", "1275"), ("2026-03-10", "7:12"),
    ("2026-03-10", "12345"), ("2026-03-10", "ab"), ("2026-02-30", "612"), ("10/03/2026", "612"),
])
def test_unreadable_times_give_rejects_without_a_time(acq_date, acq_time):
    record = one_row(viirs(acq_date=acq_date, acq_time=acq_time))
    assert isinstance(record, model.Reject)
    assert (record.reason, record.time) == (f"unreadable time {acq_date!r} {acq_time!r}", None)


@pytest.mark.parametrize("confidence", ["101", "-5", "h", "50.5", ""])
def test_bad_modis_confidence_gives_a_reject(confidence):
    record = one_row(GOOD_MODIS.replace(",64,", f",{confidence},"), "MODIS_NRT")
    assert isinstance(record, model.Reject)
    assert "confidence" in record.reason


def test_bad_rows_do_not_stop_good_rows_and_rows_are_counted_from_one():
    csv = f"{VIIRS_HEADER}\n{GOOD_VIIRS}\n{viirs(frp='-3.2')}\n\n{viirs(acq_time='45')}\n"
    batch = adapter().parse("VIIRS_SNPP_NRT", csv)
    assert [d.raw_ref for d in batch.detections] == [
        "VIIRS_SNPP_NRT/row 1", "VIIRS_SNPP_NRT/row 3"]
    assert [r.raw_ref for r in batch.rejects] == ["VIIRS_SNPP_NRT/row 2"]
    assert batch.rejects[0].time == at(10, 6, 12)


def test_extra_columns_are_ignored():
    csv = f"country_id,{VIIRS_HEADER}\nTHA,{GOOD_VIIRS}\n"
    assert adapter().parse("VIIRS_SNPP_NRT", csv).detections == [
        fire("VIIRS_SNPP_NRT", 18.31245, 99.7138, at(10, 6, 12), 341.62, 8.73, "nominal", "n",
             "N", "D", 1)]


@pytest.mark.parametrize("source, raw, message", [
    ("VIIRS_SNPP_NRT", fixture("invalid_map_key.txt"),
     "not a FIRMS VIIRS CSV answer.*'Invalid MAP_KEY.'"),
    ("MODIS_NRT", fixture("error_page.html"), "not a FIRMS MODIS CSV answer.*'<!DOCTYPE html>'"),
    ("VIIRS_SNPP_NRT", "", "not a FIRMS VIIRS CSV answer"),
    ("VIIRS_SNPP_NRT", VIIRS_HEADER[:40], "no column acq_date, acq_time, satellite"),  # cut
    ("MODIS_NRT", fixture("viirs_snpp_nrt.csv"), "no column brightness"),      # wrong product
    ("VIIRS_SNPP_NRT", f"{VIIRS_HEADER}\n{'9' * 200_000}\n", "unreadable CSV"),  # runaway field
])
def test_error_answers_raise_value_error_never_zero_fires(source, raw, message):
    with pytest.raises(ValueError, match=message):
        adapter().parse(source, raw)


# --- configuration --------------------------------------------------------------

def test_defaults_are_filled_in():
    assert Firms.validate_config({"map_key": KEY}) == {
        "map_key": KEY,
        "sources": ["VIIRS_SNPP_NRT", "VIIRS_NOAA20_NRT", "VIIRS_NOAA21_NRT", "MODIS_NRT"],
        "bbox": [99.62, 18.19, 100.06, 18.63], "days": 2}


def test_map_key_is_required():
    with pytest.raises(ConfigError, match="^missing key.*: map_key"):
        Firms.validate_config({"days": 1})


@pytest.mark.parametrize("changes, key", [
    ({"map_key": ""}, "map_key"), ({"map_key": 1234}, "map_key"),
    ({"map_key": "abc/../x"}, "map_key"),
    ({"sources": []}, "sources"), ({"sources": "MODIS_NRT"}, "sources"),
    ({"sources": ["MODIS_NRT", "MODIS_NRT"]}, "sources"),
    ({"sources": ["MODIS_NRT", "LANDSAT_NRT"]}, "sources: unknown LANDSAT_NRT"),
    ({"bbox": [99.62, 18.19, 100.06]}, "bbox"), ({"bbox": "99.62,18.19,100.06,18.63"}, "bbox"),
    ({"bbox": [100.06, 18.19, 99.62, 18.63]}, "bbox: west and east"),
    ({"bbox": [99.62, 18.63, 100.06, 18.19]}, "bbox: south and north"),
    ({"bbox": [-190, 18.19, 100.06, 18.63]}, "bbox: west and east"),
    ({"bbox": [99.62, 18.19, 100.06, 95]}, "bbox: south and north"),
    ({"bbox": [99.62, 18.19, 100.06, True]}, "bbox"),
    ({"bbox": [99.62, 18.19, 100.06, "18.6"]}, "bbox"),
    ({"bbox": [99.62, 18.19, float("inf"), 18.63]}, "bbox"),
    ({"days": 0}, "days"), ({"days": 6}, "days"), ({"days": "2"}, "days"),
    ({"days": True}, "days"),
])
def test_config_errors_name_the_key(changes, key):
    with pytest.raises(ConfigError, match=f"^{key}") as error:
        Firms.validate_config({"map_key": KEY, **changes})
    assert "abc/../x" not in str(error.value)


def test_gather_gives_the_sources():
    assert adapter(config={"sources": ["MODIS_NRT", "VIIRS_NOAA21_NRT"]}).gather() == [
        "MODIS_NRT", "VIIRS_NOAA21_NRT"]


# --- fetching against a replay server ---------------------------------------------

def csv_answer(text, status=200, headers=None):
    return status, {"Content-Type": "text/csv", **(headers or {})}, text.encode("utf-8")


def test_fetch_asks_the_area_api_and_returns_the_csv_verbatim():
    with ReplayServer(lambda request: csv_answer(fixture("viirs_snpp_nrt.csv"))) as server:
        raw = adapter(server.url + "/").fetch("VIIRS_SNPP_NRT")
    assert raw == fixture("viirs_snpp_nrt.csv")
    assert [r.path for r in server.requests] == [
        f"/api/area/csv/{KEY}/VIIRS_SNPP_NRT/99.62,18.19,100.06,18.63/2"]


def test_fetch_of_a_header_only_answer_is_an_empty_batch():
    with ReplayServer(lambda request: csv_answer(fixture("viirs_noaa20_nrt_empty.csv"))) as server:
        source = adapter(server.url, config={"days": 5, "bbox": [99.6, 18.2, 100, 18.6]})
        raw = source.fetch("VIIRS_NOAA20_NRT")
    assert source.parse("VIIRS_NOAA20_NRT", raw) == model.Batch()
    assert server.requests[0].path == f"/api/area/csv/{KEY}/VIIRS_NOAA20_NRT/99.6,18.2,100,18.6/5"


def assert_masked(error):
    assert KEY not in str(error)
    assert error.value.__cause__ is None and error.value.__suppress_context__


@pytest.mark.parametrize("body, message", [
    (fixture("invalid_map_key.txt"), "FIRMS MODIS_NRT: MODIS_NRT: not a FIRMS MODIS CSV answer"),
    (fixture("error_page.html"), "not a FIRMS MODIS CSV answer"),
    (MODIS_HEADER[:30], "no column"),
    (f"Invalid request for key {KEY}",
     r"answer \(no column .*\): 'Invalid request for key \*\*\*'"),
])
def test_fetch_turns_error_bodies_into_a_masked_source_error(body, message):
    with ReplayServer(lambda request: csv_answer(body)) as server:
        with pytest.raises(http.SourceError, match=message) as error:
            adapter(server.url).fetch("MODIS_NRT")
    assert_masked(error)


def test_http_error_status_is_a_masked_source_error():
    with ReplayServer(lambda request: csv_answer(f"no such key {KEY}", status=403)) as server:
        with pytest.raises(http.SourceError,
                           match=r"/api/area/csv/\*\*\*/MODIS_NRT/.*HTTP 403") as error:
            adapter(server.url).fetch("MODIS_NRT")
    assert_masked(error)


@pytest.mark.parametrize("status, headers, waits", [
    (429, {"Retry-After": "30"}, [30.0]),
    (500, {}, [2.0]),
])
def test_fetch_waits_and_retries_then_succeeds(status, headers, waits):
    answers = [csv_answer("busy", status, headers), csv_answer(fixture("modis_nrt.csv"))]
    slept = []
    with ReplayServer(lambda request: answers.pop(0)) as server:
        raw = adapter(server.url, sleep=slept.append).fetch("MODIS_NRT")
    assert slept == waits
    assert raw == fixture("modis_nrt.csv")
    assert len(server.requests) == 2


def test_timeout_is_a_masked_source_error():
    def slow(request):
        time.sleep(1)
        return csv_answer(fixture("modis_nrt.csv"))

    slept = []
    with ReplayServer(slow) as server:
        source = adapter(server.url, sleep=slept.append)
        source.timeout = 0.2
        with pytest.raises(http.SourceError, match="ReadTimeout.*after 4 attempts") as error:
            source.fetch("MODIS_NRT")
    assert_masked(error)
    assert slept == [2.0, 4.0, 8.0]


def test_connection_refused_is_a_masked_source_error():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(http.SourceError, match="ConnectionError") as error:
        adapter(f"http://127.0.0.1:{port}", sleep=lambda seconds: None).fetch("VIIRS_SNPP_NRT")
    assert_masked(error)
