"""The residents' pages of a portal with current data (one, built for the
module: these tests only read it), server-rendered (readable without
JavaScript), in Thai and English; the map's layers and the Atom feed."""
import xml.etree.ElementTree as ET

import pytest

from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk_jobs import aqi, composite
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.tests.helpers import NOW, TAMBONS_EN, TAMBONS_TH
from ckanext.maemoh.tests.test_residents_pages import page

pytestmark = pytest.mark.usefixtures("shared_portal")


@pytest.mark.parametrize("url", ["/maemoh/", "/en/maemoh/tambon/520205", "/maemoh/map.json",
                                 "/maemoh/tambon/520204/feed.atom", "/maemoh/net-zero"])
def test_a_page_reads_only_the_snapshot(app, monkeypatch, url):
    reads = []
    monkeypatch.setattr(risk_inputs, "official_datasets", lambda: reads.append("catalogue"))
    monkeypatch.setattr(risk_inputs, "read_rows", lambda *args: reads.append("datastore"))
    page(app, url)
    assert reads == []


def test_the_district_now_in_thai_and_english(app):
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


def test_a_tambon_page(app):
    html = page(app, "/en/maemoh/tambon/520204")
    assert "Tambon Mae Mo" in html
    assert html.count('<svg class="maemoh-chart"') == 2 and "standard 37.5" in html
    assert "Air:" in html and "/risk-layer/risk-air" in html
    assert "What can be done" in html
    thai = page(app, "/maemoh/tambon/520204")
    assert "ตำบล แม่เมาะ" in thai and "ฝุ่น PM2.5 เฉลี่ยรายวัน 7 วันล่าสุด" in thai
    assert app.get("/maemoh/tambon/999999").status_code == 404


def test_net_zero_and_about_pages(app):
    html = page(app, "/en/maemoh/net-zero")
    assert "Mae Moh greenhouse-gas inventory 2024 (illustrative demo data, not real)" in html
    assert "ghg-2024-sectors.png" in html and "ghg-2024-pathway.png" in html
    assert "What can be done" in html
    thai = page(app, "/maemoh/net-zero")
    assert "บัญชีก๊าซเรือนกระจก อำเภอแม่เมาะ พ.ศ. 2567" in thai
    about = page(app, "/en/maemoh/about-data")
    assert "CC BY-IGO 3.0" in about and "NASA FIRMS" in about and "older than 3 hours" in about
    assert "แหล่งที่มาของข้อมูล" in page(app, "/maemoh/about-data")


def test_map_layers(app):
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


def test_the_atom_feed(app):
    response = app.get("/en/maemoh/tambon/520204/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.find("a:title", ns).text.startswith("Air quality changes, tambon Mae Mo")
    changes = residents.band_changes("520204", days=30)
    assert changes == snapshot.band_changes("520204", days=30)
    assert len(feed.findall("a:entry", ns)) == len(changes)
    assert app.get("/maemoh/tambon/999999/feed.atom").status_code == 404
