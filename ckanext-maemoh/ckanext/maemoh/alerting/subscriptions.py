"""Who is warned: residents by e-mail or LINE, agencies by webhook.

Residents sign up on ``/maemoh/alerts`` with no account (double opt-in):
- e-mail: a pending subscription and a confirmation message in the outbox;
  the signed link in it (:func:`token`, valid ``confirm_hours``) confirms;
- LINE: a pending subscription with a one-time code the resident sends to
  the district's official account; LINE's event with that code
  (:func:`link_line`) confirms it and gives the LINE user id.
Every message carries a signed one-click unsubscribe link (no expiry) that
deletes the subscription and everything sent to it. A pending subscription
not confirmed in time is deleted (:func:`prune`). Only the
address and the choices are kept (Thai PDPA: what is necessary); the
client's IP address only as a hash counting its sign-ups in Redis for an hour.

Agencies create webhook subscriptions through the Action API with their
API token (``maemoh_alert_webhook_create``); the signing secret is shown
once.
"""
import datetime as dt
import secrets
import uuid

import itsdangerous
import sqlalchemy as sa

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock, rate_limit
from ckanext.maemoh.alerting import messages, model
from ckanext.maemoh.alerts import levels, webhooks

SALTS = {"confirm": "maemoh-alerts-confirm", "unsubscribe": "maemoh-alerts-unsubscribe"}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def token(purpose, subscription_id):
    """The signed token of a confirm or unsubscribe link."""
    return _serializer(purpose).dumps(subscription_id)


def token_subject(purpose, value):
    """The subscription id a token was made for, or None when it is forged
    or (confirmations) expired."""
    max_age = tk.config["ckanext.maemoh.alerts.confirm_hours"] * 3600 if purpose == "confirm" else None
    try:
        return _serializer(purpose).loads(value, max_age=max_age)
    except itsdangerous.BadData:
        return None


def _serializer(purpose):
    return itsdangerous.URLSafeTimedSerializer(tk.config["SECRET_KEY"], salt=SALTS[purpose])


def link(purpose, subscription_id):
    return messages.site_url(f"/maemoh/alerts/{purpose}/{token(purpose, subscription_id)}")


def check_rate(client):
    """Count a sign-up of ``client`` (an address); RateLimited past the hourly allowance."""
    rate_limit.count("alerts", client, tk.config["ckanext.maemoh.alerts.signups_per_hour"],
                     tk._("Too many sign-ups from this address: please try again in an hour"))


def sign_up(data, now=None):
    """Record a resident's pending subscription from the validated form
    ``data``; ``{"id", "channel", "link_code"}``."""
    now = now or clock.now()
    thresholds = {kind: data[kind] for kind in levels.RESIDENT_KINDS if data.get(kind)}
    if not thresholds:
        raise tk.ValidationError({"aqi": [tk._("Choose at least one kind of warning")]})
    if data["channel"] == "email" and not data.get("email"):
        raise tk.ValidationError({"email": [tk._("Give your e-mail address")]})
    row = {"id": uuid.uuid4().hex, "channel": data["channel"], "lang": data["lang"],
           "tambons": data["tambons"], "thresholds": thresholds, "status": "pending", "created_at": now,
           "address": data.get("email") if data["channel"] == "email" else None,
           "link_code": _code() if data["channel"] == "line" else None}
    with model.engine().begin() as conn:
        conn.execute(model.subscription.insert().values(**row))
        if row["channel"] == "email":
            _queue_notice(conn, row["id"], "Confirm", _confirm_payload(row, now), now)
    return {"id": row["id"], "channel": row["channel"], "link_code": row["link_code"]}


def _code():
    return "MM-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _confirm_payload(row, now):
    th = row["lang"] == "th"
    url = link("confirm", row["id"])
    hours = tk.config["ckanext.maemoh.alerts.confirm_hours"]
    return {"msg_type": "Confirm", "lang": row["lang"], "created_at": now.isoformat(),
            "subject": "ยืนยันการรับการแจ้งเตือนแม่เมาะ" if th else "Confirm your Mae Moh warnings",
            "headline": "ยืนยันการสมัครรับการแจ้งเตือน" if th else "Please confirm your sign-up",
            "body": [("กดลิงก์นี้เพื่อเริ่มรับการแจ้งเตือนคุณภาพอากาศ ไฟป่า และความเสี่ยงในพื้นที่ที่คุณเลือก: " if th
                      else "Open this link to start receiving warnings of air quality, fires and risk "
                           "in the places you chose: ") + url],
            "instruction": (f"หากคุณไม่ได้สมัคร ไม่ต้องทำอะไร ที่อยู่อีเมลนี้จะถูกลบภายใน {hours} ชั่วโมง" if th
                            else f"If you did not sign up, do nothing: this address is deleted within {hours} hours."),
            "page_url": url, "feed_url": messages.site_url("/maemoh/alerts.atom")}


def _queue_notice(conn, subscription_id, msg_type, payload, now):
    message_id = uuid.uuid4().hex
    conn.execute(model.message.insert().values(id=message_id, payload=payload, created_at=now))
    conn.execute(model.outbox.insert().values(
        id=uuid.uuid4().hex, subscription_id=subscription_id, episode_id=None, msg_type=msg_type,
        message_id=message_id, status="pending", created_at=now, next_attempt_at=now))
    model.notify(conn)


def confirm(subscription_id, now=None):
    """Confirm a pending subscription; False when there is none (deleted,
    expired or never made)."""
    now = now or clock.now()
    with model.engine().begin() as conn:
        done = conn.execute(model.subscription.update().where(
            model.subscription.c.id == subscription_id, model.subscription.c.channel == "email",
            model.subscription.c.status.in_(("pending", "confirmed"))).values(
            status="confirmed", confirmed_at=sa.func.coalesce(model.subscription.c.confirmed_at, now)))
    return bool(done.rowcount)


def link_line(code, user_id, now=None):
    """Confirm the pending LINE subscription of ``code`` for the LINE user
    ``user_id`` and queue a welcome; False for an unknown code."""
    now = now or clock.now()
    with model.engine().begin() as conn:
        row = conn.execute(model.subscription.update().where(
            model.subscription.c.link_code == code.strip().upper(), model.subscription.c.status == "pending")
            .values(status="confirmed", confirmed_at=now, address=user_id, link_code=None)
            .returning(model.subscription.c.id, model.subscription.c.lang)).first()
        if row is None:
            return False
        th = row.lang == "th"
        _queue_notice(conn, row.id, "Welcome", {
            "msg_type": "Welcome", "lang": row.lang, "created_at": now.isoformat(),
            "headline": "เริ่มรับการแจ้งเตือนแล้ว" if th else "Your warnings are on",
            "body": ["คุณจะได้รับการแจ้งเตือนเมื่อสถานการณ์ในพื้นที่ที่เลือกถึงระดับที่กำหนด" if th
                     else "You will be told when the places you chose reach the level you chose."],
            "instruction": "", "page_url": messages.site_url("/maemoh/")}, now)
    return True


def unsubscribe(subscription_id):
    """Delete a subscription and, with it, its outbox rows, attempts and
    what it was sent; False when it was already gone."""
    with model.engine().begin() as conn:
        done = conn.execute(model.subscription.delete().where(model.subscription.c.id == subscription_id))
    return bool(done.rowcount)


def forget_line_user(user_id):
    """Delete every subscription of a LINE user (who unfollowed the account)."""
    with model.engine().begin() as conn:
        conn.execute(model.subscription.delete().where(
            model.subscription.c.channel == "line", model.subscription.c.address == user_id))


def prune(now=None):
    """Delete pending sign-ups older than ``confirm_hours`` and the outbox
    rows (with their attempts) delivered or given up more than
    ``ckanext.maemoh.alerts.keep_days`` ago; ``(sign-ups, messages)``."""
    now = now or clock.now()
    unconfirmed = now - dt.timedelta(hours=tk.config["ckanext.maemoh.alerts.confirm_hours"])
    done = now - dt.timedelta(days=tk.config["ckanext.maemoh.alerts.keep_days"])
    with model.engine().begin() as conn:
        signups = conn.execute(model.subscription.delete().where(
            model.subscription.c.status == "pending", model.subscription.c.created_at < unconfirmed)).rowcount
        messages = conn.execute(model.outbox.delete().where(
            model.outbox.c.status.in_(("sent", "dead")), model.outbox.c.created_at < done)).rowcount
        conn.execute(model.message.delete().where(~sa.exists().where(
            model.outbox.c.message_id == model.message.c.id)))
    return signups, messages


# ------------------------------------------------------------ agencies' webhooks

def create_webhook(organization_id, data, now=None):
    """A confirmed webhook subscription of an organisation; its id and
    signing secret (shown this once)."""
    now = now or clock.now()
    thresholds = {kind: value for kind, value in data.items()
                  if kind in levels.CHOICES and value}
    if not thresholds:
        raise tk.ValidationError({"aqi": [tk._("Choose at least one kind of warning")]})
    row = {"id": uuid.uuid4().hex, "channel": "webhook", "address": data["url"], "lang": data["lang"],
           "tambons": data.get("tambons") or [], "thresholds": thresholds, "status": "confirmed",
           "organization_id": organization_id, "secret": webhooks.new_secret(), "created_at": now,
           "confirmed_at": now}
    with model.engine().begin() as conn:
        conn.execute(model.subscription.insert().values(**row))
    return {"id": row["id"], "secret": row["secret"], **_webhook_view(row)}


def webhooks_of(organization_id):
    """An organisation's webhook subscriptions, without their secrets."""
    with model.engine().connect() as conn:
        rows = conn.execute(sa.select(model.subscription).where(
            model.subscription.c.channel == "webhook",
            model.subscription.c.organization_id == organization_id)
            .order_by(model.subscription.c.created_at)).mappings().all()
    return [{"id": row["id"], **_webhook_view(row)} for row in rows]


def _webhook_view(row):
    return {"url": row["address"], "lang": row["lang"], "tambons": row["tambons"],
            "thresholds": row["thresholds"], "status": row["status"],
            "failures": row.get("failures") or 0, "created_at": row["created_at"].isoformat()}


def webhook(subscription_id):
    """A webhook subscription's row (a mapping) or None."""
    with model.engine().connect() as conn:
        return conn.execute(sa.select(model.subscription).where(
            model.subscription.c.id == subscription_id,
            model.subscription.c.channel == "webhook")).mappings().first()
