"""Traffy Fondue adapter: the real fetching code against a replayed public API."""
import datetime
import json
import pathlib

import pytest

from ckanext.maemoh.harvesters import egress, model
from ckanext.maemoh.harvesters.base import ConfigError
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer
from ckanext.maemoh.harvesters.traffy import CATEGORIES, Traffy, category

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "traffy"
UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 3, 14, 4, 0, tzinfo=UTC)  # 11:00 in Bangkok
GEOJSON = "/teamchadchart-stat-api/geojson/v1"
SEARCH = "/share/teamchadchart/search"
BANGKOK_BBOX = [100.3, 13.5, 100.9, 14.0]


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def utc(day, hour, minute=0, second=0, micro=0):
    return datetime.datetime(2024, 3, day, hour, minute, second, micro, tzinfo=UTC)


class Api:
    """The replayed API: pages of a fixture by offset // limit, an empty
    page after the last; a queue of special answers first."""

    def __init__(self):
        self.queued = []

    def __call__(self, request):
        if self.queued:
            answer = self.queued.pop(0)
            return answer() if callable(answer) else answer
        kind = {GEOJSON: "geojson", SEARCH: "search"}.get(request.path)
        if kind is None:
            return json_answer('{"message": "not found"}', 404)
        number = int(request.query["offset"]) // int(request.query["limit"])
        page = FIXTURES / f"{kind}_page{number}.json"
        if page.exists():
            return json_answer(page.read_bytes())
        return json_answer('{"type": "FeatureCollection", "features": []}' if kind == "geojson"
                           else '{"status": true, "total": 48213, "results": []}')


@pytest.fixture
def api():
    handler = Api()
    with ReplayServer(handler) as server:
        handler.server = server
        yield handler


def traffy(server, path=GEOJSON, waits=None, since=None, **config):
    return Traffy(server.url + path, {"page_limit": 4, "days": 1, **config},
                  now=lambda: NOW, since=since,
                  sleep=(waits if waits is not None else []).append)


def test_gather_is_one_key():
    assert Traffy("https://publicapi.traffy.in.th" + GEOJSON, {}).gather() == ["reports"]


def test_fetch_pages_with_offset_and_limit_until_a_short_page(api):
    raw = traffy(api.server, params={"name": "Mae Moh platform", "purpose": "research"}).fetch(
        "reports")

    assert [(r.path, r.query) for r in api.server.requests] == [
        (GEOJSON, {"name": "Mae Moh platform", "purpose": "research", "output_format": "geojson",
                   "start": "2024-03-13", "offset": str(offset), "limit": "4"})
        for offset in (0, 4, 8)]
    bundle = json.loads(raw)
    assert bundle["window"] == {"since": "2024-03-13T04:00:00+00:00",
                                "until": "2024-03-14T04:00:00+00:00"}
    assert bundle["pages"] == [json.loads(fixture(f"geojson_page{n}.json")) for n in range(3)]


def test_parse_maps_categories_statuses_times_and_skips_bad_tickets(api):
    adapter = traffy(api.server)

    batch = adapter.parse("reports", adapter.fetch("reports"))

    first, dumping, water, road, ash = batch.reports
    assert first == model.CitizenReport(
        source="traffy", report_id="2024-8XKQ2M", category="smoke-burning",  # "เผา" in the text
        source_categories=("ฝุ่นควัน&กลิ่น&PM2.5",),
        text="มีการเผาตอซังข้าวโพดบนเนินเขาหลังหมู่บ้านหัวฝาย ควันลอยเข้าบ้านทั้งคืน "
             "เด็กไอไม่หยุด\n"
             "ติดต่อกลับ [โทรศัพท์] หรือ [อีเมล]",
        time=utc(14, 2, 15, 42),  # 09:15:42 in Bangkok, no offset given
        longitude=99.7342, latitude=18.3011, status="new",
        photo_url="https://storage.googleapis.com/traffy_public_bucket/attachment/2024-03/"
                  "1710382542118.jpeg",
        place_text="บ้านหัวฝาย ตำบลแม่เมาะ อำเภอแม่เมาะ ลำปาง 52220 ประเทศไทย")
    assert (dumping.report_id, dumping.category, dumping.source_categories, dumping.status,
            dumping.time) == ("2024-7WJD4P", "waste-dumping", ("ความสะอาด", "ขยะ"),
                              "in-progress", utc(14, 1, 40))
    assert dumping.photo_url.startswith("http://storage.googleapis.com/")
    assert (water.category, water.status, water.time) == (
        "water-colour", "done", utc(13, 22, 10, 27, 481921))
    assert len(water.text) == 500 and water.text.endswith("…")
    assert water.text.startswith("* ปัญหา: น้ำในลำห้วยแม่เมาะ") and "\r" not in water.text
    assert (road.category, road.status, road.photo_url) == ("other", "rejected", None)  # ftp
    # problem_type_fondue as JSON text, province as a list, "เถ้า" in the text
    assert (ash.report_id, ash.category, ash.status, ash.photo_url, ash.place_text) == (
        "2024-1AYB7N", "ash", "in-progress", None, "แม่เมาะ อำเภอแม่เมาะ ลำปาง")

    assert [(r.station_id, r.reason, r.raw_ref) for r in batch.rejects] == [
        ("2024-6QPL9T", "no readable coordinates", "pages[0].features[2]"),
        ("2024-2KDF3W", "unreadable timestamp", "pages[1].features[2]"),
        ("2024-7WJD4P", "duplicate of pages[0].features[1]", "pages[1].features[3]"),
        ("2024-0ZZP1Q", "unknown state 'paused'", "pages[2].features[1]"),
    ]
    assert {(r.network, r.variable) for r in batch.rejects} == {("traffy", "citizen-report")}
    assert batch.rejects[1].raw_value == "14/03/2024 07:00" and batch.rejects[1].time is None
    # Outside the bbox (Lampang town) and before since: left out, not faults.
    kept = {r.report_id for r in batch.reports} | {r.station_id for r in batch.rejects}
    assert not kept & {"2024-5HNM2C", "2024-0YXW9R"}
    assert batch.observations == batch.stations == batch.detections == []


def test_parse_is_deterministic_and_uses_the_window_of_the_payload(api):
    raw = traffy(api.server).fetch("reports")
    later = Traffy("http://traffy.invalid" + GEOJSON, {},
                   now=lambda: NOW + datetime.timedelta(days=9))

    assert later.parse("reports", raw) == traffy(api.server).parse("reports", raw)


def test_since_is_sent_as_the_bangkok_date_and_filters_the_reports(api):
    since = datetime.datetime(2024, 3, 14, 8, 0, tzinfo=model.BANGKOK)  # 01:00 UTC
    adapter = traffy(api.server, since=since)

    batch = adapter.parse("reports", adapter.fetch("reports"))

    assert api.server.requests[0].query["start"] == "2024-03-14"
    assert [r.report_id for r in batch.reports] == ["2024-8XKQ2M", "2024-7WJD4P"]
    # 2024-6QPL9T (no coordinates) was filed at 00:55 UTC: before since, so no reject.
    assert [r.reason for r in batch.rejects] == [
        "unreadable timestamp", "duplicate of pages[0].features[1]"]


def test_backfill_days_on_a_first_harvest(api):
    Traffy(api.server.url + GEOJSON, {"days": 1, "backfill_days": 30}, now=lambda: NOW,
           backfill=True).fetch("reports")

    assert api.server.requests[0].query["start"] == "2024-02-13"


def test_search_api_stops_at_a_page_older_than_since(api):
    adapter = traffy(api.server, SEARCH, api="search", page_limit=3, bbox=BANGKOK_BBOX)

    raw = adapter.fetch("reports")
    batch = adapter.parse("reports", raw)

    assert [r.query for r in api.server.requests] == [
        {"offset": "0", "limit": "3"}, {"offset": "3", "limit": "3"}]  # total is 48213
    burning, smell = batch.reports
    assert (burning.report_id, burning.category, burning.source_categories, burning.time,
            burning.longitude, burning.latitude, burning.status) == (
        "KVYZWH", "smoke-burning", ("ฝุ่นควัน", "การเผา"), utc(14, 3, 26, 26, 117157),
        100.58395, 13.71421, "new")
    assert burning.text.splitlines() == [
        "* ปัญหา: ลักลอบเผาขยะในที่ดินว่างเปล่า ควันเข้าบ้าน", "* จุดเกิดเหตุ: ซอยสุขุมวิท 42",
        "* บ้านเลขที่:", "* เขต:คลองเตย"]
    # coords as one "lon,lat" text; no category given (the "{}" of type) -> other
    assert (smell.report_id, smell.longitude, smell.latitude, smell.source_categories,
            smell.category, smell.status) == (
        "KVYZWK", 100.61234, 13.66789, (), "other", "in-progress")
    reject, = batch.rejects
    assert (reject.station_id, reject.raw_value, reject.reason, reject.raw_ref) == (
        "KVYZWJ", "", "no readable coordinates", "pages[0].results[1]")


def test_search_api_stops_at_total(api):
    api.queued = [json_answer(json.dumps({"status": True, "total": 3, "results": json.loads(
        fixture("search_page0.json"))["results"]}, ensure_ascii=False))]

    traffy(api.server, SEARCH, api="search", page_limit=3).fetch("reports")

    assert len(api.server.requests) == 1


def test_provinces_and_districts_filter_by_the_place_fields_or_the_address():
    def ticket(ticket_id, **place):
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [99.7, 18.3]},
                "properties": {"ticket_id": ticket_id, "timestamp": "2024-03-14 09:00:00",
                               "problem_type_fondue": ["ขยะ"], **place}}
    page = {"type": "FeatureCollection", "features": [
        ticket("A", province="จังหวัดลำปาง", district="อ.แม่เมาะ"),
        ticket("B", province="ลำพูน", district="แม่เมาะ"),
        ticket("C", province="ลำปาง", district="เมืองลำปาง"),
        ticket("D", address="ตำบลสบป้าด อำเภอแม่เมาะ ลำปาง 52220"),
        ticket("E", address="อำเภอเมืองลำพูน ลำพูน"),
    ]}
    raw = json.dumps({"window": {"since": "2024-03-13T04:00:00+00:00",
                                 "until": "2024-03-14T04:00:00+00:00"}, "pages": [page]})
    adapter = Traffy("http://traffy.invalid",
                     {"provinces": ["ลำปาง"], "districts": ["อำเภอแม่เมาะ"]})

    batch = adapter.parse("reports", raw)

    assert [r.report_id for r in batch.reports] == ["A", "D"]
    assert batch.rejects == []


@pytest.mark.parametrize("record, reason", [
    ("oops", "not a JSON object"),
    ({"type": "Feature", "geometry": None, "properties": ["x"]}, "not a JSON object"),
    ({"ticket_id": "X1", "coords": ["99.7", "18.3"]}, "no timestamp"),
    ({"ticket_id": "X1", "coords": ["99.7", "18.3"], "timestamp": 1710380000},
     "unreadable timestamp"),
    ({"ticket_id": "X1", "coords": ["99.7", "18.3"], "timestamp": "yesterday"},
     "unreadable timestamp"),
    ({"ticket_id": "X1", "coords": ["99.7", "18.3"], "timestamp": "2024-03-15 09:00:00+07"},
     "timestamp after the fetch"),
    ({"ticket_id": "X1", "timestamp": "2024-03-14 09:00:00"}, "no readable coordinates"),
    ({"ticket_id": "X1", "coords": ["ไม่ระบุ", "18.3"], "timestamp": "2024-03-14 09:00:00"},
     "no readable coordinates"),
    ({"ticket_id": "X1", "coords": [0, 0], "timestamp": "2024-03-14 09:00:00"},
     "no readable coordinates"),
    ({"ticket_id": "X1", "coords": ["NaN", "18.3"], "timestamp": "2024-03-14 09:00:00"},
     "no readable coordinates"),
    ({"ticket_id": "X1", "coords": [True, 18.3], "timestamp": "2024-03-14 09:00:00"},
     "no readable coordinates"),
    ({"ticket_id": "X1", "coords": ["99.7", "18.3", "0"], "timestamp": "2024-03-14 09:00:00"},
     "no readable coordinates"),
    ({"ticket_id": "X1", "coords": ["199.7", "18.3"], "timestamp": "2024-03-14 09:00:00"},
     "no readable coordinates"),
    ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[99.7, 18.3]]},
      "properties": {"ticket_id": "X1", "timestamp": "2024-03-14 09:00:00"}},
     "no readable coordinates"),
    ({"ticket_id": " ", "coords": ["99.7", "18.3"], "timestamp": "2024-03-14 09:00:00"},
     "no ticket_id"),
    ({"ticket_id": "X1", "coords": ["99.7", "18.3"], "timestamp": "2024-03-14 09:00:00",
      "state": "รออนุมัติ"}, "unknown state 'รออนุมัติ'"),
])
def test_a_bad_ticket_is_a_reject_never_a_crash(record, reason):
    raw = json.dumps({"window": {"since": "2024-03-13T04:00:00+00:00",
                                 "until": "2024-03-14T04:00:00+00:00"},
                      "pages": [{"results": [record]}]}, ensure_ascii=False)

    batch = Traffy("http://traffy.invalid", {}).parse("reports", raw)

    assert batch.reports == [] and [r.reason for r in batch.rejects] == [reason]


def test_a_ticket_without_state_is_new_and_a_z_time_is_utc():
    record = {"ticket_id": "X2", "coords": [99.7, 18.3], "timestamp": "2024-03-14T01:00:00Z",
              "comment": "  ขยะ  ", "photo": "https://example.org/p.jpg", "district": "แม่เมาะ",
              "province": "ลำปาง", "type": "{ขยะ,อื่นๆ}"}
    raw = json.dumps({"window": {"since": "2024-03-13T04:00:00+00:00",
                                 "until": "2024-03-14T04:00:00+00:00"},
                      "pages": [{"results": [record]}]}, ensure_ascii=False)

    report, = Traffy("http://traffy.invalid", {}).parse("reports", raw).reports

    assert (report.status, report.time, report.text, report.photo_url, report.place_text,
            report.source_categories, report.category) == (
        "new", utc(14, 1), "ขยะ", "https://example.org/p.jpg", "แม่เมาะ ลำปาง",
        ("ขยะ", "อื่นๆ"), "waste-dumping")


@pytest.mark.parametrize("names, text, expected", [
    (("ขยะ", "การเผา"), "", "smoke-burning"),
    (("ฝุ่นควัน&กลิ่น&PM2.5",), "ฝุ่นจากรถขนดิน", "dust"),
    (("ฝุ่นควัน&กลิ่น&PM2.5",), "มีกลิ่นเหม็นจากบ่อ", "odour"),
    (("ฝุ่นควัน&กลิ่น&PM2.5",), "ไฟไหม้หญ้าข้างทาง", "smoke-burning"),
    (("PM2.5",), "มีกลิ่น", "dust"),  # only the combined category is refined by the text
    (("กลิ่น", "น้ำเน่าเสีย"), "", "odour"),
    (("น้ำท่วม",), "", "other"),
    ((), "มีการเผา", "other"),
])
def test_category_precedence_and_refinement(names, text, expected):
    assert category(names, text) == expected


def test_the_category_table_maps_to_our_categories_only():
    assert set(CATEGORIES.values()) <= set(model.REPORT_CATEGORIES)


def test_a_citizen_report_checks_its_fields():
    fields = dict(source="traffy", report_id="X", category="dust", source_categories=(),
                  text="", time=utc(14, 1), longitude=99.7, latitude=18.3, status="new")
    assert model.CitizenReport(**fields).photo_url is None
    for change in ({"category": "smog"}, {"status": "closed"}, {"text": "ก" * 501},
                   {"time": datetime.datetime(2024, 3, 14, 8)},
                   {"time": datetime.datetime(2024, 3, 14, 8, tzinfo=model.BANGKOK)}):
        with pytest.raises(ValueError):
            model.CitizenReport(**{**fields, **change})


@pytest.mark.parametrize("answer, message", [
    (json_answer("<html>502 Bad Gateway</html>", 200), "not JSON"),
    (json_answer("[]"), "not a JSON object"),
    (json_answer('{"status": false, "message": "limit"}'), "neither a FeatureCollection"),
    (json_answer('{"message": "not found"}', 404), "HTTP 404"),
])
def test_broken_answers_are_source_errors(api, answer, message):
    api.queued = [answer]

    with pytest.raises(SourceError, match=message):
        traffy(api.server).fetch("reports")


@pytest.mark.parametrize("raw", [
    "{", json.dumps({"pages": []}),
    json.dumps({"window": {"since": "2024-03-13T04:00:00", "until": "2024-03-14T04:00:00"},
                "pages": []}),
    json.dumps({"window": {"since": "2024-03-13T04:00:00+00:00",
                           "until": "2024-03-14T04:00:00+00:00"}, "pages": {}}),
])
def test_unreadable_payloads_are_errors_not_empty_batches(raw):
    with pytest.raises(SourceError, match="unreadable payload"):
        Traffy("http://traffy.invalid", {}).parse("reports", raw)


def test_a_payload_page_of_another_shape_is_an_error():
    raw = json.dumps({"window": {"since": "2024-03-13T04:00:00+00:00",
                                 "until": "2024-03-14T04:00:00+00:00"}, "pages": [{"data": []}]})
    with pytest.raises(SourceError, match=r"pages\[0\] is neither"):
        Traffy("http://traffy.invalid", {}).parse("reports", raw)


def test_more_pages_than_max_pages_is_an_error(api):
    with pytest.raises(SourceError, match="more than 2 pages of 4"):
        traffy(api.server, max_pages=2).fetch("reports")
    assert len(api.server.requests) == 2


def test_http_429_then_success_waits_as_retry_after_says(api):
    api.queued = [json_answer('{"message": "rate"}', 429, {"Retry-After": "5"})]
    waits = []

    traffy(api.server, waits=waits).fetch("reports")

    assert waits == [5.0] and len(api.server.requests) == 4


@pytest.fixture
def nothing_allowed():
    egress.allow_hosts([])
    yield
    egress.allow_hosts(["127.0.0.1"])


def test_an_internal_address_is_refused_before_anything_is_sent(api, nothing_allowed):
    with pytest.raises(SourceError, match="refused: 127.0.0.1 is a loopback address"):
        traffy(api.server).fetch("reports")
    assert api.server.requests == []


def test_a_session_of_its_own_allows_nothing_internal(api):
    adapter = traffy(api.server)
    adapter.session = egress.GuardedSession(allowed=[])

    with pytest.raises(SourceError, match="refused: 127.0.0.1 is a loopback address"):
        adapter.fetch("reports")
    assert api.server.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO"])
def test_other_schemes_are_refused(url):
    with pytest.raises(SourceError, match="only http and https"):
        Traffy(url, {}, sleep=lambda seconds: pytest.fail("retried")).fetch("reports")


def test_defaults():
    assert Traffy.validate_config({}) == {
        "api": "geojson", "bbox": [99.62, 18.19, 100.06, 18.63], "provinces": [],
        "districts": [], "days": 2, "backfill_days": 0, "page_limit": 1000, "max_pages": 20,
        "params": {}}


def test_a_naive_since_is_refused():
    with pytest.raises(ValueError, match="since"):
        Traffy("http://traffy.invalid", {}, since=datetime.datetime(2024, 3, 14))


@pytest.mark.parametrize("config, key", [
    ({"api": "csv"}, "api"),
    ({"bbox": [99.62, 18.19, 100.06]}, "bbox"),
    ({"bbox": [100.06, 18.19, 99.62, 18.63]}, "bbox"),
    ({"provinces": "ลำปาง"}, "provinces"),
    ({"districts": [""]}, "districts"),
    ({"days": 0}, "days"),
    ({"days": True}, "days"),
    ({"backfill_days": 91}, "backfill_days"),
    ({"page_limit": 1001}, "page_limit"),
    ({"max_pages": 0}, "max_pages"),
    ({"params": {"limit": "5"}}, "params"),
    ({"params": {"purpose": 1}}, "params"),
    ({"params": ["purpose"]}, "params"),
    ({"keyword": "ฝุ่น"}, "keyword"),
])
def test_config_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        Traffy.validate_config(config)
