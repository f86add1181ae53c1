"""Publish computed files and tables as one dataset, replacing them in place.

Shared by the risk layers and the greenhouse-gas inventories. The dataset is
created or patched first (the action validates before writing); then each
upload is replaced in its existing resource (same id, a new version in the
activity stream) or created; each table's rows are replaced; and the views
asked for are created once and put first (a dataset published before a
view type existed gets it on its next publication). Callers check their
files before calling, so a bad result never reaches the catalogue.
"""
import dataclasses
import io

from werkzeug.datastructures import FileStorage

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.lib import datapreview

from ckanext.maemoh.store import catalog


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
    """A DataStore resource whose rows are replaced on every publication."""
    name: str
    description: str
    fields: tuple
    records: list


#: titles of CKAN's own views; another view type (the risk map) gives its own
VIEW_TITLES = {"geojson_view": "แผนที่ / Map", "image_view": "ภาพ / Image",
               "datatables_view": "ตาราง / Table"}


def publish(context, dataset, files=(), tables=()):
    """Create or update ``dataset`` with ``files`` and ``tables``; the dataset
    dict as it is now. ``tk.ValidationError`` (nothing written) for a bad one."""
    _action, published = catalog.upsert(context, "package", dataset)
    existing = {}
    for resource in published.get("resources", []):
        existing.setdefault(resource["name"], resource)
    for item in files:
        fields = {"name": item.name, "format": item.format, "mimetype": item.mimetype,
                  "description": item.description,
                  "upload": FileStorage(stream=io.BytesIO(item.data), filename=item.filename,
                                        content_type=item.mimetype)}
        if item.name in existing:
            tk.get_action("resource_patch")(dict(context), dict(fields, id=existing[item.name]["id"]))
        else:
            tk.get_action("resource_create")(dict(context), dict(fields, package_id=published["id"]))
    for table in tables:
        _replace_rows(context, published["id"], existing.get(table.name), table)
    published = tk.get_action("package_show")(dict(context), {"id": published["id"]})
    views = {f.name: f.view for f in files if f.view}
    views.update({t.name: "datatables_view" for t in tables})
    _ensure_views(context, published, views)
    return tk.get_action("package_show")(dict(context), {"id": published["id"]})


def _replace_rows(context, dataset_id, resource, table):
    if resource is None or not resource.get("datastore_active"):
        tk.get_action("datastore_create")(dict(context), {
            "resource": {"package_id": dataset_id, "name": table.name, "format": "CSV",
                         "description": table.description},
            "fields": [dict(f) for f in table.fields], "records": table.records, "force": True})
        return
    tk.get_action("datastore_delete")(dict(context), {
        "resource_id": resource["id"], "filters": {}, "force": True})
    tk.get_action("datastore_upsert")(dict(context), {
        "resource_id": resource["id"], "records": table.records, "method": "insert", "force": True})


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
