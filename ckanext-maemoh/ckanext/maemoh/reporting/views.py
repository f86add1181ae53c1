"""The residents' report pages: the form (``/maemoh/report``, phone first,
no account), the private status link, the moderators' queue, and the
photos (approved ones public; any to the moderators).

The form posts to the action ``maemoh_citizen_report_create``: the same
checks and rate limit as the API, a clear message per field, nothing
stored when anything is wrong. A filled honeypot gets the thank-you page
and stores nothing. A body over :data:`MAX_BODY` is refused (413) before it
is read.
"""
from flask import Blueprint, request, send_file

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock, rate_limit
from ckanext.maemoh.citizen import photos, reports
from ckanext.maemoh.reporting import store
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents.views import lang, local_time, security_headers
from ckanext.maemoh.risk_jobs import aqi

__all__ = ["reports_pages"]

reports_pages = Blueprint("maemoh_reports", __name__, url_prefix="/maemoh")
reports_pages.after_request(security_headers)

MAX_BODY = photos.MAX_BYTES + 64 * 1024
# The form's fields as its labels say (msgids; the page translates them).
FIELD_NAMES = {"category": "What did you see?", "location": "Where?", "observed_at": "When?",
               "text": "What happened (optional)", "photo": "A photo (optional)"}
# What the page says of a bad field (msgids; the API gives the checks' own words).
FIELD_ERRORS = {"category": "Choose one of the kinds listed",
                "location": "Choose a place in Mae Moh district: tap the map or give its latitude and longitude",
                "latitude": "Choose a place in Mae Moh district: tap the map or give its latitude and longitude",
                "longitude": "Choose a place in Mae Moh district: tap the map or give its latitude and longitude",
                "observed_at": "Give a time in the last 30 days, not in the future",
                "text": "Write at most 500 characters",
                "photo": "Send a JPEG, PNG or WebP photo of at most 8 MB"}


def _form_page(values=None, errors=None, status=200):
    now = clock.now().astimezone(aqi.BANGKOK)
    return tk.render("maemoh/reports/form.html", {
        "lang": lang(), "values": values or {"observed_at": now.strftime("%Y-%m-%dT%H:%M")},
        "errors": errors or {}, "field_names": FIELD_NAMES, "categories": reports.CATEGORIES,
        "category_names": reports.CATEGORY_NAMES, "max_text": reports.MAX_TEXT,
        "max_mb": photos.MAX_BYTES // (1024 * 1024), "keep_days": tk.config["ckanext.maemoh.citizen.keep_days"],
        "now_local": now.strftime("%Y-%m-%dT%H:%M")}), status


@reports_pages.route("/report")
def report_form():
    return _form_page()


@reports_pages.route("/report", methods=["POST"])
def report():
    if (request.content_length or 0) > MAX_BODY:
        return _form_page(None, {"photo": [tk._(FIELD_ERRORS["photo"])]}, 413)
    form = {key: request.form.get(key, "") for key in ("category", "longitude", "latitude", "observed_at", "text",
                                                       "website")}
    if form.pop("website"):  # the honeypot: a person never fills it
        return tk.render("maemoh/reports/done.html", {"lang": lang(), "status_url": None})
    data = dict(form, observed_at=_with_offset(form["observed_at"]))
    upload = request.files.get("photo")
    if upload and upload.filename:
        data["photo"] = upload
    try:
        made = tk.get_action("maemoh_citizen_report_create")({"user": tk.g.user}, data)
    except rate_limit.RateLimited:
        return tk.render("maemoh/reports/done.html", {"lang": lang(), "too_many": True}), 429
    except tk.ValidationError as error:
        return _form_page(form, {"location" if field in ("latitude", "longitude") else field: [tk._(FIELD_ERRORS[field])]
                                 if field in FIELD_ERRORS else messages
                                 for field, messages in error.error_dict.items()}, 400)
    return tk.render("maemoh/reports/done.html", {"lang": lang(), "status_url": made["status_url"]})


def _with_offset(local):
    """The form's local time (``YYYY-MM-DDTHH:MM``, Bangkok) with its offset;
    anything else unchanged, for the check to name."""
    return f"{local}+07:00" if len(local) == 16 and local[10:11] == "T" else local


@reports_pages.route("/report/status/<token>")
def status(token):
    try:
        found = store.by_token(token)
    except store.NotFound:
        return tk.render("maemoh/reports/status.html", {"lang": lang(), "report": None}), 404
    return tk.render("maemoh/reports/status.html", {
        "lang": lang(), "report": found, "token": token, "category_names": reports.CATEGORY_NAMES,
        "observed": local_time(found["observed_at"]), "tambon": _tambon_name(found["tambon_code"])})


@reports_pages.route("/report/status/<token>/delete", methods=["POST"])
def delete(token):
    try:
        tk.get_action("maemoh_citizen_report_delete")({"user": tk.g.user}, {"token": token})
    except tk.ObjectNotFound:
        return tk.render("maemoh/reports/status.html", {"lang": lang(), "report": None}), 404
    return tk.render("maemoh/reports/status.html", {"lang": lang(), "report": None, "deleted": True})


@reports_pages.route("/reports/moderate")
def moderate_queue():
    context = {"user": tk.g.user}
    try:
        pending = tk.get_action("maemoh_citizen_report_list")(context, {"status": "pending"})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only editors of the district may moderate residents' reports"))
    return tk.render("maemoh/reports/moderate.html", {
        "lang": lang(), "pending": [dict(r, observed=local_time(r["observed_at"]),
                                         tambon=_tambon_name(r["tambon_code"])) for r in pending],
        "category_names": reports.CATEGORY_NAMES, "errors": {}})


@reports_pages.route("/reports/moderate/<report_id>", methods=["POST"])
def decide(report_id):
    context = {"user": tk.g.user}
    try:
        tk.get_action("maemoh_citizen_report_decide")(context, {
            "id": report_id, "decision": request.form.get("decision", ""), "reason": request.form.get("reason", "")})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only editors of the district may moderate residents' reports"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No such report"))
    except tk.ValidationError as error:
        tk.h.flash_error("; ".join(" ".join(messages) for messages in error.error_dict.values()))
    return tk.redirect_to("maemoh_reports.moderate_queue")


@reports_pages.route("/reports/photo/<report_id>")
def photo(report_id):
    """An approved report's photo (public), or any report's to its moderators."""
    path = store.photo_path(report_id)
    if path is None:
        try:
            tk.check_access("maemoh_citizen_report_list", {"user": tk.g.user}, {})
        except tk.NotAuthorized:
            return tk.abort(404)
        path = store.photo_path(report_id, approved_only=False)
    if path is None:
        return tk.abort(404)
    response = send_file(path, mimetype="image/png" if path.endswith(".png") else "image/jpeg", max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _tambon_name(code):
    return next((t["name_" + lang()] for t in residents.tambons() if t["tambon_code"] == code), code)
