"""The residents' reports in a restricted table of CKAN's database
(migration ``maemoh``).

``maemoh_citizen_report`` lies outside CKAN's model: no catalogue action,
DataStore table, dump or activity reads it, and only this package writes
it. Its personal data — the exact point, the resident's words, the address
the report came from — is emptied ``ckanext.maemoh.citizen.keep_days``
after the report (:func:`reporting.store.prune`), and the whole row goes
when the reporter asks (the private link). The reporter is known only by
that link: its token is kept as a SHA-256 hash.

What may be published (category, hour, H3 cell, tambon, status, the
cleaned photo once approved) is copied to the public ``citizen-reports``
DataStore table on approval (:mod:`.publish`).
"""
import sqlalchemy as sa

import ckan.model as model

metadata = sa.MetaData()
_utc = sa.TIMESTAMP(timezone=True)

report = sa.Table(
    "maemoh_citizen_report", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("observed_at", _utc, nullable=False),
    sa.Column("tambon_code", sa.Text, nullable=False),
    sa.Column("h3_cell", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("photo", sa.Text),          # the stored file's name (CKAN's uploader), or None
    sa.Column("created_at", _utc, nullable=False),
    sa.Column("decided_at", _utc),
    sa.Column("decided_by", sa.Text),
    # personal data: emptied after keep_days
    sa.Column("longitude", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("text", sa.Text),
    sa.Column("client", sa.Text),
    sa.Column("purged_at", _utc),
)


def engine():
    """CKAN's database engine (the catalogue's, not the DataStore's)."""
    return model.meta.engine
