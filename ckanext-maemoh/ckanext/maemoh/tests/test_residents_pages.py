"""The residents' pages, server-rendered (readable without JavaScript), in
Thai and English, with current, stale and missing data and every AQI band."""
import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from ckan.tests import helpers

from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk_jobs import aqi, composite, dimensions, water
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.tests.helpers import NOW, TAMBONS_EN, TAMBONS_TH, harvest

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")


def page(app, url):
    response = app.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/maemoh/", "/en/maemoh/tambon/520205", "/maemoh/map.json",
                                 "/maemoh/tambon/520204/feed.atom", "/maemoh/net-zero"])
def test_a_page_reads_only_the_snapshot(app, portal, monkeypatch, url):
    reads = []
    monkeypatch.setattr(risk_inputs, "official_datasets", lambda: reads.append("catalogue"))
    monkeypatch.setattr(risk_inputs, "read_rows", lambda *args: reads.append("datastore"))
    page(app, url)
    assert reads == []


def test_the_district_now_in_thai_and_english(app, portal):
    thai = page(app, "/maemoh/")
    assert all(name in thai for name in TAMBONS_TH)
    current = [t for t in residents.tambon_aqi() if not t["stale"]]
    assert current, "the harvest of the last hours gives current bands"
    for item in current:
        band = aqi.BANDS[item["band"]]
        assert band.name_th in thai and band.advice_general_th in thai and band.icon in thai
    assert 'id="maemoh-map"' in thai and "/maemoh/map.json" in thai
    assert f" {NOW.year + 543} เวลา " in thai  # Buddhist Era, Bangkok time
    assert 'href="/en/maemoh/"' in thai

    english = page(app, "/en/maemoh/")
    assert all(name in english for name in TAMBONS_EN)
    for item in current:
        band = aqi.BANDS[item["band"]]
        assert band.name_en in english and band.advice_sensitive_en in english
    assert "(Bangkok time)" in english and "Fires in the last 48 hours" in english
    assert "/risk-layer/risk-air" in english  # links to the data


def test_stale_data_are_not_shown_as_current(app, district):
    harvest(district, NOW - dt.timedelta(hours=8), "air4thai")
    snapshot.refresh()
    thai = page(app, "/maemoh/")
    assert thai.count('class="maemoh-stale"') == 5
    for band in aqi.BANDS.values():
        assert band.advice_general_th not in thai
    english = page(app, "/en/maemoh/")
    assert "the air quality now is not known" in english and "Last measured:" in english


def test_no_data_at_all(app, district):
    english = page(app, "/en/maemoh/")
    assert english.count('class="maemoh-stale"') == 5
    assert "No fire detected by satellite in the last 48 hours." in english
    assert "No greenhouse-gas inventory is published yet." in page(app, "/en/maemoh/net-zero")
    assert page(app, "/en/maemoh/tambon/520201").count("No map is published for this yet.") == len(dimensions.NAMES)


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_band_is_named_coloured_and_explained(app, district, monkeypatch, lang):
    codes = ["520201", "520202", "520203", "520204", "520205"]
    fake = [{"tambon_code": c, "name_th": th, "name_en": en, "aqi": aqi.BANDS[b].aqi_min, "band": b,
             "stations": [], "source": "station", "stale": False, "time_local": NOW.isoformat()}
            for b, c, th, en in zip(range(1, 6), codes, TAMBONS_TH, TAMBONS_EN)]
    monkeypatch.setattr(snapshot, "tambon_aqi", lambda now=None, stations=None: fake)
    html = page(app, "/maemoh/" if lang == "th" else "/en/maemoh/")
    for band in aqi.BANDS.values():
        assert getattr(band, f"name_{lang}") in html and band.hex.lower() in html.lower()
        assert getattr(band, f"advice_sensitive_{lang}") in html and f"fa-{band.icon}" in html
        assert f'data-band="{band.number}"' in html


def test_a_tambon_page(app, portal):
    html = page(app, "/en/maemoh/tambon/520204")
    assert "Tambon Mae Mo" in html
    assert html.count('<svg class="maemoh-chart"') == 2 and "standard 37.5" in html
    assert "Air:" in html and "/risk-layer/risk-air" in html
    assert "What can be done" in html
    thai = page(app, "/maemoh/tambon/520204")
    assert "ตำบล แม่เมาะ" in thai and "ฝุ่น PM2.5 เฉลี่ยรายวัน 7 วันล่าสุด" in thai
    assert app.get("/maemoh/tambon/999999").status_code == 404


def test_net_zero_and_about_pages(app, portal):
    html = page(app, "/en/maemoh/net-zero")
    assert "Mae Moh greenhouse-gas inventory 2024 (illustrative demo data, not real)" in html
    assert "ghg-2024-sectors.png" in html and "ghg-2024-pathway.png" in html
    assert "What can be done" in html
    thai = page(app, "/maemoh/net-zero")
    assert "บัญชีก๊าซเรือนกระจก อำเภอแม่เมาะ พ.ศ. 2567" in thai
    about = page(app, "/en/maemoh/about-data")
    assert "CC BY-IGO 3.0" in about and "NASA FIRMS" in about and "older than 3 hours" in about
    assert "แหล่งที่มาของข้อมูล" in page(app, "/maemoh/about-data")


def test_the_agencies_guide_in_both_languages(app, district):
    english = page(app, "/en/maemoh/about-publishing")
    assert "Publishing data on the platform" in english and "datastore_upsert" in english
    assert "maemoh_validation_show" in english and "/api/3/action/resource_create" in english
    thai = page(app, "/maemoh/about-publishing")
    assert "การเผยแพร่ข้อมูลบนแพลตฟอร์ม" in thai and "ตารางถูกตรวจอย่างไร" in thai
    assert 'href="/maemoh/about-publishing"' in page(app, "/maemoh/about-data")


def test_map_layers(app, portal):
    layers = app.get("/maemoh/map.json").json
    tambons = layers["tambons"]["features"]
    assert sorted(f["properties"]["tambon_code"] for f in tambons) == ["520201", "520202", "520203",
                                                                       "520204", "520205"]
    colours = {aqi.BANDS[b].hex for b in aqi.BANDS}
    assert any(f["properties"]["colour"] in colours for f in tambons)
    risk_colours = {c.colour for c in composite.RISK_CLASSES}
    assert all(f["properties"]["risk_colour"] in risk_colours for f in tambons)  # risk-air is published
    assert {f["properties"]["risk_class"] for f in tambons} <= {1, 2, 3, 4, 5}
    assert {f["properties"]["station_id"] for f in layers["stations"]["features"]} >= {"38t", "39t", "40t"}
    assert all(f["geometry"]["type"] == "Point" for f in layers["fires"]["features"])


def test_the_atom_feed(app, portal):
    response = app.get("/en/maemoh/tambon/520204/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.find("a:title", ns).text.startswith("Air quality changes, tambon Mae Mo")
    changes = residents.band_changes("520204", days=30)
    assert changes == snapshot.band_changes("520204", days=30)
    assert len(feed.findall("a:entry", ns)) == len(changes)
    assert app.get("/maemoh/tambon/999999/feed.atom").status_code == 404




def test_every_dimension_and_the_river_in_plain_thai_and_english(app, district):
    harvest(district, NOW, "water")
    assert risk_runs.execute("water")["status"] == "published"
    snapshot.refresh()
    (below_mine,) = helpers.call_action("maemoh_risk_summary", context={"user": ""}, tambon="520204",
                                        dimension="water")["water"]["points"]
    assert below_mine["station_id"] == "MM02" and below_mine["water_class"] == 5
    thai, english = page(app, "/maemoh/tambon/520204"), page(app, "/en/maemoh/tambon/520204")
    for name in dimensions.NAMES:
        assert vocabularies.label("risk_dimension", name, "th") in thai
        assert vocabularies.label("risk_dimension", name, "en") in english
    assert "ห้วยแม่เมาะ ท้ายเหมือง (สาธิต): ประเภทที่ 5 " + water.USES[5][0] in thai
    assert "ดัชนีที่แย่ที่สุด: แมงกานีส" in thai
    assert ": class 5, " + water.USES[5][1] in english and "Worst parameter: Manganese" in english
    assert "Class 5, measured as: worst class on the Thai surface-water standard" in english
    assert "No data for this tambon." in page(app, "/en/maemoh/tambon/520205")   # no sampling point
