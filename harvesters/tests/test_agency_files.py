"""Agency files adapter: CSV and XLSX tables fetched from a replayed site."""
import base64
import datetime
import io
import json
import pathlib
import time
import urllib.parse

import openpyxl
import pytest

from ckanext.maemoh.harvesters import model
from ckanext.maemoh.harvesters.agency_files import AgencyFiles
from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.replay import ReplayServer

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "agency_files"
UTC = datetime.timezone.utc
CSV_TYPE = {"Content-Type": "text/csv"}
XLSX_TYPE = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# The monthly surface-water report of the fixture: Thai headers, BE months.
WATER = {
    "files": ["2567/water_quality_2567.csv"], "encoding": "cp874", "years": "be",
    "mapping": {"time": "เดือน", "time_format": "%m/%Y", "place": "รหัสจุดเก็บ",
                "variable": "พารามิเตอร์", "value": "ค่าที่ตรวจวัด", "unit": "หน่วย"},
    "variable_names": {"ความเป็นกรด-ด่าง": "water-ph", "pH": "water-ph",
                       "ออกซิเจนละลายน้ำ": "dissolved-oxygen", "บีโอดี": "bod"},
}
# Monthly PM10 per tambon in an XLSX workbook.
PM10 = {
    "files": ["pm10_monthly_2567.xlsx"], "sheet": "PM10",
    "mapping": {"time": "เดือน", "place": "ตำบล", "value": "PM10 เฉลี่ยรายเดือน (µg/m³)",
                "variable_code": "pm10", "unit_code": "ug/m3"},
}


def month_start(year, month):
    """00:00 Asia/Bangkok on the first of the month, in UTC."""
    return model.to_utc(datetime.datetime(year, month, 1))


def pm10_workbook():
    book = openpyxl.Workbook()
    book.active.title = "สรุป"
    book.active.append(["รายงานฝุ่นละออง อำเภอแม่เมาะ"])
    sheet = book.create_sheet("PM10")
    for row in (
        ["เดือน", "ตำบล", "PM10 เฉลี่ยรายเดือน (µg/m³)"],
        [datetime.datetime(2024, 1, 1), 520204, 88.6],
        [datetime.datetime(2024, 1, 1), 520205, 104.2],
        [datetime.datetime(2024, 2, 1), 520204, 121.9],
        [datetime.datetime(2024, 2, 1), "520205", None],
        [],
        ["2024-03-01", 520201.0, "97.3"],
        ["2024-03-01T00:00:00+07:00", 520203, 95],
        [datetime.datetime(2567, 3, 1), 520202, 90.0],
    ):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


class Site:
    """A replayed agency web site: path -> queue of answers, the last repeats."""

    def __init__(self, answers):
        self.answers = {path: list(queue) for path, queue in answers.items()}

    def __call__(self, request):
        queue = self.answers.get(urllib.parse.unquote(request.path))
        if not queue:
            return 404, {"Content-Type": "text/html"}, b"<html>not found</html>"
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer() if callable(answer) else answer


@pytest.fixture
def site():
    handler = Site({
        "/reports/index.html": [(200, {"Content-Type": "text/html"},
                                 (FIXTURES / "index.html").read_bytes())],
        "/reports/2567/water_quality_2567.csv": [
            (200, CSV_TYPE, (FIXTURES / "water_quality_2567.csv").read_bytes())],
        "/reports/pm10_monthly_2567.xlsx": [(200, XLSX_TYPE, pm10_workbook())],
    })
    with ReplayServer(handler) as server:
        handler.server = server
        handler.base = server.url + "/reports"
        yield handler


def agency(base, config, waits=None):
    return AgencyFiles(base, config, sleep=(waits if waits is not None else []).append)


def test_gather_files_relative_or_absolute():
    files = AgencyFiles("https://env.example.org/reports/", {
        **PM10, "files": ["2567/a.csv", "https://other.example.org/b.xlsx", " 2567/a.csv"]})

    assert files.gather() == ["https://env.example.org/reports/2567/a.csv",
                              "https://other.example.org/b.xlsx"]


def test_gather_the_csv_and_xlsx_links_of_an_index_page(site):
    files = agency(site.base, {**WATER, "files": [], "index": "index.html"})

    # The page comes without a charset: read as UTF-8, so Thai file names survive.
    assert files.gather() == [
        site.base + "/2567/water_quality_2567.csv",
        site.server.url + "/files/pm10_monthly_2567.xlsx",
        site.base + "/รายงานขยะ_2567.CSV",
        "https://data.example.org/dataset/energy.xlsx?download=1",
    ]


def test_an_index_page_without_file_links_is_an_error(site):
    site.answers["/reports/index.html"] = [(200, {"Content-Type": "text/html"},
                                            b"<html><a href='a.pdf'>pdf</a></html>")]

    with pytest.raises(SourceError, match="no links to .csv or .xlsx files"):
        agency(site.base, {**WATER, "files": [], "index": "index.html"}).gather()


def test_thai_csv_in_cp874_with_buddhist_era_months(site):
    files = agency(site.base, WATER)
    key, = files.gather()

    raw = files.fetch(key)
    batch = files.parse(key, raw)

    assert raw == (FIXTURES / "water_quality_2567.csv").read_bytes().decode("cp874")
    january, february = month_start(2024, 1), month_start(2024, 2)
    assert january == datetime.datetime(2023, 12, 31, 17, tzinfo=UTC)

    def observation(place, variable, value, unit, time, row):
        return model.Observation(place, "agency", variable, value, unit, "P1M", time,
                                 model.UNCHECKED, f"water_quality_2567.csv#row {row}")

    def reject(place, variable, raw_value, time, reason, row):
        return model.Reject(place, "agency", variable, raw_value, time, reason,
                            f"water_quality_2567.csv#row {row}")

    assert batch.stations == []
    assert batch.observations == [
        observation("MM-W01", "water-ph", 7.4, "[pH]", january, 2),
        observation("MM-W01", "dissolved-oxygen", 6.2, "mg/L", january, 3),
        observation("MM-W01", "bod", 1.8, "mg/L", january, 4),
        observation("MM-W02", "water-ph", 7.9, "[pH]", january, 5),
        observation("MM-W02", "dissolved-oxygen", 5.1, "mg/L", january, 6),
        observation("MM-W01", "water-ph", 7.1, "[pH]", february, 7),
        observation("MM-W02", "bod", 2.4, "mg/L", february, 18),
    ]
    assert batch.rejects == [
        reject("MM-W01", "dissolved-oxygen", "-", february, "no data", 8),
        reject("MM-W01", "bod", "<1.0", february, "not a number", 9),
        reject("MM-W01", "ปริมาณขยะมูลฝอย", "118.5", february,
               "unknown variable 'ปริมาณขยะมูลฝอย'", 10),
        reject("MM-W02", "water-ph", "7.0", None, "bad time '13/2567' (expected %m/%Y)", 11),
        reject("", "water-ph", "7.2", february, "missing place", 12),
        reject("MM-W01", "water-ph", "7.3", february, "duplicate of row 7", 13),
        reject("MM-W02", "water-ph", "15.2", february, "impossible: 15.2 [pH] is above 14", 14),
        reject("MM-W02", "dissolved-oxygen", "-3", february, "impossible: -3 mg/L is below 0", 15),
        # row 16 is blank
        reject("MM-W02", "bod", "2.1", None, "year 2024 is not a Buddhist-Era year", 17),
        reject("MM-W02", "", "", february,
               "missing cell(s): พารามิเตอร์, ค่าที่ตรวจวัด, หน่วย", 19),  # the file is cut short
    ]


def test_xlsx_sheet_with_date_cells_text_dates_and_numeric_tambon_codes(site):
    files = agency(site.base, PM10)
    key, = files.gather()

    raw = files.fetch(key)
    batch = files.parse(key, raw)

    wrapper = json.loads(raw)
    assert (wrapper["url"], wrapper["content_type"]) == (key, XLSX_TYPE["Content-Type"])
    assert base64.b64decode(wrapper["base64"])[:2] == b"PK"

    def observation(place, value, time, row):
        return model.Observation(place, "agency", "pm10", value, "ug/m3", "P1M", time,
                                 model.UNCHECKED, f"pm10_monthly_2567.xlsx#row {row}")

    march = month_start(2024, 3)
    assert march == datetime.datetime(2024, 2, 29, 17, tzinfo=UTC)
    assert batch.observations == [
        observation("520204", 88.6, month_start(2024, 1), 2),
        observation("520205", 104.2, month_start(2024, 1), 3),
        observation("520204", 121.9, month_start(2024, 2), 4),
        observation("520201", 97.3, march, 7),
        observation("520203", 95.0, march, 8),  # the offset in the cell is kept
    ]
    assert batch.rejects == [
        model.Reject("520205", "agency", "pm10", "", month_start(2024, 2), "no data",
                     "pm10_monthly_2567.xlsx#row 5"),
        model.Reject("520202", "agency", "pm10", "90", None,
                     'year 2567 looks Buddhist-Era: set years to "be"',
                     "pm10_monthly_2567.xlsx#row 9"),
    ]


def test_xlsx_buddhist_era_date_cells():
    book = openpyxl.Workbook()
    book.active.append(["month", "tambon", "pm10"])
    book.active.append([datetime.datetime(2567, 3, 1), 520202, 90])
    book.active.append([datetime.datetime(2024, 3, 1), 520202, 91])
    data = io.BytesIO()
    book.save(data)
    raw = json.dumps({"url": "x.xlsx", "content_type": "",
                      "base64": base64.b64encode(data.getvalue()).decode()})
    files = AgencyFiles("http://agency.invalid", {
        **PM10, "sheet": "", "years": "be",
        "mapping": {**PM10["mapping"], "time": "month", "place": "tambon", "value": "pm10"}})

    batch = files.parse("http://agency.invalid/x.xlsx", raw)

    assert [(o.value, o.time) for o in batch.observations] == [(90.0, month_start(2024, 3))]
    assert [r.reason for r in batch.rejects] == ["year 2024 is not a Buddhist-Era year"]


def test_utf8_csv_with_iso_times_unit_column_and_thousands_separators():
    text = ("date,station,variable,value,unit\n"
            "2024-02-15T09:00:00,40t,PM10,\"1,234.5\",µg/m³\n"  # naive: Asia/Bangkok
            "2024-02-15T09:00:00+00:00,40t,pm10,0.118,mg/m3\n"  # zoned: kept
            "2024-02-15,40t,pm10,87,furlong\n"
            "2024-02-15,40t,pm10,2500,ug/m3\n")
    files = AgencyFiles("http://agency.invalid", {"files": ["pm.csv"], "mapping": {
        "time": "date", "place": "station", "variable": "variable", "value": "value",
        "unit": "unit", "averaging_period": "PT24H"}})

    batch = files.parse("http://agency.invalid/pm.csv", text)

    assert [(o.value, o.averaging_period, o.time, o.raw_ref) for o in batch.observations] == [
        (1234.5, "PT24H", datetime.datetime(2024, 2, 15, 2, tzinfo=UTC), "pm.csv#row 2"),
        (118.0, "PT24H", datetime.datetime(2024, 2, 15, 9, tzinfo=UTC), "pm.csv#row 3"),
    ]
    assert [(r.reason, r.raw_ref) for r in batch.rejects] == [
        ("unknown unit 'furlong'", "pm.csv#row 4"),
        ("impossible: 2500 ug/m3 is above 2000", "pm.csv#row 5"),
    ]


def test_places_with_coordinates_are_points_and_others_stay_places():
    text = ("date,code,name,lat,lon,parameter,value,unit\n"
            "10/01/2569,MM02,ห้วยแม่เมาะ,18.276,99.742,Mn,1.2,mg/l\n"
            "10/02/2569,MM02,other name,18.3,99.8,Mn,0.9,mg/l\n"        # the first row's point counts
            "10/01/2569,520201,บ้านดง,,,Mn,0.1,mg/l\n"                   # no coordinates: a place
            "10/01/2569,MM09,bad,north,99.7,Mn,0.2,mg/l\n"
            "10/01/2569,MM10,bad,95,99.7,Mn,0.2,mg/l\n")
    files = AgencyFiles("http://agency.invalid", {"files": ["w.csv"], "years": "be", "mapping": {
        "time": "date", "time_format": "%d/%m/%Y", "place": "code", "place_name": "name",
        "latitude": "lat", "longitude": "lon", "variable": "parameter", "value": "value", "unit": "unit",
        "averaging_period": "instant"}, "variable_names": {"Mn": "manganese"}})

    batch = files.parse("http://agency.invalid/w.csv", text)

    assert [(s.station_id, s.name_th, s.latitude, s.longitude, s.variables) for s in batch.stations] == [
        ("MM02", "ห้วยแม่เมาะ", 18.276, 99.742, ("manganese",))]
    assert [(o.station_id, o.value, o.averaging_period) for o in batch.observations] == [
        ("MM02", 1.2, "instant"), ("MM02", 0.9, "instant"), ("520201", 0.1, "instant")]
    assert [(r.station_id, r.reason) for r in batch.rejects] == [
        ("MM09", "latitude, longitude: not a point on the globe"),
        ("MM10", "latitude, longitude: not a point on the globe")]
    without = files.parse("http://agency.invalid/w.csv", "date,code,parameter,value,unit\n"
                                                         "10/01/2569,520201,Mn,0.1,mg/l\n")
    assert not without.stations and len(without.observations) == 1  # the columns may be missing


def test_the_timezone_of_the_mapping_reads_naive_times():
    files = AgencyFiles("http://agency.invalid", {"files": ["pm.csv"], "mapping": {
        "time": "t", "timezone": "UTC", "place": "p", "variable_code": "pm25",
        "unit_code": "ug/m3", "value": "v"}})

    batch = files.parse("http://agency.invalid/pm.csv", "t,p,v\n2024-02-15 09:00,40t,41\n")

    assert batch.observations[0].time == datetime.datetime(2024, 2, 15, 9, tzinfo=UTC)


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("เดือน,รหัสจุดเก็บ,พารามิเตอร์,ค่าที่ตรวจวัด,หน่วย\r\n\r\n", "no data rows"),
    ('เดือน,รหัสจุดเก็บ,พารามิเตอร์,ค่าที่ตรวจวัด,หน่วย\n01/2567,MM-W01,"ความเป็น',
     "unreadable CSV"),
    ("เดือน,รหัสจุดเก็บ,พารามิเตอร์,ค่า,หน่วย\n01/2567,MM-W01,บีโอดี,1.8,mg/L\n",
     r"no column 'ค่าที่ตรวจวัด' \(mapping.value\)"),
])
def test_unreadable_csv_files_are_errors_not_empty_batches(text, message):
    with pytest.raises(SourceError, match=message):
        AgencyFiles("http://agency.invalid", WATER).parse("http://agency.invalid/w.csv", text)


def test_unreadable_xlsx_files_are_errors_not_empty_batches():
    data = pm10_workbook()
    files = AgencyFiles("http://agency.invalid", PM10)

    def wrapped(content):
        return json.dumps({"url": "p.xlsx", "content_type": "",
                           "base64": base64.b64encode(content).decode()})

    for raw, message in [
        (wrapped(data[:len(data) // 2]), "unreadable XLSX file"),  # cut short
        (wrapped(data[:-40] + b"\0" * 40), "unreadable XLSX file"),  # corrupt end
        (wrapped(b"PK\x03\x04" + b"\0" * 100), "unreadable XLSX file"),
        (wrapped(data)[:300], "unreadable XLSX payload"),  # the harvest object cut short
        ('{"url": "p.xlsx", "base64": "not base64!"}', "unreadable XLSX payload"),
    ]:
        with pytest.raises(SourceError, match=message):
            files.parse("http://agency.invalid/p.xlsx", raw)
    with pytest.raises(SourceError, match=r"no sheet 'PM10 2566' \(sheet\)"):
        AgencyFiles("http://agency.invalid", {**PM10, "sheet": "PM10 2566"}).parse(
            "http://agency.invalid/p.xlsx", wrapped(data))


def test_fetch_tells_xlsx_from_the_content_type_when_the_link_has_no_suffix(site):
    site.answers["/reports/download"] = [(200, XLSX_TYPE, pm10_workbook())]
    files = agency(site.base, {**PM10, "files": ["download?id=17"]})

    key, = files.gather()
    batch = files.parse(key, files.fetch(key))

    assert [o.raw_ref for o in batch.observations][:1] == ["download#row 2"]


@pytest.mark.parametrize("path, answer, message", [
    ("/reports/2567/water_quality_2567.csv", (200, CSV_TYPE, "ค่า".encode("cp874")),
     'not utf-8 text .* "cp874"'),
    ("/reports/2567/water_quality_2567.csv",
     (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html>login</html>"),
     "an HTML page, not a CSV file"),
    ("/reports/2567/water_quality_2567.csv", (404, CSV_TYPE, b"gone"), "HTTP 404"),
    ("/reports/pm10_monthly_2567.xlsx", (200, XLSX_TYPE, b"<html>login</html>"),
     "not an XLSX file"),
    ("/reports/data", (200, {"Content-Type": "application/pdf"}, b"%PDF"),
     "the Content-Type 'application/pdf' does not tell"),
])
def test_fetch_errors(site, path, answer, message):
    site.answers[path] = [answer]
    files = agency(site.base, {**WATER, "encoding": "utf-8"})

    with pytest.raises(SourceError, match=message):
        files.fetch(site.server.url + path)


def test_http_429_then_success(site):
    path = "/reports/2567/water_quality_2567.csv"
    site.answers[path].insert(0, (429, {"Retry-After": "5"}, b"slow down"))
    waits = []
    files = agency(site.base, WATER, waits)

    files.fetch(site.base + "/2567/water_quality_2567.csv")

    assert waits == [5.0]


def test_http_500_then_success(site):
    site.answers["/reports/index.html"].insert(0, (500, {}, b"error"))
    waits = []

    keys = agency(site.base, {**WATER, "files": [], "index": "index.html"}, waits).gather()

    assert len(keys) == 4 and waits == [2.0]


def test_timeout_is_a_source_error(site):
    def slow():
        time.sleep(0.3)
        return 200, CSV_TYPE, b"x"
    site.answers["/reports/slow.csv"] = [slow]
    files = agency(site.base, WATER)
    files.timeout = 0.05

    with pytest.raises(SourceError, match=r"ReadTimeout.*after 4 attempts"):
        files.fetch(site.base + "/slow.csv")


def test_defaults_are_filled_in():
    config = AgencyFiles.validate_config({"index": "https://example.org/i.html",
                                          "mapping": PM10["mapping"]})

    assert config["mapping"] == {**PM10["mapping"], "time_format": "iso",
                                 "timezone": "Asia/Bangkok", "variable": "", "unit": "",
                                 "averaging_period": "P1M", "latitude": "", "longitude": "", "place_name": ""}
    assert (config["encoding"], config["years"], config["sheet"]) == ("utf-8", "ce", "")


def with_mapping(**changes):
    mapping = {**WATER["mapping"], **changes}
    return {**WATER, "mapping": {k: v for k, v in mapping.items() if v is not None}}


@pytest.mark.parametrize("config, key", [
    ({**WATER, "files": [], "index": ""}, "files, index"),
    ({**WATER, "index": "index.html"}, "files, index"),
    ({**WATER, "files": "a.csv"}, "files"),
    ({**WATER, "files": ["a.csv", ""]}, "files"),
    ({**WATER, "index": 3, "files": []}, "index"),
    ({"files": ["a.csv"]}, "mapping"),
    ({**WATER, "mapping": ["time"]}, "mapping"),
    ({**WATER, "delimiter": ";"}, "delimiter"),
    (with_mapping(value=None), "mapping.value"),
    (with_mapping(place=""), "mapping.place"),
    (with_mapping(time=3), "mapping.time"),
    (with_mapping(column="x"), "mapping: unknown key.*column"),
    (with_mapping(variable_code="bod"), "mapping.variable, mapping.variable_code"),
    (with_mapping(variable=None), "mapping.variable, mapping.variable_code"),
    (with_mapping(unit_code="mg/L"), "mapping.unit, mapping.unit_code"),
    (with_mapping(variable=None, variable_code="noise-level"), "mapping.variable_code"),
    (with_mapping(unit=None, unit_code="furlong"), "mapping.unit_code"),
    (with_mapping(time_format="mm/yyyy"), "mapping.time_format"),
    (with_mapping(time_format="%m/%y"), "mapping.time_format"),  # BE needs %Y
    (with_mapping(timezone="Asia/Lampang"), "mapping.timezone"),
    (with_mapping(averaging_period="monthly"), "mapping.averaging_period"),
    (with_mapping(latitude="lat"), "mapping.latitude, mapping.longitude"),
    ({**WATER, "years": "BE"}, "years"),
    ({**WATER, "encoding": "klingon-8"}, "encoding"),
    ({**WATER, "sheet": 1}, "sheet"),
    ({**WATER, "variable_names": ["pH"]}, "variable_names"),
    ({**WATER, "variable_names": {"ขยะ": "noise-level"}}, "variable_names.ขยะ"),
])
def test_config_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        AgencyFiles.validate_config(config)
