"""What a message says, stored in the outbox (:func:`payload`), and how
each channel carries it (:func:`email`, :func:`line_texts`,
:func:`webhook_body`), with the subscriber's own unsubscribe link added at
sending time.

The payload is the same for every subscriber of an episode in a language:
it is made once per evaluation and holds no personal data.
"""
import datetime as dt
import json
import pathlib

import jinja2

import ckan.plugins.toolkit as tk

from ckanext.maemoh.alerts import levels, texts
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.risk_jobs import aqi

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(pathlib.Path(__file__).parent.parent / "templates" / "maemoh" / "alerts"),
    autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
WEBHOOK_TYPES = {"Alert": "alert.opened", "Update": "alert.updated", "Cancel": "alert.cancelled"}


def site_url(path=""):
    return tk.config["ckan.site_url"].rstrip("/") + path


def place(kind, key):
    """Thai and English names of the place a (kind, key) is about."""
    if kind in levels.AGENCY_KINDS:
        return key, key
    tambon = next((t for t in residents.tambons() if t["tambon_code"] == key), None)
    return (tambon["name_th"], tambon["name_en"]) if tambon else (key, key)


def detail(kind, now):
    """What a message of ``kind`` says beyond its level: a forecast's day."""
    if kind != "forecast":
        return {}
    return {"date": (now.astimezone(aqi.BANGKOK).date() + dt.timedelta(days=1)).isoformat()}


def payload(kind, key, msg_type, state, lang, episode_id, now):
    """The message of ``msg_type`` for the track of (kind, key) in ``state``, in ``lang``."""
    place_th, place_en = place(kind, key)
    text = texts.message(kind, msg_type, lang, place_th=place_th, place_en=place_en,
                         level=state.level or state.peak, detail=detail(kind, now))
    page = "/maemoh/" if kind in levels.AGENCY_KINDS else f"/maemoh/tambon/{key}"
    return {"kind": kind, "key": key, "level": state.level, "peak": state.peak, "msg_type": msg_type,
            "lang": lang, "episode_id": episode_id, "created_at": now.isoformat(),
            "subject": text.subject, "headline": text.headline, "body": list(text.body),
            "instruction": text.instruction, "event": text.event, "page_url": site_url(page),
            "feed_url": site_url("/maemoh/alerts.atom")}


def email(payload, unsubscribe_url):
    """``(text, html)`` of an e-mail."""
    values = {**payload, "unsubscribe_url": unsubscribe_url, "th": payload["lang"] == "th"}
    return (_TEMPLATES.get_template("mail.txt").render(values),
            _TEMPLATES.get_template("mail.html").render(values))


def line_texts(payload, unsubscribe_url):
    """The text messages of a LINE push."""
    stop = "เลิกรับการแจ้งเตือน" if payload["lang"] == "th" else "Stop these warnings"
    body = "\n\n".join([payload["headline"], *payload["body"], payload["instruction"]])
    return [body[:4500], f"{payload['page_url']}\n{stop}: {unsubscribe_url}"]


def webhook_body(message_id, payload, timestamp):
    """The JSON body of a webhook (Standard Webhooks: ``type``, ``timestamp``, ``data``)."""
    data = {k: payload[k] for k in ("kind", "key", "level", "peak", "msg_type", "lang", "episode_id",
                                    "headline", "body", "instruction", "page_url", "feed_url")}
    return json.dumps({"type": WEBHOOK_TYPES[payload["msg_type"]], "timestamp": timestamp,
                       "data": {**data, "id": message_id}}, ensure_ascii=False, sort_keys=True).encode()
