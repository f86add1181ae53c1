"""The green-space layer against the real stack: the land-cover raster is
found only in a trusted public dataset; the demo's raster gives a published
``risk-green`` layer through the real worker, and the inventory's pathway
counts the same hectares per land class."""
import io
import json

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from werkzeug.datastructures import FileStorage

from ckan.tests import factories, helpers

from ckanext.maemoh.demo import ghg as demo_ghg
from ckanext.maemoh.demo import land_cover as demo_land_cover
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.store import published as published_files
from ckanext.maemoh.tests.helpers import run_queue_here, valid_dataset
pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")


def tiny_raster():
    """2 x 2 km pixels of forest over the district (EPSG:32647)."""
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=24, height=25, count=1, dtype="uint8", crs="EPSG:32647",
                         transform=from_origin(564_000, 2_060_000, 2_000, 2_000), nodata=0) as dst:
            dst.write(np.ones((25, 24), dtype="uint8"), 1)
        return memory.read()


def publish_raster(org, name, **fields):
    sysadmin = factories.Sysadmin()["name"]
    dataset = helpers.call_action("package_create", context={"user": sysadmin}, **valid_dataset(
        owner_org=org["id"], name=name, theme=["green-space"], **fields))
    return helpers.call_action("resource_create", context={"user": sysadmin}, package_id=dataset["id"],
                               name="Land cover", format="GeoTIFF",
                               upload=FileStorage(io.BytesIO(tiny_raster()), f"{name}.tif"))


def record_of(dataset_name):
    dataset = helpers.call_action("package_show", id=dataset_name)
    resource = next(r for r in dataset["resources"] if r["name"] == "Method record (JSON)")
    with open(published_files.path(*published_files.parts(resource)), encoding="utf-8") as file:
        return json.load(file)


def test_the_raster_comes_from_a_trusted_public_dataset_only(district):
    assert risk_inputs.land_cover_raster() == (None, None)
    trusted = publish_raster(district, "land-cover-district")
    publish_raster(district, "land-cover-private", private=True)
    publish_raster(factories.Organization(agency_type="private"), "land-cover-elsewhere")  # newest
    path, source = risk_inputs.land_cover_raster()
    assert source["resource_id"] == trusted["id"] and source["dataset_name"] == "land-cover-district"
    with rasterio.open(path) as raster:
        assert raster.crs.to_epsg() == 32647 and (raster.read(1) == 1).all()


def test_the_demo_raster_makes_the_green_layer_and_the_pathway_agrees(district):
    lines = list(demo_land_cover.load(district["name"])) + list(demo_ghg.load(district["name"]))
    assert "created resource Land cover (GeoTIFF)" in lines
    assert list(demo_land_cover.load(district["name"])) == [
        f"kept package {demo_land_cover.DATASET}", "kept resource Land cover (GeoTIFF)"]
    queued = [job["title"] for job in helpers.call_action("job_list", queues=[risk_runs.RISK_QUEUE])]
    assert queued == ["Risk layer green (h3:7)", "Risk layer composite (h3:7)"]  # the new raster asked
    assert run_queue_here(risk_runs.RISK_QUEUE) == queued
    layer = helpers.call_action("package_show", context={"user": ""}, id="risk-green")
    assert layer["risk_dimension"] == "green" and demo_land_cover.DATASET in layer["input_datasets"]
    green = record_of("risk-green")
    hazard = next(c for c in green["components"] if c.get("dimension") == "green")
    assert next(c for c in green["components"] if c.get("component") == "local statistics")["computed"]
    # the demo's raster holds exactly the hectares of its activity table, and the new forest on the spoil
    assert hazard["parameters"]["land_class_ha"] == pytest.approx(
        {"forest": 52_000, "orchard": 2_800, "urban_tree_cover": 120, "forest_new": 600})
    ghg_runs.execute(2024)
    inventory = record_of("ghg-inventory-2024")
    assert inventory["parameters"]["pathway"]["green_area_ha"] == pytest.approx(
        hazard["parameters"]["land_class_ha"])
    assert inventory["parameters"]["green_areas"]["source"] == "land-cover raster"
    assert demo_land_cover.DATASET in {s["dataset_name"] for s in inventory["inputs"]}
