"""`ckan maemoh load-demo` loads the real boundaries and stations, once."""
import json

import pytest

from ckan.cli.cli import ckan as ckan_command
from ckan.tests import helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

MAE_MOH_BBOX = "99.62,18.19,100.06,18.63"
DATASETS = [
    "air4thai-station-37t", "air4thai-station-38t", "air4thai-station-39t",
    "air4thai-station-40t", "maemoh-tambon-boundaries",
]


@pytest.fixture
def load_demo(cli, demo_data):
    def run():
        result = cli.invoke(ckan_command, ["maemoh", "load-demo", str(demo_data)])
        assert result.exit_code == 0, result.output
        return result.output
    return run


def _names(**params):
    result = helpers.call_action("package_search", rows=100, **params)
    return sorted(d["name"] for d in result["results"])


def test_demo_creates_the_organisation_and_datasets(load_demo):
    load_demo()
    org = helpers.call_action("organization_show", id="maemoh-district")
    assert org["package_count"] == 5
    assert _names() == DATASETS


def test_boundaries_carry_the_district_outline_and_the_tambon_files(load_demo, demo_data):
    load_demo()
    dataset = helpers.call_action("package_show", id="maemoh-tambon-boundaries")
    with open(demo_data / "maemoh_district.geojson", encoding="utf-8") as f:
        district = json.load(f)["features"][0]["geometry"]
    assert json.loads(dataset["spatial"]) == district
    assert [r["format"] for r in dataset["resources"]] == ["GeoJSON", "GeoJSON"]
    assert all(r["url_type"] == "upload" for r in dataset["resources"])
    assert "CC BY-IGO 3.0" in dataset["notes"]


def test_stations_are_sensor_stations_with_their_tambon(load_demo):
    load_demo()
    station = helpers.call_action("package_show", id="air4thai-station-38t")
    assert station["type"] == "sensor-station"
    assert station["network"] == "air4thai"
    assert station["tambons"] == ["520205"]
    assert station["title_translated"]["en"].startswith("Air4Thai station 38t")
    outside = helpers.call_action("package_show", id="air4thai-station-37t")
    assert outside["tambons"] == ["outside"]


def test_bbox_over_the_district_finds_boundaries_and_its_three_stations(load_demo):
    load_demo()
    assert _names(extras={"ext_bbox": MAE_MOH_BBOX}) == [
        "air4thai-station-38t", "air4thai-station-39t",
        "air4thai-station-40t", "maemoh-tambon-boundaries",
    ]


def test_loading_twice_changes_nothing(load_demo):
    load_demo()
    before = {n: helpers.call_action("package_show", id=n) for n in DATASETS}
    output = load_demo()
    after = {n: helpers.call_action("package_show", id=n) for n in DATASETS}
    assert after == before
    assert "created" not in output and "updated" not in output


def test_a_folder_without_the_files_fails_clearly_and_creates_nothing(cli, tmp_path):
    result = cli.invoke(ckan_command, ["maemoh", "load-demo", str(tmp_path)])
    assert result.exit_code != 0
    assert "maemoh_district.geojson" in result.output
    assert _names() == []
