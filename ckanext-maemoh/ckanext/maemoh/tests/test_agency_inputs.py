"""An agency's uploaded table feeds the platform like a harvested one, when
its publisher is trusted: uploaded through the Action API, loaded by
ckanext-xloader in a real worker, then read by the next inventory run, whose
method record names it. The same table from an untrusted organisation is not."""
import io
import json

import pytest
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.demo import ghg as demo_ghg
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.store import published as published_files
from ckanext.maemoh.tests.helpers import derived_ini, valid_dataset, xloader_site, xloader_worker

# landfill methane reported per tambon for a year after the demo's
ACTIVITY = ("year,tambon_code,activity,quantity,unit\r\n"
            "2024,520201,msw-landfill,1200,t\r\n"
            "2024,520204,msw-landfill,3400,t\r\n").encode("utf-8")


@pytest.fixture
def uploaded(reset_db, migrate_db_for, reset_queues, live_server, tmp_path):
    """``{org name: resource}`` of the same activity table uploaded by the
    district (trusted) and by another organisation, loaded into the DataStore."""
    with xloader_site(reset_db, migrate_db_for, reset_queues) as (sysadmin, _token):
        district = factories.Organization(name=tk.config["ckanext.maemoh.organization"], agency_type="government")
        other = factories.Organization(agency_type="private")
        list(demo_ghg.load(district["name"]))
        resources = {}
        for org in (district, other):
            dataset = helpers.call_action("package_create", context={"user": sysadmin["name"]},
                                          **valid_dataset(owner_org=org["id"], name=f"waste-{org['name']}"))
            resources[org["name"]] = helpers.call_action(
                "resource_create", context={"user": sysadmin["name"]}, package_id=dataset["id"],
                name="Landfill 2568", upload=FileStorage(io.BytesIO(ACTIVITY), "landfill-2568.csv"))
        xloader_worker(derived_ini(tmp_path / "worker.ini", {"ckanext.xloader.site_url": live_server}))
        yield {name: helpers.call_action("resource_show", id=r["id"]) for name, r in resources.items()}, district


def test_a_trusted_agency_table_becomes_an_inventory_input(uploaded):
    resources, district = uploaded
    trusted, untrusted = resources[district["name"]], next(
        r for name, r in resources.items() if name != district["name"])
    assert trusted["datastore_active"] and untrusted["datastore_active"]  # both loaded by xloader
    published = ghg_runs.execute()
    assert int(published["inventory_year"]) == 2024
    record = json.loads(_download_record(published))
    used = {source["resource_id"]: source for source in record["inputs"]}
    assert trusted["id"] in used and untrusted["id"] not in used
    assert used[trusted["id"]]["publisher"]["name"] == district["name"]


def _download_record(dataset):
    """The method record of a published inventory, read from its published run."""
    resource = next(r for r in dataset["resources"] if r["name"].startswith("Method record"))
    with open(published_files.path(*published_files.parts(resource)), encoding="utf-8") as file:
        return file.read()
