"""Recompute a published layer's statistics from its GeoJSON and method record
alone, with libpysal and esda called directly (not through ``statistics.py``),
following the rules the method record states. Used by the pure tests and by
the CKAN tests on a layer downloaded from the catalogue."""
import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.weights import KNN

GI_LEVELS = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))
LISA_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
TIE_RTOL = 1e-9  # as the method record's p-value definition states


def _p(observed, simulations, permutations):
    scale = np.maximum(np.abs(observed), np.abs(simulations).max(axis=1))  # each unit's own
    tol = TIE_RTOL * scale[:, None]
    upper = (simulations >= observed[:, None] - tol).sum(axis=1)
    lower = (simulations <= observed[:, None] + tol).sum(axis=1)
    return (np.minimum(upper, lower) + 1.0) / (permutations + 1.0)


def recompute(geojson, record):
    """(published, recomputed): two DataFrames indexed by cell_id with
    lisa_p, gi_z, gi_p, lisa_class, gi_class, and a dict of global Moran's I."""
    parameters = record["parameters"]
    assert parameters["weights"] == "knn", "this recomputation covers k-nearest-neighbour weights"
    stats = next(c for c in record["components"] if c.get("component") == "statistics")
    permutations, seed = parameters["permutations"], record["seed"]
    features = geojson["features"]
    published = pd.DataFrame([f["properties"] for f in features]).set_index("cell_id")
    cells = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    centroids = cells.geometry.to_crs("EPSG:32647").centroid
    points = np.column_stack([centroids.x, centroids.y])
    ids = list(published.index)
    w = KNN.from_array(points, k=parameters["k"], ids=ids)
    w.transform = "r"
    y = published["value"].to_numpy(dtype=float)

    lisa = esda.Moran_Local(y, w, transformation="r", permutations=permutations, n_jobs=1,
                            keep_simulations=True, seed=seed)
    gi = esda.G_Local(y, w, transform="R", star=True, permutations=permutations, n_jobs=1,
                      keep_simulations=True, seed=seed)
    out = pd.DataFrame({"lisa_p": _p(lisa.Is, lisa.rlisas, permutations), "gi_z": gi.Zs,
                        "gi_p": _p(gi.Gs, gi.rGs, permutations), "lisa_q": lisa.q}, index=ids)
    flat = [i for k, i in enumerate(ids) if (y[[ids.index(j) for j in w.neighbors[i]]] == y[k]).all()]
    out.loc[flat, ["lisa_p", "gi_p"]] = np.nan
    tested = out["lisa_p"].notna()
    alpha = parameters["significance"]
    alpha_lisa = esda.fdr(out.loc[tested, "lisa_p"].to_numpy(), alpha) if parameters["fdr"] else alpha
    alpha_gi = esda.fdr(out.loc[tested, "gi_p"].to_numpy(), alpha) if parameters["fdr"] else alpha
    out["lisa_class"] = [LISA_LABELS[q] if p <= alpha_lisa else "not significant"
                         for q, p in zip(out["lisa_q"], out["lisa_p"])]
    out["gi_class"] = [next((f"{'hot' if z > 0 else 'cold'} {label}" for level, label in GI_LEVELS
                             if p <= level and p <= alpha_gi), "not significant")
                       for z, p in zip(out["gi_z"], out["gi_p"])]
    out.loc[flat, ["lisa_class", "gi_class"]] = "no variation"

    state = np.random.get_state()
    np.random.seed(seed)
    moran = esda.Moran(y, w, transformation="r", permutations=permutations)
    np.random.set_state(state)
    scale = max(abs(moran.I), np.abs(moran.sim).max())
    m = min((moran.sim >= moran.I - TIE_RTOL * scale).sum(), (moran.sim <= moran.I + TIE_RTOL * scale).sum())
    global_moran = {"I": moran.I, "p_sim": (m + 1.0) / (permutations + 1.0),
                    "published_I": stats["global_moran"]["I"], "published_p_sim": stats["global_moran"]["p_sim"],
                    "alpha_lisa": (alpha_lisa, stats["alpha_lisa"]), "alpha_gi": (alpha_gi, stats["alpha_gi"])}
    return published, out.drop(columns="lisa_q"), global_moran


def assert_agrees(geojson, record):
    """Every published statistic equals its recomputation exactly."""
    published, recomputed, moran = recompute(geojson, record)
    for column in ("lisa_p", "gi_z", "gi_p"):
        np.testing.assert_array_equal(published[column].astype(float).to_numpy(),
                                      recomputed[column].to_numpy(), err_msg=column)
    for column in ("lisa_class", "gi_class"):
        assert published[column].tolist() == recomputed[column].tolist(), column
    assert moran["I"] == moran["published_I"] and moran["p_sim"] == moran["published_p_sim"]
    assert moran["alpha_lisa"][0] == moran["alpha_lisa"][1] and moran["alpha_gi"][0] == moran["alpha_gi"][1]
    return published, recomputed
