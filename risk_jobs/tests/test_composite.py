"""Exposure, vulnerability, composite risk and its classes."""
from importlib.resources import files

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from ckanext.maemoh.risk_jobs import composite
from ckanext.maemoh.risk_jobs.hazards import no_data

DATA = files("ckanext.maemoh") / "data"
DISTRICT_TOTAL = 38_420


@pytest.fixture(scope="module")
def tambons():
    return gpd.read_file(str(DATA / "maemoh_tambons.geojson"))


@pytest.fixture(scope="module")
def population():
    return pd.read_csv(DATA / "population_2024.csv")[["tambon_code", "population"]]


@pytest.fixture(scope="module")
def grid():
    """0.05° squares covering the district bounding box (lon 99.624–100.057, lat 18.193–18.625)."""
    xs = np.arange(99.60, 100.06, 0.05)
    ys = np.arange(18.15, 18.65, 0.05)
    return gpd.GeoDataFrame(
        {"cell_id": [f"{i:02d}-{j:02d}" for i in range(len(xs)) for j in range(len(ys))]},
        geometry=[box(x, y, x + 0.05, y + 0.05) for x in xs for y in ys],
        crs="EPSG:4326",
    )


def test_exposure_index_is_fixed_not_relative():
    density = pd.Series([0.0, 10.0, 100.0, 1_000.0, 10_000.0, 50_000.0, np.nan], name="d")
    e = composite.exposure_index(density)
    assert e.iloc[0] == 0.0 and e.iloc[4] == 1.0 and e.iloc[5] == 1.0 and np.isnan(e.iloc[6])
    assert e.iloc[2] == pytest.approx(np.log10(101) / np.log10(10_001))
    # the same density gives the same exposure whatever else is in the run
    alone = composite.exposure_index(pd.Series([100.0]))
    assert alone.iloc[0] == e.iloc[2]
    with pytest.raises(ValueError, match="negative"):
        composite.exposure_index(pd.Series([-1.0]))


def test_exposure_sums_back_to_tambon_populations(grid, tambons, population):
    shares = composite.area_shares(grid, tambons)
    assert shares.groupby("tambon_code")["share"].sum().to_numpy() == pytest.approx(1.0, abs=1e-6)
    exp = composite.exposure(grid, population, shares)
    assert exp.table["population"].sum() == pytest.approx(DISTRICT_TOTAL, abs=0.5)
    # per tambon as well
    placed = shares.assign(p=shares["cell_id"].map(exp.table["population"]))
    merged = shares.merge(population.astype({"tambon_code": str}), on="tambon_code")
    per_tambon = (merged["share"] * merged["population"]).groupby(merged["tambon_code"]).sum()
    for code, pop in population.astype({"tambon_code": str}).itertuples(index=False):
        assert per_tambon[code] == pytest.approx(pop)
    assert placed["p"].notna().all()
    expected = composite.exposure_index(exp.table["density_per_km2"])
    pd.testing.assert_series_equal(exp.values, expected.rename("exposure"))
    assert 0.0 <= exp.values.min() and exp.values.max() < 1.0  # Mae Moh is nowhere near 10 000/km²
    assert list(exp.values.index) == grid["cell_id"].tolist()
    assert (exp.table.loc[~exp.table.index.isin(shares["cell_id"]), "population"] == 0).all()
    assert exp.table["density_per_km2"].equals(exp.table["population"] / exp.table["area_km2"])
    assert not [n for n in exp.notes if "not 1" in n]


def test_exposure_with_tambons_as_cells(tambons, population):
    cells = tambons.assign(cell_id=tambons["tambon_code"])
    shares = pd.DataFrame({"cell_id": cells["cell_id"], "tambon_code": cells["tambon_code"], "share": 1.0})
    exp = composite.exposure(cells, population, shares)
    assert exp.table.loc["520204", "population"] == 14861
    assert exp.table["population"].sum() == DISTRICT_TOTAL
    assert exp.values.idxmax() == "520204"  # Mae Mo: densest


def test_exposure_flags_incomplete_shares(tambons, population):
    cells = tambons.assign(cell_id=tambons["tambon_code"])
    shares = pd.DataFrame({"cell_id": ["520201"], "tambon_code": ["520201"], "share": [0.5]})
    exp = composite.exposure(cells, population, shares)
    assert any("520201" in n and "not 1" in n for n in exp.notes)
    with pytest.raises(ValueError):
        composite.exposure(cells, population, shares.assign(cell_id="nowhere"))


def test_vulnerability_equal_weights_and_table(tambons):
    cells = tambons.assign(cell_id=tambons["tambon_code"])
    v = composite.vulnerability(cells)
    assert (v.values == 1.0).all() and v.method == "equal weights"
    assert any("equal weights" in n for n in v.notes)
    by_tambon = pd.DataFrame({"tambon_code": ["520201", "520204"], "vulnerability": [0.2, 0.9]})
    v2 = composite.vulnerability(cells, by_tambon)
    assert v2.values["520204"] == 0.9 and np.isnan(v2.values["520202"])
    with pytest.raises(ValueError):
        composite.vulnerability(cells, by_tambon.assign(vulnerability=2.0))


def test_composite_geometric_mean_zero_and_nan():
    idx = pd.Index(["a", "b", "c", "d"], name="cell_id")
    hazard = pd.Series([0.0, 1.0, 0.5, 1.0], index=idx)  # on 0-1 already
    exposure = pd.Series([1.0, 0.0, 0.5, np.nan], index=idx)
    vuln = pd.Series(1.0, index=idx)
    result = composite.composite_risk(hazard, exposure, vuln)
    t = result.table
    assert t.loc["a", "risk"] == 0.0  # hazard 0
    assert t.loc["b", "risk"] == 0.0  # exposure 0
    assert t.loc["c", "risk"] == pytest.approx((0.5 * 0.5 * 1.0) ** (1 / 3))
    assert np.isnan(t.loc["d", "risk"]) and pd.isna(t.loc["d", "risk_class"])
    assert t.loc["d", "label_en"] == "No data" and t.loc["d", "label_th"] == "ไม่มีข้อมูล"
    assert t.loc["a", "risk_class"] == 1 and t.loc["a", "label_th"] == "ต่ำมาก"
    assert t.loc["c", "risk_class"] == 4  # 0.63
    assert "hazard_n" in t and t["hazard_n"].tolist() == hazard.tolist()


def test_composite_carries_notes_and_refuses_bad_components(tambons):
    cells = tambons.assign(cell_id=tambons["tambon_code"])
    v = composite.vulnerability(cells)
    e = pd.Series(0.5, index=pd.Index(cells["cell_id"], name="cell_id"))
    h = pd.Series(0.75, index=e.index)  # the same level everywhere: the same risk everywhere
    result = composite.composite_risk(h, e, v)
    assert any("equal weights" in n for n in result.notes)
    assert result.table["risk"].nunique() == 1 and result.table["risk"].iloc[0] > 0
    with pytest.raises(TypeError):
        composite.composite_risk(no_data("water"), e, v)
    with pytest.raises(ValueError, match="exposure"):
        composite.composite_risk(h, e * 3, v)
    with pytest.raises(ValueError, match="hazard"):
        composite.composite_risk(h * 70, e, v)


@pytest.mark.parametrize("value, expected", [
    (0.0, 1), (0.2, 1), (0.2000011, 2), (0.4, 2), (0.400001, 3), (0.6, 3),
    (0.600001, 4), (0.8, 4), (0.800001, 5), (1.0, 5),
])
def test_classes_at_their_edges(value, expected):
    assert composite.classify(pd.Series([value])).iloc[0] == expected


def test_class_table():
    classes = composite.RISK_CLASSES
    assert [c.value for c in classes] == [1, 2, 3, 4, 5]
    assert [c.label_th for c in classes] == ["ต่ำมาก", "ต่ำ", "ปานกลาง", "สูง", "สูงมาก"]
    assert [c.label_en for c in classes] == ["Very low", "Low", "Moderate", "High", "Very high"]
    assert classes[0].label == "ต่ำมาก / Very low"
    assert all(c.colour.startswith("#") and len(c.colour) == 7 for c in classes)
    assert len({c.colour for c in classes}) == 5
    assert [c.lower for c in classes[1:]] == [c.upper for c in classes[:-1]]
    with pytest.raises(ValueError):
        composite.classify(pd.Series([1.2]))
