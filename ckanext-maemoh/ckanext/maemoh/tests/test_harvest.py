"""Our source harvesters through CKAN: stations, DataStore rows, rejects,
idempotence, corrections, the signal, and the real Redis queues."""
import json
import pathlib
import os
import subprocess
import sys
import time

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.harvest.base import OBSERVATIONS_CHANGED
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer
from ckanext.maemoh.tests.helpers import create_source, report, run_harvest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_index")
FIXTURES = pathlib.Path(__file__).resolve().parents[4] / "harvesters" / "tests" / "fixtures"


def air4thai(history="history_38t.json"):
    """An Air4Thai host with stations 38t and 40t; ``history`` is 38t's."""
    files = FIXTURES / "air4thai"

    def handler(request):
        if request.path == "/services/getNewAQI_JSON.php":
            station = request.query.get("stationID")
            name = {None: "all_stations.json", "38t": "station_38t.json"}.get(station)
            return json_answer((files / name).read_bytes()) if name else json_answer("{}", 404)
        if request.path == "/forweb/getHistoryData.php":
            return json_answer(history if history.startswith("{") else (files / history).read_bytes())
        return json_answer("{}", 404)
    return handler


@pytest.fixture
def harvested(organization):
    with ReplayServer(air4thai()) as server:
        source = create_source(organization, server.url, "air4thai", {"stations": ["38t"]})
        job = run_harvest(source["id"])
        yield server, source, job


def _rows(resource_id):
    result = helpers.call_action("datastore_search", resource_id=resource_id,
                                 sort="variable, time_utc", limit=1000)
    return result["records"]


def _observations(dataset_name):
    dataset = helpers.call_action("package_show", id=dataset_name)
    (resource,) = [r for r in dataset["resources"] if r["name"] == "Observations"]
    return dataset, resource["id"]


def test_a_harvest_creates_the_station_and_its_observations(harvested):
    _server, source, job = harvested
    dataset, resource_id = _observations("air4thai-station-38t")
    assert dataset["type"] == "sensor-station"
    assert dataset["owner_org"] == source["owner_org"]
    assert dataset["tambons"] == ["520205"]
    assert dataset["title_translated"]["en"].startswith("Health Promotion Hospital")
    rows = _rows(resource_id)
    pm25 = [(r["time_utc"], r["value"]) for r in rows if r["variable"] == "pm25"
            and r["averaging_period"] == "PT1H"]
    # 2026-03-10 10:00 Bangkok = 03:00 UTC; the all-null 11:00 row lost to its duplicate
    assert ("2026-03-10T03:00:00", 61.2) in pm25
    assert ("2026-03-10T04:00:00", 64.8) in pm25
    assert all(r["unit"] == "ug/m3" for r in rows if r["variable"] == "pm25")
    co = {r["unit"] for r in rows if r["variable"] == "co"}
    assert co == {"[ppm]"}


def test_rejected_values_are_object_errors_and_the_good_ones_land(harvested):
    _server, _source, job = harvested
    (status, errors), = report(job).values()
    assert any("no-data sentinel" in e or "no data" in e for e in errors), errors
    _dataset, resource_id = _observations("air4thai-station-38t")
    assert not any(r["value"] is None for r in _rows(resource_id))


def test_a_second_identical_harvest_changes_nothing(harvested):
    server, source, _job = harvested
    dataset, resource_id = _observations("air4thai-station-38t")
    before = _rows(resource_id)
    run_harvest(source["id"])
    again, _ = _observations("air4thai-station-38t")
    assert again["metadata_modified"] == dataset["metadata_modified"]
    assert _rows(resource_id) == before


def test_a_corrected_value_replaces_the_old_row(organization):
    sysadmin = factories.Sysadmin()
    history = json.loads((FIXTURES / "air4thai" / "history_38t.json").read_text())
    with ReplayServer(air4thai()) as server:
        source = create_source(organization, server.url, "air4thai", {"stations": ["38t"]})
        run_harvest(source["id"])
    history["stations"][0]["data"][1]["PM25"] = 16.2   # the agency corrects 10:00
    with ReplayServer(air4thai(json.dumps(history))) as server:
        helpers.call_action("harvest_source_patch", context={"user": sysadmin["name"]},
                            id=source["id"], url=server.url)
        run_harvest(source["id"])
    _dataset, resource_id = _observations("air4thai-station-38t")
    values = {(r["time_utc"], r["averaging_period"]): r["value"] for r in _rows(resource_id)
              if r["variable"] == "pm25"}
    assert values[("2026-03-10T03:00:00", "PT1H")] == 16.2


def test_changed_observations_send_one_signal(organization):
    received = []

    def listener(sender, **details):
        received.append((sender, details))

    signal = tk.signals.ckanext.signal(OBSERVATIONS_CHANGED)
    signal.connect(listener)
    try:
        with ReplayServer(air4thai()) as server:
            source = create_source(organization, server.url, "air4thai", {"stations": ["38t"]})
            run_harvest(source["id"])
            run_harvest(source["id"])  # nothing changes: no second signal
    finally:
        signal.disconnect(listener)
    (resource_id, details), = received
    assert details["start"].isoformat().startswith("2026-03-09T16:00")
    assert helpers.call_action("resource_show", id=resource_id)["name"] == "Observations"


def test_a_source_that_cannot_be_reached_is_a_gather_error(organization):
    source = create_source(organization, "http://127.0.0.1:9", "air4thai", {"stations": ["38t"]})
    job = run_harvest(source["id"])
    assert [e.message for e in job.gather_errors][0].startswith("Could not list")
    assert helpers.call_action("package_search", fq="type:sensor-station")["count"] == 0


def test_a_bad_configuration_is_refused_naming_the_key(organization):
    with pytest.raises(tk.ValidationError) as error:
        create_source(organization, "http://example.org", "air4thai", {"days": 99})
    assert "days" in str(error.value.error_dict)


def test_fire_detections_land_in_one_table_per_firms_source(organization):
    files = FIXTURES / "firms"

    def handler(request):
        name = {"VIIRS_SNPP_NRT": "viirs_snpp_nrt.csv", "MODIS_NRT": "modis_nrt.csv"}
        source = request.path.split("/")[5]
        return 200, {"Content-Type": "text/csv"}, (files / name[source]).read_bytes()

    with ReplayServer(handler) as server:
        source = create_source(organization, server.url, "firms", {
            "map_key": {"secret": "test-firms"}, "sources": ["VIIRS_SNPP_NRT", "MODIS_NRT"]})
        run_harvest(source["id"])
        dataset = helpers.call_action("package_show", id="firms-source-data")
        again = run_harvest(source["id"])
    assert dataset["theme"] == ["fire"]
    tables = {r["name"]: r["id"] for r in dataset["resources"]}
    assert sorted(tables) == ["MODIS_NRT", "VIIRS_SNPP_NRT"]
    viirs = helpers.call_action("datastore_search", resource_id=tables["VIIRS_SNPP_NRT"])
    assert viirs["total"] > 0
    assert {r["confidence"] for r in viirs["records"]} <= {"low", "nominal", "high"}
    assert helpers.call_action("package_show", id="firms-source-data")[
        "metadata_modified"] == dataset["metadata_modified"]
    assert all(status != "errored" for status, _ in report(again).values())


def test_the_real_queues_gather_fetch_and_import(organization, ckan_config):
    """gather-consumer and fetch-consumer processes through Redis."""
    with ReplayServer(air4thai()) as server:
        source = create_source(organization, server.url, "air4thai", {"stations": ["38t"]})
        helpers.call_action("harvest_job_create", context={"ignore_auth": True},
                            source_id=source["id"], run=True)
        ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
        ini = ckan_config["__file__"]
        consumers = [subprocess.Popen([ckan, "-c", ini, "harvester", name],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for name in ("gather-consumer", "fetch-consumer")]
        try:
            for _ in range(120):
                try:
                    _dataset, resource_id = _observations("air4thai-station-38t")
                    if _rows(resource_id):
                        break
                except (tk.ObjectNotFound, ValueError):
                    pass
                time.sleep(1)
        finally:
            for consumer in consumers:
                consumer.terminate()
                consumer.wait(30)
    _dataset, resource_id = _observations("air4thai-station-38t")
    assert len(_rows(resource_id)) > 10
