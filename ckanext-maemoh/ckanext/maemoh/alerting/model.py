"""The warnings' own tables in CKAN's database (migration ``maemoh``).

They live outside CKAN's model: no catalogue action, DataStore table, dump
or activity reads them. Personal data is only in ``subscription`` (an
address and the choices) and goes with it: deleting a subscription deletes
its outbox rows, its delivery attempts and what it was sent (``ON DELETE
CASCADE``). Everything else is public fact: readings, tracks, episodes
and the CAP messages.

``subscription``  channel (email, line, webhook), address, lang, tambons,
                  thresholds per event kind, status (pending, confirmed,
                  disabled); webhooks: organisation and signing secret
``reading``       the level of each (kind, key) per hour
``track``         the episode state (``alerts.episodes.State``) per
                  (kind, key, threshold) and its current episode
``episode``       when each episode opened and closed, its level and peak
``sent``          per subscription and episode: the last level sent, cancelled
``message``       what a message says (its payload), once for all its
                  subscribers in a language
``outbox``        one row per message to deliver to a subscriber; its id is
                  the idempotency key (Message-ID, webhook-id, X-Line-Retry-Key)
``attempt``       each delivery attempt of a webhook or LINE message
``cap``           the public CAP 1.2 messages
"""
import sqlalchemy as sa
from psycopg2.extras import Json, execute_values
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

import ckan.model as model

metadata = sa.MetaData()
PREFIX = "maemoh_alert_"
NOTIFY_CHANNEL = "maemoh_alerts"  # a new outbox row wakes the delivery worker
_utc = sa.TIMESTAMP(timezone=True)


def _fk(table):
    return sa.ForeignKey(f"{PREFIX}{table}.id", ondelete="CASCADE")


subscription = sa.Table(
    PREFIX + "subscription", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("lang", sa.Text, nullable=False),
    sa.Column("tambons", ARRAY(sa.Text), nullable=False),
    sa.Column("thresholds", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("link_code", sa.Text, unique=True),
    sa.Column("organization_id", sa.Text),
    sa.Column("secret", sa.Text),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", _utc, nullable=False),
    sa.Column("confirmed_at", _utc),
)

reading = sa.Table(
    PREFIX + "reading", metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("hour", _utc, primary_key=True),
    sa.Column("level", sa.Integer),
)

episode = sa.Table(
    PREFIX + "episode", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("threshold", sa.Integer, nullable=False),
    sa.Column("opened_at", _utc, nullable=False),
    sa.Column("closed_at", _utc),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("peak", sa.Integer, nullable=False),
)

track = sa.Table(
    PREFIX + "track", metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("threshold", sa.Integer, primary_key=True),
    sa.Column("state", JSONB, nullable=False),
    sa.Column("episode_id", sa.Text, _fk("episode")),
)

sent = sa.Table(
    PREFIX + "sent", metadata,
    sa.Column("subscription_id", sa.Text, _fk("subscription"), primary_key=True),
    sa.Column("episode_id", sa.Text, _fk("episode"), primary_key=True),
    sa.Column("level", sa.Integer),
    sa.Column("cancelled", sa.Boolean, nullable=False, server_default="false"),
)

message = sa.Table(
    PREFIX + "message", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("created_at", _utc, nullable=False),
)

outbox = sa.Table(
    PREFIX + "outbox", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("subscription_id", sa.Text, _fk("subscription"), nullable=False),
    sa.Column("episode_id", sa.Text, _fk("episode")),
    sa.Column("msg_type", sa.Text, nullable=False),
    sa.Column("message_id", sa.Text, _fk("message"), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", _utc, nullable=False),
    sa.Column("next_attempt_at", _utc, nullable=False),
    sa.Column("sent_at", _utc),
    sa.Column("last_error", sa.Text),
    sa.Index(f"{PREFIX}outbox_due", "status", "next_attempt_at"),
)

attempt = sa.Table(
    PREFIX + "attempt", metadata,
    sa.Column("outbox_id", sa.Text, _fk("outbox"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("at", _utc, nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("error", sa.Text),
)

cap = sa.Table(
    PREFIX + "cap", metadata,
    sa.Column("identifier", sa.Text, primary_key=True),
    sa.Column("episode_id", sa.Text, _fk("episode"), nullable=False),
    sa.Column("msg_type", sa.Text, nullable=False),
    sa.Column("sent", _utc, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("xml", sa.LargeBinary, nullable=False),
)


def insert_many(conn, table, rows, on_conflict=""):
    """INSERT ``rows`` (dicts with the same keys; dicts and lists as JSON)
    into ``table`` in pages of VALUES lists: psycopg2's ``execute_values``,
    ten times faster than ``executemany`` for thousands of rows."""
    if not rows:
        return
    columns = list(rows[0])
    values = [tuple(Json(v) if isinstance(v, dict) else v for v in (row[c] for c in columns)) for row in rows]
    cursor = conn.connection.cursor()
    execute_values(cursor, f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES %s {on_conflict}",
                   values, page_size=5000)


def notify(conn):
    """Wake the delivery worker when ``conn``'s transaction commits."""
    conn.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def engine():
    """CKAN's database engine (the catalogue's, not the DataStore's)."""
    return model.meta.engine
