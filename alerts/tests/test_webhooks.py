"""Webhook deliveries: signatures the independent ``standardwebhooks``
package accepts, real POSTs to a local server, the egress guard, the retry
schedule."""
import json
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ckanext.maemoh.alerts import webhooks
from ckanext.maemoh.harvesters.egress import GuardedSession
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

BODY = json.dumps({"type": "alert", "text": "ฝุ่น PM2.5 สูง"}, ensure_ascii=False).encode("utf-8")


def local():
    return GuardedSession(allowed=["127.0.0.1"])


def test_new_secrets_are_distinct_32_byte_keys():
    first, second = webhooks.new_secret(), webhooks.new_secret()
    assert first != second and first.startswith("whsec_") and len(first) == 6 + 44


def test_the_reference_package_verifies_our_signature():
    secret = webhooks.new_secret()
    sent = webhooks.headers(secret, "msg_42", int(time.time()), BODY)  # the verifier checks it against the real time
    assert sent["content-type"] == "application/json"
    assert Webhook(secret).verify(BODY, sent) == json.loads(BODY)


def test_a_tampered_body_or_another_secret_fails_verification():
    secret = webhooks.new_secret()
    sent = webhooks.headers(secret, "msg_42", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"alert", b"cancel"), sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(BODY, sent)


def test_the_spec_example_signature():
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64", "whsec_AAAA"])
def test_malformed_secrets_are_refused(secret):
    with pytest.raises(ValueError):
        webhooks.sign(secret, "msg_1", 1, b"{}")


def test_a_delivery_reaches_the_receiver_signed():
    secret = webhooks.new_secret()
    with ReplayServer(lambda request: json_answer("{}")) as receiver:
        result = webhooks.post(receiver.url + "/hook", webhooks.headers(secret, "msg_1", int(time.time()), BODY),
                               BODY, session=local())
    assert result == webhooks.Result(True, 200)
    request, = receiver.requests
    assert (request.method, request.path, request.body) == ("POST", "/hook", BODY)
    assert Webhook(secret).verify(request.body, request.headers)


@pytest.mark.parametrize("status, retry, disable", [(500, True, False), (404, True, False), (410, False, True)])
def test_failed_answers(status, retry, disable):
    secret = webhooks.new_secret()
    with ReplayServer(lambda request: json_answer('{"error": "nope"}', status=status)) as receiver:
        result = webhooks.post(receiver.url, webhooks.headers(secret, "msg_1", 1, BODY), BODY, session=local())
    assert result == webhooks.Result(False, status, f'HTTP {status}: {{"error": "nope"}}', retry, disable)


def test_a_redirect_is_a_failure_not_followed():
    with ReplayServer(lambda request: (302, {"Location": "http://127.0.0.1:9/"}, b"")) as receiver:
        result = webhooks.post(receiver.url, {}, BODY, session=local())
    assert (result.ok, result.status, result.retry, len(receiver.requests)) == (False, 302, True, 1)


def test_a_closed_port_is_retried_and_the_error_names_no_address():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    result = webhooks.post(f"http://127.0.0.1:{port}/hook?token=s3cret", {}, BODY, session=local())
    assert (result.ok, result.retry) == (False, True)
    assert result.error.startswith("ConnectionError: [Errno 111]")
    assert "s3cret" not in result.error and "127.0.0.1" not in result.error


def test_internal_addresses_are_refused_without_retry():
    with ReplayServer(lambda request: json_answer("{}")) as receiver:
        result = webhooks.post(receiver.url, {}, BODY, session=GuardedSession(allowed=[]))
        assert receiver.requests == []
    assert (result.ok, result.retry, result.status) == (False, False, None)
    assert "127.0.0.1 is a loopback address" in result.error


def test_only_http_and_https_are_delivered():
    result = webhooks.post("file:///etc/passwd", {}, BODY)
    assert (result.ok, result.retry) == (False, False)


def test_the_retry_schedule_then_giving_up():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    waits = [webhooks.next_attempt(attempts, now) - now for attempts in range(1, 8)]
    assert waits == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
                     timedelta(hours=2), timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]
    assert webhooks.next_attempt(8, now) is None


def test_an_endpoint_is_disabled_after_ten_failed_deliveries_in_a_row():
    assert not webhooks.should_disable(9)
    assert webhooks.should_disable(10)
