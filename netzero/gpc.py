"""The GPC catalogue and the activity mapping (``gpc_activities.yaml``), validated.

* Every GPC reference carries its scope and its reporting level: ``BASIC``
  (in the BASIC and the BASIC+ totals), ``BASIC+`` (BASIC+ only) or
  ``reported`` (in neither: I.4.4, generation supplied to the grid, and
  III.x.3, other places' waste treated here).
* A reference with no activity gets a notation key: NE (not estimated) by
  default, NO (not occurring) or IE (included elsewhere) where the catalogue
  says so, with a reason.
* An activity maps to one reference and one emission-factor id; scope, sector
  and level come from the reference, never repeated per activity. Memo
  activities (no factor) are reported with their quantity only.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from ckanext.maemoh.netzero import yamldoc
from ckanext.maemoh.netzero.factors import METHANE

MAPPING_FILE = files("ckanext.maemoh.netzero") / "gpc_activities.yaml"
LEVELS = ("BASIC", "BASIC+", "reported")
NOTATION_KEYS = {"NE": "not estimated", "NO": "not occurring", "IE": "included elsewhere"}
SECTORS = ("I", "II", "III", "IV", "V")


@dataclasses.dataclass(frozen=True)
class Reference:
    """One GPC reference number (e.g. ``I.1.2``)."""

    ref: str
    sector: str
    scope: int
    level: str
    label_th: str
    label_en: str
    if_no_data: str = "NE"
    reason_th: str = ""
    reason_en: str = ""

    @property
    def in_basic(self) -> bool:
        return self.level == "BASIC"

    @property
    def in_basic_plus(self) -> bool:
        return self.level in ("BASIC", "BASIC+")


@dataclasses.dataclass(frozen=True)
class Activity:
    """One activity code: its GPC reference, unit, factor id and methane (both None for memo items)."""

    code: str
    reference: Reference
    factor_id: str | None
    unit: str
    label_th: str
    label_en: str
    land_class: str | None = None
    methane: str | None = None

    @property
    def gpc(self) -> str:
        return self.reference.ref

    @property
    def sector(self) -> str:
        return self.reference.sector

    @property
    def scope(self) -> int:
        return self.reference.scope

    @property
    def basic(self) -> bool:
        return self.reference.in_basic

    @property
    def memo(self) -> bool:
        return self.factor_id is None


@dataclasses.dataclass(frozen=True)
class GPCMapping:
    """The catalogue (sectors, references) and the activities of one mapping version."""

    version: str
    sectors: Mapping[str, dict]
    references: Mapping[str, Reference]
    activities: Mapping[str, Activity]

    def sector_label(self, sector: str) -> tuple[str, str]:
        return self.sectors[sector]["label_th"], self.sectors[sector]["label_en"]



def load_mapping(path: str | Path | None = None) -> GPCMapping:
    """The mapping from ``path`` (default: the packaged ``gpc_activities.yaml``)."""
    return parse_mapping(yamldoc.read(path, MAPPING_FILE))


def parse_mapping(doc: Mapping[str, Any]) -> GPCMapping:
    """A validated :class:`GPCMapping` from the parsed YAML document (ValueError on any inconsistency)."""
    yamldoc.require(doc, ("version", "sectors", "subsectors", "references", "activities"), "GPC mapping")
    if tuple(doc["sectors"]) != SECTORS:
        raise ValueError(f"GPC sectors must be {SECTORS}, got {tuple(doc['sectors'])}")
    references = {ref: _reference(ref, entry, doc["subsectors"]) for ref, entry in doc["references"].items()}
    activities = {code: _activity(code, entry, references) for code, entry in doc["activities"].items()}
    return GPCMapping(str(doc["version"]), dict(doc["sectors"]), references, activities)


def _reference(ref: str, entry: Mapping[str, Any], subsectors: Mapping[str, Any]) -> Reference:
    parts = ref.split(".")
    sector = parts[0]
    if sector not in SECTORS or len(parts) not in (2, 3):
        raise ValueError(f"GPC reference {ref!r} is not of the form SECTOR.n[.n]")
    subsector = ".".join(parts[:2])
    if subsector not in subsectors:
        raise ValueError(f"GPC reference {ref}: subsector {subsector} is not in the catalogue")
    if entry.get("level") not in LEVELS:
        raise ValueError(f"GPC reference {ref}: level must be one of {LEVELS}")
    if int(entry.get("scope", 0)) not in (1, 2, 3):
        raise ValueError(f"GPC reference {ref}: scope must be 1, 2 or 3")
    key = entry.get("if_no_data", "NE")
    if key not in NOTATION_KEYS:
        raise ValueError(f"GPC reference {ref}: if_no_data must be one of {sorted(NOTATION_KEYS)}")
    if key != "NE" and not (entry.get("reason_th") and entry.get("reason_en")):
        raise ValueError(f"GPC reference {ref}: notation key {key} needs reason_th and reason_en")
    names = subsectors[subsector]
    scope = int(entry["scope"])
    return Reference(
        ref=ref, sector=sector, scope=scope, level=entry["level"],
        label_th=entry.get("label_th") or f"{names['label_th']} (ขอบเขต {scope})",
        label_en=entry.get("label_en") or f"{names['label_en']} (scope {scope})",
        if_no_data=key, reason_th=entry.get("reason_th", ""), reason_en=entry.get("reason_en", ""))


def _activity(code: str, entry: Mapping[str, Any], references: Mapping[str, Reference]) -> Activity:
    if entry.get("gpc") not in references:
        raise ValueError(f"activity {code!r}: GPC reference {entry.get('gpc')!r} is not in the catalogue")
    memo = bool(entry.get("memo", False))
    factor_id = entry.get("factor_id")
    if memo == bool(factor_id):
        raise ValueError(f"activity {code!r}: give either a factor_id or memo: true")
    methane = entry.get("methane")
    if not memo and methane not in METHANE:
        raise ValueError(f"activity {code!r}: declare the methane it emits, methane: fossil or non-fossil "
                         f"(got {methane!r})")
    if memo and methane is not None:
        raise ValueError(f"activity {code!r}: a memo item emits no methane")
    for key in ("unit", "label_th", "label_en"):
        if not entry.get(key):
            raise ValueError(f"activity {code!r} lacks {key!r}")
    return Activity(code=code, reference=references[entry["gpc"]], factor_id=factor_id, unit=entry["unit"],
                    label_th=entry["label_th"], label_en=entry["label_en"], land_class=entry.get("land_class"),
                    methane=methane)
