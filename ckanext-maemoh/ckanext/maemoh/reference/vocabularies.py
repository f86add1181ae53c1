"""The controlled vocabularies of ``schemas/vocabularies.yaml``.

Pure: no CKAN import. Codes are stored; labels are shown in Thai or English.
"""
import functools
from importlib import resources

import yaml

LANGUAGES = ("th", "en")


@functools.lru_cache(maxsize=None)
def _all():
    text = resources.files("ckanext.maemoh.schemas").joinpath(
        "vocabularies.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def terms(name):
    """The terms of vocabulary ``name``: dicts with ``value``, ``th``, ``en``
    (and optionally ``aka``: other words people use for it)."""
    try:
        return _all()[name]
    except KeyError:
        raise KeyError(f"no vocabulary named {name!r}") from None


def codes(name):
    """The codes of vocabulary ``name``, in order."""
    return [term["value"] for term in terms(name)]


def term(name, code):
    """The term of ``code`` in vocabulary ``name``, or None."""
    return next((t for t in terms(name) if t["value"] == code), None)


def label(name, code, lang):
    """The label of ``code`` in ``lang`` (th or en; other languages get
    English); the code itself when unknown."""
    found = term(name, code)
    if found is None:
        return code
    return found["th"] if lang == "th" else found["en"]


def also_known_as(name, code):
    """Other words people use for ``code`` of vocabulary ``name`` (its
    ``aka`` list, Thai and English), indexed for search with its labels."""
    found = term(name, code)
    return list(found.get("aka", ())) if found else []


def scheming_choices(name):
    """Vocabulary ``name`` as ckanext-scheming choices with bilingual labels."""
    return [{"value": t["value"], "label": {lang: t[lang] for lang in LANGUAGES}}
            for t in terms(name)]
