"""Guidance: rules (data, ``guidance_rules.yaml``) that turn the inventory, the pathway and the
risk layers into recommendations in plain Thai and English, with the numbers they rest on.

* A rule names a kind (:data:`.guidance_kinds.KINDS`), its parameters, a
  priority, and Thai and English templates; templates are checked on loading
  against the fields their kind provides (ValueError naming an unknown field).
* ``risk_summary``: ``{dimension: [{"tambon_code", "hot_spot_cells",
  "risk_class_max", ...}]}`` (e.g. each layer's ``tambon_summary()`` as
  records); may be empty. Rules whose input is missing (no pathway, no risk
  summary, no I.4.4) give no recommendation.
* ``tambons``: optional table ``tambon_code, name_th, name_en[, population]``
  for names and per-person figures; without population, per-person rules use
  totals.
* Recommendations are ordered by priority (1 first), then by rule order.
"""
from __future__ import annotations

import dataclasses
import string
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from ckanext.maemoh.netzero import yamldoc
from ckanext.maemoh.netzero.guidance_kinds import FIELDS, KINDS, Context
from ckanext.maemoh.netzero.inventory import Inventory

RULES_FILE = files("ckanext.maemoh.netzero") / "guidance_rules.yaml"
COMMON_FIELDS = {"year", "year_be", "target_year", "target_year_be", "advice_th", "advice_en"}
BUDDHIST_ERA_OFFSET = 543


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    priority: int
    dimension: str
    templates: Mapping[str, tuple[str, str]]   # "text" (and "reached") -> (Thai, English)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    advice: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Rules:
    version: str
    dimensions: Mapping[str, Mapping[str, str]]
    rules: tuple[Rule, ...]


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """One recommendation; ``evidence``: ``{"label", "value", "unit", "source"}`` dicts."""

    id: str
    text_th: str
    text_en: str
    dimension: str
    tambon_code: str | None
    evidence: list[dict[str, Any]]
    priority: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules of ``path`` (default: the packaged ``guidance_rules.yaml``)."""
    return parse_rules(yamldoc.read(path, RULES_FILE))


def parse_rules(doc: Mapping[str, Any]) -> Rules:
    """Validated :class:`Rules` from the parsed YAML document."""
    rules = tuple(_rule(entry) for entry in doc.get("rules", ()))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"guidance rule ids must be unique: {ids}")
    return Rules(str(doc.get("version", "")), dict(doc.get("dimensions", {})), rules)


def _rule(entry: Mapping[str, Any]) -> Rule:
    rule_id = entry.get("id")
    if not rule_id or entry.get("kind") not in KINDS:
        raise ValueError(f"guidance rule {rule_id!r}: kind must be one of {sorted(KINDS)}")
    names = ("text", "reached") if entry["kind"] == "net_zero_gap" else ("text",)
    templates = {name: (str(entry.get(f"{name}_th") or ""), str(entry.get(f"{name}_en") or "")) for name in names}
    allowed = COMMON_FIELDS | FIELDS[entry["kind"]]
    for name, pair in templates.items():
        for template in pair:
            if not template:
                raise ValueError(f"guidance rule {rule_id!r}: {name}_th and {name}_en are required")
            unknown = {f for _, f, _, _ in string.Formatter().parse(template) if f} - allowed
            if unknown:
                raise ValueError(f"guidance rule {rule_id!r}: unknown template fields {sorted(unknown)} "
                                 f"(allowed: {sorted(allowed)})")
    advice = dict(entry.get("advice") or {})
    for key, text in advice.items():
        if not (isinstance(text, Mapping) and text.get("th") and text.get("en")):
            raise ValueError(f"guidance rule {rule_id!r}: advice {key!r} needs th and en")
    return Rule(str(rule_id), entry["kind"], int(entry.get("priority", 2)), str(entry.get("dimension", "ghg")),
                templates, dict(entry.get("params") or {}), advice)


def evaluate(rules: Rules, inventory: Inventory, pathway: pd.DataFrame | None,
             risk_summary: Mapping[str, list[Mapping[str, Any]]] | None,
             *, tambons: pd.DataFrame | None = None) -> list[Recommendation]:
    """The recommendations the rules draw from the data, most urgent first."""
    ctx = Context(inventory, pathway, risk_summary or {}, *_places(tambons), rules.dimensions)
    target = int(pathway["year"].max()) if pathway is not None and not pathway.empty else None
    common = {"year": inventory.year, "year_be": inventory.year + BUDDHIST_ERA_OFFSET, "target_year": target,
              "target_year_be": target + BUDDHIST_ERA_OFFSET if target else None}
    out = []
    for rule in rules.rules:
        for finding in KINDS[rule.kind](rule.params, ctx):
            advice = rule.advice.get(finding.advice_key) or rule.advice.get("default") or {"th": "", "en": ""}
            fields = {**common, "advice_th": advice["th"], "advice_en": advice["en"], **finding.fields}
            th, en = rule.templates[finding.template]
            out.append(Recommendation(
                id=f"{rule.id}:{finding.key}", text_th=_fill(th, fields), text_en=_fill(en, fields),
                dimension=finding.dimension or rule.dimension, tambon_code=finding.tambon_code,
                evidence=finding.evidence, priority=rule.priority))
    return sorted(out, key=lambda r: r.priority)


def _fill(template: str, fields: Mapping[str, Any]) -> str:
    return " ".join(template.format(**fields).split())


def _places(tambons: pd.DataFrame | None) -> tuple[dict[str, tuple[str, str]], dict[str, float]]:
    if tambons is None:
        return {}, {}
    codes = tambons["tambon_code"].astype(str)
    names = dict(zip(codes, zip(tambons["name_th"], tambons["name_en"])))
    population = (dict(zip(codes, tambons["population"].astype(float))) if "population" in tambons.columns
                  else {})
    return names, population
