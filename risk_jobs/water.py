"""Sampling points classed on the Thai surface-water quality standard (pure: no ``ckan`` import).

The standard (:data:`STANDARD_ID`) sets, per parameter, the limit each class
of water must meet: DO a minimum, the others maxima (pH a range). A point's
class for one parameter is the best class (2, 3, 4) whose limit the
parameter's statistic meets, else 5; its class is the worst over its
parameters, and the parameters at that class are named (``limiting``).

* The statistic is the standard's: the 20th percentile of the samples for DO,
  the 80th for BOD and coliform bacteria (numpy's linear interpolation,
  Hyndman-Fan type 7); every other limit applies to each sample, so its
  statistic is the worst sample.
* Values are compared as measured, not rounded.
* A limit missing for a class (coliform bacteria in class 4) binds nothing:
  coliform alone never makes water class 5.
* Class 1 is natural water receiving no effluent: a condition of the source,
  which measurements cannot show. The best class a point gets is 2.
* Single samples worse than their parameter's class are counted
  (``exceedances``): a percentile can hide them.
* Parameters outside the standard (conductivity) are reported, not classed.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

STANDARD_ID = "TH-SW-1994"
SOURCE = ("Notification of the National Environment Board No. 8 (B.E. 2537, 1994) on surface water "
          "quality standards, under the Enhancement and Conservation of National Environmental Quality "
          "Act B.E. 2535; limits as reproduced from the Pollution Control Department's table by WEPA "
          "(wepa-db.net/archive/policies/law/thailand/std_surface_water.htm); the Royal Gazette text was "
          "not read")
CLASSES = (2, 3, 4)
WORST = 5


@dataclasses.dataclass(frozen=True)
class Limit:
    """One parameter's limits for classes 2, 3 and 4 (None: no limit in that class)."""

    variable: str
    unit: str
    statistic: str                          # "P20", "P80" or "each"
    kind: str                               # "min", "max" or "range"
    limits: tuple

    def meets(self, value: float, limit) -> bool:
        if limit is None:
            return True
        if self.kind == "min":
            return value >= limit
        if self.kind == "max":
            return value <= limit
        return limit[0] <= value <= limit[1]

    def classify(self, value: float) -> int:
        """The best class whose limit ``value`` meets (2..5)."""
        return next((cls for cls, limit in zip(CLASSES, self.limits) if self.meets(value, limit)), WORST)

    def record(self) -> dict:
        return dataclasses.asdict(self)


def _same(limit):
    return (limit, limit, limit)


#: the standard's table (classes 2-4); cadmium is left out: its limit depends on hardness
LIMITS: dict[str, Limit] = {limit.variable: limit for limit in (
    Limit("dissolved-oxygen", "mg/L", "P20", "min", (6.0, 4.0, 2.0)),
    Limit("bod", "mg/L", "P80", "max", (1.5, 2.0, 4.0)),
    Limit("total-coliform", "{MPN}/dL", "P80", "max", (5000.0, 20000.0, None)),
    Limit("fecal-coliform", "{MPN}/dL", "P80", "max", (1000.0, 4000.0, None)),
    Limit("water-ph", "[pH]", "each", "range", _same((5.0, 9.0))),
    Limit("nitrate-nitrogen", "mg/L", "each", "max", _same(5.0)),
    Limit("ammonia-nitrogen", "mg/L", "each", "max", _same(0.5)),
    Limit("manganese", "mg/L", "each", "max", _same(1.0)),
    Limit("arsenic", "mg/L", "each", "max", _same(0.01)),
    Limit("lead", "mg/L", "each", "max", _same(0.05)),
    Limit("mercury", "mg/L", "each", "max", _same(0.002)),
    Limit("copper", "mg/L", "each", "max", _same(0.1)),
    Limit("zinc", "mg/L", "each", "max", _same(1.0)),
)}
#: measured at sampling points and reported, but not in the standard
REPORTED_ONLY = ("conductivity",)
VARIABLES = (*LIMITS, *REPORTED_ONLY)

#: what water of each class is fit for, in the standard's own uses
USES = {
    2: ("ใช้อุปโภคบริโภคได้หลังฆ่าเชื้อโรคตามปกติและปรับปรุงคุณภาพน้ำทั่วไป "
        "ใช้อนุรักษ์สัตว์น้ำ การประมง และนันทนาการ",
        "fit for drinking after ordinary disinfection and general treatment, "
        "for aquatic life, fishing and recreation"),
    3: ("ใช้อุปโภคบริโภคได้หลังฆ่าเชื้อโรคตามปกติและปรับปรุงคุณภาพน้ำทั่วไป และใช้เพื่อการเกษตร",
        "fit for drinking after ordinary disinfection and general treatment, and for farming"),
    4: ("ใช้อุปโภคบริโภคได้หลังฆ่าเชื้อโรคและปรับปรุงคุณภาพน้ำเป็นพิเศษเท่านั้น และใช้ในอุตสาหกรรม",
        "fit for drinking only after disinfection and special treatment, and for industry"),
    5: ("ใช้ได้เพื่อการคมนาคมเท่านั้น ไม่ควรใช้ดื่มแม้ผ่านการปรับปรุงคุณภาพ และไม่เหมาะกับสัตว์น้ำ",
        "fit for navigation only: not for drinking even after treatment, nor for fish"),
}
USES_SOURCE = "the uses the standard gives each class (secondary: NECTEC SchoolNet and English summaries)"


def _statistic(limit: Limit, values: np.ndarray) -> float:
    if limit.statistic == "P20":
        return float(np.percentile(values, 20))
    if limit.statistic == "P80":
        return float(np.percentile(values, 80))
    if limit.kind == "max":
        return float(values.max())
    if limit.kind == "min":
        return float(values.min())
    middle = sum(limit.limits[0]) / 2  # a range: the sample farthest from its middle
    return float(values[np.argmax(np.abs(values - middle))])


def parameters(observations: pd.DataFrame) -> pd.DataFrame:
    """Per sampling point and parameter of the standard: ``station_id,
    variable, unit, samples, statistic, statistic_value, water_class,
    exceedances, first_utc, last_utc``. ``observations``: ``station_id,
    variable, time_utc, value`` (canonical units, one window)."""
    rows = []
    obs = observations[observations["variable"].isin(list(LIMITS))]
    for (station, variable), group in obs.groupby([obs["station_id"].astype(str), "variable"], sort=True):
        limit = LIMITS[variable]
        values = pd.to_numeric(group["value"], errors="coerce").dropna().to_numpy(dtype=float)
        if not len(values):
            continue
        value = _statistic(limit, values)
        cls = limit.classify(value)
        rows.append({"station_id": station, "variable": variable, "unit": limit.unit,
                     "samples": len(values), "statistic": limit.statistic, "statistic_value": value,
                     "water_class": cls,
                     "exceedances": int(sum(limit.classify(v) > cls for v in values)),
                     "first_utc": pd.Timestamp(group["time_utc"].min()).isoformat(),
                     "last_utc": pd.Timestamp(group["time_utc"].max()).isoformat()})
    return pd.DataFrame(rows, columns=["station_id", "variable", "unit", "samples", "statistic",
                                       "statistic_value", "water_class", "exceedances", "first_utc",
                                       "last_utc"])


def points(observations: pd.DataFrame) -> pd.DataFrame:
    """Per sampling point with at least one classed parameter, indexed by
    ``station_id``: ``water_class`` (2..5), ``limiting`` (the parameters at
    that class, comma-separated), ``parameters`` (classed), ``samples``,
    ``exceedances`` and ``reported_only`` (measured, not in the standard)."""
    table = parameters(observations)
    columns = ["water_class", "limiting", "parameters", "samples", "exceedances", "reported_only"]
    if table.empty:
        return pd.DataFrame(columns=columns).rename_axis("station_id")
    by = table.groupby("station_id")
    worst = by["water_class"].max()
    at_worst = table[table["water_class"] == table["station_id"].map(worst)]
    other = observations[observations["variable"].isin(REPORTED_ONLY)]
    reported = other.groupby(other["station_id"].astype(str))["variable"].agg(lambda s: ",".join(sorted(set(s))))
    result = pd.DataFrame({
        "water_class": worst.astype(int),
        "limiting": at_worst.groupby("station_id")["variable"].agg(",".join),
        "parameters": by.size(),
        "samples": by["samples"].sum(),
        "exceedances": by["exceedances"].sum(),
    })
    result["reported_only"] = reported.reindex(result.index).fillna("")
    return result[columns]


def record() -> dict:
    """The standard as applied, for method records."""
    return {"standard": STANDARD_ID, "source": SOURCE, "verification": "verified (limits); secondary (uses)",
            "limits": [limit.record() for limit in LIMITS.values()],
            "reported_only": list(REPORTED_ONLY),
            "conventions": [
                "a parameter's class: the best class (2, 3, 4) whose limit its statistic meets, else 5",
                "statistics: P20 of DO, P80 of BOD and coliform bacteria (linear interpolation), "
                "the worst sample for every other parameter",
                "a point's class: the worst of its parameters' classes",
                "values compared as measured, not rounded",
                "class 1 (natural water, no effluent) cannot be shown by measurements",
                "cadmium is not classed: its limit depends on water hardness",
            ],
            "uses": {str(k): {"th": th, "en": en} for k, (th, en) in USES.items()},
            "uses_source": USES_SOURCE}
