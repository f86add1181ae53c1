"""When PostgreSQL, Solr or Redis cannot be reached, a request answers
503 with a short page in Thai and English (or the Action API's JSON error)
and ``Retry-After``, instead of a traceback or CKAN's error page: rendering
that page would need the services that are down. The log names the
service.

Two ways lead here: an exception that means a service is unreachable
(:data:`UNREACHABLE`), and a response CKAN itself made a 500 of (its search
pages and Action API turn Solr's failures into a 500) while a service does
not answer its health check.
"""
import logging

import pysolr
import redis.exceptions
import sqlalchemy.exc
from flask import Response, jsonify, request
from markupsafe import escape

from ckanext.maemoh.health import checks

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30
#: exception class -> the service it means is unreachable
UNREACHABLE = {
    sqlalchemy.exc.OperationalError: "PostgreSQL",
    sqlalchemy.exc.InterfaceError: "PostgreSQL",
    pysolr.SolrError: "Solr",
    redis.exceptions.ConnectionError: "Redis",
    redis.exceptions.TimeoutError: "Redis",
}
TEXT = {
    "th": ("ระบบขัดข้องชั่วคราว", "บริการบางส่วนของแพลตฟอร์มไม่พร้อมใช้งานในขณะนี้ "
           "ข้อมูลของท่านไม่สูญหาย โปรดลองใหม่อีกครั้งในอีกสักครู่"),
    "en": ("Temporarily unavailable", "Part of the platform is not available right now. "
           "No data is lost; please try again in a moment."),
}


def register(app):
    """Answer 503 on ``app`` for every exception of :data:`UNREACHABLE`, and
    instead of a 500 while a service is down."""
    for error_class in UNREACHABLE:
        app.register_error_handler(error_class, service_unavailable)
    app.after_request(instead_of_a_500)
    return app


def service_unavailable(error):
    service = next(name for cls, name in UNREACHABLE.items() if isinstance(error, cls))
    log.warning("%s is unreachable: %s answered 503 (%s)", service, request.path, type(error).__name__)
    return _unavailable()


def instead_of_a_500(response):
    if response.status_code != 500:
        return response
    down = [name for name, state in checks.service_states().items() if not state["up"]]
    if not down:
        return response
    log.warning("%s unreachable: %s answered 503", ", ".join(down), request.path)
    return _unavailable()


def _unavailable():
    if request.path.startswith(("/api/", "/en/api/", "/th/api/")):
        response = jsonify({"success": False, "error": {
            "__type": "Service Unavailable", "message": TEXT["en"][1]}})
    else:
        response = Response(_page(), content_type="text/html; charset=utf-8")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page():
    th_title, th_text = (escape(t) for t in TEXT["th"])
    en_title, en_text = (escape(t) for t in TEXT["en"])
    return (f'<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{th_title} / {en_title}</title></head>"
            f'<body style="font-family: sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">'
            f"<main><h1>{th_title}</h1><p>{th_text}</p>"
            f'<h2 lang="en">{en_title}</h2><p lang="en">{en_text}</p></main></body></html>')

