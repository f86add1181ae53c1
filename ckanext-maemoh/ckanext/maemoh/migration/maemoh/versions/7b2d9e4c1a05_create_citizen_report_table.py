"""The residents' reports: one restricted table (``ckanext.maemoh.reporting.model``).

Revision ID: 7b2d9e4c1a05
Revises: 3f1c2a9d7e01
Create Date: 2026-12-06 06:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "7b2d9e4c1a05"
down_revision = "3f1c2a9d7e01"
branch_labels = None
depends_on = None

UTC = sa.TIMESTAMP(timezone=True)


def upgrade():
    op.create_table(
        "maemoh_citizen_report",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("observed_at", UTC, nullable=False),
        sa.Column("tambon_code", sa.Text, nullable=False),
        sa.Column("h3_cell", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("photo", sa.Text),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC),
        sa.Column("decided_by", sa.Text),
        sa.Column("longitude", sa.Float),
        sa.Column("latitude", sa.Float),
        sa.Column("text", sa.Text),
        sa.Column("client", sa.Text),
        sa.Column("purged_at", UTC),
    )
    op.create_index("maemoh_citizen_report_status", "maemoh_citizen_report", ["status", "created_at"])


def downgrade():
    op.drop_table("maemoh_citizen_report")
