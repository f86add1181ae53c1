"""The district greenhouse-gas inventory of one year, following the GPC.

* One line per activity row: ``emissions_t_co2e = quantity × factor × GWP / 1000``
  (factor in kg of gas per activity unit; GWP 1 for factors given in CO2e).
  CH4 takes the GWP of the methane its activity emits (fossil or non-fossil,
  :mod:`.gpc`). ``gwp_set`` and ``gwp_gas`` name the GWP row used
  (``CH4-fossil``, ...; ``gwp_gas`` empty for factors in CO2e);
  :meth:`Inventory.record` lists the CH4 rows per activity.
* The factor is the version in force on 1 July of the inventory year (the
  middle of the year): a factor that changes on 1 January applies to the
  whole year it starts.
* Every row's ``tambon_code`` is one of the district's tambons
  (:func:`tambon_codes`) or ``district`` (not allocated to a tambon); any
  other is a ValueError naming its rows.
* Quantities in another unit are converted only by the exact conversions of
  :data:`UNIT_CONVERSIONS`; any other unit, and any unknown activity code, is
  a ValueError naming it — nothing is dropped silently.
* Totals: BASIC and BASIC+ by each reference's level (:mod:`.gpc`). I.4.4,
  the power plant's generation supplied to the grid, is in neither: it is
  :attr:`Inventory.i44_t`, reported on its own.
* A GPC reference without activity data is a line with a notation key (NE,
  NO or IE, from the catalogue) and no number — never a zero. A total
  without any line is NaN for the same reason.
* Memo activities (no factor: the plant's generation, green areas) are kept in
  :attr:`Inventory.memo` with their quantities.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from importlib.resources import files
from typing import Any

import pandas as pd

from ckanext.maemoh.netzero.factors import FactorSet
from ckanext.maemoh.netzero.gpc import SECTORS, GPCMapping, load_mapping
from ckanext.maemoh.writers.values import json_safe

ACTIVITY_COLUMNS = ("year", "tambon_code", "activity", "quantity", "unit")
LINE_COLUMNS = ("gpc_ref", "sector", "scope", "level", "tambon_code", "activity", "quantity", "unit",
                "factor_id", "factor_version", "factor_value", "gas", "gwp_set", "gwp_gas", "gwp", "emissions_t_co2e",
                "notation_key")
MEMO_COLUMNS = ("gpc_ref", "tambon_code", "activity", "quantity", "unit", "land_class")
DISTRICT = "district"
#: the packaged tambon boundaries, whose ``tambon_code`` properties are the valid codes
TAMBONS_FILE = files("ckanext.maemoh") / "data" / "maemoh_tambons.geojson"
#: (given unit, unit of the factor) -> multiplier; exact by definition
UNIT_CONVERSIONS = {
    ("MWh", "kWh"): 1e3, ("GWh", "kWh"): 1e6, ("t", "kg"): 1e3, ("kg", "t"): 1e-3,
    ("kL", "L"): 1e3, ("m3", "L"): 1e3, ("GJ", "MJ"): 1e3, ("rai", "ha"): 0.16,
}
FACTOR_MONTH_DAY = (7, 1)


@dataclasses.dataclass(frozen=True)
class Inventory:
    """One year's inventory: :data:`LINE_COLUMNS` lines (notation lines included), memo items, record."""

    year: int
    lines: pd.DataFrame
    memo: pd.DataFrame
    mapping: GPCMapping
    factor_record: dict

    @property
    def emission_lines(self) -> pd.DataFrame:
        """The lines with a number (without the notation-key lines)."""
        return self.lines[self.lines["notation_key"].isna()]

    @property
    def notation(self) -> pd.DataFrame:
        """GPC references without data: ``gpc_ref, sector, scope, level, notation_key, label_*, reason_*``."""
        rows = self.lines[self.lines["notation_key"].notna()]
        refs = [self.mapping.references[r] for r in rows["gpc_ref"]]
        return pd.DataFrame({
            "gpc_ref": rows["gpc_ref"].to_numpy(), "sector": rows["sector"].to_numpy(),
            "scope": rows["scope"].to_numpy(), "level": rows["level"].to_numpy(),
            "notation_key": rows["notation_key"].to_numpy(),
            "label_th": [r.label_th for r in refs], "label_en": [r.label_en for r in refs],
            "reason_th": [r.reason_th for r in refs], "reason_en": [r.reason_en for r in refs],
        })

    @property
    def basic_t(self) -> float:
        return _total(self.emission_lines, self.emission_lines["level"] == "BASIC")

    @property
    def basic_plus_t(self) -> float:
        return _total(self.emission_lines, self.emission_lines["level"].isin(["BASIC", "BASIC+"]))

    @property
    def i44_t(self) -> float:
        """The power plant's generation supplied to the grid (I.4.4): in neither BASIC nor BASIC+."""
        return _total(self.emission_lines, self.emission_lines["gpc_ref"] == "I.4.4")

    def by_sector(self) -> pd.DataFrame:
        """Per GPC sector (I..V): labels, ``basic_t, basic_plus_t, i44_t, total_t``, notation keys when no data."""
        table = _totals(self.emission_lines, "sector").reindex(list(SECTORS))
        table.insert(0, "label_th", [self.mapping.sector_label(s)[0] for s in SECTORS])
        table.insert(1, "label_en", [self.mapping.sector_label(s)[1] for s in SECTORS])
        notation = self.lines[self.lines["notation_key"].notna()].groupby("sector")["notation_key"]
        keys = notation.agg(lambda s: ", ".join(sorted(set(s))))
        table["notation"] = [keys.get(s, "") if pd.isna(table.at[s, "total_t"]) else "" for s in SECTORS]
        return table

    def by_tambon(self) -> pd.DataFrame:
        """Per tambon code (``district``: rows not allocated to a tambon, last): the four totals."""
        table = _totals(self.emission_lines, "tambon_code")
        order = sorted(table.index, key=lambda code: (code == DISTRICT, code))
        return table.reindex(order)

    def green_area_ha(self) -> dict[str, float]:
        """Hectares per land class from the memo items (input to the pathway's removals)."""
        land = self.memo[self.memo["land_class"].notna()]
        return {str(k): float(v) for k, v in land.groupby("land_class")["quantity"].sum().items()}

    def record(self) -> dict[str, Any]:
        """What the inventory used and how: factor versions and sources, GWP set, totals, notation keys."""
        return json_safe({
            "standard": "GPC (Global Protocol for Community-Scale Greenhouse Gas Inventories)",
            "year": self.year,
            "factor_date": factor_date(self.year).isoformat(),
            "mapping_version": self.mapping.version,
            **self.factor_record,
            "ch4_gwp_by_activity": self._ch4_gwp(),
            "totals_t_co2e": {"basic": self.basic_t, "basic_plus": self.basic_plus_t,
                              "i44_reported_separately": self.i44_t},
            "notation": dict(zip(self.notation["gpc_ref"], self.notation["notation_key"])),
            "memo": self.memo.to_dict("records"),
            "conventions": [
                "emissions_t_co2e = quantity x factor (kg of gas per unit) x GWP100 / 1000",
                "CH4 weighted by the GWP of the methane its activity emits, fossil or non-fossil "
                "(CH4-all: the GWP set gives one value for all methane)",
                "the factor version in force on 1 July of the inventory year",
                "I.4.4 (generation supplied to the grid) is reported separately, in neither BASIC nor BASIC+",
                "no activity data: GPC notation key (NE, NO, IE), never zero",
            ],
        })

    def _ch4_gwp(self) -> dict[str, dict[str, Any]]:
        """Per activity weighted as CH4: the methane it declares and the GWP row and value used."""
        ch4 = self.emission_lines[self.emission_lines["gas"] == "CH4"].drop_duplicates("activity")
        return {a: {"methane": self.mapping.activities[a].methane, "gwp_gas": key, "gwp": value}
                for a, key, value in zip(ch4["activity"], ch4["gwp_gas"], ch4["gwp"])}


@functools.cache
def tambon_codes() -> tuple[str, ...]:
    """The district's tambon codes (520201..520205), from :data:`TAMBONS_FILE`."""
    features = json.loads(TAMBONS_FILE.read_text(encoding="utf-8"))["features"]
    return tuple(sorted(str(f["properties"]["tambon_code"]) for f in features))


def factor_date(year: int) -> dt.date:
    """The day whose factor versions an inventory of ``year`` uses."""
    return dt.date(int(year), *FACTOR_MONTH_DAY)


def compute_inventory(activities: pd.DataFrame, factors: FactorSet, year: int,
                      mapping: GPCMapping | None = None) -> Inventory:
    """The inventory of ``year`` from an activity table (:data:`ACTIVITY_COLUMNS`)."""
    mapping = mapping or load_mapping()
    rows = _rows_of_year(activities, int(year))
    unknown = sorted(set(rows["activity"]) - set(mapping.activities))
    if unknown:
        raise ValueError(f"unknown activity codes {unknown} (known: {', '.join(sorted(mapping.activities))})")
    rows["quantity"] = rows["quantity"] * _unit_multipliers(rows, mapping)
    rows["unit"] = [mapping.activities[a].unit for a in rows["activity"]]
    is_memo = rows["activity"].map(lambda a: mapping.activities[a].memo).astype(bool)
    lines = [_line(row, mapping, factors, factor_date(year)) for row in rows[~is_memo].to_dict("records")]
    used = {line["gpc_ref"] for line in lines}
    lines += [_notation_line(ref) for ref in mapping.references.values() if ref.ref not in used]
    table = pd.DataFrame(lines, columns=list(LINE_COLUMNS))
    catalogue_order = table["gpc_ref"].map({ref: i for i, ref in enumerate(mapping.references)})
    table = (table.assign(_order=catalogue_order).sort_values(["_order", "tambon_code", "activity"], kind="stable")
             .drop(columns="_order").reset_index(drop=True))
    memo = rows[is_memo].assign(
        gpc_ref=lambda d: d["activity"].map(lambda a: mapping.activities[a].gpc),
        land_class=lambda d: d["activity"].map(lambda a: mapping.activities[a].land_class))
    used_factors = zip(table["factor_id"].dropna(), table["factor_version"].dropna())
    return Inventory(int(year), table, memo[list(MEMO_COLUMNS)].reset_index(drop=True), mapping,
                     factors.record(used=used_factors, gwp_used=table["gwp_gas"].dropna().unique()))


def _rows_of_year(activities: pd.DataFrame, year: int) -> pd.DataFrame:
    missing = [c for c in ACTIVITY_COLUMNS if c not in activities.columns]
    if missing:
        raise ValueError(f"the activity table lacks columns {missing}")
    years = pd.to_numeric(activities["year"], errors="coerce")
    rows = activities.reset_index(drop=True)[(years == year).to_numpy()].copy()
    if rows.empty:
        present = sorted(int(y) for y in years.dropna().unique())
        raise ValueError(f"no activity rows for {year} (years present: {present or 'none'})")
    rows["tambon_code"] = rows["tambon_code"].astype(str)
    _check_places(rows["tambon_code"])
    rows["activity"] = rows["activity"].astype(str)
    rows["unit"] = rows["unit"].astype(str)
    rows["quantity"] = pd.to_numeric(rows["quantity"], errors="coerce")
    bad = rows[rows["quantity"].isna() | (rows["quantity"] < 0)]
    if len(bad):
        raise ValueError(f"quantities missing or negative for {sorted(set(bad['activity']))}: leave them out "
                         "instead: a GPC reference without rows gets its notation key")
    return rows


def _check_places(codes: pd.Series) -> None:
    """ValueError naming the rows (1 = the table's first row) whose code is no tambon nor ``district``."""
    known = (*tambon_codes(), DISTRICT)
    bad = codes[~codes.isin(known)]
    if len(bad):
        listed = ", ".join(f"row {i + 1}: {code!r}" for i, code in bad.head(5).items())
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ValueError(f"unknown tambon codes in the activity table ({listed}{more}); "
                         f"known: {', '.join(known)}")


def _unit_multipliers(rows: pd.DataFrame, mapping: GPCMapping) -> list[float]:
    multipliers: list[float] = []
    unknown = set()
    for activity, unit in zip(rows["activity"], rows["unit"]):
        expected = mapping.activities[activity].unit
        factor = 1.0 if unit == expected else UNIT_CONVERSIONS.get((unit, expected))
        if factor is None:
            unknown.add(f"{activity} in {unit!r} (expected {expected!r})")
        else:
            multipliers.append(factor)
    if unknown:
        raise ValueError(f"unknown units: {sorted(unknown)}")
    return multipliers


def _line(row: dict, mapping: GPCMapping, factors: FactorSet, day: dt.date) -> dict[str, Any]:
    activity = mapping.activities[row["activity"]]
    factor = factors.factor(activity.factor_id, day)
    if factor.activity_unit != activity.unit:
        raise ValueError(f"activity {activity.code!r} is in {activity.unit} but factor {factor.factor_id} "
                         f"{factor.version} is per {factor.activity_unit}")
    gwp = factors.gwp(factor.gas, activity.methane)
    weight = gwp.value if gwp else 1.0
    ref = activity.reference
    return {
        "gpc_ref": ref.ref, "sector": ref.sector, "scope": ref.scope, "level": ref.level,
        "tambon_code": row["tambon_code"], "activity": activity.code, "quantity": row["quantity"],
        "unit": activity.unit, "factor_id": factor.factor_id, "factor_version": factor.version,
        "factor_value": factor.value, "gas": factor.gas, "gwp_set": factors.gwp_set,
        "gwp_gas": gwp.key if gwp else None, "gwp": weight,
        "emissions_t_co2e": row["quantity"] * factor.value * weight / 1000.0, "notation_key": None,
    }


def _notation_line(ref: Any) -> dict[str, Any]:
    return {"gpc_ref": ref.ref, "sector": ref.sector, "scope": ref.scope, "level": ref.level,
            "tambon_code": DISTRICT, "notation_key": ref.if_no_data}


def _total(lines: pd.DataFrame, mask: pd.Series) -> float:
    return float(lines.loc[mask, "emissions_t_co2e"].sum(min_count=1))


def _totals(lines: pd.DataFrame, by: str) -> pd.DataFrame:
    e = lines["emissions_t_co2e"]
    parts = {
        "basic_t": e.where(lines["level"] == "BASIC"),
        "basic_plus_t": e.where(lines["level"].isin(["BASIC", "BASIC+"])),
        "i44_t": e.where(lines["gpc_ref"] == "I.4.4"),
        "total_t": e,
    }
    grouped = pd.DataFrame(parts).groupby(lines[by])
    table = grouped.sum(min_count=1)
    table.index.name = by
    return table
