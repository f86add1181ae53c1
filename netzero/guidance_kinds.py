"""The rule kinds of the guidance: each reads the data and yields findings with their numbers.

A finding carries the template fields (numbers already formatted), the
evidence (label, value, unit, source key) and what the recommendation is
about. Source keys: ``inventory``, ``population``, ``pathway:<scenario>``,
``risk:<dimension>``. Numbers: thousands separators; 0 decimals from 100,
1 from 10, else 2. Shares are percentages (0 decimals).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from ckanext.maemoh.netzero.inventory import DISTRICT, Inventory
from ckanext.maemoh.netzero.pathway import SECTOR_COLUMNS
from ckanext.maemoh.risk_jobs.composite import RISK_CLASSES

T_CO2E = "t CO2e"


@dataclasses.dataclass(frozen=True)
class Context:
    """What the rules read. ``names``: tambon code -> (Thai, English); ``population``: code -> persons."""

    inventory: Inventory
    pathway: pd.DataFrame | None
    risk_summary: Mapping[str, list[Mapping[str, Any]]]
    names: Mapping[str, tuple[str, str]]
    population: Mapping[str, float]
    dimensions: Mapping[str, Mapping[str, str]]


@dataclasses.dataclass(frozen=True)
class Finding:
    key: str
    fields: dict[str, Any]
    evidence: list[dict[str, Any]]
    advice_key: str = "default"
    tambon_code: str | None = None
    dimension: str | None = None
    template: str = "text"


def number(x: float) -> str:
    """``x`` with thousands separators: 0 decimals from 100, 1 from 10, else 2."""
    digits = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2
    return f"{x:,.{digits}f}"


def percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:,.0f}"


def evidence(label: str, value: Any, unit: str, source: str) -> dict[str, Any]:
    return {"label": label, "value": round(value, 3) if isinstance(value, float) else value,
            "unit": unit, "source": source}


# ------------------------------------------------------------------ inventory

def largest_sectors(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    inv = ctx.inventory
    sectors = inv.by_sector()["basic_plus_t"].dropna().sort_values(ascending=False)
    total = inv.basic_plus_t
    for rank, (sector, value) in enumerate(sectors.head(int(params.get("top", 2))).items(), start=1):
        th, en = inv.mapping.sector_label(sector)
        yield Finding(
            key=sector, advice_key=sector,
            fields={"sector": sector, "sector_th": th, "sector_en": en, "rank": rank,
                    "emissions": number(value), "share": percent(value, total), "total": number(total)},
            evidence=[evidence(f"GPC sector {sector} ({en}), BASIC+, {inv.year}", value, T_CO2E, "inventory"),
                      evidence(f"district BASIC+ total, {inv.year}", total, T_CO2E, "inventory")])


def power_plant(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    inv = ctx.inventory
    if math.isnan(inv.i44_t) or math.isnan(inv.basic_plus_t):
        return
    yield Finding(
        key="I.4.4",
        fields={"i44": number(inv.i44_t), "total": number(inv.basic_plus_t),
                "ratio": f"{inv.i44_t / inv.basic_plus_t:,.0f}"},
        evidence=[evidence(f"I.4.4 generation supplied to the grid, {inv.year}", inv.i44_t, T_CO2E, "inventory"),
                  evidence(f"district BASIC+ total, {inv.year}", inv.basic_plus_t, T_CO2E, "inventory")])


def largest_tambon(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    inv = ctx.inventory
    lines = inv.emission_lines
    lines = lines[lines["level"].isin(["BASIC", "BASIC+"]) & (lines["tambon_code"] != DISTRICT)]
    prefixes = list(params.get("gpc") or [])
    if prefixes:
        lines = lines[lines["gpc_ref"].map(lambda r: any(r == p or r.startswith(p + ".") for p in prefixes))]
    if lines.empty:
        return
    totals = lines.groupby("tambon_code")["emissions_t_co2e"].sum()
    per_capita = params.get("measure") == "per_capita" and all(ctx.population.get(c) for c in totals.index)
    values = totals / pd.Series(ctx.population).reindex(totals.index) if per_capita else totals
    top = str(values.idxmax())
    sources = lines[lines["tambon_code"] == top].groupby("activity")["emissions_t_co2e"].sum()
    source = inv.mapping.activities[str(sources.idxmax())]
    unit_th, unit_en = (("ตันคาร์บอนไดออกไซด์เทียบเท่าต่อคน", "t CO2e per person") if per_capita
                        else ("ตันคาร์บอนไดออกไซด์เทียบเท่า", T_CO2E))
    name_th, name_en = ctx.names.get(top, (top, top))
    what = f"BASIC+ lines{' of ' + ', '.join(prefixes) if prefixes else ''}"
    proof = [evidence(f"tambon {top}, {what}, {inv.year}", float(totals[top]), T_CO2E, "inventory")]
    if per_capita:
        proof.append(evidence(f"registered population of tambon {top}", ctx.population[top], "persons", "population"))
    yield Finding(
        key=top, tambon_code=top,
        fields={"tambon_code": top, "tambon_th": name_th, "tambon_en": name_en,
                "value_th": f"{number(values[top])} {unit_th}", "value_en": f"{number(values[top])} {unit_en}",
                "average_th": f"{number(values.mean())} {unit_th}",
                "average_en": f"{number(values.mean())} {unit_en}",
                "source_th": source.label_th, "source_en": source.label_en,
                "source_share": percent(sources.max(), totals[top])},
        evidence=proof)


def data_gaps(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    table = ctx.inventory.by_sector()
    gaps = table[table["notation"] != ""]
    if gaps.empty:
        return
    keys = sorted({k.strip() for text in gaps["notation"] for k in text.split(",")})
    yield Finding(
        key="+".join(gaps.index),
        fields={"sectors_th": ", ".join(f"{s} {r.label_th}" for s, r in gaps.iterrows()),
                "sectors_en": ", ".join(f"{s} {r.label_en}" for s, r in gaps.iterrows()),
                "keys": ", ".join(keys)},
        evidence=[evidence(f"GPC sector {s} ({r.label_en})", r.notation, "notation key", "inventory")
                  for s, r in gaps.iterrows()])


# -------------------------------------------------------------------- pathway

def _scenario_rows(params: Mapping[str, Any], ctx: Context) -> tuple[str, pd.DataFrame, pd.DataFrame] | None:
    """(scenario id, its rows indexed by year, the whole pathway), None without a pathway."""
    pathway = ctx.pathway
    if pathway is None or pathway.empty:
        return None
    scenario = str(params.get("scenario"))
    rows = pathway[pathway["scenario"] == scenario]
    if rows.empty:
        raise ValueError(f"guidance: scenario {scenario!r} is not in the pathway "
                         f"({', '.join(pathway['scenario'].unique())})")
    return scenario, rows.set_index("year"), pathway


def _lever_labels(pathway: pd.DataFrame) -> dict[str, tuple[str, str]]:
    scenarios = pathway.attrs.get("method", {}).get("scenarios", [])
    return {lv["id"]: (lv["label_th"], lv["label_en"]) for s in scenarios for lv in s["levers"]}


def best_lever(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    found = _scenario_rows(params, ctx)
    if found is None:
        return
    scenario, rows, pathway = found
    target = int(rows.index.max())
    abated = rows.loc[target, [c for c in rows.columns if c.startswith("abated_")]].dropna().astype(float)
    if abated.empty:
        return
    column = str(abated.idxmax())
    lever_id = column[len("abated_"):-len("_t")]
    lever_th, lever_en = _lever_labels(pathway).get(lever_id, (lever_id, lever_id))
    bau = pathway[(pathway["scenario"] == "bau") & (pathway["year"] == target)]["net_t"].iloc[0]
    yield Finding(
        key=f"{scenario}:{lever_id}",
        fields={"scenario_th": rows["label_th"].iloc[0], "scenario_en": rows["label_en"].iloc[0],
                "lever_th": lever_th, "lever_en": lever_en, "abated": number(abated[column]),
                "share": percent(abated[column], bau), "bau_net": number(bau)},
        evidence=[evidence(f"{lever_en} alone, avoided or absorbed in {target}", float(abated[column]), T_CO2E,
                           f"pathway:{scenario}"),
                  evidence(f"net emissions without new measures, {target}", float(bau), T_CO2E, "pathway:bau")])


def net_zero_gap(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    found = _scenario_rows(params, ctx)
    if found is None:
        return
    scenario, rows, _ = found
    target = int(rows.index.max())
    row = rows.loc[target]
    sectors = row[list(SECTOR_COLUMNS)].dropna().astype(float)
    largest = str(sectors.idxmax()).split("_")[1]
    reached = rows.index[rows["net_t"] <= 0]
    source = f"pathway:{scenario}"
    yield Finding(
        key=scenario, template="reached" if len(reached) else "text",
        fields={"scenario_th": row["label_th"], "scenario_en": row["label_en"],
                "gap": number(row["gap_to_net_zero_t"]), "net": number(row["net_t"]),
                "gross": number(row["gross_t"]), "removals": number(row["removals_t"]),
                "largest_sector_th": f"{largest} {ctx.inventory.mapping.sector_label(largest)[0]}",
                "largest_sector_en": f"{largest} {ctx.inventory.mapping.sector_label(largest)[1]}",
                "reached_year": int(reached[0]) if len(reached) else "",
                "reached_year_be": int(reached[0]) + 543 if len(reached) else ""},
        evidence=[evidence(f"gap to net zero, {target}", float(row["gap_to_net_zero_t"]), T_CO2E, source),
                  evidence(f"gross emissions, {target}", float(row["gross_t"]), T_CO2E, source),
                  evidence(f"removals by green areas, {target}", float(row["removals_t"]), T_CO2E, source)])


# ----------------------------------------------------------------------- risk

def risk_hot_spots(params: Mapping[str, Any], ctx: Context) -> Iterator[Finding]:
    labels = {c.value: (c.label_th, c.label_en) for c in RISK_CLASSES}
    least = int(params.get("min_hot_spot_cells", 1))
    for dimension, rows in ctx.risk_summary.items():
        for row in rows:
            if "tambon_code" not in row or "hot_spot_cells" not in row or "risk_class_max" not in row:
                raise ValueError(f"risk summary {dimension!r}: each row needs tambon_code, hot_spot_cells "
                                 "and risk_class_max")
        # hot_spot_cells is empty where the layer computed no cluster statistics
        tested = [r for r in rows if r["hot_spot_cells"] not in (None, "") and r["hot_spot_cells"] == r["hot_spot_cells"]]
        hot = sorted((r for r in tested if int(r["hot_spot_cells"]) >= least),
                     key=lambda r: (-int(r["hot_spot_cells"]), -int(r["risk_class_max"]), str(r["tambon_code"])))
        names = ctx.dimensions.get(dimension, {"th": dimension, "en": dimension})
        for row in hot[:int(params.get("top", 2))]:
            code, cls = str(row["tambon_code"]), int(row["risk_class_max"])
            name_th, name_en = ctx.names.get(code, (row.get("name_th") or code, row.get("name_en") or code))
            source = f"risk:{dimension}"
            yield Finding(
                key=f"{dimension}:{code}", advice_key=dimension, tambon_code=code, dimension=dimension,
                fields={"dimension_th": names["th"], "dimension_en": names["en"], "tambon_code": code,
                        "tambon_th": name_th, "tambon_en": name_en, "cells": f"{int(row['hot_spot_cells']):,}",
                        "risk_class": cls, "risk_label_th": labels[cls][0], "risk_label_en": labels[cls][1]},
                evidence=[evidence(f"hot-spot cells in tambon {code}", int(row["hot_spot_cells"]), "cells", source),
                          evidence(f"highest risk class in tambon {code}", cls, "class (1-5)", source)])


KINDS = {
    "largest_sectors": largest_sectors, "power_plant": power_plant, "largest_tambon": largest_tambon,
    "data_gaps": data_gaps, "best_lever": best_lever, "net_zero_gap": net_zero_gap,
    "risk_hot_spots": risk_hot_spots,
}
#: template fields of each kind (besides the common ones)
FIELDS = {
    "largest_sectors": {"sector", "sector_th", "sector_en", "rank", "emissions", "share", "total"},
    "power_plant": {"i44", "total", "ratio"},
    "largest_tambon": {"tambon_code", "tambon_th", "tambon_en", "value_th", "value_en", "average_th",
                       "average_en", "source_th", "source_en", "source_share"},
    "data_gaps": {"sectors_th", "sectors_en", "keys"},
    "best_lever": {"scenario_th", "scenario_en", "lever_th", "lever_en", "abated", "share", "bau_net"},
    "net_zero_gap": {"scenario_th", "scenario_en", "gap", "net", "gross", "removals", "largest_sector_th",
                     "largest_sector_en", "reached_year", "reached_year_be"},
    "risk_hot_spots": {"dimension_th", "dimension_en", "tambon_code", "tambon_th", "tambon_en", "cells",
                       "risk_class", "risk_label_th", "risk_label_en"},
}
