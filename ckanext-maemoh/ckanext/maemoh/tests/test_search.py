"""Datasets made through the Action API are found by Solr, in Thai and English."""
import pytest
import requests

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# Thai is written without spaces between words: "hourly air-quality data of
# the Sop Pat station, Mae Moh district".
NOTES = (
    "ข้อมูลคุณภาพอากาศรายชั่วโมงของสถานีสบป้าดอำเภอแม่เมาะ\n\n"
    "Hourly particulate readings from the Sop Pat station."
)


@pytest.fixture
def dataset():
    org = factories.Organization(name="pcd")
    return helpers.call_action(
        "package_create",
        context={"user": factories.Sysadmin()["name"]},
        name="sop-pat-air",
        title="Sop Pat air quality",
        notes=NOTES,
        owner_org=org["id"],
    )


@pytest.mark.parametrize("word", ["อากาศ", "สบป้าด", "แม่เมาะ", "particulate"])
def test_package_search_finds_a_word_of_the_description(dataset, word):
    result = helpers.call_action("package_search", q=word)
    assert [d["name"] for d in result["results"]] == ["sop-pat-air"]


@pytest.mark.parametrize("word", ["น้ำ", "rainfall"])
def test_package_search_does_not_match_other_words(dataset, word):
    assert helpers.call_action("package_search", q=word)["count"] == 0


def test_the_dataset_is_indexed_in_solr(dataset):
    response = requests.get(
        tk.config["solr_url"] + "/select",
        params={"q": "text:อากาศ", "fl": "name", "wt": "json"},
        timeout=10,
    )
    response.raise_for_status()
    docs = response.json()["response"]["docs"]
    assert docs == [{"name": "sop-pat-air"}]
