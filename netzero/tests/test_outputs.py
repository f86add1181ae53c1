"""Outputs: CSV round trip, tambon GeoJSON, PNG charts."""
import io
import json

import pandas as pd
import pytest

from ckanext.maemoh.netzero import factors, outputs
from ckanext.maemoh.netzero.inventory import LINE_COLUMNS, compute_inventory
from ckanext.maemoh.netzero.pathway import project
from ckanext.maemoh.netzero.scenarios import load_scenarios

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def inventory(ar6, demo):
    return compute_inventory(demo, ar6, 2024)


def test_csv_round_trips(inventory):
    text = outputs.inventory_csv(inventory)
    back = pd.read_csv(io.StringIO(text), dtype={"tambon_code": str})
    assert list(back.columns) == list(LINE_COLUMNS) and len(back) == len(inventory.lines)
    for column in ("quantity", "factor_value", "gwp", "emissions_t_co2e", "scope"):
        pd.testing.assert_series_equal(back[column].astype(float), inventory.lines[column].astype(float),
                                       check_exact=True)
    for column in ("gpc_ref", "tambon_code", "activity", "factor_version", "notation_key"):
        assert back[column].fillna("").tolist() == inventory.lines[column].fillna("").tolist()


def test_geojson_has_the_five_tambons(inventory, tambons, population):
    doc = outputs.tambon_geojson(inventory, tambons, population)
    json.dumps(doc, allow_nan=False)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    features = {f["id"]: f for f in doc["features"]}
    assert sorted(features) == ["520201", "520202", "520203", "520204", "520205"]
    sop_pat = features["520205"]["properties"]
    assert sop_pat["emissions_t_co2e"] == pytest.approx(inventory.by_tambon().loc["520205", "basic_plus_t"], abs=1e-3)
    assert sop_pat["per_capita_t_co2e"] == pytest.approx(sop_pat["emissions_t_co2e"] / 7544, abs=1e-3)
    assert sop_pat["i44_t_co2e"] is None and features["520204"]["properties"]["i44_t_co2e"] > 1e7
    assert features["520204"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    without = outputs.tambon_geojson(inventory, tambons)
    assert "per_capita_t_co2e" not in without["features"][0]["properties"]


def test_charts_are_pngs(inventory):
    sectors = outputs.sector_chart_png(inventory)
    pathway = project(inventory, load_scenarios(), factors.read_sequestration(), inventory.green_area_ha())
    lines = outputs.pathway_chart_png(pathway, attribution="test attribution")
    assert sectors.startswith(PNG_SIGNATURE) and lines.startswith(PNG_SIGNATURE)
    assert b"TGO-2016-18" in sectors and b"test attribution" in lines   # attribution in the Source chunk
