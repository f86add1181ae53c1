"""Fetching from sources: timeouts, retries with backoff, clear errors.

Every adapter fetches through :func:`get`, so HTTP 429 (with its
``Retry-After``), 5xx answers and timeouts are handled the same way for all.
"""
import time

import requests

RETRY_STATUSES = {429, 500, 502, 503, 504}


class SourceError(Exception):
    """The source could not be read; the message says what and where."""


def get(url, *, params=None, headers=None, session=None, timeout=30,
        retries=3, backoff=2.0, sleep=time.sleep):
    """GET ``url`` and return the :class:`requests.Response` (status 2xx).

    Retries ``retries`` times on 429, 5xx, timeouts and connection errors,
    waiting ``Retry-After`` seconds when the source says so, else
    ``backoff`` × 2^attempt. Raises :class:`SourceError` otherwise.
    """
    http = session or requests
    for attempt in range(retries + 1):
        try:
            response = http.get(url, params=params, headers=headers, timeout=timeout)
        except (requests.Timeout, requests.ConnectionError) as error:
            problem = f"{type(error).__name__}: {error}"
            wait = backoff * 2 ** attempt
        else:
            if response.status_code < 400:
                return response
            problem = f"HTTP {response.status_code}"
            if response.status_code not in RETRY_STATUSES:
                raise SourceError(f"{_where(url, params)}: {problem}: {response.text[:200]}")
            wait = _retry_after(response) or backoff * 2 ** attempt
        if attempt < retries:
            sleep(wait)
    raise SourceError(f"{_where(url, params)}: {problem} after {retries + 1} attempts")


def _retry_after(response):
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _where(url, params):
    return f"GET {url}" + (f" {params}" if params else "")
