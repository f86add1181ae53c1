"""The warnings' tables: subscriptions, readings, tracks, episodes, what
was sent, messages, the outbox, delivery attempts and CAP messages
(``ckanext.maemoh.alerting.model``).

Revision ID: 3f1c2a9d7e01
Revises:
Create Date: 2026-12-06 03:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "3f1c2a9d7e01"
down_revision = None
branch_labels = None
depends_on = None

P = "maemoh_alert_"
UTC = sa.TIMESTAMP(timezone=True)


def _fk(table):
    return sa.ForeignKey(f"{P}{table}.id", ondelete="CASCADE")


def upgrade():
    op.create_table(
        P + "subscription",
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
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("confirmed_at", UTC))
    op.create_table(
        P + "reading",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("hour", UTC, primary_key=True),
        sa.Column("level", sa.Integer))
    op.create_table(
        P + "episode",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("closed_at", UTC),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("peak", sa.Integer, nullable=False))
    op.create_table(
        P + "track",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("threshold", sa.Integer, primary_key=True),
        sa.Column("state", JSONB, nullable=False),
        sa.Column("episode_id", sa.Text, _fk("episode")))
    op.create_table(
        P + "sent",
        sa.Column("subscription_id", sa.Text, _fk("subscription"), primary_key=True),
        sa.Column("episode_id", sa.Text, _fk("episode"), primary_key=True),
        sa.Column("level", sa.Integer),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default="false"))
    op.create_table(
        P + "message",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", UTC, nullable=False))
    op.create_table(
        P + "outbox",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("subscription_id", sa.Text, _fk("subscription"), nullable=False),
        sa.Column("episode_id", sa.Text, _fk("episode")),
        sa.Column("msg_type", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, _fk("message"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("sent_at", UTC),
        sa.Column("last_error", sa.Text))
    op.create_index(P + "outbox_due", P + "outbox", ["status", "next_attempt_at"])
    op.create_table(
        P + "attempt",
        sa.Column("outbox_id", sa.Text, _fk("outbox"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text))
    op.create_table(
        P + "cap",
        sa.Column("identifier", sa.Text, primary_key=True),
        sa.Column("episode_id", sa.Text, _fk("episode"), nullable=False),
        sa.Column("msg_type", sa.Text, nullable=False),
        sa.Column("sent", UTC, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("xml", sa.LargeBinary, nullable=False))


def downgrade():
    for name in ("cap", "attempt", "outbox", "message", "sent", "track", "episode", "reading", "subscription"):
        op.drop_table(P + name)
