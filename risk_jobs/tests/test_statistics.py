"""Global Moran, LISA and Gi* against esda, on synthetic lattices and a small real grid."""
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W, lat2W

from ckanext.maemoh.risk_jobs import statistics as st
from ckanext.maemoh.risk_jobs.grid import hex_grid, weights

TAMBONS = (
    Path(__file__).resolve().parents[2]
    / "ckanext-maemoh/ckanext/maemoh/data/maemoh_tambons.geojson"
)
PERMS = 99  # keeps the suite fast; the default is 999

# The tests call esda directly too; its 2.9 notice about the coming default is expected.
pytestmark = pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")


@pytest.fixture(scope="session", autouse=True)
def compiled():
    """One numba compilation (15-18 s) for the whole session."""
    st.warm_up()


def lattice(n=10):
    """Row-standardised queen lattice n x n (ids 0..n*n-1, row-major)."""
    w = lat2W(n, n, rook=False)
    w.transform = "r"
    return w


def cluster_values(n=10, seed=1):
    """High 4x4 block in the top-left corner, low elsewhere, small noise."""
    rng = np.random.default_rng(seed)
    grid = np.zeros((n, n))
    grid[:4, :4] = 10.0
    return pd.Series((grid + rng.normal(0, 0.1, (n, n))).ravel(), index=range(n * n))


def test_global_moran_checkerboard_is_negative():
    n = 8
    w = lat2W(n, n, rook=True)
    w.transform = "r"
    y = pd.Series(np.indices((n, n)).sum(axis=0).ravel() % 2, index=range(n * n), dtype=float)
    res = st.global_moran(y, w, permutations=PERMS, seed=3)
    assert res.I == pytest.approx(-1.0)
    assert res.I < res.expected_I == pytest.approx(-1 / (n * n - 1))
    assert res.p_sim == pytest.approx(1 / (PERMS + 1)) and res.z_sim < 0
    assert res.n == n * n and res.notes == ()


def test_global_moran_is_seeded_and_leaves_numpy_state_alone():
    w, y = lattice(), cluster_values()
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = st.global_moran(y, w, permutations=PERMS, seed=5)
    assert np.random.random() == before
    b = st.global_moran(y, w, permutations=PERMS, seed=5)
    assert a == b and a.I > 0.5


def test_cluster_gives_hh_and_hot_cells():
    w, y = lattice(), cluster_values()
    res = st.local_statistics(y, w, permutations=PERMS, seed=7, fdr=False)
    assert list(res.index) == list(y.index)
    assert list(res.columns) == ["lisa_i", "lisa_q", "lisa_p", "lisa_class", "gi_z", "gi_p", "gi_class"]
    core = [11, 12, 21, 22]  # inside the block: all 8 neighbours high
    assert (res.loc[core, "lisa_class"] == "HH").all()
    assert (res.loc[core, "lisa_q"] == 1).all()
    assert res.loc[core, "gi_class"].str.startswith("hot").all()
    assert (res.loc[core, "gi_z"] > 0).all()
    # Far from the block nothing is hot or HH.
    far = [88, 89, 98, 99]
    assert not res.loc[far, "lisa_class"].isin(["HH", "HL"]).any()
    assert not res.loc[far, "gi_class"].str.startswith("hot").any()
    assert set(res["lisa_class"]) <= set(st.LISA_CLASSES)
    assert set(res["gi_class"]) <= set(st.GI_CLASSES)
    assert res.attrs["alpha_lisa"] == res.attrs["alpha_gi"] == 0.05


def test_results_equal_esda_on_a_hexagon_grid():
    cells, _ = hex_grid(gpd.read_file(TAMBONS), resolution=7)
    w = weights(cells)
    centre = cells.geometry.to_crs(32647).centroid
    rng = np.random.default_rng(11)
    y = pd.Series(centre.x.to_numpy() / 1e4 + rng.normal(0, 1, len(cells)), index=cells.index)
    res = st.local_statistics(y, w, permutations=PERMS, seed=42, significance=0.10, fdr=False)

    lisa = esda.Moran_Local(y.to_numpy(), w, transformation="r", permutations=PERMS,
                            n_jobs=1, keep_simulations=False, seed=42)
    with pytest.warns(UserWarning, match="Gi"):
        gi = esda.G_Local(y.to_numpy(), w, transform="R", star=True, permutations=PERMS,
                          n_jobs=1, keep_simulations=False, seed=42)
    np.testing.assert_array_equal(res["lisa_i"].to_numpy(), lisa.Is)
    np.testing.assert_array_equal(res["lisa_q"].to_numpy(dtype=int), lisa.q)
    # esda 2.9 gives float32 p; ours are the exact (M + 1) / (P + 1) in float64.
    np.testing.assert_array_equal(res["lisa_p"].to_numpy().astype(lisa.p_sim.dtype), lisa.p_sim)
    np.testing.assert_array_equal(res["gi_z"].to_numpy(), gi.Zs)
    np.testing.assert_array_equal(res["gi_p"].to_numpy().astype(gi.p_sim.dtype), gi.p_sim)
    assert res.attrs["islands"] == [] and res.attrs["untestable"] == []
    sig = lisa.p_sim <= 0.10
    expected = np.where(sig, pd.Series(lisa.q).map(st.LISA_LABELS), "not significant")
    np.testing.assert_array_equal(res["lisa_class"].to_numpy(), expected)
    gi_sig = res["gi_p"] <= 0.10
    assert (res.loc[gi_sig & (res.gi_z > 0), "gi_class"].str.startswith("hot")).all()
    assert (res.loc[gi_sig & (res.gi_z < 0), "gi_class"].str.startswith("cold")).all()
    assert (res.loc[~gi_sig, "gi_class"] == "not significant").all()
    assert (res.loc[res.gi_p <= 0.01, "gi_class"].str.endswith("99%")).all()
    assert (res.loc[(res.gi_p > 0.05) & gi_sig, "gi_class"].str.endswith("90%")).all()
    # Seeded: the same call gives the same result.
    pd.testing.assert_frame_equal(res, st.local_statistics(y, w, permutations=PERMS, seed=42, significance=0.10, fdr=False))


def test_fdr_replaces_significance_with_the_esda_cut_off():
    w, y = lattice(), cluster_values()
    plain = st.local_statistics(y, w, permutations=PERMS, seed=7, fdr=False)
    res = st.local_statistics(y, w, permutations=PERMS, seed=7, fdr=True)
    assert res.attrs["alpha_lisa"] == esda.fdr(plain["lisa_p"].to_numpy(), 0.05)
    assert res.attrs["alpha_gi"] == esda.fdr(plain["gi_p"].to_numpy(), 0.05)
    significant = res["lisa_class"].isin(["HH", "LH", "LL", "HL"])
    assert (significant == (plain["lisa_p"] <= res.attrs["alpha_lisa"])).all()
    assert significant.sum() <= plain["lisa_class"].isin(["HH", "LH", "LL", "HL"]).sum()
    pd.testing.assert_series_equal(res["lisa_p"], plain["lisa_p"])  # p-values unadjusted


def test_island_is_isolated_not_a_false_cluster():
    base = lat2W(5, 5, rook=False)
    neighbors = dict(base.neighbors)
    neighbors["island"] = []
    w = W(neighbors, id_order=list(range(25)) + ["island"], silence_warnings=True)
    w.transform = "r"
    y = pd.Series(np.arange(26, dtype=float), index=w.id_order)
    y["island"] = 100.0
    # What esda does on its own: a "significant" HL island.
    raw = esda.Moran_Local(y.to_numpy(), w, permutations=PERMS, n_jobs=1, keep_simulations=False, seed=1)
    i = w.id_order.index("island")
    assert raw.p_sim[i] == pytest.approx(1 / (PERMS + 1)) and raw.q[i] == 4

    res = st.local_statistics(y, w, permutations=PERMS, seed=1, fdr=True)
    assert res.loc["island", "lisa_class"] == "isolated"
    assert res.loc["island", "gi_class"] == "isolated"
    assert np.isnan(res.loc["island", "lisa_p"]) and np.isnan(res.loc["island", "gi_p"])
    assert res.loc["island", "lisa_q"] is pd.NA
    assert res.attrs["islands"] == ["island"]
    assert (res.drop(index="island")["lisa_class"] != "isolated").all()


def test_nan_values_are_no_data_and_left_out():
    w, y = lattice(), cluster_values()
    y = y.copy()
    y[[0, 55]] = np.nan
    res = st.local_statistics(y, w, permutations=PERMS, seed=7, fdr=False)
    assert list(res.index) == list(y.index)
    assert (res.loc[[0, 55], "lisa_class"] == "no data").all()
    assert (res.loc[[0, 55], "gi_class"] == "no data").all()
    assert res.loc[[0, 55], ["lisa_i", "lisa_p", "gi_z", "gi_p"]].isna().all().all()
    assert res.drop(index=[0, 55])[["lisa_i", "lisa_p", "gi_z", "gi_p"]].notna().all().all()
    assert res.attrs["no_data"] == [0, 55]
    assert w.cardinalities[1] == 5  # the caller's weights are untouched
    # Equal to esda on the subset.
    keep = y.dropna()
    sub = W({i: [j for j in w.neighbors[i] if j in keep.index] for i in keep.index}, silence_warnings=True)
    lisa = esda.Moran_Local(keep.to_numpy(), sub, permutations=PERMS, n_jobs=1, keep_simulations=False, seed=7)
    np.testing.assert_allclose(res.loc[keep.index, "lisa_i"].to_numpy(), lisa.Is)
    np.testing.assert_array_equal(res.loc[keep.index, "lisa_p"].to_numpy().astype(np.float32), lisa.p_sim)
    g = st.global_moran(y, w, permutations=PERMS)
    assert g.n == 98 and "dropped" in g.notes[0]


def test_unit_whose_neighbours_are_all_nan_is_isolated():
    w = lattice(5)
    y = pd.Series(np.arange(25, dtype=float), index=range(25))
    y[[1, 5, 6]] = np.nan  # all neighbours of corner 0
    res = st.local_statistics(y, w, permutations=PERMS, seed=2, fdr=False)
    assert res.loc[0, "lisa_class"] == "isolated" and res.loc[0, "gi_class"] == "isolated"
    assert res.attrs["islands"] == [0]


def test_zero_variance_is_not_significant_with_a_note():
    w = lattice(5)
    y = pd.Series(3.0, index=range(25))
    res = st.local_statistics(y, w, permutations=PERMS, fdr=False)
    assert (res["lisa_class"] == "not significant").all()
    assert (res["gi_class"] == "not significant").all()
    assert res[["lisa_i", "lisa_p", "gi_z", "gi_p"]].isna().all().all()
    assert any("zero variance" in n for n in res.attrs["notes"])
    g = st.global_moran(y, w, permutations=PERMS)
    assert np.isnan(g.I) and "zero variance" in g.notes[-1]


def test_five_tambons_cannot_reach_significance():
    tambons = gpd.read_file(TAMBONS).set_index("tambon_code")
    w = weights(tambons, "queen")
    y = pd.Series([1.0, 2.0, 50.0, 3.0, 60.0], index=tambons.index)
    res = st.local_statistics(y, w, seed=1, fdr=False)  # 999 permutations
    assert (res["lisa_class"] == "not significant").all()
    assert (res["gi_class"] == "not significant").all()
    # Na Sak's 4 neighbours are all the other tambons: one possible neighbour
    # set, which esda reports as p = 0.001; the others have 4 or 6 sets.
    raw = esda.Moran_Local(y.to_numpy(), w, permutations=999, n_jobs=1, keep_simulations=False, seed=1)
    assert raw.p_sim[list(w.id_order).index("520202")] == pytest.approx(0.001)
    assert res.attrs["untestable"] == list(w.id_order)
    assert res[["lisa_p", "gi_p"]].isna().all().all()
    assert res["lisa_i"].notna().all()


def test_too_few_units_are_not_computed():
    w = W({"a": ["b"], "b": ["a"]})
    res = st.local_statistics(pd.Series({"a": 1.0, "b": 2.0}), w, permutations=PERMS, fdr=False)
    assert (res["lisa_class"] == "not significant").all() and res["lisa_p"].isna().all()
    assert any("not computed" in n for n in res.attrs["notes"])


def test_values_must_match_the_weights():
    w = lattice(3)
    with pytest.raises(ValueError):
        st.local_statistics(pd.Series(np.arange(8.0)), w)
    with pytest.raises(TypeError):
        st.local_statistics(np.arange(9.0), w, fdr=False)


def test_p_value_definition_for_the_method_record():
    text = st.p_value_definition()
    assert "directed" in text and "one-tailed" in text and "0.001" in text and "999" in text
    assert esda.__version__ in text
    res = st.local_statistics(cluster_values(), lattice(), permutations=PERMS, fdr=False)
    assert res.attrs["p_value_definition"] == st.p_value_definition(PERMS)


def test_global_moran_needs_four_units():
    w = lat2W(1, 3)
    g = st.global_moran(pd.Series([1.0, 2.0, 4.0], index=w.id_order), w, permutations=PERMS)
    assert np.isnan(g.I) and "< 4" in g.notes[-1]


def sparse_counts(n=30):
    """Counts on an n x n lattice: zero everywhere but a 2x2 block in one corner
    (like fire detections per cell: 99.6 % zeros)."""
    grid = np.zeros((n, n))
    grid[:2, :2] = [[2, 3], [1, 2]]
    return pd.Series(grid.ravel(), index=range(n * n))


def test_zeros_among_zeros_are_no_variation_not_cold_spots():
    w, y = lattice(30), sparse_counts()
    # What esda does on its own: most quiet zeros come out "significant" (ties).
    raw = esda.Moran_Local(y.to_numpy(), w, transformation="r", permutations=PERMS,
                           n_jobs=1, keep_simulations=False, seed=3)
    quiet = [i for i in y.index if y[i] == 0 and (y[w.neighbors[i]] == 0).all()]
    assert (raw.p_sim[quiet] <= 0.05).mean() > 0.5

    res = st.local_statistics(y, w, permutations=PERMS, seed=3, fdr=False)
    assert (res.loc[quiet, ["lisa_class", "gi_class"]] == "no variation").all().all()
    assert res.loc[quiet, ["lisa_p", "gi_p"]].isna().all().all()
    assert res.attrs["no_variation"] == quiet
    assert not (res["lisa_class"] == "LL").any()  # LH next to the block is a real outlier
    assert not res["gi_class"].str.startswith("cold").any()


def test_ties_count_as_at_least_as_extreme():
    observed = np.array([0.5, 0.5, 2.0])
    simulations = np.array([
        [0.5 + 1e-18] * 9,                  # every permutation ties: p = 1
        [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.5, 0.5],  # 2 ties, 3 below, 4 above
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],  # nothing as large: p = 1/10
    ])
    p = st.tie_aware_p(observed, simulations, 9)
    np.testing.assert_array_equal(p, [1.0, (min(6, 5) + 1) / 10, 0.1])


def test_tie_aware_p_equals_esda_without_ties():
    w = lattice()
    y = cluster_values()
    lisa = esda.Moran_Local(y.to_numpy(), w, transformation="r", permutations=PERMS,
                            n_jobs=1, keep_simulations=True, seed=5)
    np.testing.assert_array_equal(st.tie_aware_p(lisa.Is, lisa.rlisas, PERMS).astype(lisa.p_sim.dtype),
                                  lisa.p_sim)


def test_one_real_cluster_is_found_with_fdr():
    w, y = lattice(), cluster_values()
    res = st.local_statistics(y, w, permutations=999, seed=7)  # FDR on by default
    assert res.attrs["fdr"] and res.attrs["alpha_lisa"] < 0.05
    assert (res.loc[[11, 12, 21, 22], "lisa_class"] == "HH").all()
    assert res.loc[[11, 12, 21, 22], "gi_class"].str.startswith("hot").all()
    far = [i for i in range(100) if i // 10 >= 6 and i % 10 >= 6]
    assert not res.loc[far, "gi_class"].str.startswith("hot").any()


def test_an_all_zero_field_has_no_significant_unit():
    res = st.local_statistics(pd.Series(0.0, index=range(100)), lattice(), permutations=PERMS)
    assert not res["lisa_class"].isin(["HH", "LH", "LL", "HL"]).any()
    assert not res["gi_class"].str.startswith(("hot", "cold")).any()


def test_the_tie_tolerance_is_each_units_own():
    observed = np.array([1e-6, 1e6])
    simulations = np.array([[1e-6 + 1e-8 * k for k in range(1, 10)], [0.0] * 9])
    # A tolerance scaled by the run's largest statistic (1e-9 x 1e6 = 1e-3) would
    # make unit 0's nine larger permutations ties (p = 1); its own scale does not.
    np.testing.assert_array_equal(st.tie_aware_p(observed, simulations, 9), [0.1, 0.1])
