"""Trusted publishers: whose data the district's official products read.

The residents' pages and actions, the risk layers, the greenhouse-gas
inventory and its guidance are computed only from the public datasets of
trusted organisations; the data of any other organisation stay in the
catalogue, searchable, but never enter an official figure.

Trusted are the organisations named in ``ckanext.maemoh.trusted_organizations``
(names or ids, space-separated) when it is set; otherwise the district
organisation (``ckanext.maemoh.organization``) and the organisations that own
a harvest source a sysadmin created (the sources the operator configured).
Computed products themselves (``risk-layer``, ``ghg-inventory`` and ``forecast`` datasets)
count only when the district organisation publishes them.
"""
import logging

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.maemoh.reference import datasets

log = logging.getLogger(__name__)

OPTION = "ckanext.maemoh.trusted_organizations"
COMPUTED_TYPES = ("risk-layer", datasets.GHG_INVENTORY_TYPE, datasets.FORECAST_TYPE)


def trusted_organizations():
    """The trusted organisations, each ``{id, name, title, reason}``, by name."""
    context = {"ignore_auth": True}
    configured = tk.aslist(tk.config.get(OPTION))
    if configured:
        wanted = {name: "configured" for name in configured}
    else:
        wanted = {district(): "district"}
        wanted.update({org: "harvest source" for org in _sysadmin_source_owners()
                       if org not in wanted})
    found = {}
    for name, reason in wanted.items():
        try:
            org = tk.get_action("organization_show")(dict(context), {
                "id": name, "include_datasets": False, "include_users": False,
                "include_extras": False, "include_tags": False, "include_followers": False})
        except tk.ObjectNotFound:
            log.warning("%s: no organisation %r", OPTION, name)
            continue
        if org.get("state") == "active":
            found[org["id"]] = {"id": org["id"], "name": org["name"], "title": org["title"],
                                "reason": reason}
    return sorted(found.values(), key=lambda org: org["name"])


def trusted_ids():
    return [org["id"] for org in trusted_organizations()]


def owner_filter(org_ids):
    """A Solr filter for datasets owned by ``org_ids`` (matches none when empty)."""
    if not org_ids:
        return "owner_org:__none__"
    return "owner_org:(" + " OR ".join(f'"{org_id}"' for org_id in org_ids) + ")"


def district():
    """The name of the district organisation, publisher of the computed products."""
    return tk.config["ckanext.maemoh.organization"]


def is_official_product(dataset):
    """True for a computed dataset published by the district organisation."""
    return (dataset.get("type") in COMPUTED_TYPES
            and (dataset.get("organization") or {}).get("name") == district())


def publisher(dataset):
    """``{"name", "title"}`` of a dataset's organisation, for method records."""
    org = dataset.get("organization") or {}
    return {"name": org.get("name"), "title": org.get("title")}


def _sysadmin_source_owners():
    found = tk.get_action("package_search")({"ignore_auth": True}, {
        "fq": "+dataset_type:harvest", "include_private": True, "rows": 1000})["results"]
    sysadmins = _sysadmin_ids()
    owners = {row.get("owner_org") for row in found if row.get("creator_user_id") in sysadmins}
    return sorted(_org_name(org_id) for org_id in owners if org_id)


def _sysadmin_ids():
    # no action lists the sysadmins
    return {user_id for (user_id,) in model.Session.query(model.User.id).filter(
        model.User.sysadmin.is_(True), model.User.state == "active")}


def _org_name(org_id):
    return tk.get_action("organization_show")({"ignore_auth": True}, {
        "id": org_id, "include_datasets": False, "include_users": False})["name"]
