"""The greenhouse-gas inventory against the real stack: demo tables in, an
inventory dataset with its views out (through the real worker), and guidance
whose evidence links resolve."""
import io
import json
import os
import subprocess
import sys
import urllib.parse

import pandas as pd
import pytest

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.tests import factories, helpers

from ckanext.maemoh.demo import ghg as demo_ghg
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.risk import runs as risk_runs

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")

FILES = {"Inventory lines (CSV)": None, "Emissions per tambon (GeoJSON)": "geojson_view",
         "Emissions by sector (PNG)": "image_view", "Pathway to 2050 (PNG)": "image_view",
         "Pathway (CSV)": None, "Method record (JSON)": None, "Guidance": "datatables_view",
         "Emissions per tambon": "datatables_view"}


@pytest.fixture
def district(clean_db):
    org = factories.Organization(name=tk.config["ckanext.maemoh.organization"], agency_type="government")
    lines = list(demo_ghg.load(org["name"]))
    assert "created table Activity data (" in " ".join(lines)
    return org


def anonymous(action, **data):
    return helpers.call_action(action, context={"user": ""}, **data)


def path(url):
    return urllib.parse.urlsplit(url).path


def test_the_demo_tables_load_once(district):
    again = list(demo_ghg.load(district["name"]))
    assert again.count("kept table Emission factors") == 1 and not [l for l in again if "created" in l]
    dataset = anonymous("package_show", id=demo_ghg.ACTIVITY_DATASET)
    assert "illustrative" in dataset["title_translated"]["en"] and "ข้อมูลสาธิต" in dataset["title_translated"]["th"]
    assert "NOT real" in dataset["notes_translated"]["en"] and "ไม่ใช่ข้อมูลจริง" in dataset["notes_translated"]["th"]


def test_the_job_publishes_the_inventory_with_its_views(app, ckan_config, district):
    job = helpers.call_action("maemoh_ghg_run", context={"user": factories.Sysadmin()["name"]}, year=2024)
    assert job["year"] == 2024
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    done = subprocess.run([ckan, "-c", ckan_config["__file__"], "jobs", "worker", "--burst",
                           risk_runs.RISK_QUEUE], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    dataset = anonymous("package_show", id="ghg-inventory-2024")
    assert dataset["type"] == "ghg-inventory" and dataset["inventory_year"] == "2024"
    assert dataset["title_translated"]["th"].startswith("บัญชีก๊าซเรือนกระจก อำเภอแม่เมาะ พ.ศ. 2567")
    assert "illustrative" in dataset["title_translated"]["en"]
    assert "(GPC I.4.4), reported apart" in dataset["notes_translated"]["en"]
    resources = {r["name"]: r for r in dataset["resources"]}
    assert set(resources) == set(FILES)
    for name, view_type in FILES.items():
        views = anonymous("resource_view_list", id=resources[name]["id"])
        assert [v["view_type"] for v in views] == ([view_type] if view_type else [])
    lines = pd.read_csv(io.BytesIO(app.get(resources["Inventory lines (CSV)"]["url"]).get_data()))
    plant = lines[lines["gpc_ref"] == "I.4.4"]
    assert plant["emissions_t_co2e"].sum() > 10 * lines.loc[lines["gpc_ref"] != "I.4.4", "emissions_t_co2e"].sum()
    assert "NE" in set(lines["notation_key"].dropna())
    geojson = json.loads(app.get(resources["Emissions per tambon (GeoJSON)"]["url"]).get_data())
    assert sorted(f["properties"]["tambon_code"] for f in geojson["features"]) == [
        "520201", "520202", "520203", "520204", "520205"]
    for chart in ("Emissions by sector (PNG)", "Pathway to 2050 (PNG)"):
        assert app.get(resources[chart]["url"]).get_data().startswith(b"\x89PNG")
    record = json.loads(app.get(resources["Method record (JSON)"]["url"]).get_data())
    assert record["parameters"]["gwp_set"] == "ar6" and record["parameters"]["illustrative"] is True
    assert {s["dataset_name"] for s in record["inputs"]} == {demo_ghg.ACTIVITY_DATASET, demo_ghg.FACTORS_DATASET}

    # the inventory queued the GHG layer, which the same worker published: it agrees per tambon
    emissions = {r["tambon_code"]: r for r in anonymous(
        "datastore_search", resource_id=resources["Emissions per tambon"]["id"])["records"]}
    assert sum(r["i44_t_co2e"] or 0 for r in emissions.values()) == pytest.approx(plant["emissions_t_co2e"].sum())
    layer = {r["name"]: r for r in anonymous("package_show", id="risk-ghg")["resources"]}
    summary = anonymous("datastore_search", resource_id=layer["Risk per tambon"]["id"])["records"]
    assert len(summary) == 5
    for row in summary:
        assert row["value_mean"] == pytest.approx(emissions[row["tambon_code"]]["per_capita_t_co2e"])
    (method,) = [r for r in anonymous("package_show", id="risk-composite")["resources"]
                 if r["name"] == "Method record (JSON)"]
    composite = json.loads(app.get(method["url"]).get_data())
    assert "ghg" in composite["parameters"]["composite_of"]


def test_guidance_cites_evidence_whose_links_resolve(app, district):
    ghg_runs.execute(2024)
    over_http = app.get("/api/3/action/maemoh_guidance?tambon=520201")  # no login
    assert over_http.status_code == 200 and over_http.json["result"]["recommendations"]
    result = anonymous("maemoh_guidance")
    assert result["inventory"] == "ghg-inventory-2024" and result["year"] == 2024
    recommendations = result["recommendations"]
    priorities = [r["priority"] for r in recommendations]
    assert recommendations and priorities == sorted(priorities)
    first = recommendations[0]
    assert first["text_th"] and first["text_en"] and first["evidence"]
    urls = {e["url"] for r in recommendations for e in r["evidence"] if e["url"]}
    assert any("/ghg-inventory/ghg-inventory-2024" in u for u in urls)
    for url in urls:
        assert app.get(path(url)).status_code == 200, url
    assert "largest-tambon:520204" in {r["id"] for r in recommendations}  # the plant's and mine's tambon
    elsewhere = anonymous("maemoh_guidance", tambon="520201")["recommendations"]
    assert elsewhere and all(r["tambon_code"] in ("520201", None, "") for r in elsewhere)
    assert "largest-tambon:520204" not in {r["id"] for r in elsewhere}
    assert all(r["dimension"] == "ghg" for r in anonymous("maemoh_guidance", dimension="ghg")["recommendations"])
    with pytest.raises(tk.ObjectNotFound):
        anonymous("maemoh_guidance", year=2023)


def test_no_inventory_yet_is_a_clear_not_found(district):
    with pytest.raises(tk.ObjectNotFound, match="No greenhouse-gas inventory"):
        anonymous("maemoh_guidance")


def test_who_may_start_a_run(district):
    editor, stranger = factories.User(), factories.User()
    helpers.call_action("organization_member_create", id=district["id"], username=editor["name"], role="editor")
    for user in (None, stranger["name"]):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_auth("maemoh_ghg_run", {"user": user, "model": None})
    assert helpers.call_auth("maemoh_ghg_run", {"user": editor["name"], "model": None})
    assert helpers.call_auth("maemoh_guidance", {"user": None, "model": None})
    with pytest.raises(tk.ValidationError, match="Common Era"):
        helpers.call_action("maemoh_ghg_run", context={"user": editor["name"]}, year=2567)


def test_private_activity_data_are_not_read(district):
    helpers.call_action("package_patch", context={"user": factories.Sysadmin()["name"]},
                        id=demo_ghg.ACTIVITY_DATASET, private=True)
    with pytest.raises(ValueError, match="no public activities table"):
        ghg_runs.execute(2024)


def test_the_cli_runs_the_inventory(cli, district):
    result = cli.invoke(ckan_command, ["maemoh", "ghg", "run", "--sync", "--year", "2023"])
    assert result.exit_code == 0, result.output
    assert "published ghg-inventory-2023" in result.output
    bad = cli.invoke(ckan_command, ["maemoh", "ghg", "run", "--sync", "--year", "1999"])
    assert bad.exit_code != 0 and "1999" in bad.output
