"""Webhook deliveries the Standard Webhooks 1.0 way (standardwebhooks.com).

Each delivery is a JSON POST carrying ``webhook-id`` (the message id, the
same on every retry: receivers dedupe on it), ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``{id}.{timestamp}.{body}`` with the endpoint's secret). Failed attempts
are retried on :data:`SCHEDULE`; an endpoint is disabled after
:data:`DISABLE_AFTER` deliveries failed in a row, or at once when it
answers 410 Gone. Deliveries go through a
:class:`~ckanext.maemoh.harvesters.egress.GuardedSession`: no internal
address unless an operator allows the host.
"""
import base64
import binascii
import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import requests

from ckanext.maemoh.harvesters import egress
from ckanext.maemoh.harvesters.http import excerpt

PREFIX = "whsec_"
#: Waits after the 1st, 2nd, ... failed attempt (the spec's reference
#: schedule); after the last one the delivery gives up.
SCHEDULE = tuple(timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600))
#: Deliveries (each with all its attempts) failed in a row that disable an endpoint.
DISABLE_AFTER = 10
GONE = 410


@dataclass(frozen=True)
class Result:
    """How an attempt went: ``retry`` says whether trying again may help,
    ``disable`` that the receiver wants no more deliveries."""
    ok: bool
    status: int | None = None
    error: str | None = None
    retry: bool = False
    disable: bool = False


def new_secret():
    """A new endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sign(secret, msg_id, timestamp, body):
    """``v1,<signature>`` of ``body`` (bytes) sent as ``msg_id`` at
    ``timestamp`` (Unix seconds); ValueError for a malformed secret."""
    signed = f"{msg_id}.{int(timestamp)}.".encode("utf-8") + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret, msg_id, timestamp, body):
    """The headers of a delivery of ``body``."""
    if not re.fullmatch(r"[\x21-\x7e]+", str(msg_id)):
        raise ValueError(f"a webhook id is printable ASCII without spaces: {msg_id!r}")
    return {
        "webhook-id": str(msg_id),
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def next_attempt(attempts, now):
    """When to try again after ``attempts`` failed attempts (≥ 1), or None:
    give up."""
    return now + SCHEDULE[attempts - 1] if attempts <= len(SCHEDULE) else None


def should_disable(failed_in_a_row):
    """Whether an endpoint whose last ``failed_in_a_row`` deliveries all
    gave up is to be disabled."""
    return failed_in_a_row >= DISABLE_AFTER


@dataclass(frozen=True)
class Answer:
    """What the receiver answered: status, text and headers."""
    status: int
    text: str
    headers: dict


def exchange(url, headers, body, session=None, timeout=10):
    """POST ``body`` to ``url`` through the egress guard, without following
    redirects: the :class:`Answer`, or a failed :class:`Result` when there is
    none (an address the guard refuses: not retried; a connection error: retried)."""
    sending = egress.GuardedSession() if session is None else contextlib.nullcontext(session)
    with sending as http:
        try:
            egress.check_scheme(url)
            with http.post(url, data=body, headers=headers, timeout=timeout,
                           allow_redirects=False) as response:
                return Answer(response.status_code, response.text, response.headers)
        except egress.Refused as error:
            return Result(False, error=str(error))
        except requests.RequestException as error:
            return Result(False, error=reason(error), retry=True)


def post(url, headers, body, session=None, timeout=10):
    """POST ``body`` to ``url``; a :class:`Result`. 2xx is delivered; other
    answers and connection errors are retried, except 410 Gone (disable)
    and addresses the egress guard refuses. Redirects are not followed."""
    answer = exchange(url, headers, body, session, timeout)
    if isinstance(answer, Result):
        return answer
    if 200 <= answer.status < 300:
        return Result(True, answer.status)
    return Result(False, answer.status, http_error(answer.status, answer.text),
                  retry=answer.status != GONE, disable=answer.status == GONE)


def http_error(status, text):
    """``HTTP <status>: <excerpt of the answer>``."""
    shown = excerpt(text)
    return f"HTTP {status}: {shown}" if shown else f"HTTP {status}"


def reason(error):
    """A short, address-free description of a request error (its message
    repeats the URL, which may hold a token)."""
    found = re.search(r"\[Errno -?\d+\][^'\")]*|timed out", str(error))
    return type(error).__name__ + (f": {found.group(0).strip()}" if found else "")


def _key(secret):
    if not secret.startswith(PREFIX):
        raise ValueError(f"a webhook secret starts with {PREFIX}")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ + base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret holds 24 to 64 bytes")
    return key
