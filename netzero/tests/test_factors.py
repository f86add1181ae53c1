"""Emission factors and GWP values are data, picked by date, and recorded."""
import datetime as dt

import pandas as pd
import pytest

from ckanext.maemoh.netzero import factors
from ckanext.maemoh.netzero.factors import FactorSet

ROW = {"factor_id": "grid-electricity", "version": "A", "activity_unit": "kWh", "gas": "CO2e", "value": 0.5,
       "unit": "kgCO2e/kWh", "valid_from": "", "valid_to": "", "source": "test", "verification": "assumption"}


def table(*changes):
    return pd.DataFrame([dict(ROW, **c) for c in changes])


@pytest.fixture
def gwp():
    return factors.read_gwp()


def test_grid_factor_changes_on_1_january_2026(ar6):
    old = ar6.factor("grid-electricity", dt.date(2025, 12, 31))
    new = ar6.factor("grid-electricity", dt.date(2026, 1, 1))
    assert (old.value, old.version, old.verification) == (0.4999, "TGO-2016-18", "3rd-party")
    assert (new.value, new.version, new.verification) == (0.4750, "TGO-2026", "checked")


def test_packaged_table_holds_the_documented_values(ar6):
    day = dt.date(2024, 7, 1)
    expected = {"lignite": 1.0619, "lpg": 1.6812, "diesel-stationary": 2.7078, "diesel-onroad": 2.7406,
                "gasoline-stationary": 2.1894, "gasoline-onroad": 2.2394, "natural-gas": 0.0562,
                "lignite-surface-mining-ch4": 0.804}
    assert {k: ar6.factor(k, day).value for k in expected} == expected
    mine = ar6.factor("lignite-surface-mining-ch4", day)
    assert (mine.gas, mine.verification) == ("CH4", "IPCC default")
    assert ar6.factor("msw-landfill-ch4", day).verification == "assumption"


def test_every_packaged_row_has_source_and_known_verification():
    df = factors.read_factors()
    assert (df["source"].str.len() > 20).all()
    assert set(df["verification"]) <= set(factors.VERIFICATION)


def test_gwp_sets_split_fossil_and_non_fossil_methane(ar5, ar6):
    values = {s.gwp_set: (s.gwp("CH4", "fossil").value, s.gwp("CH4", "non-fossil").value, s.gwp("N2O").value)
              for s in (ar5, ar6)}
    assert values == {"ar5": (30.0, 28.0, 265.0), "ar6": (29.8, 27.0, 273.0)}
    assert ar6.gwp("CO2").value == 1.0 and ar6.gwp("CO2e") is None
    fossil = ar6.gwp("CH4", "fossil")
    assert (fossil.key, fossil.verification, fossil.version) == ("CH4-fossil", "3rd-party", "2026-12-1")
    assert "Table 7.15" in fossil.source


def test_every_packaged_gwp_row_has_source_verification_and_version(gwp):
    assert (gwp["source"].str.len() > 20).all() and (gwp["version"] != "").all()
    assert set(gwp["verification"]) <= set(factors.VERIFICATION)
    assert 27.9 not in set(gwp["value"])        # AR6's single CH4 value is neither fossil nor non-fossil


def test_methane_must_be_named(ar6):
    with pytest.raises(ValueError, match=r"CH4 needs the methane its activity emits: .*'non-fossil'\), not None"):
        ar6.gwp("CH4")


def one_value_set():
    """An AR4-like set: one CH4 value for all methane (AR4 GWP100, as the reference gives them)."""
    rows = [("CO2", "", 1), ("CH4", "all", 25), ("N2O", "", 298)]
    return pd.DataFrame([{"gwp_set": "ar4", "gas": g, "methane": m, "value": v, "source": "IPCC AR4 test",
                          "verification": "3rd-party", "version": "t"} for g, m, v in rows])


def test_a_set_with_one_ch4_value_uses_it_for_both_methanes_and_says_so():
    fs = FactorSet.from_frames(factors.read_factors(), one_value_set(), "ar4")
    fossil, non_fossil = fs.gwp("CH4", "fossil"), fs.gwp("CH4", "non-fossil")
    assert fossil == non_fossil and (fossil.key, fossil.value) == ("CH4-all", 25.0)


@pytest.mark.parametrize("table, message", [
    (lambda g: g[~((g["gwp_set"] == "ar6") & (g["methane"] == "non-fossil"))], r"got \['fossil'\]"),
    (lambda g: pd.concat([g, one_value_set().assign(gwp_set="ar6").iloc[[1]]]), r"got \['all', 'fossil', 'non"),
    (lambda g: g.assign(methane=g["methane"].replace("fossil", "coal")), "methane must be one of"),
    (lambda g: g.assign(methane=g["methane"].where(g["gas"] != "N2O", "fossil")), "methane is for CH4 only"),
    (lambda g: g.assign(verification="trust me"), "verification 'trust me'"),
    (lambda g: g.assign(source=""), "ar6, CO2: source is empty"),
    (lambda g: g.assign(value=0), "not a positive number"),
])
def test_bad_gwp_tables_are_named(gwp, table, message):
    with pytest.raises(ValueError, match=message):
        FactorSet.from_frames(factors.read_factors(), table(gwp), "ar6")


def test_unknown_gwp_set_is_an_error(gwp):
    with pytest.raises(ValueError, match="GWP set 'ar4'"):
        FactorSet.from_frames(factors.read_factors(), gwp, "ar4")


def test_no_version_valid_on_the_date_is_an_error(gwp):
    fs = FactorSet.from_frames(table({"valid_from": "2026-01-01"}), gwp)
    with pytest.raises(ValueError, match=r"no version of emission factor 'grid-electricity' is valid on 2024-07-01"):
        fs.factor("grid-electricity", dt.date(2024, 7, 1))


def test_unknown_factor_id_is_an_error(ar6):
    with pytest.raises(ValueError, match="no emission factor 'coal-dust'"):
        ar6.factor("coal-dust", dt.date(2024, 1, 1))


def test_overlapping_versions_are_an_error(gwp):
    overlapping = table({"valid_to": "2026-06-30"}, {"version": "B", "valid_from": "2026-01-01"})
    with pytest.raises(ValueError, match="versions A and B have overlapping validity"):
        FactorSet.from_frames(overlapping, gwp)


@pytest.mark.parametrize("change, message", [
    ({"gas": "SF6"}, "gas 'SF6'"),
    ({"verification": "trust me"}, "verification 'trust me'"),
    ({"valid_from": "1 Jan 2026"}, "is not a date"),
    ({"value": -1}, "not a non-negative number"),
    ({"valid_from": "2026-02-01", "valid_to": "2026-01-01"}, "valid_from is after valid_to"),
    ({"source": ""}, "source is empty"),
])
def test_bad_rows_are_named(gwp, change, message):
    with pytest.raises(ValueError, match=message):
        FactorSet.from_frames(table(change), gwp)


def test_missing_columns_are_named(gwp):
    with pytest.raises(ValueError, match=r"lack columns \['verification'\]"):
        FactorSet.from_frames(table({}).drop(columns="verification"), gwp)


def test_record_names_the_rows_looked_up_and_the_gwp_set(gwp):
    fs = FactorSet.from_frames(factors.read_factors(), gwp, "ar5")
    fs.factor("grid-electricity", dt.date(2026, 3, 1))
    fs.factor("msw-landfill-ch4", dt.date(2026, 3, 1))
    fs.gwp("CH4", "non-fossil")
    record = fs.record()
    assert [(f["factor_id"], f["version"]) for f in record["factors"]] == [
        ("grid-electricity", "TGO-2026"), ("msw-landfill-ch4", "assumption-2025-1")]
    assert record["gwp_set"] == "ar5"
    source = gwp.query("gwp_set == 'ar5' and methane == 'non-fossil'")["source"].item()
    assert record["gwp"] == {"CH4-non-fossil": {"value": 28.0, "source": source, "verification": "3rd-party",
                                                "version": "2026-12-1"}}
