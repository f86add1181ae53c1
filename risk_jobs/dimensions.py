"""The risk dimensions, one record each (pure: no ``ckan`` import).

The job, the actions, the inputs, the publishing and the residents' pages read
:data:`REGISTRY`; a new dimension is one :class:`Dimension` here and its hazard
function in :mod:`.pipeline`.

``evidence`` says what a unit's value rests on, and so whether local cluster
statistics (LISA, Gi*) and global Moran's I may be computed on it:

* ``"counts"``: independent observations per cell (fire detections):
  statistics computed.
* ``"per tambon"``: one agency value per tambon: statistics only when the
  units are the tambons themselves; on a cell grid every cell of a tambon
  repeats the same value, and clusters would only follow tambon lines.
* ``"surface"``: a surface interpolated from a few stations: neighbouring
  cells share stations, so its autocorrelation comes from the interpolation
  (Moran's I near 1 from 9 stations) and is evidence of nothing: never.
* ``"index"``: the composite of other dimensions (surfaces among them): never.
* ``"raster"``: each unit's value is measured from its own pixels of a
  raster (green share from land cover): statistics computed.
"""
from __future__ import annotations

import dataclasses

from ckanext.maemoh.risk_jobs import aqi, scales

EVIDENCE = ("counts", "per tambon", "surface", "index", "raster")
WHY_NOT = {
    "surface": "the value is a surface interpolated from a few stations: neighbouring cells share "
               "stations, so clusters on it would come from the interpolation, not from the data",
    "per tambon": "one value per tambon is given to each of its cells: clusters would only follow "
                  "tambon lines (computed when the units are the tambons)",
    "index": "the composite index mixes interpolated surfaces and tambon values: clusters on it "
             "would not be evidence of anything",
}


@dataclasses.dataclass(frozen=True)
class Dimension:
    name: str
    window_days: int
    statistic_en: str                   # what ``value`` is, named
    statistic_th: str
    unit: str
    scale: scales.Scale | None          # None: no scale yet, the dimension has no hazard
    evidence: str
    themes: tuple[str, ...]             # catalogue themes of the datasets it reads
    variables: tuple[str, ...] = ()     # observation variables it reads

    def __post_init__(self) -> None:
        if self.evidence not in EVIDENCE:
            raise ValueError(f"{self.name}: evidence must be one of {EVIDENCE}")

    def local_statistics(self, spatial_unit: str) -> tuple[bool, str | None]:
        """(computed?, why not) for units ``"h3"`` or ``"tambon"``."""
        if self.evidence in ("counts", "raster") or (self.evidence == "per tambon" and spatial_unit == "tambon"):
            return True, None
        return False, WHY_NOT[self.evidence]

    def record(self) -> dict:
        return {"name": self.name, "window_days": self.window_days, "statistic": self.statistic_en,
                "statistic_th": self.statistic_th, "unit": self.unit, "evidence": self.evidence,
                "scale": self.scale.record() if self.scale else None}


REGISTRY: dict[str, Dimension] = {d.name: d for d in (
    Dimension("air", 7, "7-day mean of hourly Thai AQI (per station, interpolated)",
              "ค่าเฉลี่ย 7 วันของดัชนีคุณภาพอากาศรายชั่วโมง", "Thai AQI", scales.AIR, "surface",
              ("air",), tuple(aqi.VARIABLE_ORDER)),
    Dimension("fire", 7, "satellite fire detections per km² in 7 days (low confidence left out)",
              "จุดความร้อนจากดาวเทียมต่อ ตร.กม. ใน 7 วัน", "detections/km2", scales.FIRE, "counts",
              ("fire",)),
    Dimension("water", 365, "mean BOD of the tambon's sampling points over 365 days",
              "ค่าเฉลี่ยบีโอดีของจุดเก็บตัวอย่างในตำบล 365 วัน", "mg/L", scales.WATER, "per tambon",
              ("water",), ("bod",)),
    Dimension("heat", 30, "30-day mean of the daily maximum heat index (per station, interpolated)",
              "ค่าเฉลี่ย 30 วันของดัชนีความร้อนสูงสุดรายวัน", "Cel", scales.HEAT, "surface",
              ("climate-weather",), ("temperature", "relative-humidity")),
    Dimension("energy", 365, "electricity use per km² of the tambon over 365 days",
              "การใช้ไฟฟ้าต่อ ตร.กม. ของตำบล 365 วัน", "MW.h/km2", scales.ENERGY, "per tambon",
              ("energy",), ("electricity-use",)),
    Dimension("ghg", 365, "greenhouse-gas emissions per km² over 365 days",
              "การปล่อยก๊าซเรือนกระจกต่อ ตร.กม. 365 วัน", "t CO2e/km2", None, "per tambon",
              ("greenhouse-gas",)),
    Dimension("green", 365, "share of green land cover in the unit's pixels (land-cover raster, a snapshot)",
              "สัดส่วนพื้นที่สีเขียวของหน่วยพื้นที่ จากแผนที่สิ่งปกคลุมดิน (ภาพ ณ ช่วงเวลาหนึ่ง)", "%", scales.GREEN, "raster",
              ("green-space", "land-use")),
    Dimension("composite", 365, "mean of the dimensions' hazard levels on 0-1",
              "ค่าเฉลี่ยระดับภัยของทุกมิติ (0-1)", "index 0-1", scales.RISK_INDEX, "index", ()),
)}
COMPOSITE = "composite"
#: the dimensions with a hazard of their own, in the composite's order
HAZARD_NAMES = tuple(name for name in REGISTRY if name != COMPOSITE)
NAMES = tuple(REGISTRY)


def get(name: str) -> Dimension:
    """The dimension ``name``; ValueError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown dimension {name!r}; one of {', '.join(NAMES)}") from None
