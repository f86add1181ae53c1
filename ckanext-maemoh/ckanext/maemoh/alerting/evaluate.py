"""Deciding the warnings: from the residents' snapshot to the outbox, in
one transaction.

Each evaluation (after every snapshot refresh, and by ``ckan maemoh
tick``) records this hour's level of every (kind, key) — tambons for the
residents' events, stations and harvest sources for the agencies' — steps
every track (kind, key, threshold) with :func:`.episodes.step`, opens and
closes episodes, writes a CAP message when a public track changes, and for
every confirmed subscription asks :func:`.episodes.decide` what it is owed:
the rows it adds to the outbox, and what it was sent, commit together or
not at all. Evaluations are serialised by a PostgreSQL advisory lock; one
run twice in the same hour with the same data adds nothing.
"""
import datetime as dt
import logging
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.alerting import agency, model, publish_cap
from ckanext.maemoh.alerting import messages
from ckanext.maemoh.alerts import episodes, levels
from ckanext.maemoh.residents import data as residents, snapshot
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk_jobs import aqi

log = logging.getLogger(__name__)

LOCK = 20261206  # pg_advisory_xact_lock key of the evaluations
KEEP_READINGS = dt.timedelta(days=3)


def rules():
    return episodes.Rules(open_hours=tk.config["ckanext.maemoh.alerts.open_hours"],
                          clear_hours=tk.config["ckanext.maemoh.alerts.clear_hours"])


def current_levels(now):
    """``{(kind, key): (organization id or None, level)}`` as of ``now``
    from the stored snapshot (public data only) and the harvest jobs."""
    stored = snapshot.current() or {}
    found = {}
    tambon_rows = snapshot.tambon_aqi(now)
    today = now.astimezone(aqi.BANGKOK).date()
    fire_hours = min(tk.config["ckanext.maemoh.alerts.fire_hours"], snapshot.FIRE_HOURS)
    shapes = {row.tambon_code: row.geometry for row in risk_inputs.tambons().itertuples()}
    by_kind = {
        "aqi": levels.aqi_levels(tambon_rows),
        "forecast": levels.forecast_levels((stored.get("forecast") or {}).get("tambons", {}), today),
        "fire": levels.fire_levels(snapshot.fire_hotspots(fire_hours, now), shapes, now, fire_hours),
        "risk": levels.risk_levels(stored.get("risk") or {}),
    }
    for kind, values in by_kind.items():
        for code in residents.tambon_codes():
            found[(kind, code)] = (None, values.get(code))
    for key, value in agency.station_levels(snapshot.station_aqi(now), now).items():
        found[("station_stale", key)] = value
    for key, value in agency.harvest_levels(now).items():
        found[("harvest_failed", key)] = value
    return found


def evaluate(now=None, found=None):
    """Decide and record what is owed as of ``now`` (the platform clock)
    from the levels ``found`` (default: :func:`current_levels`);
    ``{"transitions": [...], "queued": n}``."""
    now = now or clock.now()
    hour = now.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    found = current_levels(now) if found is None else found
    the_rules = rules()
    with model.engine().begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
        _record_readings(conn, found, hour)
        readings = _readings(conn, hour, max(the_rules.open_hours, the_rules.clear_hours))
        transitions, active = _step_tracks(conn, found, readings, hour, the_rules, now)
        queued = _decide(conn, active, found, now)
        if queued:
            model.notify(conn)
    if transitions or queued:
        log.info("alerts at %s: %s, %d messages queued", hour.isoformat(), transitions, queued)
    return {"transitions": transitions, "queued": queued}


def on_snapshot_refreshed(sender, **kwargs):
    """The handler of ``maemoh:snapshot_refreshed``: :func:`evaluate`. A
    failure is logged and leaves the refresh done; the next one evaluates again."""
    try:
        evaluate()
    except Exception:
        log.exception("the warnings were not evaluated")


def _record_readings(conn, found, hour):
    rows = [{"kind": kind, "key": key, "hour": hour, "level": level}
            for (kind, key), (_, level) in found.items()]
    if rows:
        stmt = insert(model.reading).values(rows)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["kind", "key", "hour"], set_={"level": stmt.excluded.level}))
    conn.execute(model.reading.delete().where(model.reading.c.hour < hour - KEEP_READINGS))


def _readings(conn, hour, hours):
    rows = conn.execute(sa.select(model.reading).where(
        model.reading.c.hour > hour - dt.timedelta(hours=hours)))
    readings = {}
    for row in rows:
        readings.setdefault((row.kind, row.key), {})[row.hour] = row.level
    return readings


def _step_tracks(conn, found, readings, hour, the_rules, now):
    """Step every track; ``(transitions, active)`` where active maps
    (kind, key, threshold) to (state, episode id) for the tracks with an
    episode that is open or has just closed."""
    stored = {(r.kind, r.key, r.threshold): r for r in conn.execute(sa.select(model.track))}
    transitions, active = [], {}
    for kind, key in found:
        for threshold in levels.CHOICES[kind]:
            row = stored.get((kind, key, threshold))
            before = episodes.State.from_dict(row.state) if row else episodes.State()
            state, change = episodes.step(before, readings.get((kind, key), {}), hour, threshold, the_rules)
            episode_id = row.episode_id if row else None
            if change == "open":
                episode_id = uuid.uuid4().hex
                conn.execute(model.episode.insert().values(
                    id=episode_id, kind=kind, key=key, threshold=threshold, opened_at=state.opened_at,
                    level=state.level, peak=state.peak))
            elif change and episode_id:
                conn.execute(model.episode.update().where(model.episode.c.id == episode_id).values(
                    level=state.level, peak=state.peak, closed_at=state.closed_at))
            if state != before or row is None:
                values = {"state": state.as_dict(), "episode_id": episode_id}
                stmt = insert(model.track).values(kind=kind, key=key, threshold=threshold, **values)
                conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "key", "threshold"],
                                                        set_=values))
            if change:
                transitions.append((kind, key, threshold, change))
                if kind in levels.RESIDENT_KINDS and threshold == levels.PUBLIC_THRESHOLD[kind] \
                        and change in ("open", "worsen", "close"):
                    publish_cap.record(conn, episode_id, kind, key, state, change, now)
            if episode_id and (state.open or change == "close"):
                active[(kind, key, threshold)] = (state, episode_id)
    return transitions, active


def _decide(conn, active, found, now):
    """Add to the outbox what each confirmed subscription is owed by the
    active tracks; the number of messages queued."""
    if not active:
        return 0
    episode_ids = sorted({episode_id for _, episode_id in active.values()})
    sent = {(r.subscription_id, r.episode_id): episodes.Sent(r.level, r.cancelled)
            for r in conn.execute(sa.select(model.sent).where(model.sent.c.episode_id.in_(episode_ids)))}
    day_start = dt.datetime.combine(now.astimezone(aqi.BANGKOK).date(), dt.time(), aqi.BANGKOK)
    today = dict(conn.execute(
        sa.select(model.outbox.c.subscription_id, sa.func.count())
        .where(model.outbox.c.created_at >= day_start, model.outbox.c.msg_type.in_(("Alert", "Update")))
        .group_by(model.outbox.c.subscription_id)).all())
    cap = tk.config["ckanext.maemoh.alerts.daily_cap"]
    subscriptions = conn.execute(sa.select(
        model.subscription.c.id, model.subscription.c.channel, model.subscription.c.lang,
        model.subscription.c.tambons, model.subscription.c.thresholds,
        model.subscription.c.organization_id).where(model.subscription.c.status == "confirmed"))
    outbox, sent_rows, messages_ = [], [], {}
    for sub in subscriptions:
        for kind, threshold in sorted(sub.thresholds.items()):
            for key in _keys(sub, kind, found):
                track = active.get((kind, key, threshold))
                if track is None:
                    continue
                state, episode_id = track
                before = sent.get((sub.id, episode_id), episodes.Sent())
                msg_type = episodes.decide(state, before, today.get(sub.id, 0), cap)
                if msg_type is None:
                    continue
                if msg_type != "Cancel":
                    today[sub.id] = today.get(sub.id, 0) + 1
                said = (kind, key, msg_type, state.level, sub.lang, episode_id)
                if said not in messages_:
                    messages_[said] = {"id": uuid.uuid4().hex, "created_at": now, "payload": messages.payload(
                        kind, key, msg_type, state, sub.lang, episode_id, now)}
                outbox.append({"id": uuid.uuid4().hex, "subscription_id": sub.id, "episode_id": episode_id,
                               "msg_type": msg_type, "message_id": messages_[said]["id"], "status": "pending",
                               "created_at": now, "next_attempt_at": now})
                sent_rows.append({"subscription_id": sub.id, "episode_id": episode_id,
                                  "level": state.level if msg_type != "Cancel" else before.level,
                                  "cancelled": msg_type == "Cancel"})
    model.insert_many(conn, model.message, list(messages_.values()))
    model.insert_many(conn, model.outbox, outbox)
    model.insert_many(conn, model.sent, sent_rows, "ON CONFLICT (subscription_id, episode_id) DO UPDATE SET "
                      "level = EXCLUDED.level, cancelled = EXCLUDED.cancelled")
    return len(outbox)


def _keys(sub, kind, found):
    """The keys of ``kind`` a subscription follows: its tambons, or for an
    agency's webhook its organisation's stations and harvest sources."""
    if kind in levels.RESIDENT_KINDS:
        return sub.tambons
    return [key for (k, key), (owner, _) in found.items()
            if k == kind and sub.organization_id and owner == sub.organization_id]
