"""How the warnings stand, without personal data: subscriptions by channel
and status, open episodes, the outbox by status and its oldest due row;
and an organisation's webhook delivery log."""
import sqlalchemy as sa

from ckanext.maemoh import clock
from ckanext.maemoh.alerting import model


def status(now=None):
    """``ckan maemoh alerts status`` and ``maemoh_alerts_status``."""
    now = now or clock.now()
    sub, out, ep = model.subscription, model.outbox, model.episode
    with model.engine().connect() as conn:
        subscriptions = {f"{channel}/{state}": n for channel, state, n in conn.execute(
            sa.select(sub.c.channel, sub.c.status, sa.func.count()).group_by(sub.c.channel, sub.c.status))}
        outbox = dict(conn.execute(sa.select(out.c.status, sa.func.count()).group_by(out.c.status)).all())
        oldest = conn.execute(sa.select(sa.func.min(out.c.next_attempt_at)).where(
            out.c.status == "pending", out.c.next_attempt_at <= now)).scalar()
        episodes = [dict(row) for row in conn.execute(
            sa.select(ep.c.kind, ep.c.key, ep.c.threshold, ep.c.opened_at, ep.c.level, ep.c.peak)
            .where(ep.c.closed_at.is_(None)).order_by(ep.c.opened_at)).mappings()]
    return {"subscriptions": subscriptions, "outbox": outbox,
            "oldest_due_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
            "open_episodes": [{**e, "opened_at": e["opened_at"].isoformat()} for e in episodes]}


def deliveries(organization_id, limit=100):
    """The newest delivery attempts to an organisation's webhooks."""
    sub, out, attempt = model.subscription, model.outbox, model.attempt
    with model.engine().connect() as conn:
        rows = conn.execute(
            sa.select(out.c.id.label("message_id"), sub.c.id.label("subscription_id"), sub.c.address.label("url"),
                      out.c.msg_type, out.c.status.label("message_status"), attempt.c.number, attempt.c.at,
                      attempt.c.status, attempt.c.ok, attempt.c.error)
            .join(out, out.c.id == attempt.c.outbox_id).join(sub, sub.c.id == out.c.subscription_id)
            .where(sub.c.channel == "webhook", sub.c.organization_id == organization_id)
            .order_by(attempt.c.at.desc(), attempt.c.number.desc()).limit(limit)).mappings()
        return [{**row, "at": row["at"].isoformat()} for row in rows]
