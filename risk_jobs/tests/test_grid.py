"""Hexagon grid and spatial weights over the real Mae Moh tambons."""
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pytest
import shapely

from ckanext.maemoh.risk_jobs.grid import PROJECTED_CRS, hex_grid, weights

TAMBONS = (
    Path(__file__).resolve().parents[2]
    / "ckanext-maemoh/ckanext/maemoh/data/maemoh_tambons.geojson"
)
CODES = {"520201", "520202", "520203", "520204", "520205"}
BBOX = (99.624, 18.193, 100.057, 18.625)  # lon min, lat min, lon max, lat max
KM_PER_DEG_LAT = 110.6
KM_PER_DEG_LON = 105.4  # at 18.2 deg N


@pytest.fixture(scope="module")
def tambons():
    return gpd.read_file(TAMBONS)


@pytest.fixture(scope="module")
def grid7(tambons):
    return hex_grid(tambons, resolution=7)


def test_hex_grid_res7_covers_the_district(tambons, grid7):
    cells, shares = grid7
    assert cells.crs.to_epsg() == 4326
    assert 200 <= len(cells) <= 300  # ~1 100 km2 / 5.2 km2 + edge cells
    assert list(cells.columns) == ["cell_id", "tambon_code", "area_km2", "geometry"]
    assert cells["cell_id"].is_unique and list(cells.index) == list(cells["cell_id"])
    assert all(h3.is_valid_cell(c) and h3.get_resolution(c) == 7 for c in cells["cell_id"])
    assert set(cells["tambon_code"]) == CODES and cells["tambon_code"].notna().all()

    # Shares per cell sum to 1; every cell has at least one tambon.
    sums = shares.groupby("cell_id")["share"].sum()
    assert set(sums.index) == set(cells["cell_id"])
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    # The cell's tambon is the one with the largest share.
    top = shares.loc[shares.groupby("cell_id")["share"].idxmax()].set_index("cell_id")
    assert (top["tambon_code"] == cells["tambon_code"]).all()

    # Overlaps add up to each tambon's area (same projection).
    tambon_km2 = tambons.to_crs(PROJECTED_CRS).set_index("tambon_code").area / 1e6
    overlap = shares.groupby("tambon_code")["overlap_km2"].sum()
    np.testing.assert_allclose(overlap[tambon_km2.index], tambon_km2, rtol=1e-6)

    # Hexagon areas agree with H3's geodesic area.
    geodesic = cells["cell_id"].map(lambda c: h3.cell_area(c, unit="km^2"))
    np.testing.assert_allclose(cells["area_km2"], geodesic, rtol=5e-3)


def test_hex_grid_coordinates_within_bbox_up_to_one_cell(grid7):
    cells, _ = grid7
    diameter_km = 2 * h3.average_hexagon_edge_length(7, unit="km")
    xy = shapely.get_coordinates(cells.geometry.values)
    lon, lat = xy[:, 0], xy[:, 1]
    assert lon.min() >= BBOX[0] - diameter_km / KM_PER_DEG_LON
    assert lon.max() <= BBOX[2] + diameter_km / KM_PER_DEG_LON
    assert lat.min() >= BBOX[1] - diameter_km / KM_PER_DEG_LAT
    assert lat.max() <= BBOX[3] + diameter_km / KM_PER_DEG_LAT


def test_hex_grid_includes_overlapping_edge_cells(tambons, grid7):
    cells, _ = grid7
    outline = tambons.union_all()
    centre_cells = set(h3.geo_to_cells(outline.__geo_interface__, 7))
    ids = set(cells["cell_id"])
    assert centre_cells < ids  # all centre-inside cells plus edge cells
    edge = cells[~cells["cell_id"].isin(centre_cells)]
    assert len(edge) > 0
    centres = [shapely.Point(x, y) for y, x in map(h3.cell_to_latlng, edge["cell_id"])]
    assert not any(outline.contains(p) for p in centres)
    outline_m = gpd.GeoSeries([outline], crs=4326).to_crs(PROJECTED_CRS).iloc[0]
    assert edge.to_crs(PROJECTED_CRS).intersection(outline_m).area.gt(0).all()
    # Nothing that overlaps the district is missed: the ring around the grid is outside.
    ring = {n for c in ids for n in h3.grid_ring(c, 1)} - ids
    ring_polys = gpd.GeoSeries([shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in ring], crs=4326)
    assert ring_polys.to_crs(PROJECTED_CRS).intersection(outline_m).area.max() < 1.0  # m2: touching


def test_hex_grid_res8_size(tambons):
    cells, shares = hex_grid(tambons)  # resolution 8
    assert 1300 <= len(cells) <= 1700
    assert cells["tambon_code"].notna().all()


def test_hex_grid_rejects_bad_input(tambons):
    with pytest.raises(ValueError):
        hex_grid(tambons.drop(columns="tambon_code"), 7)
    with pytest.raises(ValueError):
        hex_grid(tambons, 16)


def test_queen_weights_on_tambons(tambons):
    w = weights(tambons.set_index("tambon_code"), "queen")
    assert w.cardinalities == {"520201": 3, "520202": 4, "520203": 2, "520204": 3, "520205": 2}
    names = tambons.set_index("tambon_code")["name_en"]
    counts = {names[i]: n for i, n in w.cardinalities.items()}
    assert counts == {"Ban Dong": 3, "Na Sak": 4, "Chang Nuea": 2, "Mae Mo": 3, "Sop Pat": 2}
    assert sum(w.cardinalities.values()) // 2 == 7  # links
    assert w.islands == []
    assert w.transform == "R"
    np.testing.assert_allclose(w.sparse.sum(axis=1).A1, 1.0)
    # Same through the ids= column.
    assert weights(tambons, "queen", ids="tambon_code").cardinalities == w.cardinalities


def test_queen_weights_report_an_island(tambons):
    far = gpd.GeoDataFrame(
        {"tambon_code": ["999999"]}, geometry=[shapely.box(100.5, 19.0, 100.6, 19.1)], crs=4326
    )
    units = gpd.pd.concat([tambons[["tambon_code", "geometry"]], far]).set_index("tambon_code")
    w = weights(units, "queen")
    assert w.islands == ["999999"]
    assert w.cardinalities["999999"] == 0 and w.cardinalities["520202"] == 4


def test_knn_and_distance_band_on_hexagons_match_the_h3_ring(grid7):
    cells, _ = grid7
    ids = set(cells.index)
    interior = [c for c in cells.index if set(h3.grid_ring(c, 1)) <= ids]
    assert len(interior) > 100
    knn = weights(cells)  # default: knn, k=6
    band = weights(cells, "distance")
    assert knn.islands == [] and band.islands == []
    assert set(knn.cardinalities.values()) == {6}
    for c in interior:
        ring = set(h3.grid_ring(c, 1))
        assert set(knn.neighbors[c]) == ring
        assert set(band.neighbors[c]) == ring
    np.testing.assert_allclose(band.sparse.sum(axis=1).A1, 1.0)


def test_distance_band_reports_an_island(grid7):
    cells, _ = grid7
    far_cell = h3.latlng_to_cell(19.5, 101.0, 7)
    far = gpd.GeoDataFrame(
        {"cell_id": [far_cell]},
        geometry=[shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(far_cell)])],
        crs=4326,
        index=[far_cell],
    )
    w = weights(gpd.pd.concat([cells[["cell_id", "geometry"]], far]), "distance")
    assert w.islands == [far_cell]


def test_weights_reject_bad_arguments(grid7):
    cells, _ = grid7
    with pytest.raises(ValueError):
        weights(cells, "rook")
    with pytest.raises(ValueError):
        weights(cells.iloc[:4], "knn", k=6)
