"""The sysadmins' page of trusted publishers (``/ckan-admin/trusted-publishers``,
a tab of CKAN's admin pages)."""
from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.maemoh.trust import publishers as trust

trust_admin = Blueprint("maemoh_trust", __name__, url_prefix="/ckan-admin")


@trust_admin.route("/trusted-publishers")
def trusted_publishers():
    try:
        tk.check_access("sysadmin", {"user": tk.current_user.name if tk.current_user else ""})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins may see this page"))
    return tk.render("admin/trusted_publishers.html", {
        "organizations": trust.trusted_organizations(),
        "configured": bool(tk.aslist(tk.config.get(trust.OPTION))),
        "option": trust.OPTION, "district": trust.district()})
