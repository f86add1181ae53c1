"""The data of the home page (``/``), behind one function.

:func:`home_summary` is all the home page reads (template helper
``h.maemoh_home_summary``). The air, the risk layers and the inventory come
from the residents' snapshot (:mod:`.snapshot`, ages as of now); the themes
and counts from one ``package_search``. Public data only; codes, not URLs
(the templates make the links); times ISO 8601.

``home_summary(lang)`` (``lang``: "th" or "en") returns::

    {"stale_after_hours": int,
     "computed_at": datetime or None,  # when the residents' snapshot was computed
     "district": {                     # the worst current band of the tambons
         "band": 1-5 or None,          # None: no tambon has a current measurement
         "aqi": int or None,
         "tambon_code", "name",        # the tambon with that band (None when stale)
         "info": band_info(band, lang),# texts, colours, icon; "no current data" (grey) when stale
         "time_local": ISO or None,    # that measurement; when stale, the last one made
         "stale": bool},
     "tambons": [{"tambon_code", "name", "band", "aqi", "stale", "time_local",
                  "info"}],            # code order; band and aqi as last measured, never
                                       # to be shown when stale; info then "no current data"
     "risk_layers": [{"dimension", "label", "dataset", "computed_at"}],   # newest first
     "inventory": {"dataset", "type", "title", "modified"} or None,
     "themes": [{"code", "label", "count"}],   # themes with public datasets, vocabulary order
     "datasets": int}                  # public datasets of every type
"""
import datetime as dt

import ckan.plugins.toolkit as tk

from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import map_layers, snapshot
from ckanext.maemoh.risk_jobs import air_now

THEME_FACET = "vocab_theme"


def home_summary(lang):
    """The home page's data in ``lang`` (see the module docstring)."""
    air_now.check_lang(lang)
    tambons = [_tambon(t, lang) for t in snapshot.tambon_aqi()]
    search = tk.get_action("package_search")({"user": ""}, {
        "rows": 0, "facet.field": [THEME_FACET], "facet.limit": -1})
    return {"stale_after_hours": residents.stale_after_hours(),
            "computed_at": snapshot.computed_at(),
            "district": _district(tambons, lang),
            "tambons": tambons,
            "risk_layers": _risk_layers(lang),
            "inventory": _inventory(lang),
            "themes": _themes(search["search_facets"].get(THEME_FACET, {}).get("items", []), lang),
            "datasets": search["count"]}


def _tambon(row, lang):
    return {"tambon_code": row["tambon_code"], "name": row[f"name_{lang}"], "band": row["band"],
            "aqi": row["aqi"], "stale": row["stale"], "time_local": row["time_local"],
            "info": air_now.band_info(None if row["stale"] else row["band"], lang)}


def _district(tambons, lang):
    current = [t for t in tambons if not t["stale"] and t["band"] is not None]
    if current:
        worst = max(current, key=lambda t: (t["band"], t["aqi"]))
        return {**{k: worst[k] for k in ("band", "aqi", "tambon_code", "name", "info", "time_local")},
                "stale": False}
    measured = [t["time_local"] for t in tambons if t["time_local"]]
    return {"band": None, "aqi": None, "tambon_code": None, "name": None,
            "info": air_now.band_info(None, lang),
            "time_local": max(measured, key=dt.datetime.fromisoformat, default=None), "stale": True}


def _risk_layers(lang):
    layers = [{"dimension": dimension, "label": vocabularies.label("risk_dimension", dimension, lang),
               "dataset": layer["dataset"], "computed_at": layer["computed_at"]}
              for dimension, layer in snapshot.risk_summary().items()]
    return sorted(layers, key=lambda layer: layer["computed_at"] or "", reverse=True)


def _inventory(lang):
    found = map_layers.latest_inventory()
    if not found:
        return None
    dataset = found["dataset"]
    titles = dataset.get("title_translated")
    titles = titles if isinstance(titles, dict) else {}
    return {"dataset": dataset["name"], "type": dataset["type"],
            "title": titles.get(lang) or titles.get("th") or titles.get("en") or dataset["title"],
            "modified": dataset.get("metadata_modified")}


def _themes(items, lang):
    counts = {item["name"]: item["count"] for item in items}
    return [{"code": term["value"], "label": term[lang], "count": counts[term["value"]]}
            for term in vocabularies.terms("theme") if counts.get(term["value"])]
