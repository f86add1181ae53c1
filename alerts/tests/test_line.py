"""LINE pushes against a local LINE-like API, and the webhook LINE sends."""
import base64
import hashlib
import hmac
import uuid

import pytest
import requests

from ckanext.maemoh.alerts import line
from ckanext.maemoh.alerts.tests.line_server import LineApi, Push, event, webhook
from ckanext.maemoh.harvesters.egress import GuardedSession

TOKEN = "test-channel-token"
USER = "U" + "4af4980629" * 3 + "ab"
SECRET = "channel-secret-8c1f"


@pytest.fixture
def api():
    with LineApi(token=TOKEN) as server:
        yield server


def push(api, texts, retry_key=None, token=TOKEN, to=USER):
    return line.push(api.url, token, to, texts, retry_key or uuid.uuid4(),
                     session=GuardedSession(allowed=["127.0.0.1"]))


def test_a_push_is_accepted(api):
    key = uuid.uuid4()
    assert push(api, ["ฝุ่น PM2.5 สูง", "Take care"], key) == line.Result(True, 200)
    assert api.pushes == [Push(USER, ["ฝุ่น PM2.5 สูง", "Take care"], str(key))]


def test_a_push_repeated_with_its_retry_key_is_delivered_once(api):
    key = uuid.uuid4()
    assert push(api, ["one"], key).ok
    again = push(api, ["one"], key)
    assert (again.ok, again.status) == (True, 409)
    assert len(api.pushes) == 1


def test_a_server_error_is_retried_with_the_same_key(api):
    key = uuid.uuid4()
    api.fail_next(1, 500)
    api.fail_next(1, 429)
    assert [push(api, ["x"], key) for _ in range(3)] == [
        line.Result(False, 500, "HTTP 500: An error occurred", retry=True),
        line.Result(False, 429, "HTTP 429: Too many requests", retry=True),
        line.Result(True, 200)]
    assert len(api.pushes) == 1


def test_a_bad_token_is_not_retried_and_not_shown(api):
    result = push(api, ["x"], token="wrong-token")
    assert (result.ok, result.status, result.retry) == (False, 401, False)
    assert result.error.startswith("HTTP 401: Authentication failed") and "wrong-token" not in result.error
    assert api.pushes == []


def test_an_invalid_user_id_is_refused_by_line(api):
    result = push(api, ["x"], to="someone")
    assert (result.ok, result.status, result.retry) == (False, 400, False)
    assert "'to'" in result.error


@pytest.mark.parametrize("texts", [[], ["x"] * 6, [""], ["x" * 5001]])
def test_pushes_line_would_refuse_are_not_sent(api, texts):
    with pytest.raises(ValueError):
        push(api, texts)
    assert api.requests == []


def test_the_api_details_what_is_malformed(api):
    answer = requests.post(api.url + "/v2/bot/message/push", headers={"Authorization": f"Bearer {TOKEN}"},
                           json={"messages": [{"type": "text", "text": ""}]})
    assert answer.status_code == 400
    assert answer.json()["details"] == [{"message": "must be specified", "property": "to"},
                                        {"message": "May not be empty", "property": "messages[0].text"}]


def test_texts_up_to_the_limits_are_accepted(api):
    assert push(api, ["ก" * 5000] * 5).ok


def test_the_api_is_refused_at_an_internal_address_unless_allowed(api):
    result = line.push(api.url, TOKEN, USER, ["x"], uuid.uuid4(), session=GuardedSession(allowed=[]))
    assert (result.ok, result.retry) == (False, False)
    assert api.pushes == []


def test_webhook_signatures():
    body, headers = webhook(SECRET, [event("follow", USER)])
    assert line.verify_signature(SECRET, body, headers["x-line-signature"])
    assert not line.verify_signature(SECRET, body + b" ", headers["x-line-signature"])
    assert not line.verify_signature("another-secret", body, headers["x-line-signature"])
    assert not line.verify_signature(SECRET, body, None)
    # computed independently of line_server.webhook
    expected = base64.b64encode(hmac.new(b"s", b'{"events":[]}', hashlib.sha256).digest()).decode()
    assert line.verify_signature("s", b'{"events":[]}', expected)


def test_webhook_events():
    body, _ = webhook(SECRET, [event("follow", USER), event("message", USER, "สมัคร"), event("unfollow", USER)])
    found = line.events(body)
    assert [(e["type"], e["userId"], e["text"]) for e in found] == [
        ("follow", USER, None), ("message", USER, "สมัคร"), ("unfollow", USER, None)]
    assert found[0]["replyToken"] and found[2]["replyToken"] is None
    assert all(e["webhookEventId"] for e in found)


@pytest.mark.parametrize("body", [b"", b"[]", b'{"destination": "U0"}'])
def test_bodies_that_are_not_line_webhooks(body):
    with pytest.raises(ValueError):
        line.events(body)
