"""What a site holds, to compare a restored site with its backup
(``ckan maemoh manifest``; deploy/backup.sh keeps one in each archive):
the datasets search finds, the rows of each DataStore table and the
digest of each stored file."""
import hashlib
import pathlib

import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import get_read_engine

from ckanext.maemoh.store import catalog, datastore_tables

PAGE = 1000
GENERATED = {"webassets"}  # storage folders CKAN writes again by itself


def manifest():
    """``{"datasets": {name: metadata_modified}, "tables": {resource id: rows},
    "files": {path under the storage: sha256}}``."""
    return {"datasets": _datasets(), "tables": _tables(), "files": _files()}


def differences(before, after):
    """The lines that tell ``after`` from ``before``, per part; empty when equal."""
    lines = []
    for part in ("datasets", "tables", "files"):
        old, new = before.get(part, {}), after.get(part, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                lines.append(f"{part}: {key}: {old.get(key)!r} -> {new.get(key)!r}")
    return lines


def _datasets():
    found, start = {}, 0
    while True:
        page = tk.get_action("package_search")(catalog.site_context(), {
            "q": "*:*", "rows": PAGE, "start": start, "sort": "name asc",
            "include_private": True, "include_drafts": True,
            "fq": "+dataset_type:*", "fl": "name,metadata_modified"})
        found.update({d["name"]: d["metadata_modified"] for d in page["results"]})
        start += PAGE
        if start >= page["count"]:
            return found


def _tables():
    with get_read_engine().connect() as connection:
        names = [name for name, in connection.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name != '_table_metadata'"))]
        return {name: connection.execute(sa.text(
            f"SELECT count(*) FROM {datastore_tables.quote_identifier(name)}")).scalar()
            for name in sorted(names)}


def _files():
    root = pathlib.Path(tk.config["ckan.storage_path"])
    found = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and parts[0] not in GENERATED and not any(p.startswith(".") for p in parts):
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            found[str(path.relative_to(root))] = digest.hexdigest()
    return found
