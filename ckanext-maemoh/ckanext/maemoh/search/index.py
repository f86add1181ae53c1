"""How a dataset is indexed: its coded fields as words in Thai and English
(before_dataset_index)."""
import json

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import places, vocabularies
from ckanext.maemoh.risk_jobs import dimensions

# Multi-valued fields, stored as JSON lists, indexed as vocab_<field>.
LIST_FIELDS = ("theme", "tambons")
TRANSLATED_FIELDS = ("title_translated", "notes_translated")
#: coded fields whose Thai and English labels are indexed as words -> their vocabulary
LABELLED_FIELDS = {"theme": "theme", "tambons": "tambon", "network": "network",
                   "instrument_class": "instrument_class",
                   "measured_parameters": "variable", "risk_dimension": "risk_dimension",
                   "gpc_level": "gpc_level"}
#: subfields of the repeating ``variables`` field -> their vocabulary
VARIABLE_SUBFIELDS = {"variable": "variable", "unit": "unit"}
LABELS_FIELD = "extras_maemoh_labels"  # extras_* are copied into Solr's full-text field
#: ckanext-harvest's fields, which a harvested dataset keeps as extras once it
#: is patched: out of the full text, so it ranks the same after its first
#: harvest as after later ones (the harvest plugin indexes its own copies)
HARVEST_EXTRAS = ("extras_harvest_object_id", "extras_harvest_source_id", "extras_harvest_source_title")


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
    for key in HARVEST_EXTRAS:
        pkg_dict.pop(key, None)
    return pkg_dict


def labels(pkg_dict, org):
    """The Thai and English labels of a dataset's codes, its type, and its
    organisation's title and agency type: what it is about, as words."""
    coded = [(vocabulary, code) for field, vocabulary in LABELLED_FIELDS.items()
             for code in _place_codes(field, _codes(pkg_dict.get(field)))]
    for item in _json(pkg_dict.get("variables"), default=[]):
        if isinstance(item, dict):
            coded += [(vocabulary, item.get(key)) for key, vocabulary in VARIABLE_SUBFIELDS.items()
                      if item.get(key)]
    coded += [("dataset_type", pkg_dict.get("type") or "dataset"), ("agency_type", org.get("agency_type"))]
    coded += _what_a_risk_layer_reads(pkg_dict.get("risk_dimension"))
    words = [word for vocabulary, code in coded if code
             for word in vocabulary_words(vocabulary, str(code))]
    words.append(org.get("title") or "")
    return [word for word in dict.fromkeys(words) if word]


def _place_codes(field, codes):
    """A dataset of the whole district is labelled with the district, not with
    each tambon's name: a search for a tambon finds what is about it first."""
    if field != "tambons" or places.DISTRICT not in codes:
        return codes
    return [code for code in codes if code in (places.DISTRICT, places.OUTSIDE)]


def vocabulary_words(vocabulary, code):
    """The Thai and English labels of a code and the other words people use for it."""
    return [vocabularies.label(vocabulary, code, lang) for lang in vocabularies.LANGUAGES] + \
        vocabularies.also_known_as(vocabulary, code)


def _what_a_risk_layer_reads(dimension):
    """The themes and variables a risk layer's dimension is computed from:
    the air risk map is about PM2.5 as much as about air."""
    if dimension not in dimensions.REGISTRY:
        return []
    read = dimensions.get(dimension)
    return [("theme", theme) for theme in read.themes] + [("variable", v) for v in read.variables]


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
