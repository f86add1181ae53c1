"""The four dataset types: every field round-trips, facets count, bad input is
refused field by field in the requester's language, forms render."""
import json

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.tests.conftest import valid_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

STATION_POINT = {"type": "Point", "coordinates": [99.763986, 18.250747]}
COMMON_FIELDS = {
    "spatial": json.dumps(STATION_POINT),
    "temporal_start": "2026-01-01",
    "temporal_end": "2026-03-31",
    "last_updated_date": "2026-04-01",
    "variables": [{"variable": "pm25", "unit": "ug/m3", "averaging_period": "PT1H",
                   "method": "Beta attenuation"}],
    "maintainer": "PCD Region 1",
    "maintainer_email": "air@example.org",
    "url": "http://air4thai.pcd.go.th/",
    "data_format": ["CSV", "API"],
    "accessible_condition": "Open to everyone",
    "allow_harvest": "yes",
}
TYPE_FIELDS = {
    "dataset": {},
    "sensor-station": {
        "station_id": "38t", "network": "air4thai", "elevation_m": "330.5",
        "operator": "Pollution Control Department",
        "measured_parameters": ["pm25", "pm10"], "station_status": "active",
        "timezone": "Asia/Bangkok", "first_observation": "2020-01-01T00:00:00+07:00",
    },
    "risk-layer": {
        "risk_dimension": "air", "risk_method": "getis-ord-gi-star",
        "spatial_unit": "h3", "h3_resolution": "8",
        "risk_parameters": {"permutations": 999, "seed": 12345},
        "input_datasets": ["air4thai-station-38t"],
    },
    "ghg-inventory": {
        "inventory_year": "2567", "inventory_boundary": "Mae Moh district",
        "gpc_level": "basic-plus", "gwp_set": "ar6",
        "factor_dataset": "tgo-emission-factors",
    },
}


@pytest.mark.parametrize("dataset_type", TYPE_FIELDS)
def test_every_field_round_trips(create_dataset, dataset_type):
    fields = {**COMMON_FIELDS, **TYPE_FIELDS[dataset_type]}
    created = create_dataset(type=dataset_type, **fields)
    shown = helpers.call_action("package_show", id=created["id"])
    expected = dict(valid_dataset(**fields))
    expected.pop("name")
    if dataset_type == "ghg-inventory":
        expected["inventory_year"] = "2024"  # Buddhist Era 2567 stored CE
    if dataset_type == "sensor-station":
        expected["first_observation"] = "2019-12-31T17:00:00"  # stored in UTC
    for key, value in expected.items():
        assert shown[key] == value, key
    assert shown["type"] == dataset_type
    assert shown["tambons"] == ["520205"]  # derived from the point
    assert shown["title"] == expected["title_translated"]["th"]
    found = helpers.call_action("package_search", q=f"name:{created['name']}")
    assert found["results"][0]["theme"] == ["air"]


def test_title_falls_back_to_english_when_there_is_no_thai(create_dataset):
    dataset = create_dataset(title_translated={"en": "Only English"},
                             notes_translated={"en": "English notes"})
    assert dataset["title"] == "Only English"
    assert dataset["notes"] == "English notes"


def test_a_thai_and_an_english_query_find_the_same_dataset(create_dataset):
    dataset = create_dataset()
    for query in ("ฝุ่นละออง", "particulate"):
        result = helpers.call_action("package_search", q=query)
        assert [d["id"] for d in result["results"]] == [dataset["id"]], query


FACETS = ["vocab_theme", "vocab_tambons", "dataset_type", "vocab_agency_type",
          "res_format", "update_frequency_unit", "quality_level"]


def _facets(app, prefix=""):
    response = app.get(f"{prefix}/api/3/action/package_search",
                       query_string={"facet.field": json.dumps(FACETS)})
    assert response.status_code == 200
    return {field: {i["name"]: (i["count"], i["display_name"]) for i in facet["items"]}
            for field, facet in response.json["result"]["search_facets"].items()}


def test_facets_count_and_label_in_the_visitors_language(app, create_dataset, organization):
    create_dataset(name="set-a", theme=["air", "fire"], spatial=json.dumps(STATION_POINT))
    create_dataset(name="set-b", theme=["air"], quality_level="raw",
                   type="sensor-station", **TYPE_FIELDS["sensor-station"])
    create_dataset(name="set-c", theme=["water"], private=True)  # not for the public

    thai = _facets(app)
    assert thai["vocab_theme"] == {"air": (2, "คุณภาพอากาศ"), "fire": (1, "ไฟป่าและการเผา")}
    assert thai["vocab_tambons"] == {"520205": (1, "สบป้าด")}
    assert thai["dataset_type"] == {"dataset": (1, "ชุดข้อมูล"),
                                    "sensor-station": (1, "สถานีตรวจวัด")}
    assert thai["vocab_agency_type"] == {"government": (2, "หน่วยงานราชการ")}
    assert thai["update_frequency_unit"] == {"hour": (2, "ชั่วโมง")}
    assert thai["quality_level"] == {"validated": (1, "ตรวจสอบแล้ว"),
                                     "raw": (1, "ข้อมูลดิบ ยังไม่ตรวจสอบ")}
    english = _facets(app, "/en")
    assert english["vocab_theme"]["air"] == (2, "Air quality")


def test_filtering_by_theme_and_tambon(create_dataset):
    create_dataset(name="sop-pat-air", spatial=json.dumps(STATION_POINT))
    create_dataset(name="district-water", theme=["water"])
    result = helpers.call_action(
        "package_search", fq='vocab_theme:"air" AND vocab_tambons:"520205"')
    assert [d["name"] for d in result["results"]] == ["sop-pat-air"]


def test_search_page_shows_bilingual_facet_titles(app, create_dataset):
    create_dataset()
    assert "หมวดหมู่" in app.get("/dataset/").body
    assert "Themes" in app.get("/en/dataset/").body


BAD_INPUT = [
    ("spatial", {"spatial": '{"type": "Point", "coordinates": [99.7'}, "Not valid JSON"),
    ("spatial", {"spatial": json.dumps({"type": "Point", "coordinates": [18.25, 99.76]})},
     "outside WGS84"),
    ("spatial", {"spatial": json.dumps({"type": "Polygon", "coordinates": [
        [[99.6, 18.2], [99.7, 18.2], [99.7, 18.3]]]})}, "must be closed"),
    ("spatial", {"spatial": json.dumps({"type": "Polygon", "coordinates": [
        [[99.6, 18.2], [99.7, 18.3], [99.7, 18.2], [99.6, 18.3], [99.6, 18.2]]]})},
     "Self-intersection"),
    ("spatial", {"spatial": json.dumps({"type": "Feature", "geometry": STATION_POINT})},
     "not a Feature"),
    ("theme", {"theme": ["air", "smog"]}, "unexpected choice"),
    ("temporal_end", {"temporal_start": "2026-03-01", "temporal_end": "2026-02-01"},
     "before the start"),
    ("variables", {"variables": [{"variable": "pm25", "unit": "µg/m³"}]}, "UCUM"),
    ("data_category", {"data_category": ""}, "Missing value"),
    ("first_year_of_data", {"data_type": "statistical", "last_year_of_data": "2024",
                            "unit_of_measure": "t"}, "Required when the data type"),
    ("title_translated", {"title_translated": {"fr": "Qualité de l'air"}}, "Unknown language"),
    ("title_translated", {"title_translated": {"th": " ", "en": ""}}, "Give a Thai or"),
]


@pytest.mark.parametrize("field,fields,message", BAD_INPUT,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(BAD_INPUT)])
def test_bad_input_is_refused_naming_the_field_and_creates_nothing(
        create_dataset, field, fields, message):
    with pytest.raises(tk.ValidationError) as error:
        create_dataset(**fields)
    assert field in error.value.error_dict
    assert message in json.dumps(error.value.error_dict[field], ensure_ascii=False)
    assert helpers.call_action("package_search", include_private=True)["count"] == 0
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("package_show", id=valid_dataset()["name"])


def test_a_refused_update_changes_nothing(create_dataset):
    dataset = create_dataset(spatial=json.dumps(STATION_POINT))
    with pytest.raises(tk.ValidationError):
        helpers.call_action("package_patch", context={"user": factories.Sysadmin()["name"]},
                            id=dataset["id"], spatial="not json", theme=["water"])
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["spatial"] == dataset["spatial"]
    assert shown["theme"] == ["air"]


def test_errors_come_in_the_requesters_language(app, organization):
    headers = {"Authorization": factories.SysadminWithToken()["token"]}
    data = valid_dataset(owner_org=organization["id"], spatial="{broken")
    thai = app.post("/api/3/action/package_create", json=data, headers=headers)
    english = app.post("/en/api/3/action/package_create", json=data, headers=headers)
    assert thai.status_code == english.status_code == 409
    assert "ไม่ใช่ JSON ที่ถูกต้อง" in thai.json["error"]["spatial"][0]
    assert "Not valid JSON" in english.json["error"]["spatial"][0]


def test_an_organisation_needs_an_agency_type():
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("organization_create", name="no-type")
    assert "agency_type" in error.value.error_dict


@pytest.mark.parametrize("dataset_type", TYPE_FIELDS)
@pytest.mark.parametrize("prefix,label", [("", "ชื่อชุดข้อมูล (ไทย)"), ("/en", "Title (English)")])
def test_the_form_renders_for_each_type_in_both_languages(
        app, organization, dataset_type, prefix, label):
    headers = {"Authorization": factories.SysadminWithToken()["token"]}
    response = app.get(f"{prefix}/{dataset_type}/new", headers=headers)
    assert response.status_code == 200
    page = response.body
    assert label in page
    for name in ("title_translated-th", "title_translated-en", "notes_translated-th",
                 "theme", "spatial", "update_frequency_unit", "data_category",
                 "_csrf_token"):
        assert f'name="{name}"' in page, name
    for name in TYPE_FIELDS[dataset_type]:
        assert f'name="{name}' in page, name


THAI = valid_dataset()
ENGLISH = {field: THAI[field]["en"] for field in ("title_translated", "notes_translated")}
THAI = {field: THAI[field]["th"] for field in ("title_translated", "notes_translated")}


@pytest.mark.parametrize("prefix,shown,hidden", [("", THAI, ENGLISH), ("/en", ENGLISH, THAI)])
def test_pages_show_the_visitors_language(app, create_dataset, prefix, shown, hidden):
    dataset = create_dataset()
    for page in (f"{prefix}/dataset/", f"{prefix}/dataset/{dataset['name']}"):
        body = app.get(page).body
        for field in shown:
            assert shown[field] in body, (page, field)
            assert hidden[field] not in body, (page, field)
