"""The GPC inventory: hand-computed lines, totals, notation keys and input errors."""
import json
import math
import re

import pandas as pd
import pytest

from ckanext.maemoh.netzero import factors
from ckanext.maemoh.netzero.factors import FactorSet
from ckanext.maemoh.netzero.inventory import LINE_COLUMNS, compute_inventory, tambon_codes
from ckanext.maemoh.netzero.tests.conftest import activities

ONE_OF_EACH = (
    ("520201", "electricity-residential", 1_000_000, "kWh"),   # I.1.2
    ("district", "lpg-residential", 1_000, "L"),               # I.1.1
    ("520204", "lignite-mined", 1_000, "t"),                   # I.7.1
    ("district", "diesel-onroad", 10_000, "L"),                # II.1.1
    ("520202", "msw-landfill", 100, "t"),                      # III.1.1
    ("520203", "cattle", 10, "head"),                          # V.1
)


def line(inv, activity):
    rows = inv.lines[inv.lines["activity"] == activity]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize("year, expected, version", [(2026, 475.0, "TGO-2026"), (2025, 499.9, "TGO-2016-18")])
def test_a_million_kwh_of_household_electricity(ar6, year, expected, version):
    inv = compute_inventory(activities(("520201", "electricity-residential", 1_000_000, "kWh"), year=year), ar6, year)
    row = line(inv, "electricity-residential")
    assert row["emissions_t_co2e"] == pytest.approx(expected, abs=1e-9)
    assert (row["gpc_ref"], row["sector"], row["scope"], row["factor_version"]) == ("I.1.2", "I", 2, version)
    assert inv.record()["versions"] == [version]


def test_hand_computed_lines_of_every_sector(ar6):
    # methane is weighted by AR6 fossil (29.8) or non-fossil (27.0) GWP, no longer by the single 27.9
    inv = compute_inventory(activities(*ONE_OF_EACH), ar6, 2026)
    expected = {
        "electricity-residential": ("I.1.2", 1_000_000 * 0.4750 / 1000),   # 475.0
        "lpg-residential": ("I.1.1", 1_000 * 1.6812 / 1000),               # 1.6812
        "lignite-mined": ("I.7.1", 1_000 * 0.804 * 29.8 / 1000),           # 23.9592, fossil
        "diesel-onroad": ("II.1.1", 10_000 * 2.7406 / 1000),               # 27.406
        "msw-landfill": ("III.1.1", 100 * 30.0 * 27.0 / 1000),             # 81.0, non-fossil
        "cattle": ("V.1", 10 * 47.0 * 27.0 / 1000),                        # 12.69, non-fossil
    }
    for activity, (ref, tonnes) in expected.items():
        row = line(inv, activity)
        assert row["gpc_ref"] == ref
        assert row["emissions_t_co2e"] == pytest.approx(tonnes, rel=1e-12)
    basic = sum(t for a, (_, t) in expected.items() if a != "cattle")
    assert inv.basic_t == pytest.approx(basic, rel=1e-12)
    assert inv.basic_plus_t == pytest.approx(basic + 12.69, rel=1e-12)
    assert list(inv.lines.columns) == list(LINE_COLUMNS)


def test_switching_the_gwp_set_changes_methane_lines_only_and_is_recorded(ar5, ar6):
    rows = activities(*ONE_OF_EACH)
    a5, a6 = compute_inventory(rows, ar5, 2026), compute_inventory(rows, ar6, 2026)
    assert line(a5, "msw-landfill")["emissions_t_co2e"] == pytest.approx(100 * 30.0 * 28 / 1000, rel=1e-12)
    assert line(a5, "msw-landfill")["gwp"] == 28.0 and line(a6, "msw-landfill")["gwp"] == 27.0
    assert line(a5, "diesel-onroad")["emissions_t_co2e"] == line(a6, "diesel-onroad")["emissions_t_co2e"]
    # BASIC methane: 3,000 kg non-fossil (AR5 28 vs AR6 27.0) and 804 kg fossil (AR5 30 vs AR6 29.8)
    assert a5.basic_t - a6.basic_t == pytest.approx((100 * 30 * 1.0 + 1000 * 0.804 * 0.2) / 1000, rel=1e-9)
    assert (a5.record()["gwp_set"], a6.record()["gwp_set"]) == ("ar5", "ar6")
    assert set(a6.lines["gwp_set"].dropna()) == {"ar6"}
    assert a6.record()["gwp"]["CH4-fossil"]["value"] == 29.8 and a6.record()["gwp"]["CH4-non-fossil"]["value"] == 27.0


SAME_METHANE = (("520204", "lignite-mined", 1_000, "t"),     # 1,000 t x 0.804 kg/t = 804 kg CH4, fossil
                ("520202", "msw-landfill", 26.8, "t"))       # 26.8 t x 30 kg/t = 804 kg CH4, non-fossil


def test_the_mines_methane_is_fossil_and_the_landfills_non_fossil(ar6):
    inv = compute_inventory(activities(*SAME_METHANE), ar6, 2026)
    mine, landfill = line(inv, "lignite-mined"), line(inv, "msw-landfill")
    assert (mine["gwp_gas"], mine["gwp"], landfill["gwp_gas"], landfill["gwp"]) == (
        "CH4-fossil", 29.8, "CH4-non-fossil", 27.0)
    assert mine["emissions_t_co2e"] == pytest.approx(0.804 * 29.8, rel=1e-12)          # 23.9592 t
    assert landfill["emissions_t_co2e"] == pytest.approx(0.804 * 27.0, rel=1e-12)      # 21.708 t
    assert mine["emissions_t_co2e"] - landfill["emissions_t_co2e"] == pytest.approx(0.804 * 2.8, rel=1e-12)
    assert inv.record()["ch4_gwp_by_activity"] == {
        "lignite-mined": {"methane": "fossil", "gwp_gas": "CH4-fossil", "gwp": 29.8},
        "msw-landfill": {"methane": "non-fossil", "gwp_gas": "CH4-non-fossil", "gwp": 27.0}}


def test_against_the_single_ar6_value_the_mine_gains_and_the_landfill_loses(ar6):
    other_gases = factors.read_gwp().query("gwp_set == 'ar6' and gas != 'CH4'")
    ar6_single = pd.concat([other_gases, other_gases.iloc[[0]].assign(gas="CH4", methane="all", value=27.9)])
    single_set = FactorSet.from_frames(factors.read_factors(), ar6_single)
    single = compute_inventory(activities(*SAME_METHANE), single_set, 2026)
    split = compute_inventory(activities(*SAME_METHANE), ar6, 2026)
    assert line(single, "lignite-mined")["gwp_gas"] == line(single, "msw-landfill")["gwp_gas"] == "CH4-all"
    gained = line(split, "lignite-mined")["emissions_t_co2e"] - line(single, "lignite-mined")["emissions_t_co2e"]
    lost = line(single, "msw-landfill")["emissions_t_co2e"] - line(split, "msw-landfill")["emissions_t_co2e"]
    assert gained == pytest.approx(0.804 * 1.9, rel=1e-12)         # 1.5276 t CO2e more for the mine
    assert lost == pytest.approx(0.804 * 0.9, rel=1e-12)           # 0.7236 t CO2e less for the landfill


def test_i44_is_reported_apart_and_never_in_basic_or_basic_plus(ar6):
    plant = ("520204", "power-plant-lignite", 1_000_000, "kg")
    alone = compute_inventory(activities(plant), ar6, 2026)
    assert alone.i44_t == pytest.approx(1_061.9, rel=1e-12)
    assert math.isnan(alone.basic_t) and math.isnan(alone.basic_plus_t)
    without = compute_inventory(activities(*ONE_OF_EACH), ar6, 2026)
    with_plant = compute_inventory(activities(*ONE_OF_EACH, plant), ar6, 2026)
    assert (with_plant.basic_t, with_plant.basic_plus_t) == (without.basic_t, without.basic_plus_t)
    assert with_plant.by_sector().loc["I", "basic_plus_t"] == without.by_sector().loc["I", "basic_plus_t"]
    assert with_plant.by_sector().loc["I", "i44_t"] == pytest.approx(1_061.9)
    assert with_plant.by_tambon().loc["520204", "basic_t"] == without.by_tambon().loc["520204", "basic_t"]


def test_a_sector_without_activity_gets_a_notation_key_not_zero(ar6):
    inv = compute_inventory(activities(("520201", "electricity-residential", 1_000, "kWh")), ar6, 2026)
    sectors = inv.by_sector()
    assert sectors.loc["IV", "notation"] == "NE" and math.isnan(sectors.loc["IV", "basic_plus_t"])
    assert sectors.loc["II", "notation"] == "NE, NO"
    assert sectors.loc["I", "notation"] == ""
    notation = inv.notation.set_index("gpc_ref")["notation_key"]
    assert (notation["IV.1"], notation["I.4.1"], notation["II.3.1"], notation["I.4.4"]) == ("NE", "IE", "NO", "NE")
    assert "I.1.2" not in notation.index
    ne = inv.lines[inv.lines["gpc_ref"] == "IV.1"].iloc[0]
    assert ne["notation_key"] == "NE" and pd.isna(ne["emissions_t_co2e"])
    assert math.isnan(inv.i44_t)


def test_units_convert_only_exactly(ar6):
    inv = compute_inventory(activities(("520201", "electricity-residential", 1_000, "MWh"),
                                       ("district", "green-orchard", 100, "rai")), ar6, 2026)
    assert line(inv, "electricity-residential")["quantity"] == 1_000_000
    assert line(inv, "electricity-residential")["unit"] == "kWh"
    assert inv.green_area_ha() == {"orchard": pytest.approx(16.0)}


def test_memo_items_keep_their_quantities_and_make_no_emissions(ar6):
    inv = compute_inventory(activities(("520204", "power-plant-generation", 13e9, "kWh")), ar6, 2026)
    assert inv.memo.to_dict("records") == [{"gpc_ref": "I.4.4", "tambon_code": "520204",
                                            "activity": "power-plant-generation", "quantity": 13e9,
                                            "unit": "kWh", "land_class": None}]
    assert inv.lines["notation_key"].notna().all()


def test_by_tambon_puts_district_rows_last(ar6):
    inv = compute_inventory(activities(*ONE_OF_EACH), ar6, 2026)
    table = inv.by_tambon()
    assert list(table.index) == ["520201", "520202", "520203", "520204", "district"]
    assert table["basic_plus_t"].sum() == pytest.approx(inv.basic_plus_t, rel=1e-12)


def test_record_is_json(ar6):
    record = compute_inventory(activities(*ONE_OF_EACH), ar6, 2026).record()
    json.dumps(record, allow_nan=False)
    assert record["totals_t_co2e"]["i44_reported_separately"] is None
    assert record["factor_date"] == "2026-07-01"
    assert {f["factor_id"] for f in record["factors"]} == {
        "grid-electricity", "lpg", "lignite-surface-mining-ch4", "diesel-onroad", "msw-landfill-ch4",
        "enteric-cattle-ch4"}


@pytest.mark.parametrize("rows, message", [
    (activities(("520201", "electricity-residential", 1, "kWh"), ("520201", "coal-stove", 1, "kg"),
                ("520201", "wood-stove", 1, "kg")), r"unknown activity codes \['coal-stove', 'wood-stove'\]"),
    (activities(("520201", "electricity-residential", 1, "BTU")), r"electricity-residential in 'BTU'"),
    (activities(("520201", "electricity-residential", 1, "kWh"), year=2031),
     r"no activity rows for 2026 \(years present: \[2031\]\)"),
    (activities(("520201", "electricity-residential", -5, "kWh")), "missing or negative"),
    (activities(("520201", "electricity-residential", None, "kWh")), "missing or negative"),
    (activities(("520201", "electricity-residential", 1, "kWh")).drop(columns="unit"), r"lacks columns \['unit'\]"),
])
def test_bad_input_is_named(ar6, rows, message):
    with pytest.raises(ValueError, match=message):
        compute_inventory(rows, ar6, 2026)


def test_place_codes_are_the_five_tambons_and_the_district(ar6, demo):
    assert tambon_codes() == ("520201", "520202", "520203", "520204", "520205")
    assert set(compute_inventory(demo, ar6, 2024).lines["tambon_code"]) == {*tambon_codes(), "district"}


@pytest.mark.parametrize("code", ['=HYPERLINK("http://x")', "520299", "", "520201.0"])
def test_an_unknown_tambon_code_is_refused(ar6, code):
    rows = activities(("520201", "electricity-residential", 1, "kWh"), (code, "lpg-residential", 1, "L"))
    message = rf"row 2: {re.escape(repr(code))}\); known: 520201, 520202, 520203, 520204, 520205, district"
    with pytest.raises(ValueError, match=message):
        compute_inventory(rows, ar6, 2026)


def test_a_missing_factor_for_the_year_is_an_error():
    grid_from_2026 = factors.read_factors().query("factor_id == 'grid-electricity' and version == 'TGO-2026'")
    fs = FactorSet.from_frames(grid_from_2026, factors.read_gwp())
    rows = activities(("520201", "electricity-residential", 1, "kWh"), year=2024)
    with pytest.raises(ValueError, match="no version of emission factor 'grid-electricity' is valid on 2024-07-01"):
        compute_inventory(rows, fs, 2024)
