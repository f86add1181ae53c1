"""The search page lists every type of dataset with Thai labels for every
facet and result badge, and the home page and the residents' page lead to
that same search."""
import json
import pathlib
import re

import pytest

from ckan.tests import factories, helpers
from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.tests.helpers import TYPE_FIELDS, valid_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

LICENSES = pathlib.Path(__file__).resolve().parents[4] / "schemas" / "licenses.json"


@pytest.fixture
def station(app):
    org = factories.Organization(title="Pollution Control Department", agency_type="government")
    return helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                               **valid_dataset(
                                   type="sensor-station", name="air4thai-station-99t", owner_org=org["id"],
                                   title_translated={"th": "โรงพยาบาลส่งเสริมสุขภาพตำบลบ้านสบป้าด"},
                                   theme=["air"], tambons=["520205"], license_id="CC-BY-4.0",
                                   **TYPE_FIELDS["sensor-station"]))


def test_a_station_is_listed_by_the_dataset_search_with_thai_badges(app, station):
    html = app.get("/dataset/", query_string={"q": "ฝุ่น"}).body
    assert 'href="/sensor-station/air4thai-station-99t"' in html
    assert re.search(r'maemoh-type">\s*สถานีตรวจวัด\s*<', html)
    assert re.search(r'maemoh-theme">\s*คุณภาพอากาศ\s*<', html)
    english = app.get("/en/dataset/", query_string={"q": "ฝุ่น"}).body
    assert re.search(r'maemoh-type">\s*Monitoring station\s*<', english)


def test_every_facet_and_its_items_are_in_thai(app, station):
    html = app.get("/dataset/").body
    for term in vocabularies.terms("facet"):
        if term["value"] in html:
            assert term["th"] in html and f">{term['en']}<" not in html
    for thai in ("คุณภาพอากาศ", "สบป้าด", "สถานีตรวจวัด", "หน่วยงานราชการ",
                 vocabularies.label("licence", "CC-BY-4.0", "th")):
        assert thai in html
    for english in ("Air quality", "Sop Pat", "Creative Commons Attribution 4.0",
                    "Skip to main content", "Search Datasets..."):
        assert english not in html


def test_the_licence_labels_are_those_of_the_licences_offered():
    licences = json.loads(LICENSES.read_text(encoding="utf-8"))
    assert [(t["value"], t["en"]) for t in vocabularies.terms("licence")] == [
        (licence["id"], licence["title"]) for licence in licences]


@pytest.mark.parametrize("path", ["/", "/maemoh/"])
def test_the_home_and_residents_pages_search_the_catalogue(app, station, path):
    html = app.get(path).body
    form = re.search(r'<form[^>]*action="(/dataset/)"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'name="q"' in form.group(2)
    assert 'href="/sensor-station/air4thai-station-99t"' in app.get(
        form.group(1), query_string={"q": "air quality"}).body
