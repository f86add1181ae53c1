"""Validation reports of uploaded tables, through the Action API and a real
jobs worker: stored on the resource, shown on its page in Thai and English,
refused before storage where the organisation asks for it."""
import io
import json
import os
import subprocess
import sys

import pytest
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.tests.helpers import valid_dataset

pytestmark = pytest.mark.usefixtures("clean_queues")

PLANTED = ("เดือน,รหัสตำบล,ตำบล,ปริมาณ,ปริมาณ,\n"
           "15/03/2568,520201,บ้านดง,12.5,1,\n"
           "15/03/2658,999999,“ทดสอบ”,3,2,\n"
           ",520202,นาสัก,3,3,\n").encode("cp874")
CLEAN = "month,tambon_code,waste_t\n2568-01,520201,12.5\n2568-02,520204,9\n".encode("utf-8")


def worker(ckan_config):
    """Run the default queue's jobs in a real worker process, until it is empty."""
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    done = subprocess.run([ckan, "-c", ckan_config["__file__"], "jobs", "worker", "--burst"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture
def editor(organization):
    user = factories.User()
    helpers.call_action("organization_member_create", id=organization["id"], username=user["name"],
                        role="editor")
    return user


@pytest.fixture
def dataset(organization, editor):
    return helpers.call_action("package_create", context={"user": editor["name"]},
                               **valid_dataset(name="waste-per-tambon", owner_org=organization["id"]))


def upload(dataset, editor, data, filename, **fields):
    """resource_create with a file, stored where the worker reads it (the
    configured storage path, not a test's temporary one)."""
    return helpers.call_action("resource_create", context={"user": editor["name"]},
                               package_id=dataset["id"], name=filename, url=filename,
                               format=filename.rsplit(".", 1)[1].upper(),
                               upload=FileStorage(io.BytesIO(data), filename), **fields)


def test_a_planted_cp874_table_gets_a_report_listing_each_error(app, ckan_config,
                                                                 dataset, editor):
    resource = upload(dataset, editor, PLANTED, "waste-2568.csv")
    shown = helpers.call_action("maemoh_validation_show", id=resource["id"])
    assert shown == {"status": None, "report": None, "current": False}  # queued, not yet run
    worker(ckan_config)

    shown = helpers.call_action("maemoh_validation_show", id=resource["id"])
    assert shown["status"] == "failure" and shown["current"]
    report = shown["report"]
    assert report["encoding"] == "cp874" and report["schema_source"] in ("inferred", "data dictionary")
    assert [(e["type"], e["row"]) for e in report["errors"]
            if e["type"] in ("implausible-year", "unknown-tambon", "missing-value")] == [
        ("implausible-year", 3), ("unknown-tambon", 3), ("missing-value", 4)]
    assert {"duplicate-label", "blank-label"} <= set(report["error_counts"])
    stored = helpers.call_action("resource_show", id=resource["id"])
    assert stored["validation_status"] == "failure" and json.loads(stored["validation_report"]) == report

    thai = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}").get_data(as_text=True)
    assert "รายงานผลการตรวจสอบ" in thai and "ไม่ใช่รหัสตำบลของอำเภอแม่เมาะ" in thai
    assert "Validation report</th>" not in thai  # not as a raw field of the resource
    english = app.get(f"/en/dataset/{dataset['name']}/resource/{resource['id']}").get_data(as_text=True)
    assert "Validation report" in english and "is not a tambon code of Mae Moh" in english


def test_a_clean_table_is_valid(ckan_config, dataset, editor):
    resource = upload(dataset, editor, CLEAN, "waste-2569.csv")
    worker(ckan_config)
    shown = helpers.call_action("maemoh_validation_show", id=resource["id"])
    assert shown["status"] == "success" and shown["report"]["rows"] == 2 and shown["report"]["errors"] == []


def test_an_attached_table_schema_is_used_and_a_bad_one_refused(ckan_config, dataset,
                                                                editor):
    schema = {"fields": [{"name": "month", "type": "string"}, {"name": "tambon_code", "type": "string"},
                         {"name": "waste_t", "type": "integer"}]}
    resource = upload(dataset, editor, CLEAN, "typed.csv", schema=json.dumps(schema))
    worker(ckan_config)
    report = helpers.call_action("maemoh_validation_show", id=resource["id"])["report"]
    assert report["schema_source"] == "resource schema"
    assert [(e["type"], e["row"], e["cell"]) for e in report["errors"]] == [("type-error", 2, "12.5")]

    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("resource_patch", context={"user": editor["name"]}, id=resource["id"],
                            schema='{"fields": "month"}')
    assert "schema" in refused.value.error_dict


def test_an_organisation_may_refuse_invalid_uploads(organization, dataset, editor):
    helpers.call_action("organization_patch", context={"user": factories.Sysadmin()["name"]},
                        id=organization["id"], invalid_uploads="refuse")
    with pytest.raises(tk.ValidationError) as refused:
        upload(dataset, editor, PLANTED, "refused.csv")
    messages = refused.value.error_dict["upload"]
    assert "refuses invalid files" in messages[0]
    assert any("999999" in m and "ไม่ใช่รหัสตำบล" in m for m in messages)
    assert helpers.call_action("package_show", id=dataset["id"])["resources"] == []  # nothing stored
    kept = upload(dataset, editor, CLEAN, "accepted.csv")
    assert helpers.call_action("package_show", id=dataset["id"])["resources"][0]["id"] == kept["id"]


def test_reports_follow_the_resource_permissions(organization, editor):
    private = helpers.call_action("package_create", context={"user": editor["name"]},
                                  **valid_dataset(name="private-waste", owner_org=organization["id"],
                                                  private=True))
    resource = upload(private, editor, CLEAN, "private.csv")
    stranger = factories.User()
    for user in ("", stranger["name"]):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("maemoh_validation_show", context={"user": user, "ignore_auth": False},
                                id=resource["id"])
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("maemoh_validation_run", context={"user": user, "ignore_auth": False},
                                id=resource["id"])
    assert helpers.call_action("maemoh_validation_run", context={"user": editor["name"]},
                               id=resource["id"])["job_id"]
    with pytest.raises(tk.ValidationError) as missing:
        helpers.call_action("maemoh_validation_show", id="")
    assert "id" in missing.value.error_dict


def test_a_table_deleted_before_its_check_ran_is_no_error(clean_db):
    from ckanext.maemoh.tables import validation

    assert validation.validate_job("no-such-resource") is None
