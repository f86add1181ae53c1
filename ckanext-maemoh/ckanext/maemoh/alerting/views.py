"""The warnings' pages: sign-up, confirmation, unsubscribe, the CAP feed
and LINE's webhook.

``alerts_pages`` are ordinary pages (forms with CKAN's CSRF token).
``alerts_hooks`` take POSTs from outside CKAN's forms and are exempt from
its CSRF check: RFC 8058's one-click unsubscribe (a mail client POSTs
``List-Unsubscribe=One-Click``; the signed token is the authority) and the
events LINE sends (authenticated by their ``x-line-signature``).
"""
from flask import Blueprint, Response, request

import ckan.plugins.toolkit as tk
from ckan.config.middleware.flask_app import csrf

from ckanext.maemoh import rate_limit
from ckanext.maemoh.alerting import publish_cap, subscriptions
from ckanext.maemoh.alerts import cap, levels, line
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents.views import lang, local_time, security_headers
from ckanext.maemoh.risk_jobs import air_now

__all__ = ["alerts_pages", "alerts_hooks"]

alerts_pages = Blueprint("maemoh_alerts", __name__, url_prefix="/maemoh")
alerts_hooks = Blueprint("maemoh_alerts_hooks", __name__, url_prefix="/maemoh/alerts")
alerts_pages.after_request(security_headers)
csrf.exempt(alerts_hooks)

FEED_SIZE = 50
FIRE_KM = dict(zip(levels.CHOICES["fire"], (25, 10, 5)))
# The form's fields as its labels say (msgids; the page translates them).
FIELD_NAMES = {"tambons": "Where", "channel": "How", "email": "E-mail address", "lang": "Language of the messages",
               "consent": "Your personal data", "aqi": "Air quality now", "forecast": "Air quality forecast for tomorrow",
               "risk": "Risk on the risk maps (all dimensions together)", "fire": "Fires detected by satellite nearby"}


def _form_page(values=None, errors=None, status=200):
    return tk.render("maemoh/alerts/signup.html", {
        "lang": lang(), "tambons": residents.tambons(), "values": values or {"lang": lang(), "aqi": "4"},
        "errors": errors or {}, "choices": levels.CHOICES, "fire_km": FIRE_KM, "field_names": FIELD_NAMES,
        "band_names": {n: air_now.band_info(n, lang())["name"] for n in range(1, 6)},
        "confirm_hours": tk.config["ckanext.maemoh.alerts.confirm_hours"],
        "warnings": [(ident, msg_type, local_time(sent.isoformat()), title)
                     for ident, msg_type, sent, title in publish_cap.latest(10)],
        "line_ready": bool(tk.config["ckanext.maemoh.alerts.line.channel_token"])}), status


@alerts_pages.route("/alerts")
def signup_form():
    return _form_page()


@alerts_pages.route("/alerts", methods=["POST"])
def signup():
    form = {key: request.form.get(key, "") for key in (
        "channel", "email", "lang", "consent", "website", *levels.RESIDENT_KINDS)}
    form["tambons"] = request.form.getlist("tambons")
    if form["website"]:  # the honeypot: a person never fills it
        return tk.render("maemoh/alerts/done.html", {"lang": lang(), "outcome": "check_mail"})
    try:
        made = tk.get_action("maemoh_alert_subscribe")({"user": tk.g.user}, form)
    except rate_limit.RateLimited:
        return tk.render("maemoh/alerts/done.html", {"lang": lang(), "outcome": "too_many"}), 429
    except tk.ValidationError as error:
        return _form_page(form, error.error_dict, 400)
    if made["channel"] == "line":
        return tk.render("maemoh/alerts/done.html", {
            "lang": lang(), "outcome": "line_code", "code": made["link_code"],
            "add_friend_url": tk.config["ckanext.maemoh.alerts.line.add_friend_url"]})
    return tk.render("maemoh/alerts/done.html", {"lang": lang(), "outcome": "check_mail"})


@alerts_pages.route("/alerts/confirm/<token>")
def confirm_form(token):
    found = subscriptions.token_subject("confirm", token)
    return tk.render("maemoh/alerts/confirm.html", {"lang": lang(), "token": token, "valid": bool(found)})


@alerts_pages.route("/alerts/confirm/<token>", methods=["POST"])
def confirm(token):
    found = subscriptions.token_subject("confirm", token)
    outcome = "confirmed" if found and subscriptions.confirm(found) else "expired"
    return tk.render("maemoh/alerts/done.html", {"lang": lang(), "outcome": outcome})


@alerts_pages.route("/alerts/unsubscribe/<token>")
def unsubscribe_form(token):
    return tk.render("maemoh/alerts/unsubscribe.html", {"lang": lang(), "token": token})


@alerts_hooks.route("/unsubscribe/<token>", methods=["POST"])
def unsubscribe(token):
    """The button of the unsubscribe page and RFC 8058's one-click POST."""
    found = subscriptions.token_subject("unsubscribe", token)
    if found is None:
        return tk.abort(404, tk._("This link is not valid"))
    subscriptions.unsubscribe(found)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return Response("unsubscribed\n", mimetype="text/plain")
    return tk.render("maemoh/alerts/done.html", {"lang": lang(), "outcome": "unsubscribed"})


@alerts_hooks.route("/line", methods=["POST"])
def line_events():
    """Events of the district's LINE official account: a code sent in the
    chat confirms a sign-up; unfollowing deletes the user's subscriptions."""
    secret = tk.config["ckanext.maemoh.alerts.line.channel_secret"]
    body = request.get_data()
    if not secret or not line.verify_signature(secret, body, request.headers.get("x-line-signature", "")):
        return tk.abort(403, tk._("Not signed by LINE"))
    for event in line.events(body):
        if event["type"] == "message" and event.get("text") and event.get("userId"):
            subscriptions.link_line(event["text"], event["userId"])
        elif event["type"] == "unfollow" and event.get("userId"):
            subscriptions.forget_line_user(event["userId"])
    return Response("", status=200)


@alerts_pages.route("/alerts.atom")
def feed():
    rows = publish_cap.latest(FEED_SIZE)
    entries = [cap.Entry(id=f"urn:maemoh:cap:{ident}", title=title, updated=sent,
                         url=tk.url_for("maemoh_alerts.cap_message", identifier=ident, _external=True),
                         summary=f"{msg_type}: {title}") for ident, msg_type, sent, title in rows]
    updated = rows[0][2] if rows else publish_cap.EPOCH
    body = cap.feed(entries, feed_id=f"urn:maemoh:alerts:{publish_cap.sender()}",
                    title="การแจ้งเตือนแม่เมาะ / Mae Moh warnings", updated=updated,
                    self_url=tk.url_for("maemoh_alerts.feed", _external=True),
                    alternate_url=tk.url_for("maemoh_alerts.signup_form", _external=True),
                    author="Mae Moh City Data Platform")
    return Response(body, mimetype="application/atom+xml")


@alerts_pages.route("/alerts/cap/<identifier>.xml")
def cap_message(identifier):
    found = publish_cap.xml(identifier)
    if found is None:
        return tk.abort(404, tk._("No such warning"))
    return Response(found, mimetype=cap.CAP_MIME)
