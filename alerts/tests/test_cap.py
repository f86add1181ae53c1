"""CAP 1.2 messages validate against the OASIS schema; the Atom feed parses."""
import dataclasses
import datetime as dt

import pytest
from lxml import etree

from ckanext.maemoh.alerts import cap

BKK = dt.timezone(dt.timedelta(hours=7))
SENT = dt.datetime(2026, 3, 14, 9, 0, 0, 123456, tzinfo=BKK)
C = {"c": cap.NS}
A = {"a": "http://www.w3.org/2005/Atom"}
RING = ((99.7, 18.3), (99.80001234, 18.3), (99.8, 18.35), (99.7, 18.35))
GEOCODES = (("TIS1099", "520701"),)


def info(language="th-TH", **changes):
    thai = language == "th-TH"
    fields = dict(
        language=language, category="Env",
        event="ฝุ่น PM2.5" if thai else "PM2.5 dust",
        urgency="Expected", severity="Severe", certainty="Likely",
        headline="PM2.5 เกินมาตรฐาน < 75 & สูงขึ้น" if thai else "PM2.5 above 75 µg/m³ & rising",
        description="ค่าเฉลี่ย 24 ชม. 82 µg/m³" if thai else "24-hour mean 82 µg/m³",
        instruction="งดกิจกรรมกลางแจ้ง" if thai else "Avoid outdoor activity",
        onset=SENT, expires=SENT + dt.timedelta(hours=24),
        sender_name="แพลตฟอร์มแม่เมาะ" if thai else "Mae Moh platform",
        web="https://maemoh.example/warnings/w-1", area_desc="ต.แม่เมาะ" if thai else "Mae Moh",
        parameters=(("band", "5"),),
    )
    return cap.Info(**(fields | changes))


def message(**changes):
    fields = dict(
        identifier="maemoh-w-1-2", sender="warnings@maemoh.example", sent=SENT,
        status="Actual", msg_type="Update",
        references=(("warnings@maemoh.example", "maemoh-w-1-1", SENT - dt.timedelta(hours=1)),),
        infos=(info("th-TH"), info("en-US")),
        polygons=(RING, RING[:3] + RING[:1]), geocodes=GEOCODES,
    )
    return cap.Message(**(fields | changes))


def test_update_in_thai_and_english_validates():
    xml = cap.to_xml(message())
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    cap.validate(xml)
    doc = etree.fromstring(xml)
    assert doc.findtext("c:sent", namespaces=C) == "2026-03-14T09:00:00+07:00"
    assert doc.findtext("c:references", namespaces=C) == (
        "warnings@maemoh.example,maemoh-w-1-1,2026-03-14T08:00:00+07:00")
    assert [e.findtext("c:language", namespaces=C) for e in doc.findall("c:info", C)] == [
        "th-TH", "en-US"]
    polygons = doc.findall("c:info/c:area/c:polygon", C)
    assert len(polygons) == 4                       # two rings in each info
    assert polygons[0].text == ("18.30000,99.70000 18.30000,99.80001 18.35000,99.80000 "
                                "18.35000,99.70000 18.30000,99.70000")
    assert doc.findtext("c:info/c:area/c:geocode/c:value", namespaces=C) == "520701"


def test_cancel_validates_and_times_are_written_in_bangkok():
    utc = dt.datetime(2026, 3, 15, 3, 30, tzinfo=dt.timezone.utc)
    xml = cap.to_xml(message(msg_type="Cancel", sent=utc, infos=(), polygons=(), geocodes=(),
                             note="ยกเลิก: PM2.5 ลดลง"))
    cap.validate(xml)
    doc = etree.fromstring(xml)
    assert doc.findtext("c:sent", namespaces=C) == "2026-03-15T10:30:00+07:00"
    assert doc.find("c:info", C) is None


def test_text_with_markup_characters_and_thai_round_trips():
    xml = cap.to_xml(message())
    assert b"&lt; 75 &amp;" in xml
    doc = etree.fromstring(xml)
    assert doc.findtext("c:info/c:headline", namespaces=C) == "PM2.5 เกินมาตรฐาน < 75 & สูงขึ้น"


@pytest.mark.parametrize("sent", ["2026-03-14T02:00:00Z", dt.datetime(2026, 3, 14, 9)])
def test_a_z_or_naive_time_is_rejected_before_xml(sent):
    with pytest.raises(ValueError, match="timezone-aware"):
        cap.to_xml(message(sent=sent))


@pytest.mark.parametrize("changes, error", [
    (dict(identifier="w 1"), "identifier must be non-empty without spaces"),
    (dict(sender="a,b"), "sender must be"),
    (dict(references=()), "must reference"),
    (dict(msg_type="Alert", references=(), infos=()), "needs at least one info"),
    (dict(infos=(info(headline=" ", instruction=""),)), "missing headline, instruction"),
    (dict(infos=(info(language="Thai"),)), "language must be one of"),
    (dict(polygons=(((99.7, 18.3), (99.8, 18.3)),)), "at least 3 distinct vertices"),
    (dict(polygons=(tuple((lat, lon) for lon, lat in RING),)), r"\(lon, lat\)"),
])
def test_broken_messages_raise_clearly(changes, error):
    with pytest.raises(ValueError, match=error):
        cap.to_xml(message(**changes))


def test_the_schema_rejects_an_unknown_severity():
    with pytest.raises(cap.Invalid, match="severity.*'Huge'") as caught:
        cap.to_xml(message(infos=(info(severity="Huge"),)))
    assert len(caught.value.errors) == 1


@pytest.mark.parametrize("xml, error", [
    (lambda x: x.replace(b"09:00:00+07:00", b"02:00:00Z", 1), "sent"),
    (lambda x: x.replace(b"<urgency>Expected</urgency>", b"", 1), "urgency"),
    (lambda x: x.replace(b"<status>", b"<statut>", 1), "not well-formed"),
    (lambda x: b"<value xmlns='%s'>1</value>" % cap.NS.encode(), "not a CAP 1.2 alert"),
])
def test_validate_rejects_edited_documents(xml, error):
    with pytest.raises(cap.Invalid, match=error):
        cap.validate(xml(cap.to_xml(message())))


def test_atom_feed_parses_and_links_each_message():
    entries = [cap.Entry(id=f"tag:maemoh.example,2026:warnings/w-1-{n}", title=f"PM2.5 {n} <&>",
                         updated=SENT, url=f"https://maemoh.example/cap/w-1-{n}.xml",
                         summary="PM2.5 เกินมาตรฐาน") for n in (1, 2)]
    xml = cap.feed(entries, feed_id="urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
                   title="Mae Moh warnings", updated=SENT,
                   self_url="https://maemoh.example/cap/feed.atom",
                   alternate_url="https://maemoh.example/warnings", author="Mae Moh platform")
    doc = etree.fromstring(xml)
    assert doc.tag == "{http://www.w3.org/2005/Atom}feed" and doc.nsmap == {None: A["a"]}
    assert doc.findtext("a:updated", namespaces=A) == "2026-03-14T09:00:00+07:00"
    assert doc.find("a:link[@rel='self']", A).get("href").endswith("/feed.atom")
    assert doc.findtext("a:author/a:name", namespaces=A) == "Mae Moh platform"
    found = doc.findall("a:entry", A)
    assert [e.findtext("a:title", namespaces=A) for e in found] == ["PM2.5 1 <&>", "PM2.5 2 <&>"]
    link = found[1].find("a:link", A)
    assert link.attrib == {"rel": "alternate", "type": "application/cap+xml",
                           "href": "https://maemoh.example/cap/w-1-2.xml"}
    assert found[0].findtext("a:summary", namespaces=A) == "PM2.5 เกินมาตรฐาน"
    assert all(e.findtext("a:id", namespaces=A).startswith("tag:") for e in found)


def test_atom_ids_must_be_tag_or_urn():
    entry = cap.Entry(id="https://maemoh.example/w-1", title="t", updated=SENT,
                      url="https://maemoh.example/w-1.xml", summary="s")
    with pytest.raises(ValueError, match="tag: or urn:"):
        cap.feed([entry], feed_id="urn:x:1", title="t", updated=SENT,
                 self_url="https://x/f", alternate_url="https://x/", author="a")


def test_messages_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        message().status = "Test"
