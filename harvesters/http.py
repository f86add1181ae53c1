"""Fetching from sources: timeouts, retries with backoff, clear errors.

Every adapter fetches through :func:`get`, so HTTP 429 (with its
``Retry-After``), 5xx answers and timeouts are handled the same way for all,
and, unless a caller passes its own session, every fetch is guarded by
:mod:`.egress`: http and https only, no internal address unless an operator
allows the host.
"""
import contextlib
import time
import unicodedata

import requests

from ckanext.maemoh.harvesters import egress

RETRY_STATUSES = {429, 500, 502, 503, 504}
EXCERPT_LENGTH = 200


class SourceError(Exception):
    """The source could not be read; the message says what and where."""


def get(url, *, params=None, headers=None, session=None, timeout=30,
        retries=3, backoff=2.0, sleep=time.sleep):
    """GET ``url`` and return the :class:`requests.Response` (status 2xx).

    Retries ``retries`` times on 429, 5xx, timeouts and connection errors,
    waiting ``Retry-After`` seconds when the source says so, else
    ``backoff`` × 2^attempt. Raises :class:`SourceError` otherwise: at once
    for an address :mod:`.egress` refuses, too many redirects and other
    request errors. Without ``session``, a :class:`~.egress.GuardedSession`
    with the process-wide allowed hosts.
    """
    where = f"GET {url}" + (f" {params}" if params else "")
    fetching = egress.GuardedSession() if session is None else contextlib.nullcontext(session)
    with fetching as http:
        for attempt in range(retries + 1):
            try:
                egress.check_scheme(url)
                response = http.get(url, params=params, headers=headers, timeout=timeout)
            except egress.Refused as error:
                raise SourceError(f"{where}: {error}") from None
            except (requests.Timeout, requests.ConnectionError) as error:
                problem = f"{type(error).__name__}: {error}"
                wait = backoff * 2 ** attempt
            except requests.RequestException as error:
                raise SourceError(f"{where}: {type(error).__name__}: {error}") from None
            else:
                if response.status_code < 400:
                    return response
                problem = f"HTTP {response.status_code}"
                if response.status_code not in RETRY_STATUSES:
                    raise SourceError(f"{where}: {problem}: {excerpt(response.text)}")
                wait = _retry_after(response) or backoff * 2 ** attempt
            if attempt < retries:
                sleep(wait)
    raise SourceError(f"{where}: {problem} after {retries + 1} attempts")


def excerpt(text, length=EXCERPT_LENGTH):
    """At most ``length`` characters of ``text`` (an error body, say) for a
    message: control and format characters removed, white space collapsed."""
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    text = " ".join(kept.split())
    return text if len(text) <= length else text[:length - 1] + "…"


def _retry_after(response):
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None

