"""Uploaded and linked tables reach the DataStore through ckanext-xloader:
real uploads through the Action API, a linked file on a local server, a real
``ckan run`` web server (xloader's jobs fetch uploads and report back over
HTTP) and a real ``ckan jobs worker``.
"""
import dataclasses
import io

import openpyxl
import pytest
from werkzeug.datastructures import FileStorage

from ckan.tests import factories, helpers

from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.tests.helpers import (THAI_ROWS, TOKEN_OPTION, csv_text, derived_ini, valid_dataset,
                                         xloader_site, xloader_worker)

ISO_ROWS = [("2025-03-15", "สบป้าด", "42.5", "ฝุ่นสูง"), ("2025-03-16", "แม่เมาะ", "38.1", "ปกติ")]


def merged_header_xlsx():
    """A title row merged across the columns above the real header."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["รายงานคุณภาพอากาศ อำเภอแม่เมาะ พ.ศ. 2568", None, None])
    sheet.merge_cells("A1:C1")
    sheet.append(["ตำบล", "รหัสตำบล", "จำนวนวันที่ฝุ่นเกินมาตรฐาน"])
    sheet.append(["แม่เมาะ", "520201", 12])
    sheet.append(["นาสัก", "520204", 7])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RAGGED = "สถานี,ค่า\r\nสบป้าด,1\r\nแม่เมาะ,2\r\nบ้านดง,3,4\r\nนาสัก,5\r\n"
UPLOADS = {  # resource name -> (file name, bytes)
    "utf8": ("pm25.csv", csv_text(ISO_ROWS).encode("utf-8")),
    "bom": ("pm25-bom.csv", csv_text(ISO_ROWS).encode("utf-8-sig")),
    "cp874": ("pm25-cp874.csv", csv_text(THAI_ROWS).encode("cp874")),
    "tsv": ("pm25.tsv", csv_text(ISO_ROWS, sep="\t").encode("utf-8")),
    "xlsx": ("tambons.xlsx", merged_header_xlsx()),
    "ragged": ("ragged.csv", RAGGED.encode("utf-8")),
    "not-xlsx": ("broken.xlsx", b"PK\x03\x04 this is no spreadsheet"),
}
LINKED = csv_text(ISO_ROWS).encode("utf-8")


@dataclasses.dataclass
class Loaded:
    dataset: dict
    resources: dict      # name -> resource as it is after the worker ran
    worker_log: str
    linked_requests: list
    token: str
    worker_ini: str


@pytest.fixture(scope="module")
def loaded(reset_db, migrate_db_for, reset_queues, live_server, tmp_path_factory):
    """Every file of :data:`UPLOADS` uploaded, one linked, one link to an
    internal address; xloader's jobs run by a worker whose site is the live
    server (``ckanext.xloader.site_url``, as an operator behind a proxy sets it)."""
    with xloader_site(reset_db, migrate_db_for, reset_queues) as (sysadmin, token):
        ini = derived_ini(tmp_path_factory.mktemp("xloader") / "worker.ini",
                          {"ckanext.xloader.site_url": live_server})
        context = {"user": sysadmin["name"]}
        with ReplayServer(lambda request: (200, {"Content-Type": "text/csv"}, LINKED)) as server:
            org = factories.Organization(agency_type="government")
            dataset = helpers.call_action("package_create", context=dict(context),
                                          **valid_dataset(owner_org=org["id"], name="agency-tables"))
            for name, (filename, data) in UPLOADS.items():
                helpers.call_action("resource_create", context=dict(context), package_id=dataset["id"],
                                    name=name, upload=FileStorage(io.BytesIO(data), filename))
            helpers.call_action("resource_create", context=dict(context), package_id=dataset["id"],
                                name="linked", url=f"{server.url}/tables/pm25.csv", format="CSV")
            helpers.call_action("resource_create", context=dict(context), package_id=dataset["id"],
                                name="internal", url="http://localhost:9/secret.csv", format="CSV")
            log = xloader_worker(ini)
            requests_seen = list(server.requests)
        dataset = helpers.call_action("package_show", id=dataset["id"])
        yield Loaded(dataset, {r["name"]: r for r in dataset["resources"]}, log, requests_seen, token, ini)


def records(resource):
    found = helpers.call_action("datastore_search", context={"user": ""}, resource_id=resource["id"],
                                sort="_id")
    return [(f["id"], f["type"]) for f in found["fields"]], [
        tuple(row[f["id"]] for f in found["fields"] if f["id"] != "_id") for row in found["records"]]


def status(resource):
    return helpers.call_action("xloader_status", resource_id=resource["id"])


def view_types(resource):
    return [v["view_type"] for v in helpers.call_action("resource_view_list", id=resource["id"])]


FIELDS = [("_id", "int"), ("วันที่", "timestamp"), ("สถานี", "text"), ("ค่า PM2.5", "numeric"),
          ("หมายเหตุ", "text")]
ISO_RECORDS = [("2025-03-15T00:00:00", "สบป้าด", 42.5, "ฝุ่นสูง"), ("2025-03-16T00:00:00", "แม่เมาะ", 38.1, "ปกติ")]


@pytest.mark.parametrize("name", ["utf8", "bom", "tsv", "linked"])
def test_thai_tables_reach_the_datastore_exactly_with_their_types(loaded, name):
    resource = loaded.resources[name]
    assert status(resource)["status"] == "complete" and resource["datastore_active"]
    assert records(resource) == (FIELDS, ISO_RECORDS)  # no byte-order mark in the first name
    assert view_types(resource) == ["datatables_view"]


def test_the_linked_file_is_fetched_from_its_server(loaded):
    # our check of the address, xloader's download, the validation job's
    assert {r.path for r in loaded.linked_requests} == {"/tables/pm25.csv"}


def test_a_cp874_file_with_buddhist_era_dates_and_windows_thai_punctuation(loaded):
    resource = loaded.resources["cp874"]
    assert status(resource)["status"] == "complete"
    assert records(resource) == (FIELDS, [
        ("2025-03-15T00:00:00", "สบป้าด", 42.5, "ฝุ่นสูง “ระวัง”"),   # 15/03/2568, day first
        ("2025-03-16T00:00:00", "แม่เมาะ", 38.1, "ค่าตรวจวัด €5"),     # € is 0x80 in cp874 only
        ("2025-04-01T00:00:00", "บ้านดง", 55, "ควันไฟป่า")])


def test_an_xlsx_under_a_merged_title_row_loads_its_real_header(loaded):
    resource = loaded.resources["xlsx"]
    assert status(resource)["status"] == "complete"
    fields, rows = records(resource)
    # the third header is 27 Thai letters (81 bytes): cut at 63 bytes, as PostgreSQL names allow
    assert [f for f, _type in fields] == ["_id", "ตำบล", "รหัสตำบล", "จำนวนวันที่ฝุ่นเกินมา"]
    # xloader guesses types from the rows under the first row (here the header): all text
    assert rows == [("แม่เมาะ", "520201", "12"), ("นาสัก", "520204", "7")]
    assert view_types(resource) == ["datatables_view"]


@pytest.mark.parametrize("name, message", [
    ("ragged", "A row has more values than the 2 column(s) in the header. The extra value is: '4'."),
    ("not-xlsx", "Loading file raised an error: File is not a zip file"),
])
def test_a_broken_file_says_why_it_is_not_loaded(loaded, name, message):
    resource = loaded.resources[name]
    found = status(resource)
    assert found["status"] == "error" and message in found["error"]  # xloader's error: its message
    assert not resource["datastore_active"] and view_types(resource) == []
    assert any(message in log["message"] for log in found["task_info"]["logs"])  # the job log says it too


def test_a_link_to_an_internal_address_is_refused_before_anything_is_fetched(loaded):
    resource = loaded.resources["internal"]
    found = status(resource)
    assert found["status"] == "error" and found["job_id"] is None  # no job was queued
    assert found["error"]["message"] == (
        "ไม่อนุญาตให้ดึงไฟล์จากที่อยู่นี้ / The DataStore may not fetch this address: refused: "
        "localhost (127.0.0.1) is a loopback address; an operator may allow the host with "
        "ckanext.maemoh.harvest.allowed_hosts")
    assert "localhost" not in loaded.worker_log and not resource["datastore_active"]


def test_the_datastore_page_shows_the_status_and_why_a_load_failed(app, loaded):
    dataset = loaded.dataset["name"]
    auth = {"Authorization": loaded.token}

    def page(name, prefix=""):
        resource_id = loaded.resources[name]["id"]
        return app.get(f"{prefix}/dataset/{dataset}/resource_data/{resource_id}",
                       headers=auth).get_data(as_text=True)

    thai, english = page("cp874"), page("cp874", "/en")
    assert "สถานะ" in thai and "สำเร็จ" in thai and "อัพโหลดไปที่จัดเก็บข้อมูล" in thai
    assert "Status" in english and "Complete" in english and "Upload to DataStore" in english
    assert ("ไม่ได้นำเข้าตาราง:</strong> A row has more values than the 2 column(s) in the header."
            in page("ragged"))
    assert "The table was not loaded:</strong> A row has more" in page("ragged", "/en")
    assert "มีปัญหาในการอัพโหลด" in page("internal") and "is a loopback address" in page("internal")


def test_the_resource_page_flags_a_failed_load_in_thai_and_english(app, loaded):
    path = f"/dataset/{loaded.dataset['name']}/resource/{loaded.resources['ragged']['id']}"
    thai = app.get(path).get_data(as_text=True)
    assert "นำเข้าข้อมูลสู่ที่จัดเก็บข้อมูล (DataStore) ไม่สำเร็จ" in thai and "ผิดพลาด" in thai
    english = app.get("/en" + path).get_data(as_text=True)
    assert "Failed to load data into DataStore" in english


def test_the_data_dictionary_changes_a_guessed_type_on_the_next_load(loaded, ckan_config, monkeypatch):
    """Last: it reloads the XLSX with the third column as numbers."""
    resource = loaded.resources["xlsx"]
    fields, _rows = records(resource)
    sysadmin = {"user": helpers.call_action("get_site_user")["name"]}
    helpers.call_action("datastore_create", context=dict(sysadmin), resource_id=resource["id"], force=True,
                        fields=[{"id": name, "type": "text"} for name, _type in fields[1:3]] + [
                            {"id": fields[3][0], "type": "text", "info": {"type_override": "numeric"}}])
    monkeypatch.setitem(ckan_config, TOKEN_OPTION, loaded.token)
    assert helpers.call_action("xloader_submit", context=dict(sysadmin), resource_id=resource["id"],
                               ignore_hash=True)
    xloader_worker(loaded.worker_ini)
    assert records(resource) == ([("_id", "int"), ("ตำบล", "text"), ("รหัสตำบล", "text"),
                                  ("จำนวนวันที่ฝุ่นเกินมา", "numeric")],
                                 [("แม่เมาะ", "520201", 12), ("นาสัก", "520204", 7)])
