"""Upstream harvesters into our schema: ckanext-harvest's CKAN harvester
(``ckan-maemoh``) against a replayed CKAN API, and ckanext-dcat's DCAT RDF
harvester (with ``maemoh_dcat_mapping``) against our own /catalog.ttl,
replayed. Whole harvests run in this process, without the queues."""
import datetime
import json
import pathlib
import re

import pytest

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories, helpers
from ckanext.harvest.model import HarvestObject

from ckanext.maemoh.harvest.upstream import ckan_dataset, dcat_dataset, read_options
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer
from ckanext.maemoh.tests.helpers import create_source, report, run_harvest

# Tests that store anything get a clean database through ``organization``.
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_index")

DATA = pathlib.Path(__file__).parent / "data" / "upstream"
API_KEY = "test-key-not-a-secret"  # the secret test-ckan of test.ini
MAEMOH = {"language": "en", "theme": ["air"], "quality_level": "validated"}
# Extras ckanext-harvest adds to a harvested dataset on show.
HARVEST_EXTRAS = {"harvest_object_id", "harvest_source_id", "harvest_source_title"}
EU = "http://publications.europa.eu/resource/authority/"
INSPIRE = "http://inspire.ec.europa.eu/theme/"
POINT = {"type": "Point", "coordinates": [99.659873, 18.282664]}
POLYGON = {"type": "Polygon", "coordinates": [[
    [99.70, 18.20], [99.80, 18.20], [99.80, 18.30], [99.70, 18.30], [99.70, 18.20]]]}


# Helpers

def remote(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def ckan_api(datasets):
    """Answers package_search as CKAN 2.9-2.11 does (paging by start/rows,
    ``fq=metadata_modified:[since TO *]``), behind a gateway that wants the
    ``api-key`` header."""
    def handler(request):
        headers = {name.lower(): value for name, value in request.headers.items()}
        if headers.get("api-key") != API_KEY:
            return json_answer(json.dumps({"success": False, "error": {
                "message": "Access denied", "__type": "Authorization Error"}}), status=401)
        if request.path != "/api/3/action/package_search":
            return json_answer(json.dumps({"success": False, "error": {
                "message": "Not found", "__type": "Not Found Error"}}), status=404)
        found = sorted(datasets, key=lambda d: d["id"])
        since = re.search(r"metadata_modified:\[(\S+)Z TO \*\]", request.query.get("fq", ""))
        if since:
            found = [d for d in found if d["metadata_modified"] >= since.group(1)]
        start, rows = int(request.query["start"]), int(request.query["rows"])
        return json_answer(json.dumps({
            "help": "http://remote/api/3/action/help_show?name=package_search",
            "success": True,
            "result": {"count": len(found), "facets": {}, "search_facets": {},
                       "sort": request.query.get("sort"), "results": found[start:start + rows]},
        }))
    return handler


def show(dataset_id):
    return tk.get_action("package_show")({"ignore_auth": True}, {"id": dataset_id})


# The CKAN harvester

@pytest.fixture
def portal(organization):
    """A remote portal with a plain English dataset and a
    ckanext-thai_gdc one, harvested once by a ckan-maemoh source."""
    datasets = [remote("ckan_english"), remote("ckan_thai_gdc")]
    with ReplayServer(ckan_api(datasets)) as server:
        source = create_source(organization, server.url, "ckan-maemoh", {
            "api_key": {"secret": "test-ckan"}, "api_key_header": "api-key", "maemoh": MAEMOH})
        job = run_harvest(source["id"])
        yield server, datasets, source, job


def test_both_remote_datasets_land_in_our_schema(portal):
    server, datasets, _source, job = portal
    english_id, thai_id = datasets[0]["id"], datasets[1]["id"]

    assert job.gather_errors == []
    assert report(job) == {english_id: ("added", []), thai_id: ("added", [])}
    for request in server.requests:
        assert request.headers["api-key"] == API_KEY
        assert "Authorization" not in request.headers
    assert [(r.path, r.query["start"]) for r in server.requests] == [
        ("/api/3/action/package_search", "0"), ("/api/3/action/package_search", "100")]

    english = show(english_id)
    assert english["type"] == "dataset"
    assert english["title_translated"] == {"en": "Electricity use by district, Lampang 2023"}
    assert english["title"] == "Electricity use by district, Lampang 2023"
    assert english["notes_translated"] == {
        "en": "Monthly electricity use by district in Lampang province, 2023."}
    assert english["theme"] == ["energy"]  # the remote extra "theme": "Energy"
    assert json.loads(english["spatial"])["type"] == "Polygon"
    assert english["license_id"] == "CC-BY-4.0"
    assert english["maintainer_email"] == "energy@lampang.example.org"
    assert [t["name"] for t in english["tags"]] == ["electricity", "energy use"]
    assert [(r["name"], r["format"], r["description"]) for r in english["resources"]] == [
        ("Electricity use 2023", "CSV", "One row per district and month.")]
    # defaults of the source's maemoh options
    assert {key: english[key] for key in (
        "quality_level", "update_frequency_unit", "data_type", "objective",
        "geo_coverage", "data_category", "data_language", "data_source")} == {
        "quality_level": "validated", "update_frequency_unit": "unknown",
        "data_type": "other", "objective": ["other"], "geo_coverage": "other",
        "data_category": "public", "data_language": ["en"], "data_source": server.url}
    # what our schema does not know is not kept
    assert english["author"] is None and english["version"] is None
    assert {e["key"] for e in english["extras"]} == HARVEST_EXTRAS

    thai = show(thai_id)
    assert thai["title_translated"] == {"th": datasets[1]["title"]}
    assert thai["title"] == datasets[1]["title"]
    assert thai["notes_translated"] == {"th": datasets[1]["notes"]}
    assert {key: thai[key] for key in (
        "theme", "update_frequency_unit", "update_frequency_interval", "data_type",
        "first_year_of_data", "last_year_of_data", "objective", "geo_coverage",
        "data_category", "data_language", "data_format", "data_source", "allow_harvest",
        "official_statistics", "license_id", "last_updated_date")} == {
        "theme": ["air"], "update_frequency_unit": "year", "update_frequency_interval": "1",
        "data_type": "statistical", "first_year_of_data": "2017", "last_year_of_data": "2023",
        "objective": ["public-service"], "geo_coverage": "province",
        "data_category": "public", "data_language": ["th"], "data_format": ["CSV", "other"],
        "data_source": "กรมควบคุมมลพิษ", "allow_harvest": "yes", "official_statistics": "no",
        "license_id": "notspecified", "last_updated_date": "2024-01-31"}
    assert not thai.get("spatial")           # latitude and longitude swapped remotely
    assert not thai.get("maintainer_email")  # "-"
    assert not thai.get("url")               # "www.pcd.go.th"
    assert [t["name"] for t in thai["tags"]] == ["PM2.5"]  # CKAN refuses the Thai ones
    assert "data_support" not in thai and "resource_data_collect" not in thai["resources"][0]


def test_a_second_harvest_changes_nothing(portal):
    server, datasets, source, _job = portal
    before = {d["id"]: show(d["id"])["metadata_modified"] for d in datasets}

    job = run_harvest(source["id"])

    assert job.gather_errors == [] and report(job) == {}
    assert "metadata_modified:[" in server.requests[-1].query["fq"]
    assert {d["id"]: show(d["id"])["metadata_modified"] for d in datasets} == before


def test_a_remote_change_updates_that_dataset_only(portal):
    _server, datasets, source, _job = portal
    english_before = show(datasets[0]["id"])
    datasets[1].update(title="ฝุ่น PM2.5 รายปี จังหวัดลำปาง (ปรับปรุง)",
                       metadata_modified=datetime.datetime.utcnow().isoformat())

    job = run_harvest(source["id"])

    assert report(job) == {datasets[1]["id"]: ("updated", [])}
    assert show(datasets[1]["id"])["title_translated"] == {"th": datasets[1]["title"]}
    assert show(datasets[0]["id"])["metadata_modified"] == english_before["metadata_modified"]


def test_an_unmappable_dataset_is_an_object_error_and_the_other_lands(organization):
    datasets = [remote("ckan_english"), remote("ckan_untitled")]
    with ReplayServer(ckan_api(datasets)) as server:
        source = create_source(organization, server.url, "ckan-maemoh", {
            "api_key": {"secret": "test-ckan"}, "api_key_header": "api-key", "maemoh": MAEMOH})
        job = run_harvest(source["id"])

    status, errors = report(job)[datasets[1]["id"]]
    assert status == "errored"
    assert errors == ["Remote dataset draft-without-title: no title in Thai or English"]
    assert report(job)[datasets[0]["id"]] == ("added", [])
    assert show(datasets[0]["id"])["state"] == "active"


def test_a_refused_api_key_is_a_gather_error(organization):
    with ReplayServer(ckan_api([remote("ckan_english")])) as server:
        source = create_source(organization, server.url, "ckan-maemoh", {
            "api_key": {"secret": "test-ckan-wrong"}, "api_key_header": "api-key", "maemoh": MAEMOH})
        job = run_harvest(source["id"])

    assert report(job) == {}
    assert "HTTP error: 401" in job.gather_errors[0].message


@pytest.mark.parametrize("config, key", [
    ({}, "maemoh"),
    ({"maemoh": {"language": "en"}}, "maemoh.theme"),
    ({"maemoh": {"theme": ["forest"]}}, "maemoh.theme"),
    ({"maemoh": {"theme": "air"}}, "maemoh.theme"),
    ({"maemoh": {"theme": ["air"], "data_category": "secret"}}, "maemoh.data_category"),
    ({"maemoh": {"theme": ["air"], "objective": ["fun"]}}, "maemoh.objective"),
    ({"maemoh": {"theme": ["air"], "language": "fr"}}, "maemoh.language"),
    ({"maemoh": {"theme": ["air"], "colour": "green"}}, "maemoh.colour"),
    ({"maemoh": {"theme": ["air"]}, "api_key_header": "api key"}, "api_key_header"),
])
def test_a_bad_config_is_refused_naming_the_key(organization, config, key):
    with pytest.raises(tk.ValidationError) as error:
        create_source(organization, "http://127.0.0.1:9/", "ckan-maemoh", config)
    message = " ".join(error.value.error_dict["config"])
    assert re.search(rf": {re.escape(key)}[: ]", message), message


def test_a_remote_translated_title_is_kept_in_our_languages():
    dataset = dict(remote("ckan_english"), title_translated={
        "th": "การใช้ไฟฟ้ารายอำเภอ", "en": "Electricity use", "fr": "Consommation"})

    mapped = ckan_dataset(dataset, read_options({"maemoh": MAEMOH}), "http://remote")

    assert mapped["title_translated"] == {"th": "การใช้ไฟฟ้ารายอำเภอ", "en": "Electricity use"}


def test_thai_gdc_bounds_give_a_geospatial_dataset_its_extent():
    geospatial = dict(remote("ckan_thai_gdc"), extras=[],
                      data_type="ข้อมูลภูมิสารสนเทศเชิงพื้นที่")
    bounds = {"west_bound_longitude": "99.5", "south_bound_longitude": "18.1",
              "east_bound_longitude": "100.0", "north_bound_longitude": "18.6"}
    options = read_options({"maemoh": MAEMOH})

    with_bounds = ckan_dataset(dict(geospatial, **bounds), options, "http://remote")
    without = ckan_dataset(geospatial, options, "http://remote")

    assert with_bounds["data_type"] == "geospatial"
    assert json.loads(with_bounds["spatial"])["coordinates"][0][:3] == [
        [99.5, 18.1], [100.0, 18.1], [100.0, 18.6]]
    # our schema wants a spatial extent for geospatial data: the default type
    assert (without["data_type"], without.get("spatial")) == ("other", None)


# The DCAT RDF harvester

def test_our_catalogue_comes_back_through_dcat_rdf(app, create_dataset, organization):
    originals = [
        create_dataset(name="pm25-sop-pat", theme=["air"], spatial=json.dumps(POINT),
                       tag_string="pm25,sop-pat",
                       resources=[{"url": "http://example.org/pm25.csv", "name": "PM2.5",
                                   "format": "CSV"}]),
        create_dataset(name="mine-water", theme=["water", "energy"],
                       title_translated={"th": "คุณภาพน้ำบ่อเหมือง", "en": "Mine pit water"},
                       notes_translated={"en": "Water of the mine pits."},
                       spatial=json.dumps(POLYGON), update_frequency_unit="year",
                       update_frequency_interval="2", data_language=["th"],
                       temporal_start="2020-01-01", temporal_end="2024-12-31",
                       maintainer="Mine water desk", maintainer_email="water@maemoh.example.org",
                       resources=[{"url": "http://example.org/pits.pdf", "name": "Report",
                                   "format": "PDF"}]),
    ]
    catalogue = app.get("/catalog.ttl").get_data()
    for dataset in originals:
        helpers.call_action("dataset_purge", id=dataset["id"])
    target = factories.Organization(agency_type="academic")

    with ReplayServer(lambda request: (200, {"Content-Type": "text/turtle"}, catalogue)) as server:
        source = create_source(target, server.url + "/catalog.ttl", "dcat_rdf", {
            "rdf_format": "text/turtle", "maemoh": {"theme": ["climate-weather"]}})
        job = run_harvest(source["id"])
        second = run_harvest(source["id"])

    assert job.gather_errors == []
    assert [status for status, _errors in report(job).values()] == ["added", "added"], report(job)
    harvested = {show(o.package_id)["title_translated"]["en"]: show(o.package_id)
                 for o in job.objects}
    for original in originals:
        back = harvested[original["title_translated"]["en"]]
        for key in ("title_translated", "notes_translated", "theme", "spatial", "tambons",
                    "update_frequency_unit", "update_frequency_interval", "data_language",
                    "license_id", "temporal_start", "temporal_end", "maintainer",
                    "maintainer_email"):
            assert back.get(key) == original.get(key), key
        assert back["owner_org"] == target["id"]
        assert back["data_source"] == server.url + "/catalog.ttl"
        assert (back["quality_level"], back["data_type"], back["objective"]) == (
            "official", "other", ["other"])
        assert {e["key"]: e["value"] for e in back["extras"]
                if e["key"] not in HARVEST_EXTRAS} == {
            "guid": f"http://test.ckan.net/dataset/{original['id']}"}
    pm25 = harvested["Hourly PM2.5, Sop Pat station"]
    assert [t["name"] for t in pm25["tags"]] == ["pm25", "sop-pat"]
    assert [(r["url"], r["name"], r["format"]) for r in pm25["resources"]] == [
        ("http://example.org/pm25.csv", "PM2.5", "CSV")]

    assert [status for status, _errors in report(second).values()] == [
        "not modified", "not modified"]
    for name, dataset in harvested.items():
        assert show(dataset["id"])["metadata_modified"] == dataset["metadata_modified"], name
        current = model.Session.query(HarvestObject).filter_by(
            package_id=dataset["id"], current=True)
        assert [o.harvest_job_id for o in current] == [second.id], name
    assert sorted(harvested[title]["name"] for title in harvested) == [
        "hourly-pm2-5-sop-pat-station", "mine-pit-water"]  # from the English titles


def parsed_dcat(theme=(), frequency=None):
    """A dataset as ckanext-dcat's parser gives it, with our theme and
    frequency URIs."""
    extras = [{"key": "guid", "value": "http://remote/dataset/1"}]
    if frequency:
        extras.append({"key": "frequency", "value": EU + "frequency/" + frequency})
    return {"id": "1", "name": "x", "title": "Pit lake levels", "tags": [], "resources": [],
            "theme": json.dumps(list(theme)), "extras": extras}


@pytest.mark.parametrize("themes, expected", [
    ([EU + "data-theme/ENVI", INSPIRE + "hy"], ["water"]),
    ([EU + "data-theme/ENER"], ["energy"]),
    ([EU + "data-theme/ENVI"], ["climate-weather"]),  # several of ours: the default
    ([INSPIRE + "ac"], ["climate-weather"]),  # air and greenhouse gas: the default
    ([EU + "data-theme/TRAN", INSPIRE + "lu"], ["land-use"]),
])
def test_dcat_themes_map_when_they_name_one_theme_of_ours(themes, expected):
    options = read_options({"maemoh": {"theme": ["climate-weather"]}})

    assert dcat_dataset(parsed_dcat(theme=themes), options, "http://remote")["theme"] == expected


def test_a_dcat_bbox_is_the_extent_when_there_is_no_geometry():
    parsed = parsed_dcat()
    parsed["extras"].append({"key": "spatial_bbox", "value": json.dumps(POLYGON)})
    options = read_options({"maemoh": {"theme": ["water"]}})

    assert json.loads(dcat_dataset(parsed, options, "http://remote")["spatial"]) == POLYGON


@pytest.mark.parametrize("frequency, unit, interval", [
    ("MONTHLY", "month", "1"),
    ("BIWEEKLY", "week", "2"),
    ("DECENNIAL", "year", "10"),
    ("UPDATE_CONT", "real-time", None),
    ("IRREG", "unknown", None),  # not ours: the default
])
def test_dcat_frequencies_map_back_to_unit_and_interval(frequency, unit, interval):
    options = read_options({"maemoh": {"theme": ["water"]}})

    dataset = dcat_dataset(parsed_dcat(frequency=frequency), options, "http://remote")

    assert (dataset["update_frequency_unit"], dataset.get("update_frequency_interval")) == (
        unit, interval)


def test_a_dcat_source_without_maemoh_options_stops_at_gather(organization):
    source = create_source(organization, "http://127.0.0.1:9/catalog.ttl", "dcat_rdf",
                           {"rdf_format": "text/turtle"})

    job = run_harvest(source["id"])

    assert report(job) == {}
    assert job.gather_errors[0].message.startswith("Configuration: maemoh")
