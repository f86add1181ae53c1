"""The search index is a real Apache Solr 9 core with the spatial fields."""
import pytest
import requests

import ckan.plugins.toolkit as tk


def _get(path, core=True):
    """GET a path of our core, or of the Solr node when ``core`` is false."""
    base = tk.config["solr_url"].rstrip("/")
    if not core:
        base = base.rsplit("/", 1)[0]
    response = requests.get(base + path, params={"wt": "json"}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_solr_is_apache_solr_9():
    info = _get("/admin/info/system", core=False)
    assert info["lucene"]["solr-spec-version"].startswith("9.")


@pytest.mark.parametrize("field,type_", [
    ("spatial_geom", "location_rpt"),
    ("minx", "pfloat"), ("maxx", "pfloat"), ("miny", "pfloat"), ("maxy", "pfloat"),
])
def test_spatial_fields_are_in_the_schema(field, type_):
    assert _get(f"/schema/fields/{field}")["field"]["type"] == type_


def test_location_rpt_uses_jts_for_polygons():
    field_type = _get("/schema/fieldtypes/location_rpt")["fieldType"]
    assert field_type["spatialContextFactory"] == "JTS"
