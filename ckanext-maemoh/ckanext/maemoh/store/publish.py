"""Publish computed files and tables as one dataset, all of a run at once.

Shared by the risk layers and the greenhouse-gas inventories. The run's
files are written first (:mod:`.published`: a directory of their own);
each table gets the run's rows beside the previous run's (a ``run_id``
column tells them apart); then one dataset write (create or patch, which
validates before writing) sets the metadata, ``published_run`` and every
file resource to the new run; then the other runs' rows are removed, CKAN's
default views are added and the views asked for are created once and put
first, and :func:`published_signal` is sent. Readers of the tables keep the rows whose ``run_id`` is the
dataset's ``published_run``, so a reader sees the old run or the new one,
and a publication killed at any point leaves the old one whole. Callers
check their files before calling, so a bad result never reaches the
catalogue. Publications of one dataset wait for each other (a lock in
Redis): several workers of a queue (deploy/background.sh worker:2) may run
two at once, and each would remove the other's rows.
"""
import contextlib
import dataclasses
import datetime as dt

import pandas as pd
import sqlalchemy as sa

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.lib import datapreview
from ckan.lib.redis import connect_to_redis
from ckanext.datastore.backend.postgres import get_write_engine

from ckanext.maemoh import clock
from ckanext.maemoh.store import catalog, datastore_tables, published
from ckanext.maemoh.writers import values

PUBLISHED = "maemoh:published"
RUN_FIELD = "published_run"
RUN_COLUMN = {"id": "run_id", "type": "text"}
LOCK_KEY = "maemoh:publish:lock:{}"
#: seconds a publication holds its dataset's lock at most (Redis frees it
#: when its holder died) and another waits for it
LOCK_S = 900


@dataclasses.dataclass(frozen=True)
class File:
    """An upload: resource ``name`` (its key), format, file name, bytes, view type."""
    name: str
    format: str
    filename: str
    mimetype: str
    description: str
    data: bytes
    view: str | None = None


@dataclasses.dataclass(frozen=True)
class Table:
    """A DataStore resource holding the rows of the published run."""
    name: str
    description: str
    fields: tuple
    records: list

    @classmethod
    def of(cls, name, description, frame):
        """The table of a DataFrame: its columns typed by their dtypes (int, float8, text)."""
        def kind(dtype):
            if pd.api.types.is_bool_dtype(dtype):
                return "text"
            if pd.api.types.is_integer_dtype(dtype):
                return "int"
            return "float8" if pd.api.types.is_float_dtype(dtype) else "text"
        fields = tuple({"id": str(c), "type": kind(frame[c].dtype)} for c in frame.columns)
        return cls(name, description, fields, values.json_safe(frame.to_dict("records")))


#: titles of CKAN's own views; another view type (the risk map) gives its own
VIEW_TITLES = {"geojson_view": "แผนที่ / Map", "image_view": "ภาพ / Image",
               "datatables_view": "ตาราง / Table"}


def publish(context, dataset, files=(), tables=()):
    """Create or update ``dataset`` with ``files`` and ``tables``; the dataset
    dict as it is now. ``tk.ValidationError`` for a bad one: the catalogue
    and its tables are left as they were. Waits while another publication
    of the dataset runs."""
    with exclusive(dataset["name"]):
        return _publish(context, dataset, files, tables)


@contextlib.contextmanager
def exclusive(name):
    """Hold the publication lock of the dataset ``name``, after waiting for
    its holder (``redis.exceptions.LockError`` after :data:`LOCK_S`)."""
    with connect_to_redis().lock(LOCK_KEY.format(name), timeout=LOCK_S, blocking_timeout=LOCK_S):
        yield


def _publish(context, dataset, files, tables):
    existing = _existing(context, dataset)
    refused = existing and catalog.refusal(existing, dataset)
    if refused:
        raise tk.ValidationError({"name": [refused]})
    name, contents = dataset["name"], {f.filename: f.data for f in files}
    run = published.run_id(clock.now().astimezone(dt.timezone.utc), contents)
    published.write(name, run, contents)
    resources = {r["name"]: r for r in reversed((existing or {}).get("resources", []))}
    filled = {t.name: resources[t.name]["id"] for t in tables
              if resources.get(t.name, {}).get("datastore_active")}
    for table in tables:
        if table.name in filled:
            _add_rows(context, filled[table.name], table, run)
    data = dict(dataset, resources=_resources(existing, files, name, run), **{RUN_FIELD: run})
    try:
        _action, result = catalog.upsert(context, "package", data)
    except tk.ValidationError:
        for resource_id in filled.values():
            _delete_rows(context, resource_id, "run_id = :run", run)
        raise
    for table in tables:
        if table.name in filled:
            _delete_rows(context, filled[table.name], "run_id IS DISTINCT FROM :run", run)
        else:
            _create_table(context, result["id"], table, run)
    result = tk.get_action("package_show")(dict(context), {"id": result["id"]})
    tk.get_action("package_create_default_resource_views")(dict(context), {"package": result})
    views = {f.name: f.view for f in files if f.view}
    views.update({t.name: "datatables_view" for t in tables})
    _ensure_views(context, result, views)
    published.prune(name, run)
    published_signal().send(result["id"], name=name, run=run)
    return tk.get_action("package_show")(dict(context), {"id": result["id"]})


def published_signal():
    """The signal sent with the dataset id as sender, and its ``name`` and
    ``run``, once a run is published whole."""
    return tk.signals.ckanext.signal(PUBLISHED)


def _existing(context, dataset):
    try:
        return tk.get_action("package_show")(dict(context), {"id": dataset["name"]})
    except tk.ObjectNotFound:
        return None


def _resources(existing, files, dataset, run):
    """The dataset's resources with every file of ``files`` in ``run``: the
    others as they are, a file's resource updated in place (same id)."""
    kept = [dict(r) for r in (existing or {}).get("resources", [])]
    by_name = {r["name"]: r for r in reversed(kept)}
    now = clock.now().astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()
    for item in files:
        fields = {"name": item.name, "format": item.format, "mimetype": item.mimetype,
                  "description": item.description, "url_type": published.URL_TYPE,
                  "url": published.url(dataset, run, item.filename), "size": len(item.data),
                  "last_modified": now}
        if item.name in by_name:
            by_name[item.name].update(fields)
        else:
            kept.append(fields)
    return kept


def _create_table(context, dataset_id, table, run):
    tk.get_action("datastore_create")(dict(context), {
        "resource": {"package_id": dataset_id, "name": table.name, "format": "CSV",
                     "description": table.description},
        "fields": [*(dict(f) for f in table.fields), RUN_COLUMN],
        "records": [dict(r, run_id=run) for r in table.records], "force": True})


def _add_rows(context, resource_id, table, run):
    """The run's rows into the table, beside the rows of other runs (a table
    of an earlier version, without ``run_id``, gains the column)."""
    tk.get_action("datastore_create")(dict(context), {
        "resource_id": resource_id, "fields": [*(dict(f) for f in table.fields), RUN_COLUMN],
        "force": True})
    tk.get_action("datastore_upsert")(dict(context), {
        "resource_id": resource_id, "records": [dict(r, run_id=run) for r in table.records],
        "method": "insert", "force": True})


def _delete_rows(context, resource_id, where, run):
    """Delete the table's rows where ``where`` holds (``:run`` is ``run``)."""
    tk.check_access("datastore_delete", dict(context), {"resource_id": resource_id})
    with get_write_engine().begin() as connection:
        connection.execute(sa.text(
            f"DELETE FROM {datastore_tables.quote_identifier(resource_id)} "
            f"WHERE {where}"), {"run": run})


def _ensure_views(context, dataset, wanted):
    for resource in dataset["resources"]:
        view_type = wanted.get(resource["name"])
        if not view_type or not plugins.plugin_loaded(view_type):
            continue
        views = tk.get_action("resource_view_list")(dict(context), {"id": resource["id"]})
        wanted_view = next((view for view in views if view["view_type"] == view_type), None)
        if wanted_view is None:
            wanted_view = tk.get_action("resource_view_create")(dict(context), {
                "resource_id": resource["id"], "view_type": view_type, "title": _view_title(view_type)})
            views.append(wanted_view)
        if views[0]["id"] != wanted_view["id"]:  # the first view is the one a visitor sees
            tk.get_action("resource_view_reorder")(dict(context), {
                "id": resource["id"],
                "order": [wanted_view["id"]] + [v["id"] for v in views if v["id"] != wanted_view["id"]]})


def _view_title(view_type):
    return VIEW_TITLES.get(view_type) or datapreview.get_view_plugin(view_type).info()["default_title"]
