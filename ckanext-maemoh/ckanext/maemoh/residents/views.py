"""The residents' pages (``/maemoh/...``): plain language, Thai first.

Every number is shown with its meaning (band name, colour, icon, advice);
the content is server-rendered HTML, readable without JavaScript; the map
(Leaflet) is drawn on top from ``/maemoh/map.json``. Data come from
the residents' snapshot (:mod:`.snapshot`, public data only, computed by
the jobs) and :mod:`.map_layers` (the map layers, the latest inventory);
a page never reads the catalogue or the DataStore itself.
"""
import datetime as dt

from flask import Blueprint, Response, jsonify

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.residents import charts
from ckanext.maemoh.residents import map_layers
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk_jobs import aqi, composite, dimensions
from ckanext.maemoh.risk_jobs import air_now

__all__ = ["residents_pages"]

residents_pages = Blueprint("maemoh_residents", __name__, url_prefix="/maemoh")

#: No inline script and no plugin content on the residents' pages: a text
#: from the data that slipped through escaping still could not run.
CONTENT_SECURITY_POLICY = "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

TH_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
             "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


@residents_pages.after_request
def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@residents_pages.context_processor
def snapshot_time():
    """When the figures of the page were computed (residents/snapshot.py)."""
    at = snapshot.computed_at()
    return {"snapshot_when": local_time(at.isoformat()) if at else None}


def lang():
    return "en" if tk.h.lang() == "en" else "th"


def local_time(iso, language=None):
    """An ISO time as residents read it: Asia/Bangkok, Buddhist Era in Thai."""
    if not iso:
        return ""
    when = dt.datetime.fromisoformat(iso).astimezone(aqi.BANGKOK)
    if (language or lang()) == "th":
        return f"{when.day} {TH_MONTHS[when.month - 1]} {when.year + 543} เวลา {when:%H:%M} น."
    return f"{when.day} {when:%b} {when.year}, {when:%H:%M} (Bangkok time)"


def _with_band(item, language):
    info = air_now.band_info(None if item.get("stale") else item.get("band"), language)
    return dict(item, info=info, when=local_time(item.get("time_local"), language))


DAY_LABELS = {"th": ("พรุ่งนี้", "มะรืนนี้"), "en": ("Tomorrow", "The day after tomorrow")}


def forecast_days(forecast, code, language):
    """Tomorrow and the day after of tambon ``code`` in ``forecast`` (what
    :func:`.snapshot.forecast` gives), labelled, with their dates."""
    rows = next((t["days"] for t in forecast["tambons"] if t["tambon_code"] == code), [])
    return [dict(day, label=label, when=local_date(day["date"], language))
            for day, label in zip(rows, DAY_LABELS[language])]


def local_date(iso_date, language):
    """A date as residents read it: Buddhist Era in Thai."""
    day = dt.date.fromisoformat(iso_date)
    if language == "th":
        return f"{day.day} {TH_MONTHS[day.month - 1]} {day.year + 543}"
    return f"{day.day} {day:%b} {day.year}"


@residents_pages.route("/")
def index():
    language = lang()
    current = snapshot.station_aqi()
    forecast = snapshot.forecast(language)
    tambons = [dict(_with_band(t, language), forecast=forecast_days(forecast, t["tambon_code"], language))
               for t in snapshot.tambon_aqi(stations=current)]
    stations = [_with_band(s, language) for s in current]
    fires = snapshot.fire_hotspots(hours=48)
    return tk.render("maemoh/index.html", {
        "tambons": tambons, "stations": stations, "fires": fires, "lang": language,
        "stale_after_hours": residents.stale_after_hours(),
        "risk": snapshot.risk_summary(), "forecast": forecast, "low_cost": snapshot.low_cost_mode(),
        "reports": snapshot.citizen_reports()})


@residents_pages.route("/tambon/<code>")
def tambon(code):
    language = lang()
    current = snapshot.station_aqi()
    tambons = {t["tambon_code"]: t for t in snapshot.tambon_aqi(stations=current)}
    if code not in tambons:
        return tk.abort(404, tk._("No such tambon"))
    week = snapshot.pm25_daily(code, 7)
    month = snapshot.pm25_daily(code, 30)
    risk = snapshot.risk_summary(tambon=code)
    rows = []
    for dimension in dimensions.NAMES:  # every dimension, those without a layer too
        layer = risk.get(dimension) or {}
        row = next(iter(layer.get("tambons", [])), None)
        rows.append({"dimension": dimension, "dataset": layer.get("dataset"), "row": row,
                     "cls": composite.RISK_CLASS_BY_VALUE.get((row or {}).get("risk_class_max")),
                     "statistic": getattr(dimensions.REGISTRY[dimension], f"statistic_{language}"),
                     "points": layer.get("points", [])})
    forecast = snapshot.forecast(language, tambon=code)
    return tk.render("maemoh/tambon.html", {
        "tambon": _with_band(tambons[code], language),
        "forecast": forecast, "forecast_days": forecast_days(forecast, code, language),
        "stations": [_with_band(s, language) for s in current if s["tambon_code"] == code],
        "week_svg": charts.pm25_svg(week, 7, language), "month_svg": charts.pm25_svg(month, 30, language),
        "risk_rows": rows, "guidance": snapshot.guidance(code), "lang": language})


@residents_pages.route("/net-zero")
def net_zero():
    inventory = map_layers.latest_inventory()
    return tk.render("maemoh/net_zero.html", {
        "inventory": inventory, "guidance": snapshot.guidance(), "lang": lang()})


@residents_pages.route("/about-publishing")
def about_publishing():
    return tk.render("maemoh/about_publishing.html", {"lang": lang()})


@residents_pages.route("/about-data")
def about_data():
    return tk.render("maemoh/about_data.html", {"lang": lang(),
                                                "stale_after_hours": residents.stale_after_hours()})


@residents_pages.route("/map.json")
def map_data():
    """Tambons (with band), stations (with band) and 48-h fire detections, for the map."""
    return jsonify(map_layers.map_layers(lang()))


@residents_pages.route("/tambon/<code>/feed.atom")
def feed(code):
    tambons = {t["tambon_code"]: t for t in snapshot.tambon_aqi()}
    if code not in tambons:
        return tk.abort(404, tk._("No such tambon"))
    xml = tk.render("maemoh/feed.atom", {
        "tambon": tambons[code], "changes": snapshot.band_changes(code, days=30),
        "lang": lang(), "updated": (snapshot.computed_at() or clock.now()).isoformat(),
        "band_info": air_now.band_info})
    return Response(xml, mimetype="application/atom+xml")
