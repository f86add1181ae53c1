"""How a query runs: weighted fields with edismax (before_dataset_search),
and spelling suggestions ("did you mean") checked against public datasets."""
import logging

import pysolr

import ckan.plugins.toolkit as tk
from ckan.lib.search import common as search_common

from ckanext.maemoh.search.index import LABELS_FIELD

#: CKAN's query fields (name^4 title^4 tags^2 groups^2 text) plus the titles in
#: both languages and the labels of a dataset's codes
QUERY_FIELDS = f"name^4 title^4 extras_title_translated^4 {LABELS_FIELD}^2 tags^2 groups^2 text"
#: CKAN's minimum-should-match for dismax queries (ckan/lib/search/query.py)
MIN_MATCH = "2<-1 5<80%"
#: edismax, not CKAN's dismax: it gives the analyzer the whole query (Solr's
#: sow=false), so synonyms of several words ("air pollution") match
QUERY_PARSER = "edismax"

log = logging.getLogger(__name__)


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
