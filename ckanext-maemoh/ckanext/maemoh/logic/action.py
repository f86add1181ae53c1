"""Actions of the platform (``/api/3/action/maemoh_*``).

Each first validates its parameters with its schema (:mod:`.schema`): a bad
one is a ValidationError naming it (HTTP 409), before anything is read or
queued.
"""
from flask import has_request_context

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.maemoh.alerting import status as alert_status, subscriptions as alert_subscriptions
from ckanext.maemoh.citizen import photos
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.ghg import guidance
from ckanext.maemoh.forecasting import runs as forecast_runs
from ckanext.maemoh.reporting import store as report_store
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.tables import validation as table_validation
from ckanext.maemoh.logic import schema
from ckanext.maemoh.risk_jobs import dimensions

__all__ = ["maemoh_risk_run", "maemoh_risk_status", "maemoh_ghg_run", "maemoh_guidance",
           "maemoh_forecast_run", "maemoh_forecast", "maemoh_aqi_latest", "maemoh_risk_summary", "maemoh_validation_show", "maemoh_validation_run",
           "maemoh_alert_subscribe", "maemoh_alert_webhook_create", "maemoh_alert_webhook_list", "maemoh_alert_webhook_delete",
           "maemoh_alert_deliveries", "maemoh_alerts_status", "maemoh_citizen_report_create",
           "maemoh_citizen_report_show", "maemoh_citizen_report_delete", "maemoh_citizen_report_list",
           "maemoh_citizen_report_decide"]


def get_actions():
    """The actions of :data:`__all__`, and our ``datastore_search_sql`` when
    the DataStore offers it (``ckan.datastore.sqlsearch.enabled``)."""
    actions = {name: globals()[name] for name in __all__}
    if p.plugin_loaded("datastore") and tk.config.get("ckan.datastore.sqlsearch.enabled"):
        actions["datastore_search_sql"] = datastore_search_sql
    return actions


def _validated(data_dict, fields, context):
    """``data_dict`` converted by the schema ``fields``, unknown keys dropped;
    a ValidationError naming every bad parameter."""
    given = {key: value for key, value in data_dict.items() if key in fields}
    # navl would take a list of objects apart and drop it: refuse it here
    errors = {key: [tk._("Give a value or a list of values, not of objects")]
              for key, value in given.items() if isinstance(value, list) and value and isinstance(value[0], dict)}
    data, more = tk.navl_validate({k: v for k, v in given.items() if k not in errors}, fields, context)
    errors.update(more)
    if errors:
        raise tk.ValidationError(errors)
    return data


def maemoh_risk_run(context, data_dict):
    """Queue risk runs; each publishes or updates a ``risk-<dimension>`` layer.

    :param dimension: a dimension (air, fire, water, heat, energy, ghg,
        composite) or a list of them; default: all
    :param grid: "tambon" or "h3:R" (5..10); default: the site's
        ``ckanext.maemoh.risk.grid``
    :returns: the queued runs (follow them with ``maemoh_risk_status``)
    """
    data = _validated(data_dict, schema.maemoh_risk_run_schema(), context)
    tk.check_access("maemoh_risk_run", context, data)
    return [risk_runs.enqueue(d, data.get("grid"), trigger="action", user=context.get("user"))
            for d in data.get("dimension") or dimensions.NAMES]


@tk.side_effect_free
def maemoh_risk_status(context, data_dict):
    """The newest risk runs first: queued, running, finished (published or
    "no data") and failed (with the error).

    :param limit: how many runs (default 50, at most 200)
    :param state: only runs in this state
    """
    data = _validated(data_dict, schema.maemoh_risk_status_schema(), context)
    tk.check_access("maemoh_risk_status", context, data)
    state = data.get("state")
    return [run for run in risk_runs.runs(data["limit"]) if not state or run["state"] == state]


def maemoh_ghg_run(context, data_dict):
    """Queue a greenhouse-gas inventory run; it publishes ``ghg-inventory-<year>``.

    :param year: the inventory year, Common Era (default: the latest year
        with activity data)
    :returns: ``{"job_id", "year", "requested_by"}``
    """
    data = _validated(data_dict, schema.maemoh_ghg_run_schema(), context)
    tk.check_access("maemoh_ghg_run", context, data)
    return ghg_runs.enqueue(data.get("year"), user=context.get("user"))


def maemoh_forecast_run(context, data_dict):
    """Queue a PM2.5 forecast run; it publishes or updates ``forecast-pm25``.

    :returns: ``{"job_id", "trigger", "requested_by"}``
    """
    data = _validated(data_dict, schema.maemoh_forecast_run_schema(), context)
    tk.check_access("maemoh_forecast_run", context, data)
    return forecast_runs.enqueue(trigger="action", user=context.get("user"))


@tk.side_effect_free
def maemoh_forecast(context, data_dict):
    """The PM2.5 forecast of the coming days (24-hour means, Thai AQI band,
    80 % range and advice), per tambon and per station; public data only,
    from the residents' snapshot.

    :param tambon: a tambon code: only that tambon
    :param station: a station id: only that station (not with ``tambon``)
    :param lang: "th" (default) or "en": the language of band names, ranges and advice
    :returns: ``{"dataset", "issued_at", "reliability": one sentence,
        "right_band_share_d1": {"share", "days"}, "fallback_reason",
        "tambons": [{"tambon_code", "name", "days": [...]}], "stations":
        [{"station_id", "days": [...]}]}``; each day has ``date``,
        ``day_ahead``, ``p50``, ``p10``, ``p90`` (µg/m³), ``band``,
        ``band_low``, ``band_high``, ``band_name``, ``colour``,
        ``range_text``, ``advice_general``, ``advice_sensitive``, ``method``
    """
    data = _validated(data_dict, schema.maemoh_forecast_schema(), context)
    if data.get("tambon") and data.get("station"):
        raise tk.ValidationError({"station": [tk._("Give a tambon or a station, not both")]})
    tk.check_access("maemoh_forecast", context, data)
    try:
        return snapshot.forecast(data["lang"], data.get("tambon"), data.get("station"))
    except ValueError as error:
        raise tk.ValidationError({"station": [str(error)]})


@tk.side_effect_free
def maemoh_guidance(context, data_dict):
    """The current guidance towards net zero, each recommendation with its evidence.

    :param tambon: a tambon code: its recommendations and the district-wide ones
    :param dimension: only this dimension (ghg, air, fire, ...)
    :param year: the inventory year (default: the latest published)
    :returns: ``{"inventory": name, "year", "recommendations": [{id, priority,
        dimension, tambon_code, text_th, text_en, evidence: [{label, value,
        unit, source, url}]}]}``
    """
    data = _validated(data_dict, schema.maemoh_guidance_schema(), context)
    tk.check_access("maemoh_guidance", context, data)
    return guidance.current(context, data.get("tambon"), data.get("dimension"), data.get("year"))


@tk.side_effect_free
def maemoh_aqi_latest(context, data_dict):
    """The current air quality (Thai AQI) per station and per tambon, for
    residents; public data only, from the residents' snapshot
    (residents/snapshot.py; ages as of now).

    :param lang: "th" (default) or "en": the language of band names and advice
    :param tambon: a tambon code: only that tambon, and the stations in it or
        used by it
    :returns: ``{"stations": [...], "tambons": [...], "stale_after_hours": N,
        "computed_at": the snapshot's time (ISO 8601, None before the first)}``;
        each item has ``aqi``, ``band`` (None without data), ``stale``,
        ``time_local`` and the band texts ``band_name``, ``band_label``,
        ``colour``, ``text_colour``, ``icon``, ``advice_general``,
        ``advice_sensitive`` ("no current data" when stale)
    """
    data = _validated(data_dict, schema.maemoh_aqi_latest_schema(), context)
    tk.check_access("maemoh_aqi_latest", context, data)
    return snapshot.aqi_latest(data["lang"], data.get("tambon"))


@tk.side_effect_free
def maemoh_risk_summary(context, data_dict):
    """The risk per tambon of each published risk layer; public data only,
    from the residents' snapshot.

    :param tambon: only this tambon's rows
    :param dimension: only this dimension (air, fire, water, heat, energy,
        waste, ghg, green, composite)
    :returns: ``{dimension: {"dataset", "computed_at", "temporal_start",
        "temporal_end", "statistic_th", "statistic_en", "unit", "tambons":
        [rows of the "Risk per tambon" table, with the hazard level and its
        labels], "points": [water sampling points and their class]}}``
    """
    data = _validated(data_dict, schema.maemoh_risk_summary_schema(), context)
    tk.check_access("maemoh_risk_summary", context, data)
    return snapshot.risk_summary(data.get("tambon"), data.get("dimension"))


@tk.side_effect_free
@tk.chained_action
def datastore_search_sql(original_action, context, data_dict):
    """CKAN's ``datastore_search_sql`` with statements stopped after
    ``ckanext.maemoh.sql_search_timeout_ms`` (a ValidationError, "Query took
    too long"); registered only where an operator enables the action."""
    context["query_timeout"] = tk.config["ckanext.maemoh.sql_search_timeout_ms"]
    return original_action(context, data_dict)


@tk.side_effect_free
def maemoh_validation_show(context, data_dict):
    """The validation report of a table resource (CSV, TSV, XLSX).

    :param id: the resource id
    :returns: ``{"status": "success" | "failure" | "error" | None (not checked
        yet), "current": whether it describes the resource's present file,
        "report": {valid, rows, errors: [{type, row, field, label, cell,
        message_th, message_en}], error_counts, schema_source, ...} or None}``
    """
    data = _validated(data_dict, schema.maemoh_resource_id_schema(), context)
    tk.check_access("maemoh_validation_show", context, data)
    resource = tk.get_action("resource_show")(dict(context), {"id": data["id"]})
    report = table_validation.report_of(resource)
    return {"status": resource.get(table_validation.STATUS_FIELD), "report": report,
            "current": bool(report) and report.get("source") == table_validation.source_of(resource)}


def maemoh_validation_run(context, data_dict):
    """Check a table resource again (e.g. after its data dictionary changed).

    :param id: the resource id
    :returns: ``{"job_id"}``
    """
    data = _validated(data_dict, schema.maemoh_resource_id_schema(), context)
    tk.check_access("maemoh_validation_run", context, data)
    resource = tk.get_action("resource_show")(dict(context), {"id": data["id"]})
    if not table_validation.file_format(resource):
        raise tk.ValidationError({"id": [tk._("Only CSV, TSV and XLSX resources are checked")]})
    return {"job_id": table_validation.enqueue(resource["id"]).id}


# ------------------------------------------------------------ warnings

def _organization_id(context, name_or_id, action):
    """The id of an organisation the user may manage warnings of (its editors)."""
    org = tk.get_action("organization_show")(dict(context, ignore_auth=True),
                                             {"id": name_or_id, "include_datasets": False})
    tk.check_access(action, context, {"organization_id": org["id"]})
    return org["id"]


def maemoh_alert_subscribe(context, data_dict):
    """Sign a resident up for warnings (what the form on ``/maemoh/alerts``
    does): e-mail gets a confirmation link, LINE a code to send to the
    district's account. Counted against the client's hourly allowance.

    :param channel: "email" or "line"
    :param email: the address (channel email)
    :param lang: "th" or "en"
    :param tambons: tambon codes
    :param aqi, forecast, risk: from level 3, 4 or 5; fire: 1-3 (within 25, 10, 5 km)
    :param consent: "yes": the subscriber agrees to the keeping of the address and choices
    :returns: ``{"id", "channel", "link_code"}``
    """
    data = _validated(data_dict, schema.maemoh_alert_signup_schema(), context)
    tk.check_access("maemoh_alert_subscribe", context, data)
    alert_subscriptions.check_rate(_client())
    return alert_subscriptions.sign_up(data)


def maemoh_alert_webhook_create(context, data_dict):
    """Subscribe an organisation's webhook to warnings (Standard Webhooks:
    signed with the secret returned here, and only here).

    :param organization: the organisation (name or id); you must be its editor
    :param url: http or https address the warnings are POSTed to
    :param lang: "th" or "en"
    :param tambons: tambon codes (for aqi, forecast, fire, risk)
    :param aqi, forecast, risk: threshold level 3-5; fire: 1-3 (25, 10, 5 km);
        station_stale, harvest_failed: 1 (the organisation's own stations and sources)
    """
    data = _validated(data_dict, schema.maemoh_alert_webhook_create_schema(), context)
    org_id = _organization_id(context, data["organization"], "maemoh_alert_webhook_create")
    return alert_subscriptions.create_webhook(org_id, data)


@tk.side_effect_free
def maemoh_alert_webhook_list(context, data_dict):
    """An organisation's webhook subscriptions (without their secrets).

    :param organization: name or id; you must be its editor
    """
    data = _validated(data_dict, schema.maemoh_alert_organization_schema(), context)
    return alert_subscriptions.webhooks_of(_organization_id(context, data["organization"], "maemoh_alert_webhook_list"))


def maemoh_alert_webhook_delete(context, data_dict):
    """Delete a webhook subscription, its queued messages and delivery log.

    :param id: the subscription's id
    """
    data = _validated(data_dict, schema.maemoh_alert_webhook_delete_schema(), context)
    found = alert_subscriptions.webhook(data["id"])
    if found is None:
        raise tk.ObjectNotFound(tk._("No such webhook subscription"))
    tk.check_access("maemoh_alert_webhook_delete", context, {"organization_id": found["organization_id"]})
    alert_subscriptions.unsubscribe(found["id"])
    return {"id": found["id"], "deleted": True}


@tk.side_effect_free
def maemoh_alert_deliveries(context, data_dict):
    """The newest delivery attempts to an organisation's webhooks.

    :param organization: name or id; you must be its editor
    :param limit: how many (default 100, at most 1000)
    """
    data = _validated(data_dict, schema.maemoh_alert_organization_schema(), context)
    org_id = _organization_id(context, data["organization"], "maemoh_alert_deliveries")
    return alert_status.deliveries(org_id, data["limit"])


@tk.side_effect_free
def maemoh_alerts_status(context, data_dict):
    """How the warnings stand: subscriptions by channel and status, the
    outbox by status, the age of its oldest due message, open episodes
    (no personal data). For editors of the district organisation."""
    _validated(data_dict, schema.maemoh_alerts_status_schema(), context)
    tk.check_access("maemoh_alerts_status", context, data_dict)
    return alert_status.status()


def maemoh_citizen_report_create(context, data_dict):
    """A resident's report (what the form on ``/maemoh/report`` does).

    :param category: smoke-burning, dust, ash, odour, water-colour, waste-dumping or other
    :param longitude: degrees east (WGS 84), a point in Mae Moh district
    :param latitude: degrees north (WGS 84)
    :param observed_at: when it was seen: ISO 8601 with its offset, in the last 30 days
    :param text: what was seen, at most 500 characters (optional; read by editors only)
    :param photo: a JPEG, PNG or WebP file (multipart upload, optional; up to 8 MB)
    :returns: ``{"id", "token", "status_url"}``: keep the token: it is the only
        way to follow or delete the report, and it is not shown again

    Rate-limited per client address (``ckanext.maemoh.citizen.reports_per_hour``: 403).
    """
    data = _validated(data_dict, schema.maemoh_citizen_report_create_schema(), context)
    tk.check_access("maemoh_citizen_report_create", context, data)
    report_store.check_rate(_client())
    photo = data.pop("photo", None)
    made = report_store.receive(data, _photo_bytes(photo), _client())
    return dict(made, status_url=tk.url_for("maemoh_reports.status", token=made["token"], _external=True))


def _client():
    """The address the request came from ("" outside a request or when unknown)."""
    return (tk.request.remote_addr or "") if has_request_context() else ""


def _photo_bytes(photo):
    """The bytes of an uploaded photo, at most one byte past the size limit
    (so an oversized file is refused without reading it all)."""
    if photo is None or not hasattr(photo, "read"):
        if photo:
            raise tk.ValidationError({"photo": [tk._("Upload the photo as a file")]})
        return None
    return photo.read(photos.MAX_BYTES + 1) or None


def maemoh_citizen_report_show(context, data_dict):
    """The status of a report, by the token of its private link: category,
    time, tambon, H3 cell, status and the reason of a rejection."""
    data = _validated(data_dict, schema.maemoh_citizen_report_token_schema(), context)
    tk.check_access("maemoh_citizen_report_show", context, data)
    try:
        return report_store.by_token(data["token"])
    except report_store.NotFound:
        raise tk.ObjectNotFound(tk._("No report behind this link")) from None


def maemoh_citizen_report_delete(context, data_dict):
    """Delete a report, by the token of its private link: the report, its
    photo and, when it was published, its public row."""
    data = _validated(data_dict, schema.maemoh_citizen_report_token_schema(), context)
    tk.check_access("maemoh_citizen_report_delete", context, data)
    try:
        report_store.delete(data["token"])
    except report_store.NotFound:
        raise tk.ObjectNotFound(tk._("No report behind this link")) from None
    return {"deleted": True}


def maemoh_citizen_report_list(context, data_dict):
    """Reports to moderate, newest first, with the resident's words and the
    exact point (editors of the district organisation only).

    :param status: pending (default), approved or rejected
    :param limit: at most this many (default 100, at most 1000)
    """
    data = _validated(data_dict, schema.maemoh_citizen_report_list_schema(), context)
    tk.check_access("maemoh_citizen_report_list", context, data)
    return report_store.queue(data["status"], data["limit"])


def maemoh_citizen_report_decide(context, data_dict):
    """Approve a pending report (it is published in ``citizen-reports`` at
    cell level) or reject it with a reason (editors of the district
    organisation only). A decided report cannot be decided again (409)."""
    data = _validated(data_dict, schema.maemoh_citizen_report_decide_schema(), context)
    tk.check_access("maemoh_citizen_report_decide", context, data)
    return report_store.decide(data["id"], data["decision"], data.get("reason", ""), context.get("user"))
