"""The packaged illustrative tables load and give the expected picture of Mae Moh."""
import pytest

from ckanext.maemoh.netzero import factors
from ckanext.maemoh.netzero.guidance import evaluate, load_rules
from ckanext.maemoh.netzero.inventory import compute_inventory
from ckanext.maemoh.netzero.pathway import project
from ckanext.maemoh.netzero.scenarios import load_scenarios


def test_demo_table_is_marked_illustrative(demo):
    assert demo["note"].str.startswith("illustrative").all()
    assert sorted(demo["year"].unique()) == [2023, 2024]
    assert set(demo["tambon_code"]) == {"520201", "520202", "520203", "520204", "520205", "district"}


@pytest.mark.parametrize("year", [2023, 2024])
def test_the_plant_dominates_gross_emissions_but_basic_excludes_it(ar6, demo, year):
    inv = compute_inventory(demo, ar6, year)
    total = inv.by_sector()["total_t"].sum()
    assert inv.i44_t > 0.9 * total
    assert inv.basic_plus_t == pytest.approx(total - inv.i44_t, rel=1e-12)
    assert inv.basic_t < inv.basic_plus_t < inv.i44_t
    assert inv.by_sector().loc["IV", "notation"] == "NE"
    assert inv.record()["versions"] == ["IPCC-2006", "TGO-2016-18", "TGO-2022-04", "assumption-2025-1"]
    mine = inv.emission_lines.query("gpc_ref == 'I.7.1'")["emissions_t_co2e"].sum()
    assert 0.5 * inv.basic_t < mine < inv.basic_t      # the mine's methane is the largest BASIC source
    assert inv.record()["ch4_gwp_by_activity"]["lignite-mined"] == {"methane": "fossil", "gwp_gas": "CH4-fossil",
                                                                    "gwp": 29.8}


def test_the_whole_chain_runs_on_the_demo(ar6, demo, population):
    inv = compute_inventory(demo, ar6, 2024)
    pathway = project(inv, load_scenarios(), factors.read_sequestration(), inv.green_area_ha())
    assert set(pathway["scenario"]) == {"bau", "all-levers", "energy-transport", "ambitious"}
    final = pathway[pathway["year"] == 2050].set_index("scenario")["net_t"]
    assert final["ambitious"] < final["all-levers"] < final["energy-transport"] < final["bau"]
    risk = {"air": [{"tambon_code": "520205", "hot_spot_cells": 3, "risk_class_max": 5}]}
    recommendations = evaluate(load_rules(), inv, pathway, risk, tambons=population)
    kinds = {r.id.split(":")[0] for r in recommendations}
    assert kinds == {"largest-sectors", "power-plant", "largest-tambon", "household-energy", "best-lever",
                     "net-zero-gap", "risk-hot-spots", "data-gaps"}
    for r in recommendations:
        assert "{" not in r.text_th + r.text_en and r.evidence
