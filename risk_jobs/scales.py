"""Fixed, cited hazard scales (pure: no ``ckan`` import).

A scale classes a dimension's value into levels 1..n with breaks held as data
(user-defined breaks, as PySAL's ``mapclassify.UserDefined`` classes them,
without its numba kernels compiled at import), so a level means the same
today and next month, here and in another district; a run
never stretches its own range. A value is first rounded as the scale is
published (AQI in whole numbers, heat index to 0.1 °C) and then falls in the
first level whose upper bound it does not exceed (on a descending scale: the
first level whose lower bound it reaches).

``hazard_n`` = (level - 1) / (n - 1): 0 at the lowest level, 1 at the
highest; the composite risk multiplies it with exposure and vulnerability.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ckanext.maemoh.risk_jobs import aqi


@dataclasses.dataclass(frozen=True)
class Scale:
    """Levels 1..n: ``upper_bounds[k]`` is the largest value of level k + 1
    (inclusive); the last level has no upper bound. A ``descending`` scale
    (the hazard is a lack, e.g. of green) reads its bounds, decreasing, as
    lower bounds: ``upper_bounds[k]`` is the smallest value of level k + 1
    (inclusive), and the last level has no lower bound."""

    id: str                             # versioned, e.g. "TH-AQI-2023"
    unit: str
    upper_bounds: tuple[float, ...]
    labels_th: tuple[str, ...]
    labels_en: tuple[str, ...]
    decimals: int                       # the value is rounded so before classing
    source: str
    verification: str                   # "verified", "secondary" or "declared by the platform"
    descending: bool = False            # True: higher values are lower levels

    def __post_init__(self) -> None:
        levels = len(self.upper_bounds) + 1
        if len(self.labels_th) != levels or len(self.labels_en) != levels:
            raise ValueError(f"{self.id}: one Thai and one English label per level ({levels})")
        if list(self.upper_bounds) != sorted(set(self.upper_bounds), reverse=self.descending):
            raise ValueError(f"{self.id}: bounds must {'decrease' if self.descending else 'increase'}")

    @property
    def levels(self) -> int:
        return len(self.upper_bounds) + 1

    def level(self, values: pd.Series) -> pd.Series:
        """Level (Int64, 1..n) of each value; NaN -> <NA>."""
        v = pd.to_numeric(values, errors="coerce").astype(float)
        out = pd.Series(pd.NA, index=v.index, dtype="Int64")
        known = v.notna().to_numpy()
        if known.any():
            rounded = _round_half_up(v.to_numpy()[known], self.decimals)
            sign = -1.0 if self.descending else 1.0  # v >= bound  <=>  -v <= -bound
            bins = np.array([sign * b for b in self.upper_bounds])
            # the first level whose (inclusive) upper bound the value does not exceed
            out[known] = np.searchsorted(bins, sign * rounded, side="left") + 1
        return out

    def normalised(self, values: pd.Series) -> pd.Series:
        """(level - 1) / (levels - 1) as floats; NaN where the value is missing."""
        return ((self.level(values).astype("Float64") - 1) / (self.levels - 1)).astype(float)

    def labels(self, levels: pd.Series, lang: str) -> list:
        names = self.labels_th if lang == "th" else self.labels_en
        return [names[int(k) - 1] if pd.notna(k) else None for k in levels]

    def record(self) -> dict:
        return dataclasses.asdict(self)


def _round_half_up(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round as published tables do (2.5 -> 3), not to even."""
    factor = 10.0 ** decimals
    return np.floor(values * factor + 0.5) / factor


#: the labels of a five-level scale without names of its own
FIVE_LEVELS_TH = ("ต่ำมาก", "ต่ำ", "ปานกลาง", "สูง", "สูงมาก")
FIVE_LEVELS_EN = ("Very low", "Low", "Moderate", "High", "Very high")

AIR = Scale(
    id="TH-AQI-2023",
    unit="Thai AQI",
    upper_bounds=tuple(float(b.aqi_max) for b in list(aqi.BANDS.values())[:-1]),
    labels_th=tuple(b.name_th for b in aqi.BANDS.values()),
    labels_en=tuple(b.name_en for b in aqi.BANDS.values()),
    decimals=0,
    source="Pollution Control Department, Thai AQI bands (see risk_jobs/aqi.py)",
    verification="verified",
)

HEAT = Scale(
    id="TH-HI-2024",
    unit="Cel",
    upper_bounds=(26.9, 32.9, 41.9, 51.9),
    labels_th=("ปกติ", "เฝ้าระวัง", "เตือนภัย", "อันตราย", "อันตรายมาก"),
    labels_en=("Normal", "Caution", "Extreme caution", "Danger", "Extreme danger"),
    decimals=1,
    source="Thai Meteorological Department and Department of Health heat-index levels as reported "
           "2024-2025 (27.0-32.9, 33.0-41.9, 42.0-51.9, 52.0 and above; Komchadluek Mar 2024, "
           "Khaosod Feb 2024, Bangkok Post Mar 2025); no TMD primary page was read",
    verification="secondary",
)

FIRE = Scale(
    id="MAEMOH-FIRE-2026.1",
    unit="detections/km2 in the window",
    upper_bounds=(0.0, 0.1, 0.5, 1.0),
    labels_th=("ไม่พบไฟ", "น้อย", "ปานกลาง", "มาก", "มากที่สุด"),
    labels_en=("No fire", "Few", "Moderate", "Many", "Very many"),
    decimals=6,
    source="declared by the Mae Moh platform: satellite detections (low confidence left out) "
           "per km² of a cell; one detection in an H3 resolution-7 cell (5.2 km²) is 0.19/km²",
    verification="declared by the platform",
)

WATER = Scale(
    id="TH-SW-1994",
    unit="class",
    upper_bounds=(2.0, 3.0, 4.0),
    labels_th=("ประเภทที่ 2", "ประเภทที่ 3", "ประเภทที่ 4", "ประเภทที่ 5"),
    labels_en=("Class 2", "Class 3", "Class 4", "Class 5"),
    decimals=0,
    source="Thai surface water quality standard (National Environment Board notification No. 8, "
           "B.E. 2537/1994), classes 2-5 of a sampling point as risk_jobs/water.py applies the "
           "standard; class 1 (natural water without effluent) cannot be shown by measurements",
    verification="verified",
)

WASTE = Scale(
    id="MAEMOH-WASTE-2026.1",
    unit="kg/person/d",
    upper_bounds=(0.5, 0.8, 1.1, 1.5),
    labels_th=("น้อยมาก", "น้อย", "ปานกลาง", "มาก", "มากที่สุด"),
    labels_en=("Very little", "Little", "Moderate", "Much", "Very much"),
    decimals=2,
    source="declared by the Mae Moh platform: waste collected per resident per day; rural "
           "households in Thailand are commonly reported below 1 kg a day, towns above",
    verification="declared by the platform",
)

GHG = Scale(
    id="MAEMOH-GHG-2026.1",
    unit="t CO2e/person/a",
    upper_bounds=(1.0, 2.5, 5.0, 10.0),
    labels_th=FIVE_LEVELS_TH,
    labels_en=FIVE_LEVELS_EN,
    decimals=2,
    source="declared by the Mae Moh platform: BASIC+ emissions allocated to the tambon per "
           "registered resident and year, the power plant's generation for the grid (GPC I.4.4) "
           "left out",
    verification="declared by the platform",
)

ENERGY = Scale(
    id="MAEMOH-ENERGY-2026.1",
    unit="MW.h/km2 in the window",
    upper_bounds=(10.0, 50.0, 250.0, 1000.0),
    labels_th=FIVE_LEVELS_TH,
    labels_en=FIVE_LEVELS_EN,
    decimals=3,
    source="declared by the Mae Moh platform: reported electricity use per km² of the tambon "
           "(rural tambons use tens of MW.h/km² a year, dense towns thousands)",
    verification="declared by the platform",
)

RISK_INDEX = Scale(
    id="MAEMOH-INDEX-2026.1",
    unit="index 0-1",
    upper_bounds=(0.2, 0.4, 0.6, 0.8),
    labels_th=FIVE_LEVELS_TH,
    labels_en=FIVE_LEVELS_EN,
    decimals=6,
    source="equal intervals on 0-1 (INFORM-style index)",
    verification="declared by the platform",
)

GREEN = Scale(
    id="MAEMOH-GREEN-2026.1",
    unit="%",
    upper_bounds=(60.0, 40.0, 20.0, 10.0),
    labels_th=("เขียวมาก", "เขียว", "ปานกลาง", "น้อย", "น้อยมาก"),
    labels_en=("Very green", "Green", "Moderate", "Little green", "Very little green"),
    decimals=1,
    source="declared by the Mae Moh platform: share of green land cover (forest, new forest, trees in "
           "settlements and parks, orchards, shrubland and grassland) in a unit's pixels; 60 % and above "
           "is level 1, under 10 % level 5 (the hazard is the lack of green)",
    verification="declared by the platform",
    descending=True,
)
