"""Datasets made through the HTTP Action API are found by Solr, in Thai and English."""
import pytest
import requests

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.maemoh.tests.conftest import valid_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# Thai is written without spaces between words: "hourly air-quality data of
# the Sop Pat station, Mae Moh district".
NOTES = {
    "th": "ข้อมูลคุณภาพอากาศรายชั่วโมงของสถานีสบป้าดอำเภอแม่เมาะ",
    "en": "Hourly particulate readings from the Sop Pat station.",
}


@pytest.fixture
def dataset(app):
    """An organisation and a dataset, created over HTTP by a sysadmin."""
    headers = {"Authorization": factories.SysadminWithToken()["token"]}

    def post(action, **data):
        response = app.post(f"/api/3/action/{action}", json=data, headers=headers)
        assert response.status_code == 200, response.body
        return response.json["result"]

    org = post("organization_create", name="pcd", title="Pollution Control Department",
               agency_type="government")
    return post("package_create", **valid_dataset(
        name="sop-pat-air", owner_org=org["id"],
        title_translated={"th": "คุณภาพอากาศสบป้าด", "en": "Sop Pat air quality"},
        notes_translated=NOTES))


def _search(app, query):
    response = app.get("/api/3/action/package_search", query_string={"q": query})
    assert response.status_code == 200
    return [d["name"] for d in response.json["result"]["results"]]


@pytest.mark.parametrize("word", ["อากาศ", "สบป้าด", "แม่เมาะ", "particulate"])
def test_package_search_finds_a_word_of_the_description(app, dataset, word):
    assert _search(app, word) == ["sop-pat-air"]


@pytest.mark.parametrize("word", ["น้ำ", "rainfall"])
def test_package_search_does_not_match_other_words(app, dataset, word):
    assert _search(app, word) == []


def test_creating_a_dataset_without_a_token_is_refused(app):
    response = app.post("/api/3/action/package_create", json={"name": "x"})
    assert response.status_code == 403
    assert helpers.call_action("package_search")["count"] == 0


def test_the_dataset_is_indexed_in_solr(dataset):
    response = requests.get(
        tk.config["solr_url"] + "/select",
        params={"q": "text:อากาศ", "fq": f"site_id:{tk.config['ckan.site_id']}",
                "fl": "name", "wt": "json"},
        timeout=10,
    )
    response.raise_for_status()
    docs = response.json()["response"]["docs"]
    assert docs == [{"name": "sop-pat-air"}]


@pytest.fixture
def station(app):
    """A station whose title is only a place: a health centre of Sop Pat."""
    org = factories.Organization(name="pcd", title="Pollution Control Department", agency_type="government")
    from ckanext.maemoh.tests.conftest import TYPE_FIELDS
    return helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                               **valid_dataset(
                                   type="sensor-station", name="air4thai-station-99t", owner_org=org["id"],
                                   title_translated={"th": "โรงพยาบาลส่งเสริมสุขภาพตำบลบ้านสบป้าด"},
                                   notes_translated={"th": "สถานีตรวจวัด"}, theme=["air"], tambons=["520205"],
                                   **TYPE_FIELDS["sensor-station"]))


@pytest.mark.parametrize("query", ["ฝุ่น", "ฝุ่นละออง", "dust", "คุณภาพอากาศ", "air quality", "air pollution", "Sop Pat", "สบป้าด", "PM2.5",
                                   "Pollution Control Department", "monitoring station", "Air4Thai"])
def test_a_station_is_found_by_the_labels_of_its_codes(app, station, query):
    assert _search(app, query) == ["air4thai-station-99t"]


def test_labels_of_codes_are_indexed_in_both_languages(station):
    from ckanext.maemoh import search
    shown = helpers.call_action("package_show", id=station["id"])
    words = search.labels(shown, {"title": "Pollution Control Department", "agency_type": "government"})
    assert {"คุณภาพอากาศ", "Air quality", "สบป้าด", "Sop Pat", "ฝุ่น PM2.5", "PM2.5", "สถานีตรวจวัด",
            "Monitoring station", "หน่วยงานราชการ", "Pollution Control Department"} <= set(words)


@pytest.fixture
def haze(app):
    org = factories.Organization(agency_type="government")
    return helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                               **valid_dataset(name="haze-reports", owner_org=org["id"], theme=["disaster"],
                                               title_translated={"th": "รายงานหมอกควันและไฟป่า"},
                                               notes_translated={"th": "จุดที่พบหมอกควันจากการเผาในที่โล่ง"}))


@pytest.mark.parametrize("query", ["haze", "smoke", "wildfire", "หมอกควัน", "ไฟป่า"])
def test_synonyms_find_thai_words_from_english_and_thai(app, haze, query):
    """deploy/solr/synonyms.txt, applied at query time (Thai and English together)."""
    assert _search(app, query) == ["haze-reports"]


def test_the_synonyms_file_is_the_cores(ckan_config):
    core = requests.get(f"{ckan_config['solr_url']}/schema/fieldtypes/text", timeout=10).json()
    (synonyms,) = [f for f in core["fieldType"]["queryAnalyzer"]["filters"]
                   if f["class"] == "solr.SynonymGraphFilterFactory"]
    assert synonyms["synonyms"] == "synonyms.txt" and synonyms["tokenizerFactory"] == "solr.ThaiTokenizerFactory"
