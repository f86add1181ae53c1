"""Exposure, vulnerability and the composite risk index per grid cell.

INFORM-style: risk = geometric mean of three components on 0–1
(hazard, exposure, vulnerability), so a cell with any component 0 has risk 0.
Every component is put on 0–1 against a fixed reference, never against the
range of the run: the hazard by its dimension's scale (:mod:`.scales`),
exposure by :data:`EXPOSURE_REFERENCE_PER_KM2`, so a class means the same
today and next month, here and in another district.
Pure functions on pandas / geopandas objects; nothing here imports ``ckan``.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ckanext.maemoh.risk_jobs import scales
from ckanext.maemoh.risk_jobs.hazards import cell_index, check_cells, cell_area_km2, geodesic_area_km2

log = logging.getLogger(__name__)

#: a tambon's shares must add up to 1 within this (else a warning is recorded)
SHARE_TOLERANCE = 1e-6
#: the population density (people/km²) whose exposure is 1: a dense town centre;
#: exposure = log10(1 + density) / log10(1 + reference), at most 1 (declared by the platform)
EXPOSURE_REFERENCE_PER_KM2 = 10_000.0


@dataclasses.dataclass(frozen=True)
class RiskClass:
    """One class of the composite index: ``lower < risk <= upper`` (class 1 from 0 included)."""

    value: int
    lower: float
    upper: float
    label_th: str
    label_en: str
    colour: str
    #: text on ``colour`` (badges, map labels): the one of black and white with
    #: the higher WCAG contrast, at least 4.5:1 (tests/test_contrast.py)
    text_colour: str = "#000000"

    @property
    def label(self) -> str:
        return f"{self.label_th} / {self.label_en}"


#: Equal intervals on 0–1 (not quantiles: classes keep their meaning between runs
#: and districts, and a district where all risk is low shows as low). Colours:
#: ColorBrewer YlOrRd, 5 classes, sequential and marked colour-blind safe; text
#: on them black (contrast 20.2, 14.0, 9.1, 5.4) and white on "very high" (6.6).
RISK_CLASSES: tuple[RiskClass, ...] = (
    RiskClass(1, 0.0, 0.2, "ต่ำมาก", "Very low", "#ffffb2", "#000000"),
    RiskClass(2, 0.2, 0.4, "ต่ำ", "Low", "#fecc5c", "#000000"),
    RiskClass(3, 0.4, 0.6, "ปานกลาง", "Moderate", "#fd8d3c", "#000000"),
    RiskClass(4, 0.6, 0.8, "สูง", "High", "#f03b20", "#000000"),
    RiskClass(5, 0.8, 1.0, "สูงมาก", "Very high", "#bd0026", "#ffffff"),
)
#: the classes by number (1-5)
RISK_CLASS_BY_VALUE: dict[int, RiskClass] = {c.value: c for c in RISK_CLASSES}
NO_DATA_LABEL_TH = "ไม่มีข้อมูล"
NO_DATA_LABEL_EN = "No data"
NO_DATA_COLOUR = "#d9d9d9"
NO_DATA_TEXT_COLOUR = "#000000"


@dataclasses.dataclass(frozen=True)
class Component:
    """A 0–1 component per cell (``values``, indexed by cell_id) with its notes."""

    name: str
    values: pd.Series
    method: str
    notes: tuple[str, ...] = ()
    table: pd.DataFrame | None = None


@dataclasses.dataclass(frozen=True)
class CompositeResult:
    """Per-cell table (components, ``risk``, ``risk_class``, labels, colour) and notes."""

    table: pd.DataFrame
    notes: tuple[str, ...] = ()


def exposure_index(density: pd.Series) -> pd.Series:
    """Population density (people/km²) on 0–1 against :data:`EXPOSURE_REFERENCE_PER_KM2`
    (logarithmic: 10/km² is 0.26, 100/km² 0.50, 1 000/km² 0.75)."""
    d = pd.to_numeric(density, errors="coerce").astype(float)
    if (d < 0).any():
        raise ValueError("population density cannot be negative")
    return (np.log10(1.0 + d) / np.log10(1.0 + EXPOSURE_REFERENCE_PER_KM2)).clip(upper=1.0)


def area_shares(cells: gpd.GeoDataFrame, tambons: gpd.GeoDataFrame) -> pd.DataFrame:
    """``cell_id, tambon_code, share``: the share of each TAMBON's area in each cell.

    Areas are geodesic (WGS84). Pieces with no area (cells touching a tambon
    only along an edge) are left out.
    """
    check_cells(cells)
    c = gpd.GeoDataFrame({"cell_id": cell_index(cells)}, geometry=cells.geometry.to_crs("EPSG:4326").values,
                         crs="EPSG:4326")
    t = gpd.GeoDataFrame({"tambon_code": tambons["tambon_code"].astype(str).to_numpy()},
                         geometry=tambons.geometry.to_crs("EPSG:4326").values, crs="EPSG:4326")
    pieces = gpd.overlay(c, t, how="intersection", keep_geom_type=True)
    pieces["area"] = geodesic_area_km2(pieces.geometry)
    t_area = pd.Series(geodesic_area_km2(t.geometry), index=t["tambon_code"]).groupby(level=0).sum()
    pieces = pieces[pieces["area"] > 0]
    pieces["share"] = pieces["area"] / pieces["tambon_code"].map(t_area).to_numpy()
    return pieces[["cell_id", "tambon_code", "share"]].reset_index(drop=True)


def exposure(cells: gpd.GeoDataFrame, population: pd.DataFrame, shares: pd.DataFrame) -> Component:
    """Registered population spread over cells by area share, per km², normalised.

    ``population``: ``tambon_code, population``. ``shares``: ``cell_id,
    tambon_code, share`` (share of the tambon's area in the cell, see
    :func:`area_shares` — not the ``share`` of ``grid.hex_grid``, which is
    the share of the cell's area). population_cell = Σ population_tambon × share;
    density = population_cell / cell area (km², geodesic); ``values`` =
    :func:`exposure_index` (density). ``table`` has ``population``, ``area_km2`` and
    ``density_per_km2``. This assumes people are spread evenly within a tambon
    (areal weighting, no dasymetric refinement) — stated in ``notes``.
    """
    check_cells(cells)
    index = cell_index(cells)
    pop = population.assign(tambon_code=population["tambon_code"].astype(str))
    pop = pop.groupby("tambon_code")["population"].sum()
    sh = shares.assign(cell_id=shares["cell_id"].astype(str), tambon_code=shares["tambon_code"].astype(str))
    unknown = set(sh["cell_id"]) - set(index)
    if unknown:
        raise ValueError(f"shares name cells not in the grid: {sorted(unknown)[:5]}")

    notes = ["registered population spread over cells by area share (areal weighting)"]
    sums = sh.groupby("tambon_code")["share"].sum()
    for code in pop.index:
        total = float(sums.get(code, 0.0))
        if abs(total - 1.0) > SHARE_TOLERANCE:
            msg = f"tambon {code}: shares add up to {total:.6f}, not 1; its population is not fully placed"
            log.warning(msg)
            notes.append(msg)

    sh["people"] = sh["share"] * sh["tambon_code"].map(pop).fillna(0.0)
    people = sh.groupby("cell_id")["people"].sum().reindex(index, fill_value=0.0)
    area = cell_area_km2(cells)
    table = pd.DataFrame({"population": people.to_numpy(dtype=float), "area_km2": area.to_numpy()}, index=index)
    table["density_per_km2"] = table["population"] / table["area_km2"]
    values = exposure_index(table["density_per_km2"]).rename("exposure")
    method = (f"population density per km² on a fixed logarithmic scale: log10(1 + density) / "
              f"log10(1 + {EXPOSURE_REFERENCE_PER_KM2:,.0f})")
    return Component("exposure", values, method, tuple(notes), table)


def vulnerability(cells: gpd.GeoDataFrame, table: pd.DataFrame | None = None) -> Component:
    """Vulnerability per cell, 0–1.

    ``table``: a ``vulnerability`` column (values already on 0–1) keyed by
    ``cell_id`` or by ``tambon_code`` (then ``cells`` need ``tambon_code``).
    Without a table every cell gets 1.0 — equal weights — and ``method`` and
    ``notes`` say "equal weights". Cells the table does not cover are NaN.
    """
    check_cells(cells)
    index = cell_index(cells)
    if table is None:
        values = pd.Series(1.0, index=index, name="vulnerability")
        return Component("vulnerability", values, "equal weights",
                         ("equal weights: no vulnerability table, 1.0 for every cell",))
    if "vulnerability" not in table.columns:
        raise ValueError("vulnerability table needs a 'vulnerability' column")
    v = pd.to_numeric(table["vulnerability"], errors="coerce")
    if ((v < 0) | (v > 1)).any():
        raise ValueError("vulnerability values must lie in 0–1")
    if "cell_id" in table.columns:
        lookup = pd.Series(v.to_numpy(), index=table["cell_id"].astype(str))
        values = lookup.reindex(index)
        method = "table by cell"
    elif "tambon_code" in table.columns:
        if "tambon_code" not in cells.columns:
            raise ValueError("a table by tambon needs cells with a 'tambon_code' column")
        lookup = pd.Series(v.to_numpy(), index=table["tambon_code"].astype(str))
        values = pd.Series(cells["tambon_code"].astype(str).map(lookup).to_numpy(), index=index)
        method = "table by tambon"
    else:
        raise ValueError("vulnerability table needs a 'cell_id' or 'tambon_code' column")
    return Component("vulnerability", values.astype(float).rename("vulnerability"), method)


def classify(risk: pd.Series) -> pd.Series:
    """Class number (Int64, :data:`RISK_CLASSES`) per risk on 0–1 by the fixed
    :data:`.scales.RISK_INDEX` breaks (upper bounds inclusive); NaN -> <NA>."""
    v = pd.to_numeric(risk, errors="coerce").astype(float)
    if ((v < 0) | (v > 1)).any():
        raise ValueError("risk values outside 0–1")
    return scales.RISK_INDEX.level(v)


def _component_values(x: Any, name: str) -> tuple[pd.Series, tuple[str, ...]]:
    if isinstance(x, Component):
        return x.values, x.notes
    if isinstance(x, pd.Series):
        return x, ()
    raise TypeError(f"{name}: expected a Series or Component")


def composite_risk(hazard: Any, exposure: Any, vulnerability: Any) -> CompositeResult:
    """Geometric mean of hazard, exposure and vulnerability, each on 0–1, classed 1–5.

    ``hazard`` is the dimension's level on its fixed scale put on 0–1
    (:meth:`.scales.Scale.normalised`); ``exposure`` and ``vulnerability``
    (Series or Component) are on 0–1 too and used as they are. Cells are
    aligned on cell_id (the hazard's order). risk = (h·e·v)^(1/3): any
    component 0 -> 0, any NaN -> NaN (class <NA>, shown as "no data").
    Classes: :data:`RISK_CLASSES`.
    """
    h, h_notes = _component_values(hazard, "hazard")
    e, e_notes = _component_values(exposure, "exposure")
    v, v_notes = _component_values(vulnerability, "vulnerability")
    notes = list(h_notes) + list(e_notes) + list(v_notes)
    for name, s in (("hazard", h), ("exposure", e), ("vulnerability", v)):
        if ((s < 0) | (s > 1)).any():
            raise ValueError(f"{name} must be on 0–1")
    index = h.index
    table = pd.DataFrame({
        "hazard_n": h.astype(float),
        "exposure_n": e.reindex(index).astype(float),
        "vulnerability_n": v.reindex(index).astype(float),
    }, index=index)
    product = table[["hazard_n", "exposure_n", "vulnerability_n"]].prod(axis=1, skipna=False)
    table["risk"] = np.cbrt(product)
    table["risk_class"] = classify(table["risk"])
    cls = table["risk_class"]
    table["label_th"] = [RISK_CLASS_BY_VALUE[int(k)].label_th if pd.notna(k) else NO_DATA_LABEL_TH for k in cls]
    table["label_en"] = [RISK_CLASS_BY_VALUE[int(k)].label_en if pd.notna(k) else NO_DATA_LABEL_EN for k in cls]
    table["colour"] = [RISK_CLASS_BY_VALUE[int(k)].colour if pd.notna(k) else NO_DATA_COLOUR for k in cls]
    return CompositeResult(table, tuple(dict.fromkeys(notes)))
