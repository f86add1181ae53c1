"""Bad input to our actions and to a dataset's ``spatial`` over the HTTP API:
refused with 409 naming the parameter, never a 500, and nothing stored."""
import json
import math
import time

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.demo import ghg as demo_ghg
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.tests.helpers import valid_dataset

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")

API = "/en/api/3/action/"  # messages in English
CENTRE = (99.74, 18.29)  # Mae Moh, in the district


@pytest.fixture
def sysadmin(clean_db):
    return {"Authorization": factories.SysadminWithToken()["token"]}


def post(app, action, body, headers=None):
    """POST ``body`` as written (JSON text), so 1e400 and NaN arrive as JSON has them."""
    return app.post(API + action, data=body, headers=headers or {}, content_type="application/json")


def refused(response, field):
    """The messages of ``field`` in a 409 answer."""
    assert response.status_code == 409, response.get_data(as_text=True)[:500]
    assert response.json["success"] is False and field in response.json["error"], response.json
    return " ".join(response.json["error"][field])


def queued():
    """Jobs on the risk queue and recorded risk runs."""
    return (len(helpers.call_action("job_list", queues=[risk_runs.RISK_QUEUE])),
            risk_runs.connection().llen(risk_runs.RUNS_KEY))


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("query", ["year=abc", "year=1e400", "year=NaN", "year=" + "9" * 100_000],
                         ids=["abc", "1e400", "NaN", "100-kB"])
def test_guidance_refuses_a_year_given_as_text_that_is_no_year(app, query):
    assert "Common Era" in refused(app.get(API + "maemoh_guidance?" + query), "year")


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("body", ['{"year": [2024]}', '{"year": 1e400}', '{"year": NaN}', '{"year": 2024.5}'])
def test_guidance_refuses_a_year_given_as_json_that_is_no_year(app, body):
    refused(post(app, "maemoh_guidance", body), "year")


def test_guidance_refuses_an_unknown_tambon(app, district):
    list(demo_ghg.load(district["name"]))
    ghg_runs.execute(2024)
    assert app.get(API + "maemoh_guidance?tambon=520201").status_code == 200
    for query in ("tambon=999999", "tambon=520201%0A", "tambon=x&dimension=ghg"):
        assert "520201" in refused(app.get(API + "maemoh_guidance?" + query), "tambon")
    refused(app.get(API + "maemoh_guidance?dimension=smoke"), "dimension")


@pytest.mark.parametrize("body", ['{"limit": 1e400}', '{"limit": -1e400}'])
def test_risk_status_refuses_a_limit_that_is_no_whole_number(app, sysadmin, body):
    refused(post(app, "maemoh_risk_status", body, sysadmin), "limit")


@pytest.mark.parametrize("body", ['{"dimension": 5}', '{"dimension": true}', '{"dimension": [5]}',
                                  '{"dimension": [{"air": 1}]}', '{"dimension": {"air": 1}}',
                                  '{"dimension": "%s"}' % ("air," * 100)])
def test_risk_run_refuses_a_dimension_that_is_no_name_and_queues_nothing(app, sysadmin, body):
    refused(post(app, "maemoh_risk_run", body, sysadmin), "dimension")
    refused(post(app, "maemoh_risk_run", body), "dimension")  # anonymous: checked first too
    assert queued() == (0, 0)


@pytest.mark.parametrize("grid", ["tambon\n", "h3:7\n", "h3:๗"])
def test_risk_run_refuses_a_grid_that_only_starts_like_one(app, sysadmin, grid):
    body = json.dumps({"dimension": "air", "grid": grid})
    refused(post(app, "maemoh_risk_run", body, sysadmin), "grid")
    assert queued() == (0, 0)
    assert post(app, "maemoh_risk_run", body).status_code == 409  # anonymous


def test_risk_run_queues_good_input_for_its_editors_only(app, sysadmin):
    body = json.dumps({"dimension": ["air", "air"], "grid": "tambon", "unknown": {"x": 1}})
    assert post(app, "maemoh_risk_run", body).status_code == 403
    assert queued() == (0, 0)
    runs = post(app, "maemoh_risk_run", body, sysadmin).json["result"]
    assert [(r["dimension"], r["grid"]) for r in runs] == [("air", "tambon")]
    assert queued() == (1, 1)


@pytest.mark.parametrize("body", ['{"year": 1e400}', '{"year": NaN}', '{"year": 2024.0}', '{"year": "2024.5"}'])
def test_ghg_run_refuses_a_year_that_is_no_year_and_queues_nothing(app, sysadmin, body):
    assert "Common Era" in refused(post(app, "maemoh_ghg_run", body, sysadmin), "year")
    assert queued() == (0, 0)


def point(lon, lat):
    return [round(lon, 6), round(lat, 6)]


def circle(vertices, radius=0.05):
    """A valid polygon of ``vertices`` positions around the district's centre."""
    ring = [point(CENTRE[0] + radius * math.cos(2 * math.pi * i / vertices),
                  CENTRE[1] + radius * math.sin(2 * math.pi * i / vertices)) for i in range(vertices)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


BAD_GEOMETRY = {
    "type-a-list": {"type": ["Point"], "coordinates": list(CENTRE)},
    "type-an-object": {"type": {"Point": 1}, "coordinates": list(CENTRE)},
    "one-point-line": {"type": "LineString", "coordinates": [list(CENTRE)]},
    "position-as-polygon": {"type": "Polygon", "coordinates": list(CENTRE)},
    "nested-5000-deep-text": "[" * 5000 + "]" * 5000,
    "larger-than-1-MB": json.dumps(circle(9_000), indent=40),  # 3 MB
    "more-than-10000-positions": circle(12_000),
}


@pytest.mark.parametrize("geometry", BAD_GEOMETRY.values(), ids=BAD_GEOMETRY.keys())
def test_a_bad_geometry_is_refused_quickly_and_nothing_is_stored(app, sysadmin, organization, geometry):
    data = valid_dataset(owner_org=organization["id"], spatial=geometry)
    started = time.monotonic()
    response = app.post(API + "package_create", json=data, headers=sysadmin)
    assert time.monotonic() - started < 5
    refused(response, "spatial")
    assert helpers.call_action("package_list") == []
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("package_show", id=data["name"])


def test_a_geometry_within_the_limits_is_stored(app, sysadmin, organization):
    geometry = circle(9_000)
    data = valid_dataset(owner_org=organization["id"], spatial=json.dumps(geometry))
    assert app.post(API + "package_create", json=data, headers=sysadmin).status_code == 200
    assert json.loads(helpers.call_action("package_show", id=data["name"])["spatial"]) == geometry


@pytest.fixture
def big_table(create_dataset):
    """A public DataStore table of 2 000 rows: a triple self-join has 8e9."""
    resource = factories.Resource(package_id=create_dataset()["id"])
    helpers.call_action("datastore_create", resource_id=resource["id"], force=True,
                        fields=[{"id": "n", "type": "int"}], records=[{"n": n} for n in range(2000)])
    return resource["id"]


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)
@pytest.mark.ckan_config("ckanext.maemoh.sql_search_timeout_ms", 300)
@pytest.mark.usefixtures("with_plugins")
def test_a_slow_sql_search_stops_at_our_timeout(app, big_table):
    table = f'"{big_table}"'
    quick = app.post(API + "datastore_search_sql", json={"sql": f"SELECT count(*) AS n_rows FROM {table}"})
    assert quick.status_code == 200 and quick.json["result"]["records"] == [{"n_rows": 2000}]
    started = time.monotonic()
    slow = app.post(API + "datastore_search_sql",  # anonymous
                    json={"sql": f"SELECT count(*) FROM {table} a, {table} b, {table} c"})
    assert refused(slow, "query") == "Query took too long"
    assert time.monotonic() - started < 5  # CKAN's own limit is 60 s


@pytest.mark.usefixtures("clean_db")
def test_sql_search_stays_off_unless_enabled(app):
    with pytest.raises(KeyError):
        tk.get_action("datastore_search_sql")
    assert app.post(API + "datastore_search_sql", json={"sql": "SELECT 1"}).status_code == 400
    assert app.get(API + "maemoh_risk_summary").status_code == 200
