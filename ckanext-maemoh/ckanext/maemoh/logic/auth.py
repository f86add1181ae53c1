"""Who may do what with our actions (sysadmins pass every check).

Risk, inventory and forecast runs publish into the district organisation
(``ckanext.maemoh.organization``), so starting one, or reading the run log
with its errors, takes what creating a dataset there takes: being an editor
or admin of that organisation. The guidance and the residents' data are public. Residents' reports are
made by anyone, followed and deleted by whoever holds the private link, and
read whole (the exact point, the words) and decided only by editors of the
district organisation.
"""
import ckan.plugins.toolkit as tk

__all__ = ["maemoh_risk_run", "maemoh_risk_status", "maemoh_ghg_run", "maemoh_guidance",
           "maemoh_forecast_run", "maemoh_forecast", "maemoh_aqi_latest", "maemoh_risk_summary", "maemoh_validation_show", "maemoh_validation_run",
           "maemoh_alert_subscribe", "maemoh_alert_webhook_create", "maemoh_alert_webhook_list", "maemoh_alert_webhook_delete",
           "maemoh_alert_deliveries", "maemoh_alerts_status", "maemoh_citizen_report_create",
           "maemoh_citizen_report_show", "maemoh_citizen_report_delete", "maemoh_citizen_report_list",
           "maemoh_citizen_report_decide"]


def _district_editors(context, message):
    """Editors (and admins) of the district organisation; ``message`` (with
    ``{org}``) tells the others who may."""
    org = tk.config["ckanext.maemoh.organization"]
    try:
        tk.check_access("package_create", dict(context), {"owner_org": org})
    except tk.NotAuthorized:
        return {"success": False, "msg": message.format(org=org)}
    return {"success": True}


def _publisher(context):
    return _district_editors(context, tk._("Only editors of the organisation {org} may run or follow computed layers"))


def maemoh_risk_run(context, data_dict):
    return _publisher(context)


def maemoh_risk_status(context, data_dict):
    return _publisher(context)


def maemoh_ghg_run(context, data_dict):
    return _publisher(context)


def maemoh_forecast_run(context, data_dict):
    return _publisher(context)


@tk.auth_allow_anonymous_access
def maemoh_forecast(context, data_dict):
    """Public: the forecast is a public dataset."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_guidance(context, data_dict):
    """Public: the guidance is published data."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_aqi_latest(context, data_dict):
    """Public: built from public datasets only."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_risk_summary(context, data_dict):
    """Public: the risk layers are public datasets."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_validation_show(context, data_dict):
    """Whoever may see the resource may see its report."""
    return tk.check_access("resource_show", dict(context), {"id": data_dict.get("id")}) and {"success": True}


def maemoh_validation_run(context, data_dict):
    """Whoever may edit the resource may have it checked again."""
    return tk.check_access("resource_update", dict(context), {"id": data_dict.get("id")}) and {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_alert_subscribe(context, data_dict):
    """Anyone may sign up (rate-limited per client; confirmed by the link or code)."""
    return {"success": True}


def _editor_of(context, data_dict):
    """Editors (and admins) of the organisation ``organization_id``."""
    try:
        tk.check_access("package_create", dict(context), {"owner_org": data_dict.get("organization_id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Only editors of the organisation may manage its warnings")}
    return {"success": True}


def maemoh_alert_webhook_create(context, data_dict):
    return _editor_of(context, data_dict)


def maemoh_alert_webhook_list(context, data_dict):
    return _editor_of(context, data_dict)


def maemoh_alert_webhook_delete(context, data_dict):
    return _editor_of(context, data_dict)


def maemoh_alert_deliveries(context, data_dict):
    return _editor_of(context, data_dict)


def maemoh_alerts_status(context, data_dict):
    return _publisher(context)


@tk.auth_allow_anonymous_access
def maemoh_citizen_report_create(context, data_dict):
    """Anyone may report (rate-limited per client)."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_citizen_report_show(context, data_dict):
    """Whoever holds the private link (its token is the authority)."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def maemoh_citizen_report_delete(context, data_dict):
    """Whoever holds the private link (its token is the authority)."""
    return {"success": True}


def _moderator(context):
    return _district_editors(context, tk._("Only editors of the organisation {org} may read and decide residents' "
                                           "reports"))


def maemoh_citizen_report_list(context, data_dict):
    return _moderator(context)


def maemoh_citizen_report_decide(context, data_dict):
    return _moderator(context)
