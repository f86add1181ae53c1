"""The risk-map view (``maemoh_risk_map``) and its compact data: only for the
GeoJSON of risk layers, the default view of the ones we publish (also of a
layer published before the view existed), every property of the GeoJSON in
the compact data, the hexagons left to the browser, CKAN's authorisation
kept (a private layer is not served to the public), the LISA / Gi* switches
off with a reason where a layer has no local statistics."""
import json

import h3
import pytest

import ckan.plugins as p
from ckan.tests import factories, helpers

from ckanext.maemoh.risk import map_view as risk_map
from ckanext.maemoh.risk_jobs import composite
from ckanext.maemoh.tests import risk_layers

pytestmark = pytest.mark.usefixtures("clean_index")
GEOJSON = "Risk map (GeoJSON)"


def resource(dataset, name=GEOJSON):
    return next(r for r in dataset["resources"] if r["name"] == name)


def data_url(resource_id):
    return f"/maemoh/risk-map/{resource_id}.json"


def decode(payload):
    """The properties of each cell, from the compact columns."""
    rows = [{} for _ in range(payload["count"])]
    for column in payload["columns"]:
        if "labels" in column:
            values = [column["labels"][i] for i in column["index"]]
        else:
            values = column["values"]
        assert len(values) == payload["count"], column["name"]
        for row, value in zip(rows, values):
            row[column["name"]] = value
    return rows


def views(resource_id):
    return helpers.call_action("resource_view_list", id=resource_id)


@pytest.mark.usefixtures("with_plugins")
def test_only_the_geojson_of_a_risk_layer_gets_the_view():
    plugin = p.get_plugin(risk_map.VIEW_TYPE)
    risk_layer, other = {"type": "risk-layer"}, {"type": "dataset"}
    assert plugin.can_view({"resource": {"format": "GeoJSON"}, "package": risk_layer})
    assert plugin.can_view({"resource": {"format": "geojson"}, "package": risk_layer})
    assert not plugin.can_view({"resource": {"format": "GeoJSON"}, "package": other})
    assert not plugin.can_view({"resource": {"format": "GeoJSON"}, "package": {"type": "ghg-inventory"}})
    for fmt in ("CSV", "PNG", "JSON", "", None):
        assert not plugin.can_view({"resource": {"format": fmt}, "package": risk_layer})
    assert plugin.info()["iframed"] and plugin.info()["name"] == "maemoh_risk_map"


def test_a_published_layer_shows_the_risk_map_first(district):
    dataset = risk_layers.publish("fire", 7)
    geo = views(resource(dataset)["id"])
    assert geo[0]["view_type"] == "maemoh_risk_map"
    assert [v["view_type"] for v in geo].count("maemoh_risk_map") == 1
    for other in dataset["resources"]:
        if other["name"] != GEOJSON:
            assert "maemoh_risk_map" not in {v["view_type"] for v in views(other["id"])}, other["name"]


def test_a_layer_published_before_the_view_gets_it_on_republication(district):
    dataset = risk_layers.publish("fire", 7)
    geo_id = resource(dataset)["id"]
    sysadmin = {"user": factories.Sysadmin()["name"]}
    for view in views(geo_id):
        if view["view_type"] == "maemoh_risk_map":
            helpers.call_action("resource_view_delete", context=dict(sysadmin), id=view["id"])
    if not views(geo_id):  # as it was: the GeoJSON view of ckanext-geoview only
        helpers.call_action("resource_view_create", context=dict(sysadmin), resource_id=geo_id,
                            view_type="geojson_view", title="Map")
    assert "maemoh_risk_map" not in {v["view_type"] for v in views(geo_id)}

    again = risk_layers.publish("fire", 7, seed=2)
    assert resource(again)["id"] == geo_id
    after = views(geo_id)
    assert after[0]["view_type"] == "maemoh_risk_map"
    assert "geojson_view" in {v["view_type"] for v in after}  # what was there stays


def test_the_compact_data_carry_every_property_of_the_geojson(app, district):
    dataset = risk_layers.publish("fire", 8)
    geo = resource(dataset)
    full_bytes = app.get(geo["url"]).get_data()
    full = json.loads(full_bytes)
    response = app.get(data_url(geo["id"]))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    payload = json.loads(response.get_data())
    assert payload["format"] == "maemoh-risk-map/1"
    assert payload["count"] == len(full["features"]) > 1000
    assert payload["h3_resolution"] == 8 and payload["geometry"] is None
    assert decode(payload) == [f["properties"] for f in full["features"]]
    assert {"lisa_class", "gi_class"} <= {c["name"] for c in payload["columns"]}
    # texts that repeat go as labels and indexes; the hexagons are left out
    columns = {c["name"]: c for c in payload["columns"]}
    assert "labels" in columns["name_th"] and "values" in columns["cell_id"]
    assert len(response.get_data()) * 5 < len(full_bytes)
    # ... and the browser's hexagons are the published ones
    for feature in full["features"][:50]:
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(feature["properties"]["cell_id"])]
        assert sorted(map(tuple, feature["geometry"]["coordinates"][0][:-1])) == sorted(map(tuple, ring))

    # unchanged: the browser's copy is still good
    etag = response.headers["ETag"]
    assert app.get(data_url(geo["id"]), headers={"If-None-Match": etag}).status_code == 304
    assert "no-cache" in response.headers["Cache-Control"]

    # a new version of the layer is served at once, not the cached one
    again = risk_layers.publish("fire", 8, seed=7)
    full = json.loads(app.get(resource(again)["url"]).get_data())
    response = app.get(data_url(geo["id"]), headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert decode(json.loads(response.get_data())) == [f["properties"] for f in full["features"]]


def test_tambon_cells_keep_their_geometry_and_absent_properties_are_tolerated(app, district):
    dataset = risk_layers.publish("air", None, uncertainty=True)
    geo = resource(dataset)
    full = json.loads(app.get(geo["url"]).get_data())
    payload = json.loads(app.get(data_url(geo["id"])).get_data())
    assert payload["h3_resolution"] is None
    assert payload["geometry"] == [f["geometry"] for f in full["features"]]
    assert decode(payload) == [f["properties"] for f in full["features"]]
    names = {c["name"] for c in payload["columns"]}
    assert "uncertainty" in names and not names & {"lisa_class", "gi_class"}


def test_a_private_layer_is_not_served_to_the_public(app, district):
    dataset = risk_layers.publish("fire", 7)
    sysadmin = factories.Sysadmin()
    helpers.call_action("package_patch", context={"user": sysadmin["name"]}, id=dataset["id"], private=True)
    url = data_url(resource(dataset)["id"])
    response = app.get(url)
    assert response.status_code in (403, 404)
    assert "cell_id" not in response.get_data(as_text=True)
    stranger = factories.User()
    token = factories.APIToken(user=stranger["name"])["token"]
    assert app.get(url, headers={"Authorization": token}).status_code in (403, 404)
    token = factories.APIToken(user=sysadmin["name"])["token"]
    allowed = app.get(url, headers={"Authorization": token})
    assert allowed.status_code == 200 and allowed.headers["Cache-Control"].startswith("private")


def test_nothing_but_a_risk_layer_geojson_is_served(app, district, create_dataset):
    dataset = risk_layers.publish("fire", 7)
    assert app.get(data_url(resource(dataset, "Risk table (CSV)")["id"])).status_code == 404
    assert app.get(data_url("no-such-resource")).status_code == 404
    other = create_dataset(name="a-geojson", resources=[
        {"url": "http://example.org/a.geojson", "format": "GeoJSON", "name": "A"}])
    assert app.get(data_url(other["resources"][0]["id"])).status_code == 404


def test_the_view_page_in_both_languages(app, district):
    dataset = risk_layers.publish("fire", 7)
    geo = resource(dataset)
    view = views(geo["id"])[0]
    page = f"/risk-layer/{dataset['name']}/resource/{geo['id']}/view/{view['id']}"
    html = app.get(page).get_data(as_text=True)
    for c in composite.RISK_CLASSES:  # the legend in Thai and English
        assert f'<span lang="th">{c.label_th}</span> · <span lang="en">{c.label_en}</span>' in html
    assert "ระบายสีช่องตาม" in html  # the page's own words in its language (Thai by default)
    for key in ("risk", "hazard", "lisa", "gi"):
        assert f'value="{key}"' in html
    assert "disabled aria-describedby" not in html
    assert data_url(geo["id"]) in html
    english = app.get("/en" + page).get_data(as_text=True)
    assert "Colour the cells by" in english and "Very high" in english and "สูงมาก" in english


def test_without_local_statistics_the_switches_say_why(app, district):
    dataset = risk_layers.publish("air", None, uncertainty=True)
    geo = resource(dataset)
    view = next(v for v in views(geo["id"]) if v["view_type"] == "maemoh_risk_map")
    html = app.get(f"/risk-layer/{dataset['name']}/resource/{geo['id']}/view/{view['id']}").get_data(as_text=True)
    for key in ("lisa", "gi"):
        assert (f'value="{key}" disabled aria-describedby="maemoh-risk-map-why-local"') in html
    assert risk_map.NO_LOCAL_STATISTICS_TH in html and risk_map.NO_LOCAL_STATISTICS_EN in html


def test_compact_is_exact_for_odd_properties():
    """Missing properties read as null, numbers keep every digit, a mix of
    H3 and other cells keeps the others' geometry."""
    square = {"type": "Polygon", "coordinates": [[[99.7, 18.3], [99.8, 18.3], [99.8, 18.4], [99.7, 18.3]]]}
    cell = h3.latlng_to_cell(18.35, 99.75, 8)
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {"cell_id": cell, "risk": 0.1234567890123, "x": "a"}},
        {"type": "Feature", "geometry": square, "properties": {"cell_id": "520201", "risk_class": None}},
    ]}
    payload = json.loads(risk_map.encode(risk_map.compact(geojson)))
    assert decode(payload) == [{"cell_id": cell, "risk": 0.1234567890123, "x": "a", "risk_class": None},
                               {"cell_id": "520201", "risk": None, "x": None, "risk_class": None}]
    assert payload["geometry"] == [None, square] and payload["h3_resolution"] is None
    with pytest.raises(risk_map.RiskMapError):
        risk_map.compact({"type": "Feature"})


@pytest.mark.ckan_config(risk_map.TILE_URL_OPTION, "https://tiles.example.org/{z}/{x}/{y}.png")
@pytest.mark.ckan_config(risk_map.TILE_ATTRIBUTION_OPTION, '<b>Tiles</b> & "friends"')
def test_the_base_map_comes_from_the_configuration(app, district):
    dataset = risk_layers.publish("fire", 7)
    geo = resource(dataset)
    view = views(geo["id"])[0]
    html = app.get(f"/risk-layer/{dataset['name']}/resource/{geo['id']}/view/{view['id']}").get_data(as_text=True)
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="&lt;b&gt;Tiles&lt;/b&gt; &amp; &#34;friends&#34;"' in html


def test_without_a_base_map_no_tiles_are_asked_for(app, district):
    dataset = risk_layers.publish("fire", 7)
    geo = resource(dataset)
    view = views(geo["id"])[0]
    html = app.get(f"/risk-layer/{dataset['name']}/resource/{geo['id']}/view/{view['id']}").get_data(as_text=True)
    assert 'data-tile-url=""' in html
