"""The pathway: BAU and scenario emissions each year from the inventory's year to 2050.

* Projected: the inventory's BASIC+ lines (I.4.4 and other "reported" lines
  are not the district's own emissions and are left out). BAU: each line
  grows at the rate of its longest matching GPC prefix in ``scenarios.yaml``,
  ``e(t) = e(base) × (1 + rate) ** (t − base)``; emission factors stay at the
  baseline year's values.
* Levers (:mod:`.scenarios`) act line by line: reduce and electrify levers
  multiply a line by ``1 − share(t)``; electrify adds the replacing grid
  electricity as a new line; green-area levers add hectares. Sums use
  ``math.fsum``, so a scenario without levers (or with levers of zero effect)
  equals BAU exactly.
* Removals: hectares per land class (the inventory's green areas plus what
  levers add) × the class's per-hectare rate from ``sequestration.csv``
  (t CO2/ha/yr, with source and verification). Net = gross − removals;
  ``gap_to_net_zero_t`` = max(net, 0).
* ``abated_<lever>_t``: what one lever alone would avoid or remove that year
  against BAU (NaN when the scenario lacks the lever). Levers interact (two cuts
  of one line overlap; renewables also clean the electric vehicles' power), so
  these do not add up exactly to the scenario's whole effect.
* ``pathway.attrs["method"]``: growth rates, lever parameters, removal factors
  used and the labels of scenarios and levers.

:class:`Lever`, :class:`Scenario`, :class:`Scenarios` and :func:`load_scenarios`
live in :mod:`.scenarios` and are re-exported here.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ckanext.maemoh.netzero.gpc import SECTORS
from ckanext.maemoh.netzero.inventory import Inventory
from ckanext.maemoh.netzero.scenarios import Lever, Scenario, Scenarios, load_scenarios
from ckanext.maemoh.writers.values import json_safe

__all__ = ["Lever", "Scenario", "Scenarios", "SECTOR_COLUMNS", "VALUE_COLUMNS", "load_scenarios", "project"]
SECTOR_COLUMNS = tuple(f"sector_{s}_t" for s in SECTORS)
VALUE_COLUMNS = SECTOR_COLUMNS + ("gross_t", "removals_t", "net_t", "gap_to_net_zero_t")


@dataclasses.dataclass(frozen=True)
class _Lines:
    """The projected lines: BAU emissions and quantities, years in rows."""

    years: np.ndarray
    sector: tuple[str, ...]
    gpc_ref: tuple[str, ...]
    factor_id: tuple[str | None, ...]
    emissions: np.ndarray   # (years, lines), t CO2e
    quantity: np.ndarray    # (years, lines), activity units
    factor_values: Mapping[str, float]  # factor_id -> value the inventory used


def project(inventory: Inventory, scenarios: Scenarios, sequestration_df: pd.DataFrame,
            green_area_ha_by_class: Mapping[str, float], to_year: int = 2050) -> pd.DataFrame:
    """One row per scenario (BAU first) and year, ``inventory.year`` .. ``to_year``: :data:`VALUE_COLUMNS`."""
    if int(to_year) <= inventory.year:
        raise ValueError(f"to_year {to_year} must be after the baseline year {inventory.year}")
    lines = _baseline(inventory, scenarios, np.arange(inventory.year, int(to_year) + 1))
    rates = _removal_rates(sequestration_df)
    area = {str(k): float(v) for k, v in green_area_ha_by_class.items()}
    for land_class in list(area) + [lv.land_class for s in scenarios.scenarios for lv in s.levers
                                    if lv.kind == "green_area"]:
        if land_class not in rates:
            raise ValueError(f"land class {land_class!r} has no sequestration rate (classes: {sorted(rates)})")
    bau = _run(lines, (), area, rates)
    frames = [_frame(scenarios.bau(), lines.years, bau, {})]
    for scenario in scenarios.scenarios:
        values = _run(lines, scenario.levers, area, rates)
        abated = {lv.id: bau["net_t"] - _run(lines, (lv,), area, rates)["net_t"] for lv in scenario.levers}
        frames.append(_frame(scenario, lines.years, values, abated))
    table = pd.concat(frames, ignore_index=True)
    abated_columns = sorted(c for c in table.columns if c.startswith("abated_"))
    table = table[["year", "scenario", "label_th", "label_en", *VALUE_COLUMNS, *abated_columns]]
    table.attrs["method"] = _method(inventory, scenarios, sequestration_df, area, int(to_year))
    return table


def _baseline(inventory: Inventory, scenarios: Scenarios, years: np.ndarray) -> _Lines:
    lines = inventory.emission_lines
    used = lines.dropna(subset=["factor_id"]).drop_duplicates("factor_id").set_index("factor_id")["factor_value"]
    lines = lines[lines["level"].isin(["BASIC", "BASIC+"])]
    if lines.empty:
        raise ValueError(f"the {inventory.year} inventory has no BASIC+ emissions to project")
    rate = np.array([scenarios.growth_rate(r) for r in lines["gpc_ref"]])
    growth = (1.0 + rate)[None, :] ** (years - inventory.year)[:, None]
    return _Lines(years, tuple(lines["sector"]), tuple(lines["gpc_ref"]), tuple(lines["factor_id"]),
                  lines["emissions_t_co2e"].to_numpy(dtype=float)[None, :] * growth,
                  lines["quantity"].to_numpy(dtype=float)[None, :] * growth, used.to_dict())


def _run(lines: _Lines, levers: Sequence[Lever], area: Mapping[str, float],
         rates: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Sector, gross, removal, net and gap series of one set of levers."""
    emissions = [lines.emissions[:, i] for i in range(len(lines.sector))]
    sector, gpc, factor = list(lines.sector), list(lines.gpc_ref), list(lines.factor_id)
    for lever in (lv for lv in levers if lv.kind == "electrify"):
        if lever.grid_factor_id not in lines.factor_values:
            raise ValueError(f"lever {lever.id!r} needs factor {lever.grid_factor_id!r}, "
                             "which the inventory did not use")
        share = lever.ramp(lines.years)
        for i in [i for i in range(len(lines.sector)) if lever.selects(gpc[i], factor[i])]:
            kwh = lines.quantity[:, i] * share * lever.kwh_per_unit
            emissions.append(kwh * lines.factor_values[lever.grid_factor_id] / 1000.0)
            sector.append(sector[i])
            gpc.append(lever.electricity_gpc)
            factor.append(lever.grid_factor_id)
    original = len(lines.sector)
    for lever in (lv for lv in levers if lv.kind in ("reduce", "electrify")):
        keep = 1.0 - lever.ramp(lines.years)
        for i in range(len(emissions)):  # added electricity: reduce levers (e.g. renewables) act on it
            if lever.selects(gpc[i], factor[i]) and (i < original or lever.kind == "reduce"):
                emissions[i] = emissions[i] * keep
    out: dict[str, np.ndarray] = {}
    for s, column in zip(SECTORS, SECTOR_COLUMNS):
        members = [e for e, sec in zip(emissions, sector) if sec == s]
        out[column] = _fsum(members, len(lines.years)) if members else np.full(len(lines.years), np.nan)
    out["gross_t"] = _fsum(emissions, len(lines.years))
    hectares = {c: np.full(len(lines.years), ha) for c, ha in area.items()}
    for lever in (lv for lv in levers if lv.kind == "green_area"):
        hectares[lever.land_class] = hectares.get(lever.land_class, 0.0) + lever.added_ha(lines.years)
    out["removals_t"] = _fsum([ha * rates[c] for c, ha in hectares.items()], len(lines.years))
    out["net_t"] = out["gross_t"] - out["removals_t"]
    out["gap_to_net_zero_t"] = np.maximum(out["net_t"], 0.0)
    return out


def _fsum(series: Sequence[np.ndarray], n: int) -> np.ndarray:
    return np.array([math.fsum(float(s[t]) for s in series) for t in range(n)])


def _frame(scenario: Scenario, years: np.ndarray, values: dict[str, np.ndarray],
           abated: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame({"year": years.astype(int), "scenario": scenario.id,
                          "label_th": scenario.label_th, "label_en": scenario.label_en, **values})
    for lever_id, series in abated.items():
        frame[f"abated_{lever_id}_t"] = series
    return frame


def _removal_rates(sequestration_df: pd.DataFrame) -> dict[str, float]:
    missing = {"land_class", "value", "unit", "source", "verification"} - set(sequestration_df.columns)
    if missing:
        raise ValueError(f"the sequestration table lacks columns {sorted(missing)}")
    if set(sequestration_df["unit"]) != {"tCO2/ha/yr"}:
        raise ValueError("sequestration values must be in tCO2/ha/yr")
    if sequestration_df["land_class"].duplicated().any():
        raise ValueError("a land class appears twice in the sequestration table")
    return dict(zip(sequestration_df["land_class"].astype(str), sequestration_df["value"].astype(float)))


def _method(inventory: Inventory, scenarios: Scenarios, sequestration_df: pd.DataFrame,
            area: Mapping[str, float], to_year: int) -> dict:
    used = set(area) | {lv.land_class for s in scenarios.scenarios for lv in s.levers if lv.kind == "green_area"}
    removal = sequestration_df[sequestration_df["land_class"].isin(used)]
    return json_safe({
        "baseline_year": inventory.year,
        "to_year": to_year,
        "scenarios_version": scenarios.version,
        "covers": "BASIC+ lines of the inventory; I.4.4 and other reported-only lines left out",
        "growth": {k: {"rate": v, "basis": scenarios.growth_basis.get(k, "")} for k, v in scenarios.growth.items()},
        "green_area_ha": dict(area),
        "removal_factors": removal.to_dict("records"),
        "scenarios": [{"id": s.id, "label_th": s.label_th, "label_en": s.label_en,
                       "levers": [dataclasses.asdict(lv) for lv in s.levers]}
                      for s in (scenarios.bau(), *scenarios.scenarios)],
        "notes": [
            "emission factors held at the baseline year's values",
            "levers on the same line combine multiplicatively",
            "abated_<lever>_t: the lever alone against BAU; levers interact, so these do not add up "
            "exactly to the scenario's effect",
            "removals: Tier 1 gains per hectare, losses from fire, harvest and conversion not deducted",
        ],
    })
