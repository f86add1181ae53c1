"""Index-time shaping and bilingual facets of the platform's datasets."""
import json

from flask import has_request_context

import ckan.plugins.toolkit as tk

from ckanext.maemoh import vocabularies

# Multi-valued fields, stored as JSON lists, indexed as vocab_<field>.
LIST_FIELDS = ("theme", "tambons")
TRANSLATED_FIELDS = ("title_translated", "notes_translated")
#: coded fields whose Thai and English labels are indexed as words -> their vocabulary
LABELLED_FIELDS = {"theme": "theme", "tambons": "tambon", "network": "network",
                   "measured_parameters": "variable", "risk_dimension": "risk_dimension",
                   "gpc_level": "gpc_level"}
#: subfields of the repeating ``variables`` field -> their vocabulary
VARIABLE_SUBFIELDS = {"variable": "variable", "unit": "unit"}
LABELS_FIELD = "extras_maemoh_labels"  # extras_* are copied into Solr's full-text field


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
    org = _organization(pkg_dict.get("owner_org"))
    if org.get("agency_type"):
        pkg_dict["vocab_agency_type"] = [org["agency_type"]]
    pkg_dict[LABELS_FIELD] = "\n".join(labels(pkg_dict, org))
    return pkg_dict


def labels(pkg_dict, org):
    """The Thai and English labels of a dataset's codes, its type, and its
    organisation's title and agency type: what it is about, as words."""
    coded = [(vocabulary, code) for field, vocabulary in LABELLED_FIELDS.items()
             for code in _codes(pkg_dict.get(field))]
    for item in _json(pkg_dict.get("variables"), default=[]):
        if isinstance(item, dict):
            coded += [(vocabulary, item.get(key)) for key, vocabulary in VARIABLE_SUBFIELDS.items()
                      if item.get(key)]
    coded += [("dataset_type", pkg_dict.get("type") or "dataset"), ("agency_type", org.get("agency_type"))]
    words = [vocabularies.label(vocabulary, str(code), lang) for vocabulary, code in coded if code
             for lang in ("th", "en")]
    words.append(org.get("title") or "")
    return [word for word in dict.fromkeys(words) if word]


def _codes(value):
    """The codes of a field stored as a list, a JSON list or one code."""
    value = _json(value, default=[]) if isinstance(value, str) and value.startswith("[") else value
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _json(value, default):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value or default


def _organization(org_id):
    if not org_id:
        return {}
    return tk.get_action("organization_show")(
        {"ignore_auth": True}, {"id": org_id, "include_datasets": False,
                                "include_users": False, "include_extras": True})


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
