"""Who may do what with our actions (sysadmins pass every check).

Risk runs publish into the district organisation
(``ckanext.maemoh.organization``), so starting one, or reading the run log
with its errors, takes what creating a dataset there takes: being an editor
or admin of that organisation.
"""
import ckan.plugins.toolkit as tk

__all__ = ["maemoh_risk_run", "maemoh_risk_status"]


def _publisher(context):
    org = tk.config["ckanext.maemoh.organization"]
    try:
        tk.check_access("package_create", dict(context), {"owner_org": org})
    except tk.NotAuthorized:
        return {"success": False,
                "msg": tk._("Only editors of the organisation {org} may run or follow risk jobs")
                .format(org=org)}
    return {"success": True}


def maemoh_risk_run(context, data_dict):
    return _publisher(context)


def maemoh_risk_status(context, data_dict):
    return _publisher(context)
