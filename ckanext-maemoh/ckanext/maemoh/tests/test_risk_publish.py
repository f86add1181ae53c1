"""Publishing a risk layer: one risk-layer dataset whose four files move to
each new run at once (same resource ids), its tambon table showing the
run's rows, views once (the risk map first), and a bad layer changes
nothing; a second publication of the layer waits for the first."""
import contextvars
import dataclasses
import datetime as dt
import json
import threading

import geopandas as gpd
import pytest

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories, helpers

from ckanext.maemoh.residents import data as residents_data
from ckanext.maemoh.store import catalog, publish, published
from ckanext.maemoh.risk_jobs.composite import RISK_CLASSES
from ckanext.maemoh.risk.publish import RiskLayer, publish_layer
from ckanext.maemoh.tests.helpers import DEMO_DATA
from ckanext.maemoh.writers import geojson, maps, records, tables

RESOURCE_NAMES = {"Risk map (GeoJSON)", "Risk table (CSV)", "Risk map (PNG)",
                  "Method record (JSON)"}


@pytest.fixture
def district(clean_db, clean_index):
    return factories.Organization(name=tk.config["ckanext.maemoh.organization"],
                                  agency_type="government")


def make_layer(risk):
    """A tambon layer of the real tambons, one ``risk`` value for all."""
    gdf = gpd.read_file(DEMO_DATA / "maemoh_tambons.geojson")[["tambon_code", "geometry"]]
    gdf["risk"] = risk
    gdf["risk_class"] = 4 if risk >= 0.6 else 2
    computed_at = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.timezone.utc)
    return RiskLayer(
        dimension="air", method="getis-ord-gi-star", spatial_unit="tambon",
        h3_resolution=None,
        period_start=dt.date(2025, 2, 1), period_end=dt.date(2025, 2, 28),
        parameters={"permutations": 99, "seed": 1}, input_datasets=["air4thai-38t"],
        computed_at=computed_at,
        geojson=geojson.to_geojson(gdf, id_column="tambon_code"),
        csv=tables.to_csv(gdf),
        png=maps.to_png(gdf, "risk_class", RISK_CLASSES, "ความเสี่ยง", "Risk", "test",
                           width_px=300, height_px=300, dpi=75),
        method_record=records.method_record(job="test", inputs=[], run_time=computed_at),
    )


def download(app, resource):
    response = app.get(resource["url"])
    assert response.status_code == 200
    return response.get_data()


def geojson_views(resource):
    views = helpers.call_action("resource_view_list", id=resource["id"])
    return [v for v in views if v["view_type"] == "geojson_view"]


def test_publish_creates_then_replaces_in_place(app, district):
    context = catalog.site_context()
    first = make_layer(0.7)
    dataset = publish_layer(context, first)

    assert dataset["name"] == "risk-air" and dataset["type"] == "risk-layer"
    assert dataset["organization"]["name"] == district["name"]
    assert json.loads(dataset["spatial"])["type"] in ("Polygon", "MultiPolygon")
    resources = {r["name"]: r for r in dataset["resources"]}
    assert set(resources) == RESOURCE_NAMES and len(dataset["resources"]) == 4
    assert all(r["url_type"] == published.URL_TYPE for r in resources.values())
    run = dataset["published_run"]
    assert all(published.parts(r)[:2] == ("risk-air", run) for r in resources.values())
    geo = resources["Risk map (GeoJSON)"]
    assert json.loads(download(app, geo)) == first.geojson
    assert download(app, resources["Risk map (PNG)"]) == first.png
    assert download(app, resources["Risk table (CSV)"]).decode("utf-8") == first.csv
    assert len(geojson_views(geo)) == 1
    # the risk map is the view a visitor sees first (risk/map_view.py)
    assert helpers.call_action("resource_view_list", id=geo["id"])[0]["view_type"] == "maemoh_risk_map"

    second = make_layer(0.3)
    again = publish_layer(context, dataclasses.replace(
        second, period_end=dt.date(2025, 2, 27)))
    assert {r["id"] for r in again["resources"]} == {r["id"] for r in resources.values()}
    assert len(again["resources"]) == 4
    assert again["temporal_end"] == "2025-02-27"
    geo_again = next(r for r in again["resources"] if r["name"] == "Risk map (GeoJSON)")
    assert json.loads(download(app, geo_again)) == second.geojson != first.geojson
    assert len(geojson_views(geo_again)) == 1
    # the first run's files stay where they were: a run never changes
    assert again["published_run"] != run and geo_again["url"] != geo["url"]
    assert json.loads(download(app, geo)) == first.geojson


def test_a_bad_layer_changes_nothing(app, district):
    context = catalog.site_context()
    good = make_layer(0.7)
    before = publish_layer(context, good)

    other = make_layer(0.3)
    for bad in (dataclasses.replace(other, method="no-such-method"),
                dataclasses.replace(other, png=b"not a png"),
                dataclasses.replace(other, period_end=dt.date(2025, 1, 1))):  # schema
        with pytest.raises(tk.ValidationError):
            publish_layer(context, bad)

    after = helpers.call_action("package_show", id="risk-air")
    assert after["metadata_modified"] == before["metadata_modified"]
    assert after["resources"] == before["resources"]
    geo = next(r for r in after["resources"] if r["name"] == "Risk map (GeoJSON)")
    assert json.loads(download(app, geo)) == good.geojson


def test_an_unknown_dimension_is_refused_before_any_write(district):
    with pytest.raises(tk.ValidationError) as error:
        publish_layer(catalog.site_context(), dataclasses.replace(make_layer(0.5), dimension="noise"))
    assert "risk_dimension" in error.value.error_dict
    assert helpers.call_action("package_list") == []


def with_summary(layer, risk):
    """``layer`` with a tambon table of the five tambons at ``risk``."""
    rows = [{"tambon_code": code, "name_th": "ต", "name_en": "T", "cells": 1, "value_mean": risk,
             "risk_mean": risk, "risk_class_max": 2, "hot_spot_cells": 0, "high_high_cells": 0}
            for code in ("520201", "520202", "520203", "520204", "520205")]
    return dataclasses.replace(layer, tambon_summary=rows)


def table_rows(dataset):
    table = next(r for r in dataset["resources"] if r["name"] == "Risk per tambon")
    return helpers.call_action("datastore_search", resource_id=table["id"], limit=100)["records"]


def test_the_tambon_table_holds_the_published_run(district):
    context = catalog.site_context()
    publish_layer(context, with_summary(make_layer(0.7), 0.7))
    dataset = publish_layer(context, with_summary(make_layer(0.3), 0.3))

    rows = table_rows(dataset)
    assert len(rows) == 5 and {r["run_id"] for r in rows} == {dataset["published_run"]}
    shown = residents_data.risk_summary()["air"]["tambons"]
    assert [r["risk_mean"] for r in shown] == [0.3] * 5


def test_a_publication_killed_before_the_dataset_write_leaves_the_old_run_whole(app, district, monkeypatch):
    context = catalog.site_context()
    before = publish_layer(context, with_summary(make_layer(0.7), 0.7))

    def killed(*args, **kwargs):  # the process dies at the one write that switches runs
        raise KeyboardInterrupt
    monkeypatch.setattr(catalog, "upsert", killed)
    with pytest.raises(KeyboardInterrupt):
        publish_layer(context, with_summary(make_layer(0.3), 0.3))
    monkeypatch.undo()

    after = helpers.call_action("package_show", id="risk-air")
    assert after["published_run"] == before["published_run"] and after["resources"] == before["resources"]
    geo = next(r for r in after["resources"] if r["name"] == "Risk map (GeoJSON)")
    assert json.loads(download(app, geo)) == make_layer(0.7).geojson
    assert len(table_rows(after)) == 10  # the killed run's rows are there, but no reader keeps them
    assert [r["risk_mean"] for r in residents_data.risk_summary()["air"]["tambons"]] == [0.7] * 5

    again = publish_layer(context, with_summary(make_layer(0.5), 0.5))
    assert {r["run_id"] for r in table_rows(again)} == {again["published_run"]}
    assert len(table_rows(again)) == 5


def test_a_run_file_is_immutable_and_only_for_who_may_see_the_dataset(app, district):
    dataset = publish_layer(catalog.site_context(), make_layer(0.7))
    geo = next(r for r in dataset["resources"] if r["name"] == "Risk map (GeoJSON)")
    response = app.get(geo["url"])
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"] == "application/geo+json"
    base = geo["url"].rsplit("/", 1)[0]
    for bad in (base + "/risk-fire.geojson", base.rsplit("/", 1)[0] + "/0-0/risk-air.geojson",
                "/maemoh/published/risk-air/..%2F..%2Fckan.ini/x", "/maemoh/published/other/x/y.json"):
        assert app.get(bad).status_code == 404, bad

    sysadmin = factories.Sysadmin()
    helpers.call_action("package_patch", context={"user": sysadmin["name"]}, id="risk-air", private=True)
    assert app.get(geo["url"]).status_code == 404
    assert app.get(geo["url"], headers={"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
                   ).status_code == 200


@pytest.mark.ckan_config(published.KEEP_OPTION, 2)
def test_old_runs_are_removed_beyond_the_ones_kept(district):
    context = catalog.site_context()
    names = []
    for risk in (0.1, 0.2, 0.3, 0.4):
        names.append(publish_layer(context, make_layer(risk))["published_run"])
    kept = sorted(p.name for p in (published.root() / "risk-air").iterdir())
    assert kept == sorted(names[-2:])


def test_a_publication_waits_while_another_of_the_dataset_runs(district):
    """Two risk workers may publish one layer at once: the second waits for
    the first (each removes the other runs' rows), so the table keeps its run."""
    context = catalog.site_context()
    first = publish_layer(context, with_summary(make_layer(0.7), 0.7))
    other = connect_to_redis().lock(publish.LOCK_KEY.format("risk-air"), timeout=60)
    assert other.acquire(blocking=False)  # a publication of another worker runs
    waiting = threading.Thread(target=contextvars.copy_context().run,
                               args=(publish_layer, context, with_summary(make_layer(0.3), 0.3)))
    waiting.start()
    waiting.join(2)
    assert waiting.is_alive()
    model.Session.remove()
    assert helpers.call_action("package_show", id="risk-air")["published_run"] == first["published_run"]
    other.release()
    waiting.join(60)
    model.Session.remove()
    after = helpers.call_action("package_show", id="risk-air")
    assert after["published_run"] != first["published_run"]
    assert {r["run_id"] for r in table_rows(after)} == {after["published_run"]} and len(table_rows(after)) == 5
