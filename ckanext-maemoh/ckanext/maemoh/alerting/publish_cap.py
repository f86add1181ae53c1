"""The public CAP 1.2 messages: one per change of a public track (the
threshold of :data:`.levels.PUBLIC_THRESHOLD`), Thai and English, with the
tambon's polygon and codes; read by ``/maemoh/alerts.atom`` and
``/maemoh/alerts/cap/<identifier>.xml``.

``sent`` is the evaluation's time; ``expires`` is
:data:`EXPIRES` later for current conditions and the end of the forecast
day for a forecast, so that a message a re-broadcaster missed the update
of does not stand for ever. ``status`` is
``ckanext.maemoh.alerts.cap_status`` (``Test`` in the demo).
"""
import datetime as dt
import urllib.parse

import sqlalchemy as sa

import ckan.plugins.toolkit as tk

from ckanext.maemoh.alerting import messages, model
from ckanext.maemoh.alerts import cap, texts
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk_jobs import aqi

EXPIRES = dt.timedelta(hours=6)
MSG_TYPES = {"open": "Alert", "worsen": "Update", "close": "Cancel"}
LANGUAGES = (("th", "th-TH"), ("en", "en-US"))
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # the "updated" of an empty feed


def sender():
    host = urllib.parse.urlsplit(tk.config["ckan.site_url"]).hostname or "localhost"
    return f"{tk.config['ckanext.maemoh.alerts.sender']}@{host}"


def record(conn, episode_id, kind, key, state, change, now):
    """Write the CAP message of a public track's ``change`` (open, worsen, close)."""
    msg_type = MSG_TYPES[change]
    earlier = conn.execute(sa.select(model.cap.c.identifier, model.cap.c.sent).where(
        model.cap.c.episode_id == episode_id).order_by(model.cap.c.sent)).all()
    identifier = f"maemoh.{episode_id}.{len(earlier) + 1}"
    place_th, place_en = messages.place(kind, key)
    level = state.level or state.peak
    infos = []
    for lang, language in LANGUAGES:
        text = texts.message(kind, msg_type, lang, place_th=place_th, place_en=place_en, level=level,
                             detail=messages.detail(kind, now))
        infos.append(cap.Info(
            language=language, category="Env", event=text.event, urgency=text.urgency,
            severity=text.severity, certainty=text.certainty, headline=text.headline,
            description="\n".join(text.body), instruction=text.instruction,
            onset=state.opened_at or now, expires=_expires(kind, now),
            sender_name=("แพลตฟอร์มข้อมูลเมืองแม่เมาะ" if lang == "th" else "Mae Moh City Data Platform"),
            web=messages.site_url(f"/maemoh/tambon/{key}"), area_desc=place_th if lang == "th" else place_en,
            parameters=(("level", str(level)), ("kind", kind))))
    message = cap.Message(
        identifier=identifier, sender=sender(), sent=now,
        status=tk.config["ckanext.maemoh.alerts.cap_status"], msg_type=msg_type,
        references=tuple((sender(), ident, when) for ident, when in earlier),
        infos=tuple(infos), polygons=_rings(key),
        geocodes=(("TH-ADM3-PCODE", f"TH{key}"),))
    title = f"{infos[0].headline} / {infos[1].headline}"
    conn.execute(model.cap.insert().values(identifier=identifier, episode_id=episode_id, msg_type=msg_type,
                                           sent=now, title=title, xml=cap.to_xml(message)))


def _expires(kind, now):
    if kind == "forecast":
        day_after = now.astimezone(aqi.BANGKOK).date() + dt.timedelta(days=2)
        return dt.datetime.combine(day_after, dt.time(), aqi.BANGKOK)
    return now + EXPIRES


def _rings(code):
    """The exterior rings of the tambon's polygon(s), as (lon, lat) pairs."""
    found = risk_inputs.tambons()
    geometry = found.loc[found["tambon_code"] == code, "geometry"].iloc[0]
    parts = getattr(geometry, "geoms", [geometry])
    return tuple(tuple(part.exterior.coords) for part in parts)


def latest(limit=50):
    """The newest CAP messages, newest first: ``[(identifier, msg_type, sent, title)]``."""
    with model.engine().connect() as conn:
        return conn.execute(sa.select(model.cap.c.identifier, model.cap.c.msg_type, model.cap.c.sent,
                                      model.cap.c.title)
                            .order_by(model.cap.c.sent.desc(), model.cap.c.identifier.desc())
                            .limit(limit)).all()


def xml(identifier):
    """The CAP XML of a message, or None."""
    with model.engine().connect() as conn:
        return conn.execute(sa.select(model.cap.c.xml).where(model.cap.c.identifier == identifier)).scalar()
