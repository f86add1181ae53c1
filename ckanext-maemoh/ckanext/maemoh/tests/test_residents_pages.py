"""The residents' pages, server-rendered (readable without JavaScript), in
Thai and English, with stale and missing data and every AQI band (with
current data: test_residents_portal.py)."""
import datetime as dt

import pytest

from ckan.tests import helpers

from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk_jobs import aqi, dimensions, water
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.tests.helpers import NOW, TAMBONS_EN, TAMBONS_TH, harvest

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")


def page(app, url):
    response = app.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


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


def test_the_agencies_guide_in_both_languages(app, district):
    english = page(app, "/en/maemoh/about-publishing")
    assert "Publishing data on the platform" in english and "datastore_upsert" in english
    assert "maemoh_validation_show" in english and "/api/3/action/resource_create" in english
    thai = page(app, "/maemoh/about-publishing")
    assert "การเผยแพร่ข้อมูลบนแพลตฟอร์ม" in thai and "ตารางถูกตรวจอย่างไร" in thai
    assert 'href="/maemoh/about-publishing"' in page(app, "/maemoh/about-data")


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
