"""Arbitrary JSON for every parameter of our actions, for a dataset's
``spatial`` and for our validators: never a server error, and a refusal
stores nothing. Deterministic (``derandomize``): the same examples every run."""
import json
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.logic import validators
from ckanext.maemoh.tests.helpers import valid_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues", "clean_risk")

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None)
# Values that reach the edges of our validators, beside what hypothesis draws.
EDGE_TEXTS = ["", " ", "abc", "1e400", "NaN", "-Infinity", "2024", "2024.0", " 2567 ", "air", "air,fire",
              "tambon", "tambon\n", "h3:7", "h3:๗", "h3:99", "520201", "520201\n", "th", "queued", "\x00",
              "\ud800", "x" * 100_000, "9" * 5000, "[" * 5000 + "]" * 5000,
              '{"type": "Point", "coordinates": [99.74, 18.29]}']
EDGES = EDGE_TEXTS + [None, True, False, 0, -1, 10 ** 400, math.nan, math.inf, -math.inf, 2024.5, [], {},
                      ["air"], [{"air": 1}], [1, {"a": 1}], {"type": ["Point"]}]
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
           | st.sampled_from(EDGE_TEXTS))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
# Geometry-like objects, so that the checks past "is it an object with a type" are reached too.
COORDINATES = st.recursive(st.floats(98, 101) | st.floats(17, 20) | SCALARS,
                           lambda inner: st.lists(inner, max_size=6), max_leaves=30)
GEOMETRY = st.fixed_dictionaries({
    "type": st.sampled_from(sorted(validators.GEOMETRY_TYPES) + ["Feature", "GeometryCollection"]) | JSON,
    "coordinates": COORDINATES})
SPATIAL = JSON | GEOMETRY | GEOMETRY.map(json.dumps)

# action: (who calls it, its parameters)
ACTIONS = {
    "maemoh_risk_run": ("sysadmin", ["dimension", "grid"]),
    "maemoh_risk_status": ("sysadmin", ["limit", "state"]),
    "maemoh_ghg_run": ("sysadmin", ["year"]),
    "maemoh_guidance": ("anonymous", ["tambon", "dimension", "year"]),
    "maemoh_aqi_latest": ("anonymous", ["lang", "tambon"]),
    "maemoh_risk_summary": ("anonymous", ["tambon", "dimension"]),
}
VALIDATORS = {
    "maemoh_geojson_geometry": validators.maemoh_geojson_geometry,
    "maemoh_count": validators.maemoh_count(200),
    "maemoh_year_common_era": validators.maemoh_year_common_era,
    "maemoh_tambon_code": validators.maemoh_tambon_code,
    "maemoh_dimension": validators.maemoh_dimension,
    "maemoh_dimensions": validators.maemoh_dimensions,
    "maemoh_risk_grid": validators.maemoh_risk_grid,
    "maemoh_number": validators.maemoh_number,
    "maemoh_year_ce": validators.maemoh_year_ce,
    "maemoh_ucum_unit": validators.maemoh_ucum_unit,
    "maemoh_timezone": validators.maemoh_timezone,
}


def with_edges(values):
    """Try each of ``values`` too, whatever hypothesis draws."""
    def decorate(test):
        for value in values:
            test = example(value)(test)
        return test
    return decorate


def stored():
    """What a run action or a dataset creation leaves behind."""
    return (len(helpers.call_action("job_list", queues=[risk_runs.RISK_QUEUE])),
            risk_runs.connection().llen(risk_runs.RUNS_KEY), len(helpers.call_action("package_list")))


def failure(data, response):
    return f"{data!r:.300} -> {response.status_code} {response.get_data(as_text=True)[:1000]}"


@pytest.mark.parametrize("action", ACTIONS)
def test_no_input_breaks_an_action(app, action):
    caller, parameters = ACTIONS[action]
    headers = {"Authorization": factories.SysadminWithToken()["token"]} if caller == "sysadmin" else {}

    @FUZZ
    @with_edges([{name: value} for name in parameters for value in EDGES])
    @given(st.fixed_dictionaries({}, optional={name: JSON for name in parameters + ["other"]}))
    def check(data):
        before = stored()
        response = app.post(f"/api/3/action/{action}", json=data, headers=headers)
        assert response.status_code < 500, failure(data, response)
        if response.status_code != 200:
            assert stored() == before, failure(data, response)

    check()


def test_no_spatial_breaks_package_create(app, organization):
    headers = {"Authorization": factories.SysadminWithToken()["token"]}
    data = valid_dataset(owner_org=organization["id"])

    @FUZZ
    @with_edges(EDGES)
    @given(SPATIAL)
    def check(spatial):
        response = app.post("/api/3/action/package_create", json=dict(data, spatial=spatial), headers=headers)
        assert response.status_code < 500, failure(spatial, response)
        if response.status_code == 200:
            helpers.call_action("dataset_purge", id=data["name"])
        assert helpers.call_action("package_list") == [], failure(spatial, response)

    check()


@pytest.mark.usefixtures("with_request_context")
@pytest.mark.parametrize("name", VALIDATORS)
def test_our_validators_accept_or_refuse_anything(name):
    @FUZZ
    @with_edges(EDGES)
    @given(SPATIAL if name == "maemoh_geojson_geometry" else JSON)
    def check(value):
        try:
            VALIDATORS[name](value)
        except tk.Invalid:
            pass

    check()
