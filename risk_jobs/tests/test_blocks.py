"""Local statistics by blocks of rows: the same numbers as esda, in-process and on a real LocalCluster."""
import socket
import warnings

import esda
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from distributed import LocalCluster
from esda.getisord import _infer_star_and_structure_w
from libpysal.weights import W, lat2W

from ckanext.maemoh.risk_jobs import blocks
from ckanext.maemoh.risk_jobs import statistics as st
from ckanext.maemoh.risk_jobs.grid import weights

PERMS = 999
SEED = 20240601
pytestmark = pytest.mark.filterwarnings(
    "ignore:The alternative hypothesis:DeprecationWarning", "ignore:Gi\\* requested:UserWarning")


@pytest.fixture(scope="module")
def grid():
    """20 419 H3 resolution-9 cells (82 rings around Mae Moh), k=6 nearest
    neighbours as the risk jobs use them; values with a hot corner and a
    third of the cells zero among zeros (ties)."""
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(18.4, 99.7, 9), 82))
    points = [shapely.Point(h3.cell_to_latlng(c)[::-1]) for c in cells]
    w = weights(gpd.GeoDataFrame(index=cells, geometry=points, crs=4326))
    lat = np.array([p.y for p in points])
    lon = np.array([p.x for p in points])
    rng = np.random.default_rng(5)
    y = rng.poisson(np.where(lat > 18.4, 3.0, 0.3) + 4.0 * ((lat > 18.45) & (lon > 99.75)))
    y[lon < 99.65] = 0
    return pd.Series(y.astype(float), index=cells), w


@pytest.fixture(scope="module")
def esda_reference(grid):
    """esda itself, simulations kept, and the tie-aware p on them."""
    y, w = grid
    st.warm_up()  # esda's kernels, cached on disk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lisa = esda.Moran_Local(y.to_numpy(), w, transformation="r", permutations=PERMS, n_jobs=1,
                                keep_simulations=True, seed=SEED)
        gi = esda.G_Local(y.to_numpy(), w, transform="R", star=True, permutations=PERMS, n_jobs=1,
                          keep_simulations=True, seed=SEED)
    return pd.DataFrame({"lisa_i": lisa.Is, "lisa_q": lisa.q, "lisa_p": st.tie_aware_p(lisa.Is, lisa.rlisas, PERMS),
                         "gi_z": gi.Zs, "gi_p": st.tie_aware_p(gi.Gs, gi.rGs, PERMS)}, index=y.index)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                      dashboard_address=None, memory_limit="2GiB") as local:
        yield local


def esda_matrices(w):
    """The weights of esda's Moran_Local and G_Local(star=True)."""
    w.transform = "r"
    star, _ = _infer_star_and_structure_w(w, True, "R")
    star.transform = "R"
    return w.sparse, star.sparse


def assert_as_esda(result, reference):
    """Every number equal; p NaN only where the unit is not tested (no variation)."""
    tested = result["lisa_p"].notna()
    assert tested.sum() > len(result) / 2
    for column in ("lisa_i", "gi_z"):
        np.testing.assert_array_equal(result[column].to_numpy(), reference[column].to_numpy(), err_msg=column)
    np.testing.assert_array_equal(result["lisa_q"].to_numpy(dtype=int), reference["lisa_q"].to_numpy())
    for column in ("lisa_p", "gi_p"):
        np.testing.assert_array_equal(result.loc[tested, column].to_numpy(),
                                      reference.loc[tested, column].to_numpy(), err_msg=column)


def test_in_process_equals_esda_at_20_000_cells(grid, esda_reference):
    y, w = grid
    result = st.local_statistics(y, w, PERMS, SEED, fdr=False)
    assert len(y) == 20_419
    assert_as_esda(result, esda_reference)
    assert len(result.attrs["no_variation"]) > 1000  # zeros among zeros: not tested
    assert (result["lisa_class"] == "HH").any() and result["gi_class"].str.startswith("hot").any()


def test_a_cluster_gives_the_same_frame(grid, esda_reference, cluster):
    y, w = grid
    result = st.local_statistics(y, w, PERMS, SEED, fdr=True, scheduler=cluster.scheduler_address)
    assert_as_esda(result, esda_reference)
    pd.testing.assert_frame_equal(result, st.local_statistics(y, w, PERMS, SEED, fdr=True))


def test_blocks_that_do_not_divide_the_rows(grid, esda_reference, cluster):
    y, w = grid
    for scheduler in (None, cluster.scheduler_address):
        got = blocks.compute(y.to_numpy(), *esda_matrices(w), PERMS, SEED, block_rows=997, scheduler=scheduler)
        assert set(got) == {"lisa_i", "lisa_q", "lisa_p", "gi_g", "gi_z", "gi_p"}
        for column in esda_reference.columns:
            np.testing.assert_array_equal(got[column], esda_reference[column].to_numpy(), err_msg=column)
    with pytest.raises(ValueError, match="block_rows"):
        blocks.compute(y.to_numpy(), *esda_matrices(w), PERMS, SEED, block_rows=0)


def test_islands_are_computed_as_esda_and_classified_isolated():
    neighbours = {i: [j for j in (i - 1, i + 1) if 0 <= j < 30] for i in range(30)}
    neighbours[30] = []
    w = W(neighbours, silence_warnings=True)
    w.transform = "r"
    y = np.r_[np.linspace(0, 5, 30), 9.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lisa = esda.Moran_Local(y, w, transformation="r", permutations=99, n_jobs=1, keep_simulations=True, seed=3)
    # one row per block: the island's block has no neighbour at all, the table is still the whole's
    got = blocks.compute(y, *esda_matrices(w), 99, 3, block_rows=1)
    np.testing.assert_array_equal(got["lisa_i"], lisa.Is)
    np.testing.assert_array_equal(got["lisa_p"], st.tie_aware_p(lisa.Is, lisa.rlisas, 99))
    res = st.local_statistics(pd.Series(y, index=w.id_order), w, 99, 3, fdr=False)
    assert res.loc[30, "lisa_class"] == res.loc[30, "gi_class"] == "isolated"
    assert np.isnan(res.loc[30, "lisa_p"])


def test_an_unreachable_scheduler_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    w = lat2W(3, 3)
    with pytest.raises(blocks.SchedulerUnreachable, match=f"dask scheduler '{address}' cannot be reached"):
        blocks.compute(np.arange(9.0), *esda_matrices(w), 9, 1, scheduler=address, connect_timeout=1)
