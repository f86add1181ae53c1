"""Nobody outside the trusted publishers can change what residents see, no
harvest source can take another's dataset, and source secrets never leave
the server (issue 11: findings 1 to 3)."""
import json
import logging

import pandas as pd
import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.store import datastore_tables
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.store import published as published_files
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.trust import publishers as trust
from ckanext.maemoh.harvest import datasets
from ckanext.maemoh.harvesters.model import Station
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.tests.helpers import create_source, report, run_harvest, valid_dataset
from ckanext.maemoh.tests.helpers import NOW, harvest, replay_handler

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_index", "clean_queues", "clean_risk")
TAMBON = "520203"
SECRET = "test-key-not-a-secret"  # the value of the secret test-ckan in test.ini


@pytest.fixture
def stranger():
    """An ordinary account, editor of an organisation nobody trusts."""
    user = factories.UserWithToken()
    org = factories.Organization(name="stranger-org", agency_type="private",
                                 users=[{"name": user["name"], "capacity": "editor"}])
    return {"user": user, "org": org}


def _station_inside(tambon_code, owner_org, context):
    shape = risk_inputs.tambons().set_index("tambon_code").loc[tambon_code, "geometry"]
    point = shape.representative_point()
    station = Station("fake-1", "citizen", "สถานีปลอม", "Fake station", point.y, point.x,
                      variables=("pm25",))
    dataset = helpers.call_action("package_create", context=dict(context),
                                  **datasets.station_dataset(station, {"pm25"}, owner_org, {}))
    resource_id = datastore_tables.ensure_table(dict(context), dataset["id"], datastore_tables.OBSERVATIONS)
    hours = pd.date_range(end=NOW, periods=30, freq="h")
    datastore_tables.bulk_upsert(dict(context), resource_id, datastore_tables.OBSERVATIONS, [
        {"station_id": "fake-1", "network": "citizen", "variable": "pm25", "time_utc": hour.to_pydatetime(),
         "averaging_period": "PT1H", "value": 500.0, "unit": "ug/m3", "quality": "valid", "raw_ref": "x"}
        for hour in hours])
    return dataset


def _tambon_aqi(app):
    snapshot.refresh()
    result = app.get(f"/api/3/action/maemoh_aqi_latest?tambon={TAMBON}").json["result"]
    return result["tambons"][0]["aqi"], {s["station_id"] for s in result["stations"]}


def test_ordinary_users_cannot_create_organisations(app):
    user = factories.UserWithToken()
    response = app.post("/api/3/action/organization_create", json={"name": "mine"},
                        headers={"Authorization": user["token"]})
    assert response.status_code == 403


def test_a_stranger_station_changes_no_official_figure(app, portal, stranger, monkeypatch):
    before = _tambon_aqi(app)
    fake = _station_inside(TAMBON, stranger["org"]["id"], {"user": stranger["user"]["name"]})
    assert helpers.call_action("package_search", q="name:" + fake["name"])["count"] == 1  # still in the catalogue
    assert _tambon_aqi(app) == before
    assert fake["name"] not in {d["name"] for d in risk_inputs.official_datasets()}
    risk_runs.execute("air")
    layer = helpers.call_action("package_show", id="risk-air")
    assert fake["name"] not in layer["input_datasets"]
    record = json.loads(_resource_text(layer, "Method record (JSON)"))
    inputs = [s for s in record["inputs"] if s.get("dataset_id")]
    assert inputs and {s["publisher"]["name"] for s in inputs} == {portal["name"]}

    # the same data from an organisation the operator trusts do count
    monkeypatch.setitem(tk.config, trust.OPTION, f"{portal['name']} {stranger['org']['name']}")
    aqi, stations = _tambon_aqi(app)
    assert "fake-1" in stations and aqi > before[0]


def test_a_stranger_activity_table_is_not_read_by_the_inventory(portal, stranger):
    dataset = factories.Dataset(owner_org=stranger["org"]["id"], user=stranger["user"],
                                **_minimal_fields())
    resource = factories.Resource(package_id=dataset["id"])
    helpers.call_action("datastore_create", resource_id=resource["id"], force=True,
                        fields=[{"id": c, "type": "numeric" if c in ("year", "quantity") else "text"}
                                for c in ("year", "tambon_code", "activity", "quantity", "unit")],
                        records=[{"year": 2024, "tambon_code": TAMBON, "activity": "electricity-residential",
                                  "quantity": 9e12, "unit": "kWh"}])
    _frame, sources = ghg_runs.read_tables()["activities"]
    assert sources and dataset["id"] not in {s["dataset_id"] for s in sources}
    assert {s["publisher"]["name"] for s in sources} == {portal["name"]}


def test_only_sysadmins_see_the_trusted_publishers_page(app, district, stranger):
    sysadmin = factories.SysadminWithToken()
    page = app.get("/ckan-admin/trusted-publishers", headers={"Authorization": sysadmin["token"]})
    assert page.status_code == 200
    assert district["title"] in page.body and "stranger-org" not in page.body
    assert app.get("/ckan-admin/trusted-publishers",
                   headers={"Authorization": stranger["user"]["token"]}).status_code == 403
    assert app.get("/ckan-admin/trusted-publishers").status_code == 403


def test_the_owners_of_sysadmin_harvest_sources_are_trusted_by_default(district, stranger):
    agency = factories.Organization(agency_type="government")
    create_source(agency, "http://example.org", "air4thai", {"stations": ["38t"]})
    names = {org["name"] for org in trust.trusted_organizations()}
    assert names == {district["name"], agency["name"]}


# ---------------------------------------------------------------- harvest ownership

def test_a_harvest_source_cannot_take_another_organisations_dataset(district, stranger):
    harvest(district, NOW, "air4thai")
    theirs = helpers.call_action("package_show", id="air4thai-station-38t")
    with ReplayServer(replay_handler(NOW)) as server:
        source = helpers.call_action(
            "harvest_source_create", context={"user": stranger["user"]["name"]}, name="stranger-source",
            title="Stranger", url=server.url + "/air4thai", source_type="air4thai",
            config=json.dumps({"stations": ["38t"]}), owner_org=stranger["org"]["id"])
        job = run_harvest(source["id"])
    status, errors = report(job)["38t"]
    assert status == "errored"
    assert any("air4thai-station-38t" in e and district["name"] in e for e in errors), errors
    after = helpers.call_action("package_show", id="air4thai-station-38t")
    assert (after["owner_org"], after["title"], after["metadata_modified"]) == (
        theirs["owner_org"], theirs["title"], theirs["metadata_modified"])
    helpers.call_action("harvest_source_clear", context={"user": factories.Sysadmin()["name"]},
                        id=source["id"])
    assert helpers.call_action("package_show", id="air4thai-station-38t")["state"] == "active"


def test_a_harvest_never_purges_a_dataset_of_another_type(district):
    other = factories.Dataset(name="air4thai-station-39t", owner_org=district["id"], **_minimal_fields())
    with ReplayServer(replay_handler(NOW)) as server:
        source = create_source(district, server.url + "/air4thai", "air4thai", {"stations": ["38t", "39t"]})
        job_report = report(run_harvest(source["id"]))
    kept = helpers.call_action("package_show", id="air4thai-station-39t")
    assert (kept["id"], kept["type"], kept["metadata_modified"]) == (
        other["id"], "dataset", other["metadata_modified"])
    assert any("air4thai-station-39t" in e and "sensor-station" in e for e in job_report["39t"][1]), job_report
    assert helpers.call_action("package_show", id="air4thai-station-38t")["type"] == "sensor-station"


# ---------------------------------------------------------------- outgoing requests

@pytest.mark.parametrize("source_type, config", [
    ("air4thai", {"stations": ["38t"]}),
    ("ckan-maemoh", {"maemoh": {"theme": ["air"]}}),
    ("dcat_rdf", {"maemoh": {"theme": ["air"]}}),
])
@pytest.mark.parametrize("url, refusal", [
    ("file:///etc/passwd", "only http and https"),
    ("gopher://127.0.0.1:6379/_INFO", "only http and https"),
    ("http://127.0.0.2:6379/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
])
def test_harvest_urls_cannot_reach_internal_addresses(organization, source_type, config, url, refusal):
    source = create_source(organization, url, source_type, config)
    job = run_harvest(source["id"])
    errors = [e.message for e in job.gather_errors] + [
        e.message for o in job.objects for e in o.errors]
    assert any(refusal in e for e in errors), errors
    assert not any("root:" in e for e in errors)
    assert not helpers.call_action("package_search", fq="-dataset_type:harvest")["count"]


# ---------------------------------------------------------------- secrets

def test_a_source_cannot_hold_a_literal_key(organization):
    with pytest.raises(tk.ValidationError) as error:
        create_source(organization, "http://example.org", "openaq", {"api_key": "real-secret-key"})
    assert "ckanext.maemoh.secret.NAME" in str(error.value.error_dict)
    with pytest.raises(tk.ValidationError) as error:
        create_source(organization, "http://example.org", "openaq", {"api_key": {"secret": "nowhere"}})
    assert "no secret nowhere" in str(error.value.error_dict)
    assert not helpers.call_action("package_search", fq="dataset_type:harvest",
                                   include_private=True)["count"]


def test_a_source_secret_never_leaves_the_server(app, organization, caplog):
    sysadmin = factories.SysadminWithToken()
    editor = factories.UserWithToken()
    helpers.call_action("organization_member_create", id=organization["id"], username=editor["name"],
                        role="editor")
    config = {"api_key": {"secret": "test-ckan"}, "api_key_header": "api-key",
              "maemoh": {"theme": ["air"]}}
    caplog.set_level(logging.DEBUG)
    source = create_source(organization, "http://127.0.0.1:9", "ckan-maemoh", config)
    helpers.call_action("harvest_source_patch", context={"user": sysadmin["name"]}, id=source["id"],
                        title="Renamed")
    run_harvest(source["id"])
    urls = [f"/api/3/action/harvest_source_show?id={source['id']}",
            f"/api/3/action/package_show?id={source['id']}",
            "/api/3/action/harvest_source_list",
            "/api/3/action/package_search?fq=dataset_type:harvest&include_private=true",
            f"/api/3/action/package_activity_list?id={source['id']}&include_hidden_activity=true",
            f"/api/3/action/organization_activity_list?id={organization['id']}",
            "/api/3/action/recently_changed_packages_activity_list",
            f"/api/3/action/user_activity_list?id={sysadmin['name']}",
            "/api/3/action/dashboard_activity_list"]
    for token in (None, editor["token"], sysadmin["token"]):
        for url in urls:
            response = app.get(url, headers={"Authorization": token} if token else {})
            assert SECRET not in response.body, url
    assert '"test-ckan"' in app.get(urls[0], headers={"Authorization": sysadmin["token"]}).body
    assert SECRET not in caplog.text


def _resource_text(dataset, name):
    resource = next(r for r in dataset["resources"] if r["name"] == name)
    with open(published_files.path(*published_files.parts(resource)), encoding="utf-8") as f:
        return f.read()


def _minimal_fields():
    return {k: v for k, v in valid_dataset().items() if k != "name"}
