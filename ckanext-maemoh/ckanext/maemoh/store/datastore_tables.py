"""DataStore tables the harvesters write: their layout, and the bulk path.

Rows do not go one by one through the Action API: :func:`bulk_upsert`
checks ``datastore_upsert`` permission for the resource like the action
does, then streams the rows with PostgreSQL ``COPY`` into a temporary table
and merges them with one ``INSERT ... ON CONFLICT`` on the table's primary
key. A row whose values did not change is not written again, so harvesting
the same data twice changes nothing; a corrected value replaces the old one.

The row's full-text vector (``_full_text``, which the DataStore's trigger
would build from every column) is computed in the same statement from the
table's ``searchable`` columns: station, variable, quality are worth finding;
timestamps and numbers only bloat the index and slow loading several-fold.
"""
import csv
import datetime
import io
from dataclasses import dataclass

import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import get_write_engine


@dataclass(frozen=True)
class Table:
    """A DataStore table layout: fields, primary key, the fields whose change
    makes a row "updated" (others, like raw_ref, follow along), and the
    fields whose words the DataStore's full-text search (``q``) finds."""
    name: dict                 # resource name, {"th": ..., "en": ...}
    fields: tuple              # ({"id": ..., "type": ...}, ...)
    primary_key: tuple
    compared: tuple
    searchable: tuple

    @property
    def columns(self):
        return [field["id"] for field in self.fields]


OBSERVATIONS = Table(
    name={"th": "ข้อมูลการตรวจวัด", "en": "Observations"},
    fields=(
        {"id": "station_id", "type": "text"},
        {"id": "network", "type": "text"},
        {"id": "variable", "type": "text"},
        {"id": "time_utc", "type": "timestamp"},
        {"id": "averaging_period", "type": "text"},
        {"id": "value", "type": "float8"},
        {"id": "unit", "type": "text"},
        {"id": "quality", "type": "text"},
        {"id": "raw_ref", "type": "text"},
    ),
    primary_key=("station_id", "variable", "time_utc", "averaging_period"),
    compared=("value", "unit", "quality"),
    searchable=("station_id", "network", "variable", "unit", "quality"),
)

FIRE_DETECTIONS = Table(
    name={"th": "จุดความร้อน", "en": "Fire detections"},
    fields=(
        {"id": "source", "type": "text"},
        {"id": "time_utc", "type": "timestamp"},
        {"id": "latitude", "type": "float8"},
        {"id": "longitude", "type": "float8"},
        {"id": "brightness_k", "type": "float8"},
        {"id": "frp_mw", "type": "float8"},
        {"id": "confidence", "type": "text"},
        {"id": "confidence_raw", "type": "text"},
        {"id": "satellite", "type": "text"},
        {"id": "instrument", "type": "text"},
        {"id": "daynight", "type": "text"},
        {"id": "raw_ref", "type": "text"},
    ),
    primary_key=("source", "time_utc", "latitude", "longitude"),
    compared=("brightness_k", "frp_mw", "confidence"),
    searchable=("source", "confidence", "satellite", "instrument", "daynight"),
)

#: residents' reports as published: by H3 cell (resolution 8) and tambon,
#: never a point; the hour seen (UTC); no words (our form's and Traffy's)
CITIZEN_REPORTS = Table(
    name={"th": "รายงานจากประชาชน", "en": "Reports"},
    fields=(
        {"id": "source", "type": "text"},
        {"id": "report_id", "type": "text"},
        {"id": "category", "type": "text"},
        {"id": "category_th", "type": "text"},
        {"id": "category_en", "type": "text"},
        {"id": "time_utc", "type": "timestamp"},
        {"id": "tambon_code", "type": "text"},
        {"id": "h3_cell", "type": "text"},
        {"id": "h3_resolution", "type": "int"},
        {"id": "status", "type": "text"},
        {"id": "photo_url", "type": "text"},
    ),
    primary_key=("source", "report_id"),
    compared=("category", "time_utc", "h3_cell", "status", "photo_url"),
    searchable=("source", "category", "category_th", "category_en", "tambon_code", "status"),
)


@dataclass(frozen=True)
class UpsertCount:
    inserted: int
    updated: int
    unchanged: int

    @property
    def changed(self):
        return self.inserted + self.updated > 0


def ensure_table(context, dataset_id, table, resource_name=None):
    """The id of ``dataset_id``'s resource holding ``table``; creates the
    resource and its DataStore table when missing."""
    name = resource_name or table.name["en"]
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_id})
    for resource in dataset["resources"]:
        if resource.get("name") == name and resource.get("datastore_active"):
            return resource["id"]
    created = tk.get_action("datastore_create")(dict(context), {
        "resource": {"package_id": dataset["id"], "name": name, "format": "CSV",
                     "description": f"{table.name['th']} / {table.name['en']} (UTC)"},
        "fields": [dict(field) for field in table.fields],
        "primary_key": list(table.primary_key),
        "force": True,
    })
    return created["resource_id"]


def bulk_upsert(context, resource_id, table, rows):
    """Merge ``rows`` (dicts keyed by the table's columns; datetimes in UTC)
    into the DataStore table of ``resource_id``. Within ``rows`` the last row
    of a primary key wins. Returns an :class:`UpsertCount`."""
    tk.check_access("datastore_upsert", dict(context), {"resource_id": resource_id})
    columns = table.columns
    column_list = ", ".join(quote_identifier(c) for c in columns)
    key_list = ", ".join(quote_identifier(c) for c in table.primary_key)
    target = quote_identifier(resource_id)
    updates = ", ".join(f"{quote_identifier(c)} = EXCLUDED.{quote_identifier(c)}"
                        for c in columns if c not in table.primary_key)
    changed = " OR ".join(f"{target}.{quote_identifier(c)} IS DISTINCT FROM EXCLUDED.{quote_identifier(c)}"
                          for c in table.compared)
    full_text = "to_tsvector(concat_ws(' ', " + ", ".join(
        f"{quote_identifier(c)}::text" for c in table.searchable) + "))"
    engine = get_write_engine()
    with engine.begin() as connection:
        connection.execute(sa.text(
            f"CREATE TEMP TABLE incoming ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {target} WITH NO DATA"))
        connection.execute(sa.text("ALTER TABLE incoming ADD COLUMN _ord bigserial"))
        cursor = connection.connection.cursor()
        cursor.copy_expert(
            f"COPY incoming ({column_list}) FROM STDIN WITH (FORMAT csv)",
            CsvStream(rows, columns))
        received = cursor.rowcount
        inserted, written = connection.execute(sa.text(
            f"WITH merged AS ("
            f"INSERT INTO {target} ({column_list}, _full_text) "
            f"SELECT DISTINCT ON ({key_list}) {column_list}, {full_text} FROM incoming "
            f"ORDER BY {key_list}, _ord DESC "
            f"ON CONFLICT ({key_list}) DO UPDATE SET {updates}, "
            f"_full_text = EXCLUDED._full_text "
            f"WHERE {changed} "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FROM merged")).one()
    updated = written - inserted
    return UpsertCount(inserted, updated, max(received, 0) - written)


def quote_identifier(identifier):
    return '"' + identifier.replace('"', '""') + '"'


class CsvStream(io.TextIOBase):
    """Rows as CSV text, produced as COPY reads it (memory stays flat)."""

    def __init__(self, rows, columns):
        self._rows = iter(rows)
        self._columns = columns
        self._buffer = ""
        self._line = io.StringIO()
        # COPY input, not a file for people: no formula prefix (writers.tables.formula_safe) — it would be stored
        self._writer = csv.writer(self._line, lineterminator="\n")

    def readable(self):
        return True

    def read(self, size=-1):
        while size < 0 or len(self._buffer) < size:
            row = next(self._rows, None)
            if row is None:
                break
            self._line.seek(0)
            self._line.truncate()
            self._writer.writerow([_cell(row[c]) for c in self._columns])
            self._buffer += self._line.getvalue()
        if size < 0:
            size = len(self._buffer)
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


def _cell(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    return value
