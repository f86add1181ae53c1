"""Index-time shaping and bilingual facets of the platform's datasets."""
import json

from flask import has_request_context

import ckan.plugins.toolkit as tk

from ckanext.maemoh import vocabularies

# Multi-valued fields, stored as JSON lists, indexed as vocab_<field>.
LIST_FIELDS = ("theme", "tambons")
TRANSLATED_FIELDS = ("title_translated", "notes_translated")


def shape_for_index(pkg_dict):
    """Make a dataset's fields searchable and facetable (before_dataset_index)."""
    for field in LIST_FIELDS:
        values = _json(pkg_dict.get(field), default=[])
        if values:
            pkg_dict[f"vocab_{field}"] = values
    for field in TRANSLATED_FIELDS:
        texts = _json(pkg_dict.get(field), default={})
        if isinstance(texts, dict) and texts:
            # plain words for the full-text index, not JSON
            plain = "\n".join(texts.values())
            pkg_dict[field] = plain
            pkg_dict[f"extras_{field}"] = plain
    agency_type = _agency_type(pkg_dict.get("owner_org"))
    if agency_type:
        pkg_dict["vocab_agency_type"] = [agency_type]
    return pkg_dict


def _json(value, default):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value or default


def _agency_type(org_id):
    if not org_id:
        return None
    org = tk.get_action("organization_show")(
        {"ignore_auth": True}, {"id": org_id, "include_datasets": False,
                                "include_users": False, "include_extras": True})
    return org.get("agency_type")


def request_lang():
    """The language of the current request; the site default outside one
    (commands, jobs)."""
    if has_request_context() and tk.h.lang():
        return tk.h.lang()
    return tk.config["ckan.locale_default"]


def facet_titles(lang):
    """``{solr field: title}`` of the platform's facets, in ``lang``."""
    return {term["value"]: term["th" if lang == "th" else "en"]
            for term in vocabularies.terms("facet")}


def label_facet_items(search_facets, lang):
    """Give facet items of coded fields their label in ``lang``."""
    for term in vocabularies.terms("facet"):
        facet = search_facets.get(term["value"])
        if not facet or "vocabulary" not in term:
            continue
        for item in facet["items"]:
            item["display_name"] = vocabularies.label(
                term["vocabulary"], item["name"], lang)
    return search_facets
