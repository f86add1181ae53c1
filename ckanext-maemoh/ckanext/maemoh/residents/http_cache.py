"""HTTP caching of what residents read from the snapshot: the residents'
pages, the home page and the public snapshot actions.

A WSGI middleware around CKAN's Flask application (outside CKAN's own
``Cache-Control``, which marks every rendered page private while
``ckan.cache_enabled`` is off). For an anonymous ``GET``/``HEAD`` of
:data:`CACHEABLE` answered 200 it sets:

* ``ETag``: a digest of the body, and answers ``If-None-Match`` with 304;
* ``Last-Modified``: when the snapshot was computed;
* ``Cache-Control: public, max-age=N`` (``ckanext.maemoh.snapshot.cache_seconds``).

Anonymous means no CKAN session cookie, no "remember me" cookie and no API
token header: nothing of a logged-in user is ever marked public (not even
the Action API's answers, which CKAN itself marks public), and a proxy
(deploy/web's nginx micro-cache) bypasses the same requests. The residents'
pages give anonymous readers no CSRF token, so they open no session. The pages state
their data's age as of the moment they were made; N is short so that no
copy says it for long.
"""
import re

from werkzeug.wrappers import Request, Response

import ckan.plugins.toolkit as tk

from ckanext.maemoh.residents import snapshot

MAX_AGE_OPTION = "ckanext.maemoh.snapshot.cache_seconds"
_LOCALE = r"(?:(?:th|en)/)?"
CACHEABLE = re.compile(
    rf"^/{_LOCALE}(?:|maemoh/(?:|tambon/\d+|tambon/\d+/feed\.atom|map\.json|net-zero|about-data|about-publishing))$"
    r"|^/api/(?:3/)?action/(?:maemoh_aqi_latest|maemoh_risk_summary)$")
LOGGED_IN_COOKIES = ("remember_token",)


class SnapshotCaching:
    """Wraps a WSGI application (see the module docstring)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request = Request(environ)
        if not anonymous(request):
            return self.app(environ, _private(start_response))
        if request.method not in ("GET", "HEAD") or not CACHEABLE.match(request.path):
            return self.app(environ, start_response)
        response = Response.from_app(self.app, environ, buffered=True)
        if response.status_code == 200 and "Set-Cookie" not in response.headers:
            response.cache_control.no_cache = None
            response.cache_control.private = None
            response.cache_control.must_revalidate = None
            response.cache_control.public = True
            response.cache_control.max_age = tk.config[MAX_AGE_OPTION]
            response.last_modified = snapshot.computed_at()
            response.add_etag()
            response.make_conditional(request)
        return response(environ, start_response)


def _private(start_response):
    """``start_response`` with any ``Cache-Control: public`` of CKAN's (its
    Action API marks every answer public) made private."""
    def private(status, headers, exc_info=None):
        headers = [(name, "private, no-cache") if name.lower() == "cache-control" and "public" in value
                   else (name, value) for name, value in headers]
        return start_response(status, headers, exc_info)
    return private


def anonymous(request):
    """True when the request carries no session, login cookie or API token."""
    cookies = (tk.config.get("SESSION_COOKIE_NAME") or "ckan",) + LOGGED_IN_COOKIES
    token_header = tk.config.get("apitoken_header_name") or "Authorization"
    return (not any(name in request.cookies for name in cookies)
            and not request.headers.get(token_header) and not request.headers.get("Authorization")
            and not request.headers.get("X-CKAN-API-Key"))
