"""Index-time shaping, query weighting, spelling suggestions and bilingual
facets of the platform's datasets."""
import json
import logging

import pysolr
from flask import has_request_context

import ckan.plugins.toolkit as tk
from ckan.lib.search import common as search_common

from ckanext.maemoh import vocabularies
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
#: CKAN's query fields (name^4 title^4 tags^2 groups^2 text) plus the titles in
#: both languages and the labels of a dataset's codes
QUERY_FIELDS = f"name^4 title^4 extras_title_translated^4 {LABELS_FIELD}^2 tags^2 groups^2 text"
#: CKAN's minimum-should-match for dismax queries (ckan/lib/search/query.py)
MIN_MATCH = "2<-1 5<80%"
#: edismax, not CKAN's dismax: it gives the analyzer the whole query (Solr's
#: sow=false), so synonyms of several words ("air pollution") match
QUERY_PARSER = "edismax"

log = logging.getLogger(__name__)


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


def weigh_fields(search_params):
    """Search the labels and both titles with weight, with a parser that
    reads synonyms of several words (before_dataset_search), unless the caller
    chose its own query fields or query parser."""
    if "qf" not in search_params and "defType" not in search_params:
        search_params.update(qf=QUERY_FIELDS, defType=QUERY_PARSER)
    return search_params


def suggestion(query):
    """A respelling of ``query`` that finds public datasets ("did you mean"),
    or None. Solr checks each collation against public datasets of this site,
    so no word of a private dataset is ever suggested."""
    query = (query or "").strip()
    if not query or ":" in query or len(query) > 200:
        return None
    params = {
        "defType": QUERY_PARSER, "qf": QUERY_FIELDS, "mm": MIN_MATCH, "q.op": "AND", "rows": 0,
        "fq": [f'+site_id:"{tk.config["ckan.site_id"]}"', "+capacity:public", "-dataset_type:harvest"],
        "spellcheck": "true", "spellcheck.count": 10, "spellcheck.collate": "true",
        "spellcheck.maxCollations": 1, "spellcheck.maxCollationTries": 10,
    }
    try:
        results = search_common.make_connection().search(query, **params)
    except (pysolr.SolrError, OSError) as error:  # a suggestion is never worth an error page
        log.warning("no spelling suggestion for a query: %s", error)
        return None
    collations = (results.spellcheck or {}).get("collations") or []
    # Solr's named list, flattened: ["collation", "<text>", ...]
    texts = [collations[i + 1] for i in range(0, len(collations) - 1, 2) if collations[i] == "collation"]
    return next((text for text in texts if text.casefold() != query.casefold()), None)


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
    coded += _what_a_risk_layer_reads(pkg_dict.get("risk_dimension"))
    words = [word for vocabulary, code in coded if code
             for word in vocabulary_words(vocabulary, str(code))]
    words.append(org.get("title") or "")
    return [word for word in dict.fromkeys(words) if word]


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
