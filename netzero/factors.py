"""Emission factors and GWP values: data with sources and validity dates, never constants in code.

``emission_factors.csv`` (in ``ckanext/maemoh/data/ghg/``): one row per
factor version, ``factor_id, version, activity_unit, gas, value, unit,
valid_from, valid_to, source, verification``. ``value`` is kg of ``gas`` per
activity unit; ``gas`` is CO2e (the publisher already weighted the gases),
CO2, CH4 or N2O. Validity dates are inclusive; an empty ``valid_from`` or
``valid_to`` leaves that end open. The rows of one factor id must not overlap
(checked on loading). ``verification`` says how far a value is checked:
"checked" (against the publisher), "3rd-party" (as quoted by someone else),
"IPCC default", "assumption".

``gwp.yaml`` (beside this module), read as a frame of :data:`GWP_COLUMNS`:
GWP100 per set and gas, each with its source, verification and the table's
version. CH4 has a row per methane it weights, ``fossil`` and ``non-fossil``,
or a single ``all`` row in a set that gives one value for all methane (never
both, never one half); a CH4 factor takes the methane its activity declares
(:mod:`.gpc`). A factor given in CO2e keeps its publisher's weighting whatever
the GWP set: switching sets changes only factors given per gas.

:class:`FactorSet` remembers which rows it handed out, so :meth:`FactorSet.record`
names the versions and sources actually used.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from ckanext.maemoh.netzero import yamldoc

GHG_DATA = files("ckanext.maemoh") / "data" / "ghg"
GWP_FILE = files("ckanext.maemoh.netzero") / "gwp.yaml"
FACTOR_COLUMNS = ("factor_id", "version", "activity_unit", "gas", "value", "unit",
                  "valid_from", "valid_to", "source", "verification")
GWP_COLUMNS = ("gwp_set", "gas", "methane", "value", "source", "verification", "version")
GASES = ("CO2e", "CO2", "CH4", "N2O")
GWP_GASES = GASES[1:]  # CO2e is weighted already
VERIFICATION = ("checked", "3rd-party", "IPCC default", "assumption")
#: the methane an activity emits (``methane:`` in gpc_activities.yaml)
METHANE = ("fossil", "non-fossil")
#: the GWP table's methane of a set with one CH4 value for all methane
ALL_METHANE = "all"


@dataclasses.dataclass(frozen=True)
class Factor:
    """One row of the factor table: kg of ``gas`` per ``activity_unit``."""

    factor_id: str
    version: str
    activity_unit: str
    gas: str
    value: float
    unit: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    verification: str

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def record(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["valid_from"] = self.valid_from.isoformat() if self.valid_from else None
        out["valid_to"] = self.valid_to.isoformat() if self.valid_to else None
        return out


@dataclasses.dataclass(frozen=True)
class GWP:
    """One row of the GWP table; ``methane`` is empty for gases other than CH4."""

    gas: str
    methane: str
    value: float
    source: str
    verification: str
    version: str

    @property
    def key(self) -> str:
        """``CO2``, ``N2O``, ``CH4-fossil``, ``CH4-non-fossil`` or ``CH4-all``."""
        return f"{self.gas}-{self.methane}" if self.methane else self.gas


class FactorSet:
    """Emission factors and one GWP set; build with :meth:`from_frames`."""

    def __init__(self, factors: tuple[Factor, ...], gwp_set: str, gwp: dict[str, GWP]):
        _check_overlaps(factors)
        self._factors = factors
        self.gwp_set = gwp_set
        self._gwp = gwp
        self._used: dict[tuple[str, str], Factor] = {}
        self._gwp_used: dict[str, GWP] = {}

    @classmethod
    def from_frames(cls, factors_df: pd.DataFrame, gwp_df: pd.DataFrame, gwp_set: str = "ar6") -> FactorSet:
        """Validated factors and the ``gwp_set`` rows of ``gwp_df`` (ValueError naming what is wrong)."""
        _require(factors_df, FACTOR_COLUMNS, "emission factors")
        _require(gwp_df, GWP_COLUMNS, "GWP table")
        factors = tuple(_factor(row) for row in factors_df.to_dict("records"))
        sets = sorted(gwp_df["gwp_set"].astype(str).unique())
        if gwp_set not in sets:
            raise ValueError(f"GWP set {gwp_set!r} is not in the GWP table (sets: {', '.join(sets)})")
        rows = [_gwp(gwp_set, r) for r in gwp_df[gwp_df["gwp_set"].astype(str) == gwp_set].to_dict("records")]
        gwp = {r.key: r for r in rows}
        if len(gwp) < len(rows):
            raise ValueError(f"GWP set {gwp_set}: a gas appears twice")
        methane = sorted(r.methane for r in rows if r.gas == "CH4")
        if methane and methane not in (sorted(METHANE), [ALL_METHANE]):
            raise ValueError(f"GWP set {gwp_set}: give CH4 for fossil and non-fossil methane, or one value for "
                             f"methane {ALL_METHANE!r} if the set has only one (got {methane})")
        needed = {f.gas for f in factors} - {"CO2e"} - {r.gas for r in rows}
        if needed:
            raise ValueError(f"GWP set {gwp_set} has no value for {sorted(needed)}")
        return cls(factors, gwp_set, gwp)

    def factor(self, factor_id: str, on_date: dt.date) -> Factor:
        """The row of ``factor_id`` valid on ``on_date`` (rows never overlap: checked on creation)."""
        rows = [f for f in self._factors if f.factor_id == factor_id]
        if not rows:
            raise ValueError(f"no emission factor {factor_id!r} in the factor table")
        valid = [f for f in rows if f.valid_on(on_date)]
        if not valid:
            periods = "; ".join(f"{f.version}: {f.valid_from or '…'} to {f.valid_to or '…'}" for f in rows)
            raise ValueError(f"no version of emission factor {factor_id!r} is valid on {on_date} ({periods})")
        self._used[(valid[0].factor_id, valid[0].version)] = valid[0]
        return valid[0]

    def gwp(self, gas: str, methane: str | None = None) -> GWP | None:
        """The GWP row weighting ``gas``; CH4 needs its ``methane`` (:data:`METHANE`) and gets that row, or the
        set's one row for all methane. None for CO2e (already weighted by the factor's publisher)."""
        if gas == "CO2e":
            return None
        key = gas
        if gas == "CH4":
            if methane not in METHANE:
                raise ValueError(f"CH4 needs the methane its activity emits: one of {METHANE}, not {methane!r}")
            key = f"CH4-{ALL_METHANE}" if f"CH4-{ALL_METHANE}" in self._gwp else f"CH4-{methane}"
        if key not in self._gwp:
            raise ValueError(f"GWP set {self.gwp_set} has no value for {gas!r}")
        self._gwp_used[key] = self._gwp[key]
        return self._gwp[key]

    def record(self, used: Iterable[tuple[str, str]] | None = None,
               gwp_used: Iterable[str] | None = None) -> dict[str, Any]:
        """Factor and GWP rows used: ``used`` (factor_id, version) pairs and ``gwp_used`` GWP keys, else every
        row looked up so far."""
        if used is None:
            rows = list(self._used.values())
        else:
            by_key = {(f.factor_id, f.version): f for f in self._factors}
            rows = [by_key[key] for key in dict.fromkeys(used)]
        rows.sort(key=lambda f: (f.factor_id, f.version))
        gwp = self._gwp_used if gwp_used is None else {key: self._gwp[key] for key in gwp_used}
        return {
            "factors": [f.record() for f in rows],
            "versions": sorted({f.version for f in rows}),
            "gwp_set": self.gwp_set,
            "gwp": {key: {"value": g.value, "source": g.source, "verification": g.verification,
                          "version": g.version} for key, g in sorted(gwp.items())},
            "note": "factors given in CO2e keep their publisher's GWP weighting",
        }


def _require(df: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lack columns {missing}")


def _date(value: Any, factor_id: str, column: str) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"emission factor {factor_id!r}: {column} {value!r} is not a date (YYYY-MM-DD)") from None


def _factor(row: dict[str, Any]) -> Factor:
    factor_id = str(row["factor_id"])
    if row["gas"] not in GASES:
        raise ValueError(f"emission factor {factor_id!r}: gas {row['gas']!r} is not one of {GASES}")
    if row["verification"] not in VERIFICATION:
        raise ValueError(f"emission factor {factor_id!r}: verification {row['verification']!r} "
                         f"is not one of {VERIFICATION}")
    value = pd.to_numeric(row["value"], errors="coerce")
    if pd.isna(value) or value < 0:
        raise ValueError(f"emission factor {factor_id!r}: value {row['value']!r} is not a non-negative number")
    valid_from = _date(row["valid_from"], factor_id, "valid_from")
    valid_to = _date(row["valid_to"], factor_id, "valid_to")
    if valid_from and valid_to and valid_from > valid_to:
        raise ValueError(f"emission factor {factor_id!r} {row['version']}: valid_from is after valid_to")
    for column in ("version", "activity_unit", "unit", "source"):
        if pd.isna(row[column]) or not str(row[column]).strip():
            raise ValueError(f"emission factor {factor_id!r}: {column} is empty")
    return Factor(factor_id, str(row["version"]), str(row["activity_unit"]), str(row["gas"]), float(value),
                  str(row["unit"]), valid_from, valid_to, str(row["source"]), str(row["verification"]))


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _gwp(gwp_set: str, row: dict[str, Any]) -> GWP:
    gas, methane = _text(row["gas"]), _text(row["methane"])
    where = f"GWP set {gwp_set}, {gas}{'-' + methane if methane else ''}"
    if gas not in GWP_GASES:
        raise ValueError(f"{where}: gas is not one of {GWP_GASES}")
    if gas == "CH4" and methane not in (*METHANE, ALL_METHANE):
        raise ValueError(f"{where}: methane must be one of {(*METHANE, ALL_METHANE)}")
    if gas != "CH4" and methane:
        raise ValueError(f"{where}: methane is for CH4 only")
    value = pd.to_numeric(row["value"], errors="coerce")
    if pd.isna(value) or value <= 0:
        raise ValueError(f"{where}: value {row['value']!r} is not a positive number")
    if _text(row["verification"]) not in VERIFICATION:
        raise ValueError(f"{where}: verification {row['verification']!r} is not one of {VERIFICATION}")
    for column in ("source", "version"):
        if not _text(row[column]):
            raise ValueError(f"{where}: {column} is empty")
    return GWP(gas, methane, float(value), _text(row["source"]), _text(row["verification"]), _text(row["version"]))


def _check_overlaps(factors: tuple[Factor, ...]) -> None:
    low, high = dt.date.min, dt.date.max
    by_id: dict[str, list[Factor]] = {}
    for f in factors:
        by_id.setdefault(f.factor_id, []).append(f)
    for factor_id, rows in by_id.items():
        rows.sort(key=lambda f: f.valid_from or low)
        for a, b in zip(rows, rows[1:]):
            if (b.valid_from or low) <= (a.valid_to or high):
                raise ValueError(f"emission factor {factor_id!r}: versions {a.version} and {b.version} "
                                 "have overlapping validity periods")


# ------------------------------------------------------------------- loading

def read_factors(path: str | Path | None = None) -> pd.DataFrame:
    """The factor table (default: the packaged ``emission_factors.csv``); text columns as strings."""
    return _read(path or GHG_DATA / "emission_factors.csv", {"value": float})


def read_gwp(path: str | Path | None = None) -> pd.DataFrame:
    """The GWP table of the YAML document at ``path`` (default: the packaged ``gwp.yaml``), one row per value."""
    doc = yamldoc.read(path, GWP_FILE)
    yamldoc.require(doc, ("version", "sets"), "GWP table")
    rows = []
    for gwp_set, gases in doc["sets"].items():
        for gas, entry in gases.items():
            for methane, values in (entry.items() if gas == "CH4" else [("", entry)]):
                rows.append({**values, "gwp_set": gwp_set, "gas": gas, "methane": methane,
                             "version": str(doc["version"])})
    return pd.DataFrame(rows, columns=list(GWP_COLUMNS)).fillna("")


def read_sequestration(path: str | Path | None = None) -> pd.DataFrame:
    """Removal factors per land class, t CO2/ha/yr (default: the packaged ``sequestration.csv``)."""
    return _read(path or GHG_DATA / "sequestration.csv", {"value": float})


def read_activities(path: str | Path | None = None) -> pd.DataFrame:
    """An activity table ``year, tambon_code, activity, quantity, unit[, note]`` (default: the demo table)."""
    return _read(path or GHG_DATA / "activity_demo.csv", {"year": int, "quantity": float})


def load_factor_set(gwp_set: str = "ar6") -> FactorSet:
    """The packaged factor and GWP tables as a :class:`FactorSet`."""
    return FactorSet.from_frames(read_factors(), read_gwp(), gwp_set)


def _read(path: Any, numeric: dict[str, type]) -> pd.DataFrame:
    with open(str(path), encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    for column, kind in numeric.items():
        if column not in df.columns:
            continue
        values = pd.to_numeric(df[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            raise ValueError(f"{Path(str(path)).name}: column {column!r} is not numeric in data rows "
                             f"{[i + 1 for i in bad[bad].index]}")
        df[column] = values.astype(kind)
    return df
