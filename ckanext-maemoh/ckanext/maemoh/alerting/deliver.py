"""Sending the outbox: e-mail, LINE and webhooks, each message delivered
once.

:func:`deliver_due` claims due rows (``FOR UPDATE SKIP LOCKED``, so
several workers share the work), sends them and records the outcome in the
same transaction, :data:`BATCH` rows at a time. A worker killed mid-batch
leaves its rows pending: the next one sends them again with the same
idempotency key — the outbox id as the e-mail's Message-ID, the webhook's
``webhook-id`` and LINE's ``X-Line-Retry-Key`` — so a receiver that had
already accepted one drops the copy (the demo's SMTP sink does, LINE
answers 409, webhook consumers dedupe on ``webhook-id`` as Standard
Webhooks asks). Nothing is lost: a row is pending until a receiver has
accepted it or it has run out of attempts.

Failures are retried on :data:`.webhooks.SCHEDULE`; a webhook whose
messages give up :data:`.webhooks.DISABLE_AFTER` times in a row (or that
answers 410 Gone) is disabled. Every webhook and LINE attempt is logged
(``attempt``) for the subscribing organisation's editors.

``ckan maemoh alerts run --forever`` is the worker: it waits on
PostgreSQL's ``NOTIFY maemoh_alerts`` (sent by each evaluation that
queued messages) and polls every :data:`POLL_SECONDS`.
"""
import logging
import select
import smtplib

import sqlalchemy as sa
from psycopg2.extras import execute_values

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.alerting import messages, model, subscriptions
from ckanext.maemoh.alerts import line, mail, webhooks

log = logging.getLogger(__name__)

BATCH = 200
POLL_SECONDS = 30


def deliver_due(now=None, limit=None):
    """Send every due message (at most ``limit``); counts per outcome."""
    counts = {"sent": 0, "retry": 0, "dead": 0}
    while limit is None or sum(counts.values()) < limit:
        batch = BATCH if limit is None else min(BATCH, limit - sum(counts.values()))
        done = _deliver_batch(now or clock.now(), batch)
        if not done:
            break
        for outcome in done:
            counts[outcome] += 1
    return counts


def _deliver_batch(now, size):
    with model.engine().begin() as conn:
        rows = conn.execute(
            sa.select(model.outbox, model.message.c.payload, model.subscription.c.channel,
                      model.subscription.c.address, model.subscription.c.secret,
                      model.subscription.c.status.label("subscription_status"))
            .join(model.subscription, model.subscription.c.id == model.outbox.c.subscription_id)
            .join(model.message, model.message.c.id == model.outbox.c.message_id)
            .where(model.outbox.c.status == "pending", model.outbox.c.next_attempt_at <= now)
            .order_by(model.outbox.c.created_at, model.outbox.c.id).limit(size)
            .with_for_update(of=model.outbox, skip_locked=True)).mappings().all()
        if not rows:
            return []
        outcomes = []
        with mail.Connection(tk.config.get("smtp.server") or "localhost",
                             starttls=tk.asbool(tk.config.get("smtp.starttls")),
                             user=tk.config.get("smtp.user") or None,
                             password=tk.config.get("smtp.password") or None) as smtp:
            for row in rows:
                result = _send(row, smtp, now)
                outcomes.append(_record(conn, row, result, now))
        _store_outcomes(conn, outcomes)
        return [outcome["outcome"] for outcome in outcomes]


def _store_outcomes(conn, outcomes):
    """One UPDATE for the batch's rows (a statement per row costs a round trip each)."""
    execute_values(conn.connection.cursor(), f"""
        UPDATE {model.outbox.name} AS o SET attempts = v.attempts, status = v.status, sent_at = v.sent_at,
               next_attempt_at = v.next_attempt_at, last_error = v.last_error
        FROM (VALUES %s) AS v(id, attempts, status, sent_at, next_attempt_at, last_error)
        WHERE o.id = v.id""", [(o["id"], o["attempts"], o["status"], o["sent_at"], o["next_attempt_at"],
                                o["last_error"]) for o in outcomes],
        template="(%s, %s, %s, %s::timestamptz, %s::timestamptz, %s)", page_size=1000)


def _send(row, smtp, now):
    if row["subscription_status"] == "disabled" or not row["address"]:
        return webhooks.Result(False, error="the subscription is disabled")
    unsubscribe = subscriptions.link("unsubscribe", row["subscription_id"])
    payload = row["payload"]
    if row["channel"] == "email":
        return _email(row, payload, unsubscribe, smtp, now)
    if row["channel"] == "line":
        return line.push(tk.config["ckanext.maemoh.alerts.line.api_url"],
                         tk.config["ckanext.maemoh.alerts.line.channel_token"], row["address"],
                         messages.line_texts(payload, unsubscribe), row["id"])
    timestamp = int(clock.wall().timestamp())  # when it leaves, for the receiver's replay check
    body = messages.webhook_body(row["id"], payload, timestamp)
    return webhooks.post(row["address"], webhooks.headers(row["secret"], row["id"], timestamp, body), body)


def _email(row, payload, unsubscribe, smtp, now):
    text, html = messages.email(payload, unsubscribe)
    message = mail.compose(
        to=row["address"], sender=tk.config.get("smtp.mail_from") or "maemoh@localhost",
        subject=payload.get("subject") or payload["headline"], text=text, html=html,
        message_id=row["id"], unsubscribe_url=unsubscribe, lang=payload["lang"], date=now)
    try:
        refused = smtp.send(message)
    except (OSError, smtplib.SMTPException) as error:
        permanent = isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600
        return webhooks.Result(False, getattr(error, "smtp_code", None), type(error).__name__,
                               retry=not permanent)
    if refused:
        return webhooks.Result(False, error="recipient refused")
    return webhooks.Result(True, 250)


def _record(conn, row, result, now):
    """One attempt's outcome ("sent", "retry" or "dead") and the outbox
    row's new values; a webhook's or LINE's attempt is logged at once."""
    attempts = row["attempts"] + 1
    retry_at = webhooks.next_attempt(attempts, now) if result.retry else None
    outcome = "sent" if result.ok else ("retry" if retry_at else "dead")
    if row["channel"] != "email":
        conn.execute(model.attempt.insert().values(outbox_id=row["id"], number=attempts, at=now,
                                                   status=result.status, ok=result.ok, error=result.error))
    if row["channel"] == "webhook":
        _count_failures(conn, row["subscription_id"], outcome, result)
    return {"outcome": outcome, "id": row["id"], "attempts": attempts,
            "status": {"sent": "sent", "retry": "pending", "dead": "dead"}[outcome],
            "sent_at": now if result.ok else None, "next_attempt_at": retry_at or row["next_attempt_at"],
            "last_error": None if result.ok else result.error}


def _count_failures(conn, subscription_id, outcome, result):
    table = model.subscription
    if outcome == "sent":
        conn.execute(table.update().where(table.c.id == subscription_id).values(failures=0))
    elif outcome == "dead" or result.disable:
        failures = conn.execute(table.update().where(table.c.id == subscription_id)
                                .values(failures=table.c.failures + 1).returning(table.c.failures)).scalar()
        if result.disable or webhooks.should_disable(failures):
            conn.execute(table.update().where(table.c.id == subscription_id).values(status="disabled"))
            log.warning("webhook subscription %s disabled after %d failed deliveries", subscription_id, failures)


def run_forever(stop=lambda: False):
    """Deliver what is due whenever an evaluation queues messages (NOTIFY)
    or every :data:`POLL_SECONDS`, until ``stop()``."""
    raw = model.engine().raw_connection()
    listening = raw.dbapi_connection
    try:
        listening.autocommit = True  # LISTEN takes effect at once
        listening.cursor().execute(f"LISTEN {model.NOTIFY_CHANNEL}")
        while not stop():
            counts = deliver_due()
            if any(counts.values()):
                log.info("alerts delivered: %s", counts)
            if select.select([listening], [], [], POLL_SECONDS) != ([], [], []):
                listening.poll()
                listening.notifies.clear()
    finally:
        raw.invalidate()
