"""Benchmark: how well the catalogue's search finds what people type.

Runs every query of ``ckanext/maemoh/data/search_queries.yaml`` (at least 40,
Thai and English, residents, agencies and developers) through
``package_search`` of a running portal (a fresh ``make run``) and prints
recall@10 and mean reciprocal rank (ckanext.maemoh.relevance), with, in the
same run, a baseline: the same queries over the dataset's own words only
(name, titles, description, tags: what stock CKAN weighs), without the
Thai and English labels of its codes. Ties in score are broken by name.

    .venv/bin/python bench/search_relevance.py [--url http://127.0.0.1:5000] [--record]

``--record`` writes the figures to ``bench/search_relevance.json``, the
floor that ``make test`` checks (test_demo.py). Target (issue
14): recall@10 >= 0.9.
"""
import argparse
import json
import pathlib
import sys

import requests

from ckanext.maemoh.search import relevance

RECORD = pathlib.Path(__file__).resolve().parent / "search_relevance.json"
OWN_WORDS = "name^4 title^4 extras_title_translated^4 tags^2 notes extras_notes_translated"


def searcher(url, qf=None):
    def search(q):
        params = {"q": q, "rows": relevance.K, "sort": relevance.SORT, "fl": "name"}
        if qf:
            params["qf"] = qf
        response = requests.get(f"{url}/api/3/action/package_search", params=params, timeout=30)
        response.raise_for_status()
        return [d["name"] for d in response.json()["result"]["results"]]
    return search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--record", action="store_true", help=f"write the figures to {RECORD.name}")
    args = parser.parse_args()

    corpus, queries = relevance.load()
    catalogue = set(_all_names(args.url))
    if catalogue != corpus:
        sys.exit(f"the portal is not the catalogue the set is judged against: "
                 f"missing {sorted(corpus - catalogue)}, extra {sorted(catalogue - corpus)}")
    ours = relevance.judge(searcher(args.url), queries)
    baseline = relevance.judge(searcher(args.url, OWN_WORDS), queries)
    print(f"{len(queries)} queries over {len(corpus)} datasets, {args.url}")
    print(f"{'':32} {'recall@10':>10} {'MRR':>7}")
    for label, judged in (("baseline: the dataset's own words", baseline), ("platform search", ours)):
        result = relevance.figures(judged)
        print(f"{label:32} {result['recall_at_10']:>10.3f} {result['mrr']:>7.3f}")
    for line in relevance.misses(ours):
        print("  miss:", line)
    if args.record:
        RECORD.write_text(json.dumps(relevance.figures(ours), indent=2) + "\n", encoding="utf-8")
        print(f"recorded in {RECORD}")


def _all_names(url):
    response = requests.get(f"{url}/api/3/action/package_search",
                            params={"rows": 1000, "fl": "name"}, timeout=30)
    response.raise_for_status()
    return [d["name"] for d in response.json()["result"]["results"]]


if __name__ == "__main__":
    main()
