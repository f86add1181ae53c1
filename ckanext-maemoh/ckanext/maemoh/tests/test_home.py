"""The home page (``/``) in Thai and English: the platform's name and logo,
today's air (never stale data as current), the tambons, search, the data by
theme, the latest risk maps and inventory."""
import datetime as dt
import re

import pytest

import ckan.plugins.toolkit as tk
from ckanext.maemoh.residents import home, snapshot
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk_jobs import air_now, aqi
from ckanext.maemoh.tests.helpers import NOW, TAMBONS_EN, TAMBONS_TH, harvest

# The first tests only read one portal (shared_portal, built once); the
# others start from a clean site.
clean_site = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")
CODES = ["520201", "520202", "520203", "520204", "520205"]


def page(app, url):
    response = app.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def theme_counts():
    facets = tk.get_action("package_search")({"user": ""}, {
        "rows": 0, "facet.field": ["vocab_theme"], "facet.limit": -1})["search_facets"]
    return {item["name"]: item["count"] for item in facets["vocab_theme"]["items"]}


def test_the_home_page_in_thai_and_english(app, shared_portal):
    thai = page(app, "/")
    assert 'class="logo maemoh-brand"' in thai and "/maemoh/logo.svg" in thai
    assert "แพลตฟอร์มข้อมูลเมืองแม่เมาะ" in thai and "ckan-logo" not in thai
    assert "CKAN" not in re.sub(r"<[^>]*>", "", thai.split('class="homepage"')[1].split("<footer")[0])
    assert 'placeholder="เช่น ฝุ่น PM2.5 ไฟป่า คุณภาพน้ำ"' in thai
    for code, name in zip(CODES, TAMBONS_TH):
        assert f'href="/maemoh/tambon/{code}">ตำบล {name}</a>' in thai
    for href in ('href="/maemoh/net-zero"', 'href="/dataset/"', 'href="/risk-layer/"',
                 'href="/risk-layer/risk-air"', 'href="/ghg-inventory/'):
        assert href in thai, href
    worst = home.home_summary("en")["district"]
    assert not worst["stale"], "the harvest of the last hours gives a current band"
    assert aqi.BANDS[worst["band"]].name_th in thai and 'id="maemoh-map"' in thai
    assert f"{NOW.year + 543} เวลา " in thai and "ค.ศ." not in thai  # Buddhist Era, Bangkok time
    assert "ตัวเลขคำนวณเมื่อ " in thai and home.home_summary("en")["computed_at"] == NOW
    counts = theme_counts()
    assert counts
    for code, count in counts.items():
        assert re.search(rf'href="/dataset/\?vocab_theme={code}">[^<]+</a>\s*'
                         rf'<span class="maemoh-count">{count} ชุดข้อมูล</span>', thai), code
    assert all(f'src="{src}"' in thai for src in re.findall(r'<script[^>]*src="([^"]+)"', thai))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", thai)  # no inline script

    english = page(app, "/en/")
    assert "Mae Moh City Data Platform" in english and "Datasets by theme" in english
    total = tk.get_action("package_search")({"user": ""}, {"rows": 0})["count"]
    assert total >= max(counts.values()) and f"All datasets ({total})" in english
    assert 'placeholder="For example: PM2.5 dust, wildfire, water quality"' in english
    for code, name in zip(CODES, TAMBONS_EN):
        assert f'href="/en/maemoh/tambon/{code}">Tambon {name}</a>' in english
    assert aqi.BANDS[worst["band"]].name_en in english
    assert f"The worst in the district now: Tambon {worst['name']}" in english
    assert "Risk map: Air" in english and "Mae Moh greenhouse-gas inventory 2024" in english


def test_every_link_of_the_home_page_answers(app, shared_portal):
    main = page(app, "/").split('class="maemoh maemoh-home"')[1].split("<footer")[0]
    links = set(re.findall(r'href="(/[^"]*)"', main.replace("&amp;", "&")))
    assert len(links) >= 15
    for link in sorted(links):
        assert app.get(link).status_code == 200, link


def test_the_home_page_reads_the_snapshot_and_one_search(app, shared_portal, monkeypatch):
    reads = []
    monkeypatch.setattr(risk_inputs, "official_datasets", lambda: reads.append("catalogue"))
    monkeypatch.setattr(risk_inputs, "read_rows", lambda *args: reads.append("datastore"))
    page(app, "/")
    assert reads == []


@clean_site
def test_stale_air_is_not_shown_as_current(app, district):
    harvest(district, NOW - dt.timedelta(hours=8), "air4thai")
    snapshot.refresh()
    for url, lang in (("/", "th"), ("/en/", "en")):
        html = page(app, url)
        assert html.count('class="maemoh-stale"') == 1
        assert html.count(air_now.band_info(None, lang)["name"]) == 6  # the district and each tambon
        for band in aqi.BANDS.values():
            assert getattr(band, f"advice_general_{lang}") not in html
            assert f"background: {band.hex}" not in html
    assert "the air quality now is not known" in html and "Last measured:" in html


@clean_site
def test_nothing_published_yet(app, district):
    english = page(app, "/en/")
    assert 'class="maemoh-stale"' in english
    for text in ("No risk map is published yet.", "No greenhouse-gas inventory is published yet.",
                 "No dataset is published yet.", "All datasets (0)", "The figures are being computed"):
        assert text in english, text
    summary = home.home_summary("en")
    assert summary["district"]["stale"] and summary["district"]["time_local"] is None
    assert summary["risk_layers"] == [] and summary["inventory"] is None and summary["themes"] == []


def tambon(code, band, stale=False, hour=14):
    return {"tambon_code": code, "name": code, "band": band, "aqi": aqi.BANDS[band].aqi_min, "stale": stale,
            "time_local": f"2026-03-10T{hour:02d}:00:00+07:00", "info": air_now.band_info(band, "en")}


def test_the_district_band_is_the_worst_current_one():
    district = home._district([tambon("520201", 2), tambon("520202", 5, stale=True), tambon("520203", 3)], "en")
    assert (district["band"], district["tambon_code"], district["stale"]) == (3, "520203", False)
    assert district["info"]["name"] == aqi.BANDS[3].name_en


def test_no_current_tambon_means_no_current_band():
    district = home._district([tambon("520201", 2, stale=True, hour=9),
                               tambon("520202", 4, stale=True, hour=11)], "th")
    assert district["band"] is None and district["stale"]
    assert district["info"] == air_now.band_info(None, "th")
    assert district["time_local"] == "2026-03-10T11:00:00+07:00"  # when it was last measured
