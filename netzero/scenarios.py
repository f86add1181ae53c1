"""Levers and scenarios of the pathway, loaded from ``scenarios.yaml`` and validated.

A lever's effect ramps linearly: 0 in ``start_year``, ``share`` in
``full_year`` and after (:meth:`Lever.ramp`). Green-area levers add
``ha_per_year`` every year from ``start_year`` to ``full_year``, both included
(:meth:`Lever.added_ha`). The YAML file documents every parameter and its basis.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from ckanext.maemoh.netzero import yamldoc

SCENARIOS_FILE = files("ckanext.maemoh.netzero") / "scenarios.yaml"
BAU = "bau"
KINDS = ("reduce", "electrify", "green_area")


def _matches(ref: str, prefix: str) -> bool:
    return ref == prefix or ref.startswith(prefix + ".")


@dataclasses.dataclass(frozen=True)
class Lever:
    """One measure and its documented parameters (see ``scenarios.yaml`` for the kinds)."""

    id: str
    kind: str
    label_th: str
    label_en: str
    basis: str
    start_year: int
    full_year: int
    share: float = 0.0
    gpc: tuple[str, ...] = ()
    factor_ids: tuple[str, ...] = ()
    kwh_per_unit: float = 0.0
    grid_factor_id: str = "grid-electricity"
    electricity_gpc: str = ""
    land_class: str = ""
    ha_per_year: float = 0.0

    def __post_init__(self) -> None:
        where = f"lever {self.id!r}"
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind must be one of {KINDS}")
        if not (self.label_th and self.label_en and self.basis):
            raise ValueError(f"{where}: label_th, label_en and basis are required")
        if int(self.full_year) <= int(self.start_year):
            raise ValueError(f"{where}: full_year must be after start_year")
        if not 0.0 <= float(self.share) <= 1.0:
            raise ValueError(f"{where}: share must be in [0, 1]")
        if self.kind != "green_area" and not (self.gpc or self.factor_ids):
            raise ValueError(f"{where}: select lines with gpc prefixes and/or factor_ids")
        if self.kind == "electrify" and (self.kwh_per_unit <= 0 or not self.electricity_gpc):
            raise ValueError(f"{where}: electrify needs kwh_per_unit > 0 and electricity_gpc")
        if self.kind == "green_area" and (not self.land_class or self.ha_per_year < 0):
            raise ValueError(f"{where}: green_area needs a land_class and ha_per_year >= 0")

    def ramp(self, years: np.ndarray) -> np.ndarray:
        """The share in force each year: 0 in start_year, rising linearly to ``share`` in full_year."""
        progress = (np.asarray(years, dtype=float) - self.start_year) / (self.full_year - self.start_year)
        return self.share * np.clip(progress, 0.0, 1.0)

    def added_ha(self, years: np.ndarray) -> np.ndarray:
        """Hectares added by each year's end (green_area levers)."""
        planted_years = np.minimum(np.asarray(years), self.full_year) - self.start_year + 1
        return self.ha_per_year * np.clip(planted_years, 0, None).astype(float)

    def selects(self, gpc_ref: str, factor_id: str | None) -> bool:
        """Whether a line is acted on: it matches a gpc prefix (if any) and a factor id (if any)."""
        if self.kind == "green_area":
            return False
        by_gpc = not self.gpc or any(_matches(gpc_ref, p) for p in self.gpc)
        return by_gpc and (not self.factor_ids or factor_id in self.factor_ids)


@dataclasses.dataclass(frozen=True)
class Scenario:
    id: str
    label_th: str
    label_en: str
    levers: tuple[Lever, ...] = ()


@dataclasses.dataclass(frozen=True)
class Scenarios:
    """BAU growth rates, the lever catalogue and the scenarios of one ``scenarios.yaml`` version."""

    version: str
    target_year: int
    growth: Mapping[str, float]
    growth_basis: Mapping[str, str]
    levers: Mapping[str, Lever]
    scenarios: tuple[Scenario, ...]

    def growth_rate(self, gpc_ref: str) -> float:
        """BAU annual growth of a line: the rate of the longest matching GPC prefix."""
        keys = [k for k in self.growth if _matches(gpc_ref, k)]
        if not keys:
            raise ValueError(f"no BAU growth rate covers {gpc_ref} (rates for: {', '.join(self.growth)})")
        return self.growth[max(keys, key=len)]

    def bau(self) -> Scenario:
        return Scenario(BAU, "ดำเนินการตามปกติ (ไม่มีมาตรการเพิ่ม)", "Business as usual (no new measures)")


def load_scenarios(path: str | Path | None = None) -> Scenarios:
    """The scenarios of ``path`` (default: the packaged ``scenarios.yaml``)."""
    return parse_scenarios(yamldoc.read(path, SCENARIOS_FILE))


def parse_scenarios(doc: Mapping[str, Any]) -> Scenarios:
    """Validated :class:`Scenarios` from the parsed YAML document."""
    yamldoc.require(doc, ("version", "target_year", "growth", "levers", "scenarios"), "scenarios file")
    levers = {lever_id: _lever(lever_id, entry) for lever_id, entry in doc["levers"].items()}
    scenarios = tuple(_scenario(entry, levers) for entry in doc["scenarios"])
    ids = [s.id for s in scenarios]
    if BAU in ids or len(set(ids)) != len(ids):
        raise ValueError(f"scenario ids must be unique and not {BAU!r}: {ids}")
    growth = {str(k): float(v["rate"]) for k, v in doc["growth"].items()}
    return Scenarios(str(doc["version"]), int(doc["target_year"]), growth,
                     {str(k): str(v.get("basis", "")) for k, v in doc["growth"].items()}, levers, scenarios)


def _lever(lever_id: str, entry: Mapping[str, Any]) -> Lever:
    fields = {f.name for f in dataclasses.fields(Lever)}
    unknown = set(entry) - fields
    if unknown:
        raise ValueError(f"lever {lever_id!r}: unknown parameters {sorted(unknown)}")
    values = dict(entry, id=lever_id)
    for key in ("gpc", "factor_ids"):
        values[key] = tuple(values.get(key, ()))
    return Lever(**values)


def _scenario(entry: Mapping[str, Any], levers: Mapping[str, Lever]) -> Scenario:
    chosen = []
    for item in entry.get("levers", ()):
        overrides = dict(item) if isinstance(item, Mapping) else {"lever": item}
        lever_id = overrides.pop("lever")
        if lever_id not in levers:
            raise ValueError(f"scenario {entry.get('id')!r}: unknown lever {lever_id!r}")
        base = dataclasses.asdict(levers[lever_id])
        chosen.append(_lever(lever_id, {**{k: v for k, v in base.items() if k != "id"}, **overrides}))
    if not (entry.get("id") and entry.get("label_th") and entry.get("label_en")):
        raise ValueError(f"scenario {entry!r}: id, label_th and label_en are required")
    return Scenario(str(entry["id"]), entry["label_th"], entry["label_en"], tuple(chosen))
