"""The pathway: BAU growth, levers, removals; zero levers equal BAU exactly."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from ckanext.maemoh.netzero import factors
from ckanext.maemoh.netzero.inventory import compute_inventory
from ckanext.maemoh.netzero.pathway import VALUE_COLUMNS, project
from ckanext.maemoh.netzero.scenarios import Lever, Scenario, load_scenarios, parse_scenarios
from ckanext.maemoh.netzero.tests.conftest import activities

ROWS = (
    ("520201", "electricity-residential", 2_000_000, "kWh"),
    ("520202", "electricity-commercial", 1_000_000, "kWh"),
    ("district", "diesel-onroad", 100_000, "L"),
    ("520203", "msw-landfill", 1_000, "t"),
    ("520203", "cattle", 100, "head"),
    ("520204", "power-plant-lignite", 1e9, "kg"),
)
GROWTH = {"I": 0.02, "II": 0.01, "III": 0.0, "IV": 0.0, "V": 0.0}
SOLAR = Lever(id="solar", kind="reduce", label_th="โซลาร์", label_en="Solar", basis="test",
              start_year=2026, full_year=2030, share=0.4, factor_ids=("grid-electricity",))
EV = Lever(id="ev", kind="electrify", label_th="อีวี", label_en="EV", basis="test", start_year=2026,
           full_year=2030, share=0.5, factor_ids=("diesel-onroad",), kwh_per_unit=2.0, electricity_gpc="II.1.2")
TREES = Lever(id="trees", kind="green_area", label_th="ป่า", label_en="Trees", basis="test", start_year=2027,
              full_year=2029, land_class="forest_new", ha_per_year=10)


def settings(*scenarios):
    base = load_scenarios()
    return dataclasses.replace(base, growth=GROWTH, growth_basis={}, scenarios=tuple(scenarios))


@pytest.fixture(scope="module")
def inventory(ar6):
    return compute_inventory(activities(*ROWS), ar6, 2026)


@pytest.fixture(scope="module")
def seq():
    return factors.read_sequestration()


def rows_of(pathway, scenario):
    return pathway[pathway["scenario"] == scenario].set_index("year")


def test_zero_levers_equal_bau_exactly(inventory, seq):
    idle = [dataclasses.replace(SOLAR, share=0.0), dataclasses.replace(EV, share=0.0),
            dataclasses.replace(TREES, ha_per_year=0.0)]
    scenarios = settings(Scenario("none", "ไม่มี", "None"), Scenario("idle", "นิ่ง", "Idle", tuple(idle)))
    result = project(inventory, scenarios, seq, {"forest": 100.0})
    bau = rows_of(result, "bau")[list(VALUE_COLUMNS)]
    pd.testing.assert_frame_equal(rows_of(result, "none")[list(VALUE_COLUMNS)], bau, check_exact=True)
    pd.testing.assert_frame_equal(rows_of(result, "idle")[list(VALUE_COLUMNS)], bau, check_exact=True)


def test_bau_grows_each_sector_and_leaves_i44_out(inventory, seq):
    bau = rows_of(project(inventory, settings(), seq, {}), "bau")
    electricity = 3_000_000 * 0.4750 / 1000
    assert bau.loc[2026, "gross_t"] == pytest.approx(inventory.basic_plus_t, rel=1e-12)
    assert bau.loc[2036, "sector_I_t"] == pytest.approx(electricity * 1.02 ** 10, rel=1e-12)
    assert bau.loc[2036, "sector_II_t"] == pytest.approx(100_000 * 2.7406 / 1000 * 1.01 ** 10, rel=1e-12)
    assert bau.loc[2050, "sector_III_t"] == bau.loc[2026, "sector_III_t"]
    assert np.isnan(bau.loc[2040, "sector_IV_t"])
    assert list(bau.index) == list(range(2026, 2051))


def test_a_renewable_lever_cuts_grid_electricity_only_along_its_ramp(inventory, seq):
    result = project(inventory, settings(Scenario("solar", "โซลาร์", "Solar", (SOLAR,))), seq, {})
    bau, solar = rows_of(result, "bau"), rows_of(result, "solar")
    assert solar.loc[2026, "sector_I_t"] == bau.loc[2026, "sector_I_t"]          # ramp starts at 0
    assert solar.loc[2028, "sector_I_t"] == pytest.approx(0.8 * bau.loc[2028, "sector_I_t"], rel=1e-12)
    assert solar.loc[2035, "sector_I_t"] == pytest.approx(0.6 * bau.loc[2035, "sector_I_t"], rel=1e-12)
    assert (solar["sector_II_t"] == bau["sector_II_t"]).all()
    assert solar.loc[2035, "abated_solar_t"] == pytest.approx(0.4 * bau.loc[2035, "sector_I_t"], rel=1e-12)


def test_electric_vehicles_swap_diesel_for_grid_electricity(inventory, seq):
    result = project(inventory, settings(Scenario("ev", "อีวี", "EV", (EV, SOLAR))), seq, {})
    ev = rows_of(result, "ev")
    litres = 100_000 * 1.01 ** 4
    expected = litres * 2.7406 / 1000 * 0.5 + litres * 0.5 * 2.0 * 0.4750 / 1000 * 0.6   # solar acts on EV power
    assert ev.loc[2030, "sector_II_t"] == pytest.approx(expected, rel=1e-12)


def test_green_area_adds_removals_and_net_and_gap_follow(inventory, seq):
    rate = dict(zip(seq["land_class"], seq["value"]))
    result = project(inventory, settings(Scenario("trees", "ป่า", "Trees", (TREES,))), seq, {"forest": 100.0})
    bau, trees = rows_of(result, "bau"), rows_of(result, "trees")
    assert bau.loc[2030, "removals_t"] == pytest.approx(100 * rate["forest"], rel=1e-12)
    added = {2026: 0, 2027: 10, 2028: 20, 2029: 30, 2040: 30}
    for year, ha in added.items():
        assert trees.loc[year, "removals_t"] - bau.loc[year, "removals_t"] == pytest.approx(ha * rate["forest_new"])
    assert (trees["net_t"] == trees["gross_t"] - trees["removals_t"]).all()
    big = project(inventory, settings(), seq, {"forest": 1e6})
    assert (big["net_t"] < 0).all() and (big["gap_to_net_zero_t"] == 0).all()


def test_method_is_recorded(inventory, seq):
    scenarios = settings(Scenario("trees", "ป่า", "Trees", (TREES,)))
    method = project(inventory, scenarios, seq, {"forest": 1.0}).attrs["method"]
    assert method["baseline_year"] == 2026 and method["to_year"] == 2050
    assert {r["land_class"] for r in method["removal_factors"]} == {"forest", "forest_new"}
    assert all(r["source"] and r["verification"] for r in method["removal_factors"])
    assert method["scenarios"][1]["levers"][0]["ha_per_year"] == 10


@pytest.mark.parametrize("area, to_year, message", [
    ({"wetland": 5.0}, 2050, "land class 'wetland' has no sequestration rate"),
    ({}, 2026, "must be after the baseline year"),
])
def test_bad_projection_input(inventory, seq, area, to_year, message):
    with pytest.raises(ValueError, match=message):
        project(inventory, settings(), seq, area, to_year=to_year)


def test_packaged_scenarios_are_documented(inventory, seq):
    scenarios = load_scenarios()
    assert scenarios.target_year == 2050
    assert set(scenarios.growth) >= {"I", "II", "III", "IV", "V"}
    assert all(scenarios.growth_basis[k] for k in scenarios.growth)
    assert all(lever.basis for lever in scenarios.levers.values())
    ambitious = {lv.id: lv for lv in next(s for s in scenarios.scenarios if s.id == "ambitious").levers}
    assert ambitious["renewable-electricity"].share == 0.8 and scenarios.levers["renewable-electricity"].share == 0.4
    assert scenarios.growth_rate("I.7.1") == 0.0 and scenarios.growth_rate("I.1.2") == 0.01


@pytest.mark.parametrize("change, message", [
    (lambda d: d["scenarios"].append({"id": "bau", "label_th": "x", "label_en": "x"}), "not 'bau'"),
    (lambda d: d["scenarios"][0]["levers"].append("teleportation"), "unknown lever 'teleportation'"),
    (lambda d: d["levers"]["reforestation"].update(colour="green"), r"unknown parameters \['colour'\]"),
    (lambda d: d["levers"]["waste-diversion"].update(share=1.5), r"share must be in \[0, 1\]"),
    (lambda d: d["levers"]["waste-diversion"].update(full_year=2020), "full_year must be after start_year"),
])
def test_bad_scenario_files_are_named(change, message):
    import yaml

    from ckanext.maemoh.netzero.scenarios import SCENARIOS_FILE

    doc = yaml.safe_load(SCENARIOS_FILE.read_text(encoding="utf-8"))
    change(doc)
    with pytest.raises(ValueError, match=message):
        parse_scenarios(doc)
