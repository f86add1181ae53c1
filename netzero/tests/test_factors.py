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


def test_gwp_sets(ar5, ar6):
    assert (ar5.gwp("CH4"), ar5.gwp("N2O")) == (28.0, 265.0)
    assert (ar6.gwp("CH4"), ar6.gwp("N2O")) == (27.9, 273.0)
    assert ar6.gwp("CO2") == ar6.gwp("CO2e") == 1.0


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
    record = fs.record()
    assert [(f["factor_id"], f["version"]) for f in record["factors"]] == [
        ("grid-electricity", "TGO-2026"), ("msw-landfill-ch4", "assumption-2025-1")]
    assert record["gwp_set"] == "ar5"
    assert record["gwp"] == {"CH4": {"value": 28.0, "source": gwp.loc[1, "source"]}}
