"""Guidance: rules (YAML data) turn inventory, pathway and risk summaries into bilingual recommendations."""
import copy
import re

import pytest
import yaml

from ckanext.maemoh.netzero import factors
from ckanext.maemoh.netzero.guidance import RULES_FILE, evaluate, load_rules, parse_rules
from ckanext.maemoh.netzero.inventory import compute_inventory
from ckanext.maemoh.netzero.pathway import project
from ckanext.maemoh.netzero.scenarios import load_scenarios
from ckanext.maemoh.netzero.tests.conftest import activities

THAI = re.compile("[\u0e01-\u0e5b]")
SMALL = (
    ("520201", "electricity-residential", 1_000_000, "kWh"),     # 475.0 t, I
    ("district", "diesel-onroad", 500_000, "L"),                 # 1,370.3 t, II
    ("520202", "msw-landfill", 100, "t"),                        # 81.0 t, III (non-fossil CH4, GWP 27.0)
)


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def small(ar6):
    return compute_inventory(activities(*SMALL), ar6, 2026)


def only(recommendations, prefix):
    return [r for r in recommendations if r.id.startswith(prefix)]


def test_largest_sector_is_named_with_its_numbers_in_both_languages(rules, small):
    first, second = only(evaluate(rules, small, None, {}), "largest-sectors:")
    assert first.id == "largest-sectors:II" and second.id == "largest-sectors:I"
    assert "Transportation" in first.text_en and "การขนส่ง" in first.text_th
    for text in (first.text_en, first.text_th):
        assert "1,370" in text and "71%" in text and "1,926" in text   # 1,370.3 of 1,926.3 t
    assert THAI.search(first.text_th) and not THAI.search(first.text_en)
    assert "t CO2e (tonnes of CO2 equivalent" in first.text_en                # jargon explained
    assert first.evidence[0] == {"label": "GPC sector II (Transportation), BASIC+, 2026", "value": 1370.3,
                                 "unit": "t CO2e", "source": "inventory"}
    assert first.dimension == "ghg" and first.tambon_code is None and first.priority == 1


def test_data_gaps_and_no_power_plant_without_i44(rules, small):
    recommendations = evaluate(rules, small, None, {})
    gaps = only(recommendations, "data-gaps:")
    assert len(gaps) == 1 and "IV Industrial processes" in gaps[0].text_en and "NE" in gaps[0].text_en
    assert "V Agriculture" in gaps[0].text_en
    assert not only(recommendations, "power-plant:")
    assert not only(recommendations, "best-lever:") and not only(recommendations, "risk-hot-spots:")


def test_power_plant_figure_stands_apart(rules, ar6):
    inv = compute_inventory(activities(*SMALL, ("520204", "power-plant-lignite", 10_000_000, "kg")), ar6, 2026)
    (plant,) = only(evaluate(rules, inv, None, {}), "power-plant:")
    assert "10,619" in plant.text_en and "10,619" in plant.text_th and "I.4.4" in plant.text_en
    assert plant.evidence[0]["value"] == pytest.approx(10_619.0)


def test_risk_hot_spots_name_the_tambon_and_cite_the_layer(rules, small, tambons):
    risk = {"air": [{"tambon_code": "520205", "hot_spot_cells": 12, "risk_class_max": 4},
                    {"tambon_code": "520201", "hot_spot_cells": 0, "risk_class_max": 5}],
            "water": []}
    (hot,) = only(evaluate(rules, small, None, risk, tambons=tambons), "risk-hot-spots:")
    assert hot.id == "risk-hot-spots:air:520205" and hot.dimension == "air" and hot.tambon_code == "520205"
    assert "Sop Pat" in hot.text_en and "สบป้าด" in hot.text_th
    assert "12 hot-spot cells" in hot.text_en and "High (4 of 5)" in hot.text_en and "สูง" in hot.text_th
    assert {e["source"] for e in hot.evidence} == {"risk:air"}


def test_layers_without_cluster_statistics_give_no_hot_spot_advice(rules, small):
    risk = {"air": [{"tambon_code": "520205", "hot_spot_cells": None, "risk_class_max": 5},
                    {"tambon_code": "520201", "hot_spot_cells": float("nan"), "risk_class_max": 5},
                    {"tambon_code": "520202", "hot_spot_cells": "", "risk_class_max": 5}]}
    assert not only(evaluate(rules, small, None, risk), "risk-hot-spots:")


def test_bad_risk_rows_are_named(rules, small):
    with pytest.raises(ValueError, match="risk summary 'fire'"):
        evaluate(rules, small, None, {"fire": [{"tambon_code": "520201"}]})


def test_best_lever_and_gap_come_from_the_pathway(rules, small):
    pathway = project(small, load_scenarios(), factors.read_sequestration(), {"forest": 10.0})
    recommendations = evaluate(rules, small, pathway, {})
    (best,) = only(recommendations, "best-lever:")
    final = pathway[(pathway["scenario"] == "all-levers") & (pathway["year"] == 2050)].iloc[0]
    abated = final[[c for c in pathway.columns if c.startswith("abated_")]].astype(float)
    lever = abated.idxmax()[len("abated_"):-2]
    assert best.id == f"best-lever:all-levers:{lever}"
    label = pathway.attrs["method"]["scenarios"][1]["levers"]
    assert next(lv["label_en"] for lv in label if lv["id"] == lever) in best.text_en
    assert f"{abated.max():,.0f}" in best.text_en and best.evidence[0]["source"] == "pathway:all-levers"
    (gap,) = only(recommendations, "net-zero-gap:")
    assert f"{final['gap_to_net_zero_t']:,.0f}" in gap.text_en and "2593" in gap.text_th


def test_tambon_rule_per_person_with_population_and_total_without(rules, ar6, population):
    inv = compute_inventory(activities(("520201", "electricity-residential", 5_000_000, "kWh"),
                                       ("520204", "electricity-residential", 14_861_000, "kWh")), ar6, 2026)
    per_person = only(evaluate(rules, inv, None, {}, tambons=population), "household-energy:")[0]
    assert per_person.tambon_code == "520201"
    assert "0.50 t CO2e per person" in per_person.text_en       # 5,000,000 kWh x 0.475 / 1000 / 4,734 people
    assert "0.49 t CO2e per person" in per_person.text_en       # average of 0.502 and 0.475
    assert per_person.evidence[1] == {"label": "registered population of tambon 520201", "value": 4734.0,
                                      "unit": "persons", "source": "population"}
    total = only(evaluate(rules, inv, None, {}), "household-energy:")[0]
    assert total.tambon_code == "520204" and "7,059 t CO2e" in total.text_en


def test_recommendations_are_ordered_by_priority(rules, small):
    priorities = [r.priority for r in evaluate(rules, small, None, {})]
    assert priorities == sorted(priorities)


def test_an_unknown_template_field_is_an_error():
    doc = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    broken = copy.deepcopy(doc)
    broken["rules"][0]["text_en"] += " {colour}"
    with pytest.raises(ValueError, match=r"unknown template fields \['colour'\]"):
        parse_rules(broken)
    broken = copy.deepcopy(doc)
    broken["rules"][0]["kind"] = "horoscope"
    with pytest.raises(ValueError, match="kind must be one of"):
        parse_rules(broken)


def test_reaching_net_zero_uses_the_reached_template(rules, small):
    pathway = project(small, load_scenarios(), factors.read_sequestration(), {"forest": 1_000.0})
    (gap,) = only(evaluate(rules, small, pathway, {}), "net-zero-gap:")
    assert "reaches net zero in 2026" in gap.text_en and "พ.ศ. 2569" in gap.text_th
