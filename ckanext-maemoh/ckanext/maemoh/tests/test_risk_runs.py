"""Risk runs against the real stack: harvested data in, published layers out,
through the real job queue and worker; who may start them; what they read."""
import datetime as dt
import io
import json
import socket

import PIL.Image
import pytest

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.tests import factories, helpers

from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.risk_jobs import blocks
from ckanext.maemoh.risk_jobs.tests.recompute import assert_agrees
from ckanext.maemoh import clock
from ckanext.maemoh.tests.helpers import NOW, harvest, risk_worker, run_queue_here

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")

RESOURCES = {"Risk map (GeoJSON)", "Risk table (CSV)", "Risk map (PNG)", "Method record (JSON)",
             "Risk per tambon"}


def resources(name):
    dataset = helpers.call_action("package_show", context={"user": ""}, id=name)
    return dataset, {r["name"]: r for r in dataset["resources"]}


def download(app, resource):
    response = app.get(resource["url"])
    assert response.status_code == 200
    return response.get_data()


def test_a_harvest_updates_the_risk_layers_through_the_worker(app, ckan_config, district, monkeypatch):
    harvest(district, NOW, "air4thai")
    queued = helpers.call_action("job_list", queues=[risk_runs.RISK_QUEUE])
    # three station objects changed: one job per dimension, one forecast and one calibration, not one per object
    assert sorted(j["title"] for j in queued) == [
        "Low-cost sensor calibration", "PM2.5 forecast", "Risk layer air (h3:7)", "Risk layer composite (h3:7)"]

    log = risk_worker(ckan_config)
    assert "Risk layer air" in log
    dataset, first = resources("risk-air")
    assert set(first) == RESOURCES and dataset["spatial_unit"] == "h3"
    views = helpers.call_action("resource_view_list", id=first["Risk map (GeoJSON)"]["id"])
    assert [v["view_type"] for v in views] == ["maemoh_risk_map", "geojson_view"]  # the risk map first
    views = helpers.call_action("resource_view_list", id=first["Risk map (PNG)"]["id"])
    assert [v["view_type"] for v in views] == ["image_view"]
    geojson = json.loads(download(app, first["Risk map (GeoJSON)"]))
    assert len(geojson["features"]) > 200
    properties = set(geojson["features"][0]["properties"])
    assert {"value", "hazard_level", "hazard_label_th", "hazard_label_en", "risk_class"} <= properties
    assert not {"gi_class", "lisa_class"} & properties  # an interpolated surface: no cluster classes
    summary = helpers.call_action("datastore_search", context={"user": ""},
                                  resource_id=first["Risk per tambon"]["id"], sort="tambon_code")["records"]
    assert [r["tambon_code"] for r in summary] == ["520201", "520202", "520203", "520204", "520205"]
    assert sum(r["cells"] for r in summary) == len(geojson["features"]) and summary[3]["name_en"] == "Mae Mo"
    assert all(r["hot_spot_cells"] is None for r in summary)
    record = json.loads(download(app, first["Method record (JSON)"]))
    assert {s["dataset_name"] for s in record["inputs"] if s["kind"] == "observations"} == {
        "air4thai-station-38t", "air4thai-station-39t", "air4thai-station-40t"}
    assert download(app, first["Risk map (PNG)"]).startswith(b"\x89PNG")
    runs = helpers.call_action("maemoh_risk_status")
    assert {(r["dimension"], r["state"], r["outcome"]) for r in runs} == {
        ("air", "finished", "published"), ("composite", "finished", "published")}

    for key in risk_runs.connection().scan_iter(risk_runs.GATE_KEY.format("*")):
        risk_runs.connection().delete(key)  # as if the minimum interval had passed
    later = NOW + dt.timedelta(hours=3)
    monkeypatch.setitem(tk.config, clock.OPTION, later.isoformat())
    harvest(district, later, "air4thai")  # three new hours
    assert "Risk layer air (h3:7)" in run_queue_here(risk_runs.RISK_QUEUE)  # the worker's part was shown above
    again, second = resources("risk-air")
    assert {n: r["id"] for n, r in second.items()} == {n: r["id"] for n, r in first.items()}
    assert again["computed_at"] > dataset["computed_at"]
    assert json.loads(download(app, second["Method record (JSON)"]))["parameters"]["window_end_utc"] > \
        record["parameters"]["window_end_utc"]


def test_the_published_fire_layer_recomputes_exactly(app, district):
    """Downloaded from the catalogue, the GeoJSON and method record are enough to
    recompute every statistic with esda; the quiet cells are not cold spots."""
    harvest(district, NOW, "firms")
    assert risk_runs.execute("fire")["status"] == "published"
    _, files = resources("risk-fire")
    geojson = json.loads(download(app, files["Risk map (GeoJSON)"]))
    record = json.loads(download(app, files["Method record (JSON)"]))
    published, _ = assert_agrees(geojson, record)
    assert record["parameters"]["fdr"] is True
    assert (published["lisa_class"] == "no variation").sum() > len(published) / 2
    assert not published["gi_class"].str.startswith("cold").any()


def test_fresh_data_within_the_interval_wait_for_flush(district):
    first = risk_runs.request("fire")
    assert [r["dimension"] for r in first] == ["fire"]
    assert risk_runs.request("fire") == [] and risk_runs.request("fire") == []
    assert risk_runs.flush() == []  # the gate is still closed
    risk_runs.connection().delete(risk_runs.GATE_KEY.format("fire"))  # as if 10 minutes passed
    assert [r["dimension"] for r in risk_runs.flush()] == ["fire"]
    assert risk_runs.flush() == []  # nothing dirty any more
    assert len(helpers.call_action("job_list", queues=[risk_runs.RISK_QUEUE])) == 2


def test_a_rerun_replaces_the_resources_in_place(app, district):
    harvest(district, NOW, "firms")
    assert risk_runs.execute("fire") == {"status": "published", "dataset": "risk-fire"}
    dataset, first = resources("risk-fire")
    png = PIL.Image.open(io.BytesIO(download(app, first["Risk map (PNG)"])))
    assert png.text["Source"].endswith("; data: NASA FIRMS")
    assert dataset["risk_dimension"] == "fire" and dataset["input_datasets"] == [
        "firms-source-data", "maemoh-tambon-boundaries"]
    assert risk_runs.execute("fire")["status"] == "published"
    again, second = resources("risk-fire")
    assert len(again["resources"]) == 5
    assert {n: r["id"] for n, r in second.items()} == {n: r["id"] for n, r in first.items()}
    activity = helpers.call_action("package_activity_list", id=dataset["id"])
    assert len(activity) >= 3  # created, then a new version per run


def test_a_failing_run_keeps_the_previous_layer(district, monkeypatch):
    harvest(district, NOW, "firms")
    risk_runs.execute("fire")
    before, _ = resources("risk-fire")
    monkeypatch.setitem(tk.config, "ckanext.maemoh.risk.vulnerability_resource", "no-such-resource")
    run = risk_runs.new_run("fire", trigger="test", via="sync")
    with pytest.raises(Exception, match="not a public resource"):
        risk_runs.run_job(run["id"])
    after, _ = resources("risk-fire")
    assert after["metadata_modified"] == before["metadata_modified"]
    assert after["resources"] == before["resources"]
    (failed,) = helpers.call_action("maemoh_risk_status", state="failed")
    assert failed["dimension"] == "fire" and "not a public resource" in failed["error"]


def test_an_unreachable_dask_scheduler_fails_the_run_naming_the_option(district, monkeypatch):
    harvest(district, NOW, "firms")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"  # nothing listens there
    monkeypatch.setitem(tk.config, "ckanext.maemoh.risk.dask_scheduler", address)
    monkeypatch.setattr(blocks, "CONNECT_TIMEOUT", 1.0)
    run = risk_runs.new_run("fire", trigger="test", via="sync")
    with pytest.raises(blocks.SchedulerUnreachable):
        risk_runs.run_job(run["id"])
    (failed,) = helpers.call_action("maemoh_risk_status", state="failed")
    assert failed["error"].startswith(f"SchedulerUnreachable: dask scheduler '{address}' cannot be reached")
    assert failed["error"].endswith("(set by ckanext.maemoh.risk.dask_scheduler)")
    assert not helpers.call_action("package_search", q="name:risk-fire")["count"]


def test_water_and_waste_layers_from_the_agency_files(district):
    harvest(district, NOW, "agency", "water")
    assert risk_runs.execute("water")["status"] == "published"
    dataset, files = resources("risk-water")
    assert {"Sampling points", "Parameters per sampling point"} <= set(files)
    assert {"agency-station-mm01", "agency-station-mm02"} <= set(dataset["input_datasets"])

    def rows(resource):
        return helpers.call_action("datastore_search", context={"user": ""}, resource_id=resource["id"],
                                   sort="_id")["records"]
    points = {p["station_id"]: p for p in rows(files["Sampling points"])}
    assert set(points) == {"MM01", "MM02", "MM03", "MM04"}
    assert points["MM02"]["water_class"] == 5 and "manganese" in points["MM02"]["limiting"]
    tambons = {r["tambon_code"]: r for r in rows(files["Risk per tambon"])}
    assert tambons["520204"]["value_mean"] == 5 and tambons["520205"]["value_mean"] is None
    parameters = rows(files["Parameters per sampling point"])
    assert {p["variable"] for p in parameters} >= {"bod", "dissolved-oxygen", "manganese", "arsenic"}
    assert {p["samples"] for p in parameters} <= {11, 12}  # a year of monthly samples

    assert risk_runs.execute("waste")["status"] == "published"
    _, files = resources("risk-waste")
    (landfill,) = rows(files["Landfills"])
    assert landfill["station_id"] == "LF-01" and landfill["landfilled_t"] > 0


def test_a_dimension_without_data_publishes_nothing(district):
    assert risk_runs.execute("water") == {
        "status": "no data", "reason": "no sampling point has a parameter of the surface-water standard in the window"}
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("package_show", id="risk-water")


def test_private_data_stay_out_of_the_layers(app, district):
    harvest(district, NOW, "air4thai")
    helpers.call_action("package_patch", context={"user": factories.Sysadmin()["name"]},
                        id="air4thai-station-40t", private=True)
    risk_runs.execute("air")
    dataset, files = resources("risk-air")
    assert "air4thai-station-40t" not in dataset["input_datasets"]
    record = json.loads(download(app, files["Method record (JSON)"]))
    assert "air4thai-station-40t" not in json.dumps(record)
    station_aqi = next(c for c in record["components"] if c.get("component") == "station AQI")
    assert "40t" not in json.dumps(station_aqi)


def test_the_cli_runs_synchronously_with_progress(cli, district):
    harvest(district, NOW, "firms")
    result = cli.invoke(ckan_command, ["maemoh", "risk", "run", "--sync", "-d", "fire", "-d", "ghg"])
    assert result.exit_code == 0, result.output
    assert "fire: published risk-fire" in result.output
    assert "ghg: no data (no greenhouse-gas inventory is published)" in result.output
    bad = cli.invoke(ckan_command, ["maemoh", "risk", "run", "--grid", "h3:99"])
    assert bad.exit_code != 0 and "H3 resolution" in bad.output
    status = cli.invoke(ckan_command, ["maemoh", "risk", "status"])
    assert "finished fire" in " ".join(status.output.split())


def test_the_action_queues_runs_for_editors_only(district):
    editor, member, stranger = (factories.User() for _ in range(3))
    sysadmin = factories.Sysadmin()
    helpers.call_action("organization_member_create", id=district["id"], username=editor["name"], role="editor")
    helpers.call_action("organization_member_create", id=district["id"], username=member["name"], role="member")
    for action in ("maemoh_risk_run", "maemoh_risk_status"):
        for user in (None, stranger["name"], member["name"]):
            with pytest.raises(tk.NotAuthorized):
                helpers.call_auth(action, {"user": user, "model": None})
        for user in (editor["name"], sysadmin["name"]):
            assert helpers.call_auth(action, {"user": user, "model": None})
    runs = helpers.call_action("maemoh_risk_run", context={"user": editor["name"]}, dimension="air,fire")
    assert [r["dimension"] for r in runs] == ["air", "fire"] and runs[0]["requested_by"] == editor["name"]
    assert len(helpers.call_action("job_list", queues=[risk_runs.RISK_QUEUE])) == 2
    with pytest.raises(tk.ValidationError, match="noise"):
        helpers.call_action("maemoh_risk_run", dimension="noise")
    with pytest.raises(tk.ValidationError, match="grid"):
        helpers.call_action("maemoh_risk_run", dimension="air", grid="squares")
    with pytest.raises(tk.ValidationError):
        helpers.call_action("maemoh_risk_status", limit="many")
    queued = helpers.call_action("maemoh_risk_status", state="queued")
    assert {r["dimension"] for r in queued} == {"air", "fire"}


def test_the_test_process_is_not_a_risk_worker():
    assert risk_runs.is_risk_worker() is False
