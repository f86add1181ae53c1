"""The platform's facets, titled and labelled in the visitor's language."""
from flask import has_request_context

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import vocabularies


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
