"""The guidance of the latest published inventory, with links that resolve.

Each piece of evidence names its source by a key; here the key becomes the
URL of what it rests on: ``inventory`` the inventory dataset, ``pathway:*``
its pathway table, ``population`` the boundary dataset that publishes the
registered population, ``risk:<dimension>`` that risk layer (None when the
layer is not published). Only inventories the district organisation
publishes count, and only what the caller may see is read.
"""
import json

import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import get_read_engine

from ckanext.maemoh.store import datastore_tables, publish
from ckanext.maemoh.trust import publishers as trust
from ckanext.maemoh.reference import datasets

GUIDANCE_COLUMNS = ("id", "priority", "dimension", "tambon_code", "text_th", "text_en", "evidence")


def current(context, tambon=None, dimension=None, year=None):
    # each nested action gets a context of its own: a shared one would carry
    # the auth audit of a lookup that ended in NotFound into the next call
    context = {"user": context.get("user") or ""}
    inventory = _inventory(context, year)
    resources = {r["name"]: r for r in inventory["resources"]}
    if datasets.GHG_GUIDANCE_TABLE not in resources:
        raise tk.ObjectNotFound(tk._("The inventory {name} has no guidance table").format(name=inventory["name"]))
    rows = _guidance_rows(resources[datasets.GHG_GUIDANCE_TABLE]["id"], inventory.get(publish.RUN_FIELD))
    links = _Links(context, inventory, resources)
    recommendations = []
    for row in rows:
        if tambon and row["tambon_code"] not in (tambon, None, ""):
            continue
        if dimension and row["dimension"] != dimension:
            continue
        evidence = [dict(e, url=links.url(e["source"])) for e in json.loads(row["evidence"] or "[]")]
        recommendations.append({k: row[k] for k in ("id", "priority", "dimension", "tambon_code",
                                                    "text_th", "text_en")} | {"evidence": evidence})
    return {"inventory": inventory["name"], "year": int(inventory["inventory_year"]),
            "recommendations": recommendations}


def _guidance_rows(resource_id, run):
    """The rows of the (public) guidance table of publication ``run``, read with the DataStore's
    read-only user inside one connection. Not through ``datastore_search``:
    CKAN 2.11's alias lookup reads its result after giving the connection
    back to the pool, which fails under parallel requests ("cursor already
    closed")."""
    with get_read_engine().connect() as connection:
        return [dict(row) for row in connection.execute(sa.text(
            f"SELECT {', '.join(GUIDANCE_COLUMNS)} FROM {datastore_tables.quote_identifier(resource_id)} "
            "WHERE run_id = :run ORDER BY priority, _id"), {"run": run}).mappings()]


def _inventory(context, year):
    fq = f"+dataset_type:{datasets.GHG_INVENTORY_TYPE} +organization:{trust.district()}"
    if year:
        fq += f" +name:ghg-inventory-{int(year)}"
    found = tk.get_action("package_search")(dict(context), {"fq": fq, "sort": "name desc", "rows": 1})
    if not found["results"]:
        raise tk.ObjectNotFound(tk._("No greenhouse-gas inventory is published yet"))
    return found["results"][0]


class _Links:
    def __init__(self, context, inventory, resources):
        self.context = context
        self.inventory = inventory
        self.resources = resources

    def url(self, source):
        kind, _, detail = str(source).partition(":")
        if kind == "inventory":
            return _dataset_url(self.inventory)
        if kind == "pathway" and datasets.GHG_PATHWAY_CSV in self.resources:
            return _resource_url(self.inventory, self.resources[datasets.GHG_PATHWAY_CSV])
        if kind == "population":
            return self._dataset_url_of(datasets.boundary_dataset())
        if kind == "risk":
            return self._dataset_url_of(f"risk-{detail}")
        return None

    def _dataset_url_of(self, name):
        """The URL of the district's dataset ``name`` (None when someone else owns the name)."""
        try:
            dataset = tk.get_action("package_show")({"user": self.context["user"]}, {"id": name})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            return None
        return _dataset_url(dataset) if trust.publisher(dataset)["name"] == trust.district() else None


def _dataset_url(dataset):
    return tk.url_for(f"{dataset['type']}.read", id=dataset["name"], _external=True)


def _resource_url(dataset, resource):
    return tk.url_for(f"{dataset['type']}_resource.read", id=dataset["name"], resource_id=resource["id"],
                      _external=True)
