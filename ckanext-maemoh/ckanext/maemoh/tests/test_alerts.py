"""Warnings end to end on the real stack: sign-up through the pages, a
real SMTP server (the SMTP sink), LINE's API and webhooks as local servers,
episodes decided into the outbox, CAP messages valid against the OASIS
schema, and no personal data in any public output."""
import datetime as dt
import json
import re
import time

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.alerting import deliver, evaluate, model
from ckanext.maemoh.alerts import cap
from ckanext.maemoh.alerts.sink import Sink
from ckanext.maemoh.alerts.tests import line_server
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh import clock
from ckanext.maemoh.tests.helpers import NOW, derived_ini
from ckanext.maemoh.tests.processes import Process, wait_for

TAMBON = "520204"
ADDRESS = "resident@example.org"
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def sink(tmp_path, ckan_config, monkeypatch):
    """A real SMTP server the platform sends to (CKAN's smtp.* options)."""
    with Sink(tmp_path / "mail") as server:
        monkeypatch.setitem(ckan_config, "smtp.server", f"{server.host}:{server.port}")
        monkeypatch.setitem(ckan_config, "smtp.mail_from", "Mae Moh <warnings@maemoh.example>")
        yield server


@pytest.fixture
def site(clean_db, sink):
    """A clean database (no sign-ups counted yet) and the SMTP sink."""
    return sink


def _token(body):
    marker = 'name="_csrf_token" value="'
    start = body.index(marker) + len(marker)
    return body[start:body.index('"', start)]


def _sign_up(app, ip="192.0.2.1", **fields):
    form = app.get("/maemoh/alerts")
    data = {"_csrf_token": _token(form.body), "channel": "email", "email": ADDRESS, "lang": "th",
            "tambons": [TAMBON], "aqi": "4", "consent": "yes", "website": "", **fields}
    return app.post("/maemoh/alerts", data=data, environ_overrides={"REMOTE_ADDR": ip})


def _links(message):
    text = message.get_body(("plain",)).get_content()
    return re.findall(r"https?://\S+/maemoh/alerts/(confirm|unsubscribe)/(\S+)", text)


def _confirmed_subscriber(app, sink, **fields):
    """Sign up, receive the confirmation by SMTP, confirm through the page."""
    assert _sign_up(app, **fields).status_code == 200
    deliver.deliver_due()
    (mail,) = [m for m in sink.messages() if m["To"] == fields.get("email", ADDRESS)]
    (confirm,) = {token for purpose, token in _links(mail) if purpose == "confirm"}
    page = app.get(f"/maemoh/alerts/confirm/{confirm}")
    done = app.post(f"/maemoh/alerts/confirm/{confirm}", data={"_csrf_token": _token(page.body)})
    assert done.status_code == 200
    with model.engine().connect() as conn:
        return conn.execute(sa.select(model.subscription).where(
            model.subscription.c.address == fields.get("email", ADDRESS))).mappings().one()


def _as(user):
    """A context of ``user`` whose access is checked."""
    return {"user": user["name"], "ignore_auth": False}


def _aqi(level, key=TAMBON):
    return {("aqi", key): (None, level)}


def _hours(start, series, key=TAMBON):
    """Evaluate an hourly series of AQI bands from ``start``; the results."""
    return [evaluate.evaluate(start + k * HOUR, _aqi(level, key)) for k, level in enumerate(series)]


def _settled(count, pause=0.3):
    """``count()`` once two readings ``pause`` seconds apart agree."""
    before = count()
    while True:
        time.sleep(pause)
        now = count()
        if now == before:
            return now
        before = now


def _outbox():
    with model.engine().connect() as conn:
        return conn.execute(sa.select(model.outbox).order_by(model.outbox.c.created_at)).mappings().all()


def test_a_resident_signs_up_confirms_is_warned_once_and_unsubscribes_in_one_click(app, site):
    subscriber = _confirmed_subscriber(app, site)
    assert subscriber["status"] == "confirmed" and subscriber["tambons"] == [TAMBON]
    start = NOW - 8 * HOUR
    # flapping around the threshold, then an episode that worsens and ends
    _hours(start, [4, 3, 4, 3, 4, 4, 5, 5, 3, 3, 3])
    sent = [row["msg_type"] for row in _outbox() if row["episode_id"]]
    assert sent == ["Alert", "Update", "Cancel"]
    deliver.deliver_due(now=start + 12 * HOUR)
    mails = [m for m in site.messages() if m["To"] == ADDRESS]
    assert len(mails) == 4  # the confirmation, then Alert, Update, Cancel
    (alert_id,) = [row["id"] for row in _outbox() if row["msg_type"] == "Alert"]
    (alert,) = [m for m in mails if m["Message-ID"].startswith(f"<{alert_id}@")]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "แม่เมาะ" in alert.get_body(("plain",)).get_content()
    (unsubscribe,) = {token for purpose, token in _links(alert) if purpose == "unsubscribe"}
    # RFC 8058: the mail client POSTs without a CSRF token
    answer = app.post(f"/maemoh/alerts/unsubscribe/{unsubscribe}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    with model.engine().connect() as conn:
        for table in (model.subscription, model.outbox, model.sent):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0, table.name
    assert app.post(f"/maemoh/alerts/unsubscribe/{unsubscribe}x", data={}).status_code == 404


def test_the_public_track_publishes_valid_cap_messages_in_an_atom_feed(app, site):
    start = NOW - 8 * HOUR
    _hours(start, [4, 4, 5, 5, 2, 2, 2])
    feed = app.get("/maemoh/alerts.atom")
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    links = re.findall(r'href="https?://[^"]+/maemoh/alerts/cap/([^"]+)\.xml"', feed.body)
    assert len(links) == 3
    kinds = []
    for identifier in links:
        answer = app.get(f"/maemoh/alerts/cap/{identifier}.xml")
        cap.validate(answer.body.encode())
        kinds.append(re.search(r"<msgType>(\w+)</msgType>", answer.body).group(1))
        assert "<status>Actual</status>" in answer.body
        assert "<language>th-TH</language>" in answer.body and "<language>en-US</language>" in answer.body
        assert f"<value>TH{TAMBON}</value>" in answer.body and "<polygon>" in answer.body
    assert sorted(kinds) == ["Alert", "Cancel", "Update"]
    assert app.get("/maemoh/alerts/cap/nothing.xml", status=404)


def test_levels_come_from_the_residents_snapshot_and_each_refresh_decides(portal):
    from ckanext.maemoh.residents import snapshot

    found = evaluate.current_levels(NOW)
    bands = {row["tambon_code"]: row["band"] for row in snapshot.tambon_aqi(NOW) if not row["stale"]}
    assert bands and all(found[("aqi", code)][1] == band for code, band in bands.items())
    assert {("fire", code) for code in bands} <= set(found)
    assert all(value[1] in (0, 1, 2, 3) for (kind, _), value in found.items() if kind == "fire")
    stations = {key: value for (kind, key), value in found.items() if kind == "station_stale"}
    assert stations and {owner for owner, _ in stations.values()} == {portal["id"]}
    assert {owner for (kind, _), (owner, _) in found.items() if kind == "harvest_failed"} == {portal["id"]}
    snapshot.refresh_job()  # the refresh's signal runs an evaluation
    with model.engine().connect() as conn:
        recorded = {(r.kind, r.key): r.level for r in conn.execute(sa.select(model.reading))}
    assert recorded == {key: level for key, (_, level) in evaluate.current_levels(NOW).items()}


def test_agencies_are_warned_of_their_own_stations_only(site):
    editor, other = factories.User(), factories.User()
    mine = factories.Organization(agency_type="government", users=[{"name": editor["name"], "capacity": "editor"}])
    theirs = factories.Organization(agency_type="government", users=[{"name": other["name"], "capacity": "editor"}])
    with ReplayServer(lambda request: (204, {}, b"")) as receiver:
        for user, org in ((editor, mine), (other, theirs)):
            helpers.call_action("maemoh_alert_webhook_create", context=_as(user), organization=org["name"],
                                url=f"{receiver.url}/{org['name']}", lang="en", station_stale=1, harvest_failed=1)
        for k in range(2):
            evaluate.evaluate(NOW + k * HOUR, {("station_stale", "38t"): (mine["id"], 1),
                                               ("harvest_failed", "their-source"): (theirs["id"], 0)})
        deliver.deliver_due(now=NOW + HOUR)
        paths = [r.path for r in receiver.requests]
    assert paths == [f"/{mine['name']}"]
    assert json.loads(receiver.requests[0].body)["data"]["key"] == "38t"
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("maemoh_alerts_status", context=_as(editor))


def test_bad_sign_ups_are_refused_with_the_field_and_nothing_is_kept(app, site, caplog):
    assert _sign_up(app, email="not-an-address").status_code == 400
    assert _sign_up(app, consent="").status_code == 400
    answer = _sign_up(app, tambons=["999999"])
    assert answer.status_code == 400 and 'href="#field-tambons"' in answer.body
    api = app.post("/api/3/action/maemoh_alert_subscribe", json={
        "channel": "fax", "email": "x@", "lang": "fr", "tambons": ["1"], "aqi": 9}, status=409)
    assert set(api.json["error"]) >= {"channel", "email", "lang", "tambons", "aqi", "consent"}
    honeypot = _sign_up(app, website="http://spam.example")
    assert honeypot.status_code == 200  # the bot is told nothing
    with model.engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(model.subscription)).scalar() == 0
    assert ADDRESS not in caplog.text


def test_sign_ups_are_rate_limited_per_client(app, site, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.maemoh.alerts.signups_per_hour", 2)
    answers = [_sign_up(app, email=f"r{k}@example.org", ip="198.51.100.7").status_code for k in range(3)]
    assert answers == [200, 200, 429]
    refused = app.post("/api/3/action/maemoh_alert_subscribe", json={
        "channel": "email", "email": "api@example.org", "lang": "en", "tambons": [TAMBON], "aqi": 4,
        "consent": "yes"}, environ_overrides={"REMOTE_ADDR": "198.51.100.7"}, status=403)
    assert "ลองใหม่อีกครั้งในหนึ่งชั่วโมง" in refused.json["error"]["message"]  # the site speaks Thai first
    assert _sign_up(app, email="other@example.org", ip="198.51.100.8").status_code == 200


def test_personal_data_never_reaches_public_outputs(app, site, caplog):
    caplog.set_level("INFO")
    _confirmed_subscriber(app, site)
    _hours(NOW - 3 * HOUR, [5, 5, 5])
    deliver.deliver_due()
    sysadmin = factories.Sysadmin()
    outputs = [app.get("/maemoh/alerts.atom").body, app.get("/maemoh/alerts").body,
               json.dumps(helpers.call_action("package_search", q=ADDRESS)),
               json.dumps(helpers.call_action("maemoh_alerts_status", context=_as(sysadmin))),
               json.dumps(helpers.call_action("status_show")),
               "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("ckan"))]
    for identifier in re.findall(r"/maemoh/alerts/cap/([^\"]+)\.xml", outputs[0]):
        outputs.append(app.get(f"/maemoh/alerts/cap/{identifier}.xml").body)
    for text in outputs:
        assert ADDRESS not in text and "resident@" not in text
    status = helpers.call_action("maemoh_alerts_status", context=_as(sysadmin))
    assert status["subscriptions"] == {"email/confirmed": 1} and status["open_episodes"]


def test_webhooks_are_signed_retried_logged_for_editors_and_disabled(site, ckan_config, monkeypatch):
    editor = factories.User()
    org = factories.Organization(agency_type="government", users=[{"name": editor["name"], "capacity": "editor"}])
    stranger = factories.User()
    answers = []
    with ReplayServer(lambda request: answers.pop(0) if answers else (200, {}, b"ok")) as receiver:
        made = helpers.call_action("maemoh_alert_webhook_create", context=_as(editor),
                                   organization=org["name"], url=receiver.url + "/hook", lang="en",
                                   tambons=[TAMBON], aqi=3)
        assert made["secret"].startswith("whsec_")
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("maemoh_alert_webhook_create", context=_as(stranger),
                                organization=org["name"], url=receiver.url, lang="en", tambons=[TAMBON], aqi=3)
        with pytest.raises(tk.ValidationError) as refused:
            helpers.call_action("maemoh_alert_webhook_create", context=_as(editor),
                                organization=org["name"], url="ftp://x", lang="en", aqi=9)
        assert set(refused.value.error_dict) == {"url", "aqi"}
        answers.append((500, {}, b"busy"))
        _hours(NOW - 2 * HOUR, [3, 3])
        deliver.deliver_due(now=NOW)
        deliver.deliver_due(now=NOW + dt.timedelta(seconds=6))  # the first retry is due after 5 s
        (request,) = [r for r in receiver.requests if r.headers.get("webhook-id")][-1:]
        payload = Webhook(made["secret"]).verify(request.body, {k.lower(): v for k, v in request.headers.items()})
        assert payload["type"] == "alert.opened" and payload["data"]["key"] == TAMBON
        tampered = request.body.replace(b"alert.opened", b"alert.updated")
        with pytest.raises(Exception):
            Webhook(made["secret"]).verify(tampered, {k.lower(): v for k, v in request.headers.items()})
    log = helpers.call_action("maemoh_alert_deliveries", context=_as(editor), organization=org["name"])
    assert [(row["number"], row["ok"], row["status"]) for row in reversed(log)] == [(1, False, 500), (1 + 1, True, 200)]
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("maemoh_alert_deliveries", context=_as(stranger), organization=org["name"])
    listed = helpers.call_action("maemoh_alert_webhook_list", context=_as(editor),
                                 organization=org["name"])
    assert listed[0]["failures"] == 0 and "secret" not in listed[0]
    # an endpoint that is gone: disabled
    with ReplayServer(lambda request: (410, {}, b"gone")) as gone:
        helpers.call_action("maemoh_alert_webhook_create", context=_as(editor),
                            organization=org["name"], url=gone.url, lang="th", tambons=[TAMBON], aqi=3)
        _hours(NOW, [2, 2, 2, 3, 3], key=TAMBON)
        deliver.deliver_due(now=NOW + 5 * HOUR)
    states = {w["url"]: w["status"] for w in helpers.call_action(
        "maemoh_alert_webhook_list", context=_as(editor), organization=org["name"])}
    assert states[gone.url] == "disabled"


def test_webhooks_cannot_reach_internal_addresses_unless_allowed(site, ckan_config, monkeypatch):
    from ckanext.maemoh.harvesters import egress
    editor = factories.User()
    org = factories.Organization(agency_type="government", users=[{"name": editor["name"], "capacity": "editor"}])
    monkeypatch.setattr(egress, "_allowed", frozenset())
    with ReplayServer(lambda request: (200, {}, b"ok")) as receiver:
        helpers.call_action("maemoh_alert_webhook_create", context=_as(editor),
                            organization=org["name"], url=receiver.url, lang="en", tambons=[TAMBON], aqi=3)
        _hours(NOW - 2 * HOUR, [3, 3])
        assert deliver.deliver_due(now=NOW) == {"sent": 0, "retry": 0, "dead": 1}
        assert receiver.requests == []


def test_line_sign_up_by_code_push_and_unfollow(app, site, ckan_config, monkeypatch):
    with line_server.LineApi() as api:
        for key, value in (("channel_token", api.token), ("channel_secret", "line-secret"),
                           ("api_url", api.url)):
            monkeypatch.setitem(ckan_config, f"ckanext.maemoh.alerts.line.{key}", value)
        answer = _sign_up(app, channel="line", email="")
        code = re.search(r"MM-[A-Z0-9]{8}", answer.body).group(0)
        user = "U" + "0123456789abcdef" * 2
        body, headers = line_server.webhook("wrong-secret", [line_server.event("message", user, code)])
        assert app.post("/maemoh/alerts/line", data=body, headers=headers).status_code == 403
        body, headers = line_server.webhook("line-secret", [line_server.event("message", user, code)])
        assert app.post("/maemoh/alerts/line", data=body, headers=headers).status_code == 200
        _hours(NOW - 2 * HOUR, [4, 4])
        api.fail_next(1, status=500)
        deliver.deliver_due(now=NOW)
        deliver.deliver_due(now=NOW + dt.timedelta(seconds=6))
        assert [push.to for push in api.pushes] == [user, user]  # the warning, then the welcome retried
        assert any("แม่เมาะ" in push.texts[0] for push in api.pushes)
        body, headers = line_server.webhook("line-secret", [line_server.event("unfollow", user)])
        app.post("/maemoh/alerts/line", data=body, headers=headers)
    with model.engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(model.subscription)).scalar() == 0


def test_a_worker_killed_mid_send_and_restarted_delivers_each_message_exactly_once(site, tmp_path):
    count = 400
    with model.engine().begin() as conn:
        conn.execute(model.subscription.insert(), [
            {"id": f"s{k:04d}", "channel": "email", "address": f"r{k}@example.org", "lang": "en",
             "tambons": [TAMBON], "thresholds": {"aqi": 3}, "status": "confirmed", "created_at": NOW}
            for k in range(count)])
    _hours(NOW - HOUR, [5, 5])
    assert len(_outbox()) == count
    env = {clock.ENVIRONMENT: NOW.isoformat()}
    options = {"smtp.server": tk.config["smtp.server"], "smtp.mail_from": tk.config["smtp.mail_from"]}
    config = derived_ini(tmp_path / "worker.ini", options)
    worker = Process("maemoh", "alerts", "run", "--forever", env=env, config=config)
    wait_for("some mail", lambda: len(list((tmp_path / "mail").glob("*.eml"))) >= 60, seconds=120)
    worker.kill()
    stored_at_kill = _settled(lambda: len(site.messages()))  # a message in flight may still land
    recorded_at_kill = sum(1 for row in _outbox() if row["status"] == "sent")
    assert stored_at_kill < count, "the kill came mid-send"
    worker = Process("maemoh", "alerts", "run", "--forever", env=env, config=config)
    try:
        wait_for("an empty outbox", lambda: all(row["status"] == "sent" for row in _outbox()), seconds=120)
    finally:
        worker.kill()
    stored = [m["Message-ID"] for m in site.messages()]
    assert len(stored) == len(set(stored)) == count
    # what was accepted but not yet recorded when the worker died came again,
    # with the same Message-ID, and the sink kept it once
    assert site.duplicates == stored_at_kill - recorded_at_kill
    assert {m["To"] for m in site.messages()} == {f"r{k}@example.org" for k in range(count)}
