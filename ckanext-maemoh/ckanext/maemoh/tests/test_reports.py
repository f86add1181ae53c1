"""Residents' reports on the real stack: the form and the Action API, the
restricted table, the private status link, moderation by editors of the
district, publication at cell level in ``citizen-reports``, deletion on
request, retention, and no personal data in any public output."""
import datetime as dt
import io
import json
import os
import pathlib
import urllib.parse

import h3
import pytest
import sqlalchemy as sa
from PIL import Image

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh import clock
from ckanext.maemoh.reference import datasets
from ckanext.maemoh.reporting import model, store
from ckanext.maemoh.tests.helpers import NOW, phone_photo

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# a point in tambon Mae Mo (520204), near the waterworks
LATITUDE, LONGITUDE = 18.2841377, 99.6612731
WORDS = "ควันดำจากการเผาขยะหลังบ้านลุงสมชาย โทร 081-234-5678"
CLIENT = "198.51.100.23"
ANONYMOUS = {"user": "", "ignore_auth": False}


def _token(body):
    marker = 'name="_csrf_token" value="'
    start = body.index(marker) + len(marker)
    return body[start:body.index('"', start)]


def _report(app, photo=None, ip=CLIENT, **fields):
    form = app.get("/maemoh/report")
    observed = (NOW - dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    data = {"_csrf_token": _token(form.body), "category": "smoke-burning", "latitude": str(LATITUDE),
            "longitude": str(LONGITUDE), "observed_at": observed.strftime("%Y-%m-%dT%H:%M"), "text": WORDS,
            "website": "", **fields}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "IMG_0042.jpg", "image/jpeg")
    return app.post("/maemoh/report", data=data, environ_overrides={"REMOTE_ADDR": ip})


def _status_path(body):
    start = body.index("/maemoh/report/status/")
    return body[start:body.index('"', start)]


def _rows():
    with model.engine().connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(model.report)).mappings()]


@pytest.fixture
def editor(district):
    user = factories.User()
    helpers.call_action("organization_member_create", id=district["id"], username=user["name"], role="editor")
    return user


def _as(user):
    return {"user": user["name"], "ignore_auth": False}


def test_a_report_is_kept_privately_then_published_at_cell_level_once_approved(app, editor, caplog):
    answer = _report(app, phone_photo())
    assert answer.status_code == 200, answer.body
    status_path = _status_path(answer.body)
    (row,) = _rows()
    assert (row["latitude"], row["longitude"], row["text"], row["client"]) == (LATITUDE, LONGITUDE, WORDS, CLIENT)
    assert row["tambon_code"] == "520204" and row["status"] == "pending"
    stored = store.photo_path(row["id"], approved_only=False)
    with Image.open(stored) as photo:  # re-encoded: no EXIF, no GPS, at most 1 600 px
        assert not photo.getexif() and max(photo.size) == 1600
    assert "รอเจ้าหน้าที่" in app.get(status_path).body
    assert app.get(f"/maemoh/reports/photo/{row['id']}").status_code == 404  # not public before approval

    (queued,) = helpers.call_action("maemoh_citizen_report_list", context=_as(editor))
    assert queued["text"] == WORDS and queued["latitude"] == LATITUDE and queued["has_photo"]
    decided = helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=row["id"],
                                  decision="approved")
    assert decided["status"] == "approved"

    dataset = helpers.call_action("package_show", context=dict(ANONYMOUS), id=datasets.CITIZEN_REPORTS_DATASET)
    assert dataset["organization"]["name"] == tk.config["ckanext.maemoh.organization"] and not dataset["private"]
    (table,) = dataset["resources"]
    (published,) = helpers.call_action("datastore_search", context=dict(ANONYMOUS), resource_id=table["id"])["records"]
    assert published["h3_cell"] == h3.latlng_to_cell(LATITUDE, LONGITUDE, 8) and published["tambon_code"] == "520204"
    assert published["category"] == "smoke-burning" and published["category_th"] == "ควันหรือการเผาในที่โล่ง"
    assert published["time_utc"].endswith(":00:00") and published["source"] == "maemoh"
    assert not {"latitude", "longitude", "text", "client"} & set(published)
    public_photo = app.get(urllib.parse.urlsplit(published["photo_url"]).path)
    assert public_photo.status_code == 200
    assert not Image.open(io.BytesIO(public_photo.get_data())).getexif()
    assert "อนุมัติแล้ว" in app.get(status_path).body

    # no personal data in any public output: the catalogue, the table, its
    # dump, the dataset's activity, the pages, the logs
    dump = app.get(f"/datastore/dump/{table['id']}").body
    activity = helpers.call_action("package_activity_list", context=dict(ANONYMOUS), id=dataset["id"])
    outputs = [json.dumps(dataset, ensure_ascii=False), json.dumps(published, ensure_ascii=False), dump,
               json.dumps(activity, ensure_ascii=False, default=str), app.get(status_path).body,
               app.get("/maemoh/").body, app.get("/maemoh/map.json").body, caplog.text,
               json.dumps(helpers.call_action("package_search", context=dict(ANONYMOUS), q="*:*"), ensure_ascii=False)]
    for output in outputs:
        for secret in (WORDS, "081-234-5678", f"{LATITUDE}", f"{LONGITUDE}", CLIENT):
            assert secret not in output


def _photos():
    folder = store.uploads_dir()
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def test_bad_reports_get_a_clear_message_per_field_and_store_nothing(app, district):
    photos_before = _photos()
    answer = _report(app, b"GIF89a not a photo", category="fireworks", latitude="13.75", longitude="100.5",
                     observed_at="2030-01-01T00:00", text="x" * 501)
    assert answer.status_code == 400
    for field in ("field-category", "field-location", "field-observed_at", "field-text"):
        assert f'href="#{field}"' in answer.body
    photo_refused = _report(app, b"GIF89a not a photo")
    assert photo_refused.status_code == 400 and 'href="#field-photo"' in photo_refused.body
    api = app.post("/api/3/action/maemoh_citizen_report_create", json={
        "category": "dust", "latitude": "north", "longitude": LONGITUDE, "observed_at": "yesterday"}, status=409)
    assert set(api.json["error"]) >= {"location", "observed_at"}
    missing = app.post("/api/3/action/maemoh_citizen_report_create", json={}, status=409)
    assert set(missing.json["error"]) >= {"category", "latitude", "longitude", "observed_at"}
    assert _rows() == [] and _photos() == photos_before


def test_the_api_takes_a_report_with_a_photo_and_returns_the_private_link(app, district):
    made = app.post("/api/3/action/maemoh_citizen_report_create", data={
        "category": "ash", "latitude": str(LATITUDE), "longitude": str(LONGITUDE),
        "observed_at": (NOW - dt.timedelta(hours=2)).isoformat(),
        "photo": (io.BytesIO(phone_photo()), "ash.jpg")}).json["result"]
    assert made["status_url"].endswith("/maemoh/report/status/" + made["token"])
    shown = helpers.call_action("maemoh_citizen_report_show", context=dict(ANONYMOUS), token=made["token"])
    assert shown["status"] == "pending" and shown["category"] == "ash"
    assert not {"latitude", "longitude", "text", "client"} & set(shown)
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("maemoh_citizen_report_show", context=dict(ANONYMOUS), token="not-a-token")


def test_reports_are_rate_limited_per_client_and_the_honeypot_stores_nothing(app, district, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.maemoh.citizen.reports_per_hour", 2)
    assert _report(app, website="http://spam.example").status_code == 200  # the bot is told nothing
    assert _rows() == []
    assert [_report(app).status_code for _ in range(3)] == [200, 200, 429]
    app.post("/api/3/action/maemoh_citizen_report_create", json={
        "category": "dust", "latitude": LATITUDE, "longitude": LONGITUDE,
        "observed_at": NOW.isoformat()}, environ_overrides={"REMOTE_ADDR": CLIENT}, status=403)
    assert len(_rows()) == 2
    assert _report(app, ip="203.0.113.9").status_code == 200  # another client


def test_only_editors_of_the_district_read_and_decide_reports(app, district, editor):
    _report(app, phone_photo())
    (row,) = _rows()
    stranger_org = factories.Organization(agency_type="government")
    stranger = factories.User()
    helpers.call_action("organization_member_create", id=stranger_org["id"], username=stranger["name"], role="admin")
    for context in (dict(ANONYMOUS), _as(stranger)):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("maemoh_citizen_report_list", context=context)
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("maemoh_citizen_report_decide", context=context, id=row["id"], decision="approved")
    stranger_token = {"Authorization": factories.APIToken(user=stranger["name"])["token"]}
    assert app.get("/maemoh/reports/moderate", headers=stranger_token).status_code == 403
    assert app.get("/maemoh/reports/moderate").status_code == 403
    assert app.get(f"/maemoh/reports/photo/{row['id']}").status_code == 404
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=row["id"], decision="rejected")
    assert "reason" in refused.value.error_dict
    helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=row["id"], decision="rejected",
                        reason="ไม่พบควันในพื้นที่")
    with pytest.raises(tk.ValidationError):  # decided once
        helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=row["id"], decision="approved")
    assert _rows()[0]["status"] == "rejected"


def test_a_reporter_deletes_a_published_report_with_the_private_link(app, editor):
    status_path = _status_path(_report(app, phone_photo()).body)
    (row,) = _rows()
    photo = store.photo_path(row["id"], approved_only=False)
    helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=row["id"], decision="approved")
    page = app.get(status_path)
    deleted = app.post(status_path + "/delete", data={"_csrf_token": _token(page.body)})
    assert deleted.status_code == 200
    assert _rows() == [] and not os.path.exists(photo)
    table = helpers.call_action("package_show", id=datasets.CITIZEN_REPORTS_DATASET)["resources"][0]
    assert helpers.call_action("datastore_search", resource_id=table["id"])["records"] == []
    assert app.get(status_path).status_code == 404


def test_personal_data_is_emptied_after_keep_days(app, editor):
    _report(app, phone_photo())
    _report(app, phone_photo(), category="odour")
    kept, dropped = sorted(_rows(), key=lambda r: r["category"] != "smoke-burning")
    helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=kept["id"], decision="approved")
    helpers.call_action("maemoh_citizen_report_decide", context=_as(editor), id=dropped["id"], decision="rejected",
                        reason="ซ้ำ")
    dropped_photo = store.photo_path(dropped["id"], approved_only=False)
    assert store.prune(clock.now() + dt.timedelta(days=89)) == 0
    assert store.prune(clock.now() + dt.timedelta(days=91)) == 2
    (left,) = _rows()
    assert left["id"] == kept["id"] and left["purged_at"] is not None
    assert (left["latitude"], left["longitude"], left["text"], left["client"]) == (None, None, None, None)
    assert not os.path.exists(dropped_photo) and store.photo_path(kept["id"]) is not None


def test_traffy_complaints_are_harvested_at_cell_level_as_community_data(organization, monkeypatch):
    """The Traffy Fondue harvester against a local server replaying the
    adapter's fixtures (payloads shaped like the public API's)."""
    from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer
    from ckanext.maemoh.tests.helpers import create_source, report, run_harvest

    files = pathlib.Path(__file__).resolve().parents[4] / "harvesters" / "tests" / "fixtures" / "traffy"

    def handler(request):
        page = files / f"geojson_page{int(request.query['offset']) // int(request.query['limit'])}.json"
        return json_answer(page.read_bytes() if page.exists() else b'{"type": "FeatureCollection", "features": []}')

    monkeypatch.setitem(tk.config, clock.OPTION, "2024-03-14T04:00:00Z")  # the fixtures' day
    with ReplayServer(handler) as server:
        source = create_source(organization, server.url + "/teamchadchart-stat-api/geojson/v1", "traffy",
                               {"page_limit": 4, "days": 1})
        job = run_harvest(source["id"])
    assert all(status != "errored" for status, _ in report(job).values())
    dataset = helpers.call_action("package_show", context=dict(ANONYMOUS), id="traffy-source-data")
    assert set(dataset["theme"]) >= {"air", "waste"} and dataset["quality_level"] == "raw"
    (table,) = dataset["resources"]
    rows = {r["report_id"]: r for r in helpers.call_action(
        "datastore_search", context=dict(ANONYMOUS), resource_id=table["id"], limit=100)["records"]}
    ash = rows["2024-1AYB7N"]
    assert (ash["source"], ash["category"], ash["status"]) == ("traffy", "ash", "in-progress")
    dumping = rows["2024-7WJD4P"]
    assert dumping["h3_cell"] and len(dumping["h3_cell"]) == 15 and dumping["time_utc"].endswith(":00:00")
    assert not {"latitude", "longitude", "text", "place_text"} & set(dumping)
    dump = json.dumps(rows, ensure_ascii=False)
    assert "99.7342" not in dump and "ติดต่อกลับ" not in dump and "บ้านหัวฝาย" not in dump


def test_an_editor_moderates_on_the_queue_page(app, editor):
    _report(app, phone_photo())
    _report(app, category="odour")
    photographed, plain = sorted(_rows(), key=lambda r: r["photo"] is None)
    token = {"Authorization": factories.APIToken(user=editor["name"])["token"]}
    page = app.get("/maemoh/reports/moderate", headers=token)
    assert page.status_code == 200 and WORDS in page.body and f"{LATITUDE:.5f}" in page.body
    assert f'/maemoh/reports/photo/{photographed["id"]}' in page.body
    photo = app.get(f'/maemoh/reports/photo/{photographed["id"]}', headers=token)  # pending: its moderators only
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    csrf = _token(page.body)
    refused = app.post(f'/maemoh/reports/moderate/{plain["id"]}', headers=token,
                       data={"_csrf_token": csrf, "decision": "rejected", "reason": ""})
    assert refused.status_code == 200 and {r["id"]: r["status"] for r in _rows()}[plain["id"]] == "pending"
    app.post(f'/maemoh/reports/moderate/{plain["id"]}', headers=token,
             data={"_csrf_token": csrf, "decision": "rejected", "reason": "ไม่พบกลิ่นในพื้นที่"})
    app.post(f'/maemoh/reports/moderate/{photographed["id"]}', headers=token,
             data={"_csrf_token": csrf, "decision": "approved"})
    assert {r["id"]: r["status"] for r in _rows()} == {photographed["id"]: "approved", plain["id"]: "rejected"}
    assert WORDS not in app.get("/maemoh/reports/moderate", headers=token).body  # the queue is empty
