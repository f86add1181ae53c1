"""Validation reports of uploaded and linked tables (the CKAN side of
:mod:`.harvesters.table_checks`).

Every CSV, TSV or XLSX resource is checked in a background job after it is
created or its file changes; the report is kept on the resource
(``validation_status``: success, failure or error; ``validation_report``:
the JSON report, with the file version it describes) and shown on the
resource page. The schema is the resource's own ``schema`` (a Table Schema),
else its DataStore data dictionary, else the one Frictionless infers.

An organisation whose ``invalid_uploads`` is ``refuse`` has uploads checked
before they are stored: an invalid file is refused with a 409 that lists its
errors, and nothing is stored.
"""
import contextlib
import json
import logging
import os
import tempfile
import zoneinfo

import ckan.plugins.toolkit as tk
from ckan.lib import uploader

from ckanext.maemoh import clock
from ckanext.maemoh.store import catalog, published
from ckanext.maemoh.reference import places
from ckanext.maemoh.harvesters import egress, table_checks

log = logging.getLogger(__name__)

FORMATS = ("csv", "tsv", "xlsx")
STATUS_FIELD = "validation_status"
REPORT_FIELD = "validation_report"
REFUSE = "refuse"
SHOWN_IN_REFUSAL = 10
BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")


def file_format(resource):
    """``csv``, ``tsv`` or ``xlsx`` when the resource is a table we check, else None."""
    given = (resource.get("format") or "").strip().lower().lstrip(".")
    if not given:
        given = os.path.splitext(str(resource.get("url") or "").split("?")[0])[1].lower().lstrip(".")
    return given if given in FORMATS else None


def source_of(resource):
    """What identifies the version of the file a report describes."""
    return {"url": resource.get("url"), "last_modified": resource.get("last_modified"),
            "size": resource.get("size")}


def report_of(resource):
    """The stored report dict, or None."""
    text = resource.get(REPORT_FIELD)
    if not text:
        return None
    try:
        return json.loads(text) if isinstance(text, str) else dict(text)
    except (TypeError, ValueError):
        return None


def needs_check(resource):
    report = report_of(resource)
    return bool(file_format(resource)) and (report is None or report.get("source") != source_of(resource))


def enqueue(resource_id):
    return tk.enqueue_job(validate_job, [resource_id], title=f"Validate table {resource_id}")


def validate_job(resource_id):
    """The background job: check the resource's current file, store the
    report; nothing for a resource deleted since it was queued."""
    context = catalog.site_context()
    try:
        resource = tk.get_action("resource_show")(dict(context), {"id": resource_id})
    except tk.ObjectNotFound:
        log.info("resource %s is gone: nothing to validate", resource_id)
        return None
    fmt = file_format(resource)
    if not fmt:
        return None
    schema, schema_source = schema_for(context, resource)
    try:
        with local_copy(resource) as path:
            report = check(path, fmt, schema)
    except (OSError, egress.Refused, ValueError) as error:
        report = {"valid": False, "fatal": f"the file could not be read: {error}", "errors": [],
                  "error_counts": {}, "format": fmt}
    report.update(source=source_of(resource), schema_source=schema_source)
    status = "success" if report["valid"] else ("error" if report.get("fatal") else "failure")
    tk.get_action("resource_patch")(dict(context, maemoh_validation=True), {
        "id": resource_id, STATUS_FIELD: status, REPORT_FIELD: json.dumps(report, ensure_ascii=False)})
    log.info("validated %s: %s (%s errors)", resource_id, status, sum(report.get("error_counts", {}).values()))
    return status


def check(path, fmt, schema=None):
    today = clock.now().astimezone(BANGKOK).date()
    return table_checks.check_table(path, file_format=fmt, schema=schema,
                                    tambon_codes=sorted(places.tambons()), today=today)


def schema_for(context, resource):
    """(Table Schema dict or None, where it came from)."""
    attached = resource.get("schema")
    if attached:
        return (json.loads(attached) if isinstance(attached, str) else attached), "resource schema"
    if resource.get("datastore_active"):
        try:
            fields = tk.get_action("datastore_search")(dict(context), {"resource_id": resource["id"],
                                                                       "limit": 0})["fields"]
            return table_checks.schema_from_dictionary(fields), "data dictionary"
        except tk.ObjectNotFound:
            pass
    return None, "inferred"


@contextlib.contextmanager
def local_copy(resource):
    """A path to the resource's file: the stored upload or published run, or the linked file
    fetched through the guard of outgoing requests (at most ``max_bytes``)."""
    if resource.get("url_type") == "upload":
        yield uploader.get_resource_uploader(resource).get_path(resource["id"])
        return
    if resource.get("url_type") == published.URL_TYPE:
        yield str(published.path(*published.parts(resource)))
        return
    limit = tk.config["ckanext.maemoh.validation.max_bytes"]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "file." + file_format(resource))
        with egress.GuardedSession() as session, session.get(resource["url"], stream=True, timeout=60) as answer:
            answer.raise_for_status()
            size = 0
            with open(path, "wb") as out:
                for chunk in answer.iter_content(65536):
                    size += len(chunk)
                    if size > limit:
                        raise ValueError(f"the file is larger than {limit:,} bytes")
                    out.write(chunk)
        yield path


def refuses_invalid(package_id):
    """True when the resource's organisation refuses invalid uploads."""
    dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": package_id})
    if not dataset.get("owner_org"):
        return False
    org = tk.get_action("organization_show")({"ignore_auth": True},
                                             {"id": dataset["owner_org"], "include_datasets": False})
    return org.get("invalid_uploads") == REFUSE


def check_upload(resource):
    """Before an upload is stored: for organisations that refuse invalid
    files, a 409 listing the errors; the file stream is left as it was."""
    upload = resource.get("upload")
    fmt = file_format({"format": resource.get("format"), "url": getattr(upload, "filename", "")})
    if not (fmt and hasattr(upload, "stream") and resource.get("package_id")
            and refuses_invalid(resource["package_id"])):
        return
    schema = json.loads(resource["schema"]) if isinstance(resource.get("schema"), str) else resource.get("schema")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "upload." + fmt)
        start = upload.stream.tell()
        with open(path, "wb") as out:
            out.write(upload.stream.read())
        upload.stream.seek(start)
        report = check(path, fmt, schema)
    if not report["valid"]:
        lines = [report["fatal"]] if report.get("fatal") else []
        lines += [f"{e['message_en']} / {e['message_th']}" for e in report["errors"][:SHOWN_IN_REFUSAL]]
        more = len(report["errors"]) - SHOWN_IN_REFUSAL
        if more > 0:
            lines.append(f"... and {more} more")
        raise tk.ValidationError({"upload": [tk._("The organisation refuses invalid files; this one has "
                                                  "errors:")] + lines})
