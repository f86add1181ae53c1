"""Search relevance as a measured figure: recall@k and mean reciprocal rank
over the query set ``data/search_queries.yaml``.

The set lists what residents, agencies and developers type, in Thai and
English, each with the datasets a person expects in the first results, and
the catalogue it is judged against (the datasets of a fresh ``make run``).
``bench/search_relevance.py`` prints the figures of a running portal; the
test ``test_demo.py`` computes them on the same catalogue built
in the test database and checks neither falls below the figures recorded in
``bench/search_relevance.json``.
"""
import dataclasses
import pathlib

import yaml

QUERIES_FILE = pathlib.Path(__file__).resolve().parents[1] / "data" / "search_queries.yaml"
#: ties in score are broken by name, so the figures do not depend on when
#: datasets were last modified (CKAN's default second key)
SORT = "score desc, name asc"
K = 10


@dataclasses.dataclass(frozen=True)
class Query:
    q: str
    audience: str
    expected: tuple


@dataclasses.dataclass(frozen=True)
class Judged:
    query: Query
    found: tuple  # the first K names, best first

    @property
    def recall(self):
        """Share of the expected datasets in the first K (of at most K expected)."""
        hits = len(set(self.found[:K]) & set(self.query.expected))
        return hits / min(len(self.query.expected), K)

    @property
    def reciprocal_rank(self):
        """1 / the rank of the first expected dataset; 0 when none is in the first K."""
        return next((1 / rank for rank, name in enumerate(self.found[:K], 1)
                     if name in self.query.expected), 0.0)


def load(path=QUERIES_FILE):
    """``(corpus, [Query])`` from the query set; a clear error when a query
    expects a dataset that is not in the corpus."""
    data = yaml.safe_load(pathlib.Path(path).read_text(encoding="utf-8"))
    corpus = frozenset(data["corpus"])
    queries = [Query(item["q"], item["audience"], tuple(item["expected"])) for item in data["queries"]]
    for query in queries:
        unknown = set(query.expected) - corpus
        if unknown or not query.expected:
            raise ValueError(f"query {query.q!r}: expected datasets not in the corpus: {sorted(unknown)}")
    return corpus, queries


def judge(search, queries):
    """Run each query through ``search(q) -> [name, ...]`` (best first)."""
    return [Judged(query, tuple(search(query.q))[:K]) for query in queries]


def figures(judged):
    """``{"queries", "recall_at_10", "mrr"}``: means over the judged queries."""
    n = len(judged)
    return {"queries": n,
            "recall_at_10": round(sum(j.recall for j in judged) / n, 4),
            "mrr": round(sum(j.reciprocal_rank for j in judged) / n, 4)}


def misses(judged):
    """Lines naming each query that misses an expected dataset or does not
    give one first."""
    return [f"{j.query.q!r}: recall {j.recall:.2f}, RR {j.reciprocal_rank:.2f}, "
            f"missing {sorted(set(j.query.expected) - set(j.found))}, first {list(j.found[:1])}"
            for j in judged if j.recall < 1 or j.reciprocal_rank < 1]
