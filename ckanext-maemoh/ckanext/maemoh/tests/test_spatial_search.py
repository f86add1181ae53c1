"""Spatial search (ckanext-spatial, solr-spatial-field) finds polygons and points."""
import json

import pytest

from ckan.lib.search import SearchError
from ckan.tests import helpers
from ckanext.maemoh.tests.helpers import TYPE_FIELDS

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

MAE_MOH_BBOX = "99.62,18.19,100.06,18.63"


@pytest.fixture
def datasets(demo_data, create_dataset):
    def dataset(name, geometry):
        create_dataset(name=name, spatial=json.dumps(geometry))

    with open(demo_data / "maemoh_tambons.geojson", encoding="utf-8") as f:
        tambons = json.load(f)["features"]
    sop_pat = next(t for t in tambons if t["properties"]["tambon_code"] == "520205")
    dataset("sop-pat-boundary", sop_pat["geometry"])
    dataset("station-40t", {"type": "Point", "coordinates": [99.659873, 18.282664]})
    dataset("bangkok-station", {"type": "Point", "coordinates": [100.5018, 13.7563]})


def _found(bbox):
    result = helpers.call_action("package_search", extras={"ext_bbox": bbox})
    return sorted(d["name"] for d in result["results"])


def test_bbox_over_mae_moh_finds_a_polygon_and_a_point(datasets):
    assert _found(MAE_MOH_BBOX) == ["sop-pat-boundary", "station-40t"]


def test_bbox_over_bangkok_finds_only_bangkok(datasets):
    assert _found("100.3,13.5,100.9,14.0") == ["bangkok-station"]


def test_a_bbox_that_is_not_four_numbers_is_rejected(datasets):
    with pytest.raises(SearchError, match="Wrong bounding box"):
        _found("99.62,18.19,100.06")


def test_bbox_search_finds_every_dataset_type(create_dataset):
    point = json.dumps({"type": "Point", "coordinates": [99.727046, 18.419425]})
    for dataset_type, fields in TYPE_FIELDS.items():
        create_dataset(name=f"at-ban-dong-{dataset_type}", type=dataset_type,
                       spatial=point, **fields)
    assert _found(MAE_MOH_BBOX) == sorted(f"at-ban-dong-{t}" for t in TYPE_FIELDS)
