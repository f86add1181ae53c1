"""Uploaded and linked tables into the DataStore: our side of ckanext-xloader.

xloader loads every CSV, TSV or XLSX resource in a job of CKAN's default
queue (README, "Uploading tables"); the ``maemoh`` plugin's ``IXloader``
hooks call this module:

- :func:`can_upload` lets xloader load uploads and linked files only (tables
  written through the DataStore API are their own), and a linked file only
  when the guard of outgoing requests (``harvesters/egress.py``) would fetch
  it; a refused address is recorded as the load's error, which the
  resource's DataStore page shows;
- :func:`after_upload` turns a date column written in the Buddhist Era
  (15/03/2568) into Common-Era dates: xloader reads such dates as the year 2568.

Encodings and Thai column names: :mod:`.xloader_thai`. xloader's API token for ``make run``:
:func:`loader_token` (``ckan maemoh xloader-token``).
"""
import json
import logging

import requests
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import api_token

from ckanext.maemoh import clock
from ckanext.maemoh.harvesters import egress, table_checks

log = logging.getLogger(__name__)

LOADED_URL_TYPES = ("upload", "", None)  # uploads and links
PROBE_TIMEOUT = 10  # seconds to reach a linked file before xloader fetches it
TOKEN_NAME = "xloader"


def can_upload(resource_id):
    """Whether xloader may load the resource; a refused link gets an error status."""
    resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    if resource.get("url_type") not in LOADED_URL_TYPES:
        return False
    if resource.get("url_type") == "upload":
        return True
    why = refusal(resource.get("url") or "")
    if why:
        record_error(resource_id, "ไม่อนุญาตให้ดึงไฟล์จากที่อยู่นี้ / The DataStore may not fetch "
                                  f"this address: {why}")
        log.warning("not loading resource %s: %s", resource_id, why)
        return False
    return True


def refusal(url):
    """Why the guard of outgoing requests refuses ``url`` (its message), or
    None. It follows the redirects as a fetch would; an address that does not
    answer is not refused here (xloader's download then says what happened).
    xloader fetches again: a server that answers differently the second time
    (DNS rebinding) is not caught."""
    try:
        with egress.GuardedSession() as session:
            session.get(url, stream=True, timeout=PROBE_TIMEOUT).close()
    except egress.Refused as error:
        return str(error)
    except requests.RequestException:
        return None
    return None


def record_error(resource_id, message):
    """Store ``message`` as the error of the resource's xloader task, as xloader
    stores its own (the DataStore page and the status badge read it)."""
    context = {"ignore_auth": True, "session": model.meta.create_local_session()}
    task = {"entity_id": resource_id, "entity_type": "resource", "task_type": "xloader", "key": "xloader",
            "state": "error", "value": "{}", "error": json.dumps({"message": message}, ensure_ascii=False),
            "last_updated": str(clock.now().replace(tzinfo=None))}  # naive UTC, as xloader writes it
    try:
        task["id"] = tk.get_action("task_status_show")(dict(context), {
            "entity_id": resource_id, "task_type": "xloader", "key": "xloader"})["id"]
    except tk.ObjectNotFound:
        pass
    tk.get_action("task_status_update")(context, task)


def after_upload(resource):
    """Move the timestamp columns of the resource's table whose years are all
    Buddhist-Era (:data:`table_checks.FIRST_BE_YEAR` to next year + 543) back
    543 years; the names of the columns moved. Running it twice changes nothing."""
    from ckanext.datastore.backend.postgres import get_write_engine, identifier

    fields = tk.get_action("datastore_search")({"ignore_auth": True}, {
        "resource_id": resource["id"], "limit": 0})["fields"]
    last_be = clock.now().year + 1 + table_checks.BE_OFFSET
    table = identifier(resource["id"])
    moved = []
    with get_write_engine().begin() as connection:
        for field in fields:
            if field["type"] != "timestamp":
                continue
            column = identifier(field["id"])
            first, last = connection.execute(sa.text(
                f"SELECT min(extract(year FROM {column})), max(extract(year FROM {column})) FROM {table}")).one()
            if first is not None and table_checks.FIRST_BE_YEAR <= first and last <= last_be:
                connection.execute(sa.text(f"UPDATE {table} SET {column} = {column} - interval "
                                           f"'{table_checks.BE_OFFSET} years'"))
                moved.append(field["id"])
    if moved:
        log.info("resource %s: Buddhist-Era dates moved to the Common Era in %s", resource["id"], moved)
    return moved


def loader_token(current):
    """``current`` while it is a valid API token of the site user, else a new one."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    if current and current != "NOT_SET":
        user = api_token.get_user_from_token(current, update_access_time=False)
        if user is not None and user.name == site_user:
            return current
    return tk.get_action("api_token_create")({"user": site_user, "ignore_auth": True},
                                             {"user": site_user, "name": TOKEN_NAME})["token"]
