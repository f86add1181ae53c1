"""Hazard layers: interpolated air hazard with its uncertainty, fire density, "no data"."""
import json
from importlib.resources import files

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from ckanext.maemoh.risk_jobs import hazards, kriging

DATA = files("ckanext.maemoh") / "data"


def square_cells(points_lonlat, half_deg=0.01):
    """Square cells centred on the given points (centroid = the point)."""
    return gpd.GeoDataFrame(
        {"cell_id": [f"c{i}" for i in range(len(points_lonlat))]},
        geometry=[box(x - half_deg, y - half_deg, x + half_deg, y + half_deg) for x, y in points_lonlat],
        crs="EPSG:4326",
    )


@pytest.fixture
def tambons():
    t = gpd.read_file(str(DATA / "maemoh_tambons.geojson"))
    return t.assign(cell_id=t["tambon_code"].astype(str))


@pytest.fixture
def stations():
    s = pd.read_csv(DATA / "air4thai_stations.csv", dtype={"tambon_code": str})
    s = s.rename(columns={"lat": "latitude", "lon": "longitude"})
    return s.assign(aqi=[40.0, 80.0, 120.0, 60.0])[["station_id", "longitude", "latitude", "aqi"]]


def test_idw_exact_at_stations(stations):
    cells = square_cells(list(zip(stations["longitude"], stations["latitude"])))
    result = hazards.air_hazard(stations, cells)
    assert result.has_data and result.method == "idw"
    assert result.hazard.name == "hazard"
    assert list(result.hazard.index) == ["c0", "c1", "c2", "c3"]
    assert result.hazard.tolist() == stations["aqi"].tolist()  # exact, not approximately
    assert result.inputs == ("38t", "39t", "40t", "37t")
    assert result.parameters["power"] == 2
    assert result.parameters["surface"] is True and hazards.SURFACE_NOTE in result.notes
    assert (result.table["uncertainty"] == 0).all()  # every cell takes a measured value
    assert (result.table["uncertainty_kind"] == hazards.MEASURED).all()
    assert list(result.table.index) == ["c0", "c1", "c2", "c3"]


def test_idw_between_two_stations_by_metric_distance():
    # two stations 0.1° apart along a parallel; a cell a quarter of the way
    stations = pd.DataFrame({"station_id": ["a", "b"], "longitude": [99.7, 99.8],
                             "latitude": [18.3, 18.3], "aqi": [100.0, 20.0]})
    cells = square_cells([(99.75, 18.3), (99.725, 18.3)], half_deg=0.001)
    h = hazards.air_hazard(stations, cells).hazard
    assert h["c0"] == pytest.approx(60.0, abs=0.05)  # midpoint: equal weights
    # quarter point: distances d and 3d -> weights 1 and 1/9 (power 2)
    assert h["c1"] == pytest.approx((100 * 9 + 20 * 1) / 10, abs=0.1)
    h1 = hazards.air_hazard(stations, cells, power=1).hazard
    assert h1["c1"] == pytest.approx((100 * 3 + 20 * 1) / 4, abs=0.1)
    assert 20.0 < h.min() and h.max() < 100.0
    # leave-one-out with two stations: each is predicted by the other
    result = hazards.air_hazard(stations, cells)
    cv = result.parameters["cross_validation"]
    assert cv == {"method": "leave-one-out", "errors": {"a": -80.0, "b": 80.0}, "rmse": 80.0, "mae": 80.0, "n": 2}
    assert (result.table["uncertainty"] == 80.0).all()  # no cell contains a station
    assert (result.table["uncertainty_kind"] == hazards.LOO_RMSE).all()


def test_idw_leave_one_out_errors_by_hand_for_three_stations():
    stations = pd.DataFrame({"station_id": ["a", "b", "c"], "longitude": [99.70, 99.78, 99.75],
                             "latitude": [18.30, 18.33, 18.40], "aqi": [30.0, 90.0, 50.0]})
    cells = square_cells([(99.70, 18.30), (99.90, 18.50)], half_deg=0.001)  # c0 holds station a
    result = hazards.air_hazard(stations, cells, power=1.5)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32647", always_xy=True).transform(
        stations["longitude"].to_numpy(), stations["latitude"].to_numpy())
    v = stations["aqi"].to_numpy()

    def from_others(i):
        j, k = [n for n in range(3) if n != i]
        wj, wk = np.hypot(x[i] - x[j], y[i] - y[j]) ** -1.5, np.hypot(x[i] - x[k], y[i] - y[k]) ** -1.5
        return (wj * v[j] + wk * v[k]) / (wj + wk)

    errors = {sid: from_others(i) - v[i] for i, sid in enumerate("abc")}
    cv = result.parameters["cross_validation"]
    assert cv["method"] == "leave-one-out" and cv["n"] == 3
    assert cv["errors"] == pytest.approx(errors, rel=1e-9)
    e = np.array(list(errors.values()))
    assert cv["rmse"] == pytest.approx(np.sqrt(np.mean(e ** 2)), rel=1e-9)
    assert cv["mae"] == pytest.approx(np.mean(np.abs(e)), rel=1e-9)
    assert result.table.loc["c0", "uncertainty"] == 0.0 and result.table.loc["c0", "uncertainty_kind"] == "measured"
    assert result.table.loc["c1", "uncertainty"] == cv["rmse"]
    assert result.table.loc["c1", "uncertainty_kind"] == hazards.LOO_RMSE


def test_zero_stations_is_no_data(tambons):
    empty = pd.DataFrame(columns=["station_id", "longitude", "latitude", "aqi"])
    result = hazards.air_hazard(empty, tambons)
    assert not result.has_data
    assert result.status == "no data" and result.hazard is None
    assert result.record()["status"] == "no data"


def test_all_nan_aqi_is_no_data(stations, tambons):
    result = hazards.air_hazard(stations.assign(aqi=np.nan), tambons)
    assert result.status == "no data"
    assert "ignored" in result.notes[0]


def test_one_station_gives_its_value_everywhere(stations, tambons):
    result = hazards.air_hazard(stations.iloc[[1]], tambons)
    assert result.has_data
    assert (result.hazard == 80.0).all()
    assert list(result.hazard.index) == tambons["cell_id"].tolist()
    assert any("one station" in n for n in result.notes)
    # no leave-one-out with one station; its own cell (Ban Dong) takes the measured value
    assert result.parameters["cross_validation"]["n"] == 0 and result.parameters["cross_validation"]["rmse"] is None
    assert any("cross-validation is impossible" in n for n in result.notes)
    table = result.table
    assert table.loc["520201", "uncertainty"] == 0.0 and table.loc["520201", "uncertainty_kind"] == "measured"
    others = table.drop("520201")
    assert others["uncertainty"].isna().all() and (others["uncertainty_kind"] == hazards.NOT_ESTIMABLE).all()
    json.dumps(result.record(), allow_nan=False)


def test_nan_aqi_ignored(stations):
    cells = square_cells(list(zip(stations["longitude"], stations["latitude"])))
    with_nan = stations.assign(aqi=[40.0, np.nan, 120.0, 60.0])
    result = hazards.air_hazard(with_nan, cells)
    assert result.inputs == ("38t", "40t", "37t")
    assert result.parameters["stations_ignored"] == ["39t"]
    assert result.hazard.notna().all()
    assert result.hazard["c0"] == 40.0
    assert 40.0 <= result.hazard["c1"] <= 120.0  # interpolated from the others


def test_kriging_with_too_few_stations_falls_back_to_idw_and_says_so(stations, tambons):
    result = hazards.air_hazard(stations, tambons, method="kriging")
    assert result.method == "idw" and result.parameters["power"] == 2
    assert result.parameters["requested_method"] == "kriging"
    assert "ordinary kriging not possible (4 stations" in result.notes[0]
    assert hazards.air_hazard(stations, tambons).method == "idw"  # auto: too few for a variogram
    with pytest.raises(ValueError):
        hazards.air_hazard(stations, tambons, method="spline")


@pytest.fixture
def many():
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(99.65, 100.0, 14), rng.uniform(18.22, 18.6, 14)
    return pd.DataFrame({"station_id": [f"s{i}" for i in range(14)], "longitude": lon, "latitude": lat,
                         "aqi": 40 + 200 * (lon - 99.65) + rng.normal(0, 3, 14)})


def test_enough_stations_are_kriged(many, tambons):
    result = hazards.air_hazard(many, tambons)
    assert result.method == "ordinary kriging" and result.parameters["requested_method"] == "auto"
    assert result.parameters["variogram"]["model"] == "spherical"
    assert result.parameters["variogram"]["fitted_by"].startswith("PyKrige")
    assert result.hazard.between(many["aqi"].min() - 20, many["aqi"].max() + 20).all()
    assert hazards.air_hazard(many, tambons, method="idw").method == "idw"


def test_kriging_uncertainty_and_cross_validation(many, tambons):
    result = hazards.air_hazard(many, tambons)
    table = result.table
    assert list(table.index) == tambons["cell_id"].tolist() and result.parameters["surface"] is True
    # at the centroids: PyKrige's kriging standard deviation
    centroids = tambons.geometry.to_crs(hazards.METRIC_CRS).centroid
    targets = np.column_stack([centroids.x, centroids.y])
    pts = gpd.GeoSeries(gpd.points_from_xy(many["longitude"], many["latitude"]), crs="EPSG:4326").to_crs(
        hazards.METRIC_CRS)
    xy = np.column_stack([pts.x, pts.y])
    kriged = kriging.ordinary_kriging(xy, many["aqi"].to_numpy(), targets)
    sd = pd.Series(np.sqrt(kriged.variance), index=table.index)
    free = table["uncertainty_kind"] == hazards.KRIGING_SD
    held = table["uncertainty_kind"] == hazards.STATION_SD
    assert free.any() and held.any() and (free | held).all()
    np.testing.assert_allclose(table.loc[free, "uncertainty"], sd[free])
    # cells that take a measured value: its error as the centroid's value, above the kriging one
    assert (table.loc[held, "uncertainty"] > sd[held]).all()
    cv = result.parameters["cross_validation"]
    assert cv["method"] == "leave-one-out" and cv["n"] == 14 and set(cv["errors"]) == set(many["station_id"])
    loo = kriging.leave_one_out(xy, many["aqi"].to_numpy(), kriged.variogram)
    assert cv["errors"] == pytest.approx(dict(zip(many["station_id"], loo - many["aqi"].to_numpy())))
    e = np.array(list(cv["errors"].values()))
    assert cv["rmse"] == pytest.approx(np.sqrt(np.mean(e ** 2))) and cv["mae"] == pytest.approx(np.mean(np.abs(e)))
    assert "not re-fitted" in cv["variogram"]


def test_constant_values_cannot_be_kriged(many, tambons):
    result = hazards.air_hazard(many.assign(aqi=55.0), tambons, method="kriging")
    assert result.method == "idw" and "same value" in result.notes[0]
    np.testing.assert_allclose(result.hazard, 55.0)
    assert result.parameters["cross_validation"]["rmse"] == pytest.approx(0.0, abs=1e-9)


def grid_2x1():
    """Two 0.1° cells side by side sharing the edge lon 99.8."""
    return gpd.GeoDataFrame(
        {"cell_id": ["west", "east"]},
        geometry=[box(99.7, 18.3, 99.8, 18.4), box(99.8, 18.3, 99.9, 18.4)],
        crs="EPSG:4326",
    )


def test_fire_counts_frp_density_and_window_edges():
    det = pd.DataFrame({
        "time_utc": [
            "2024-03-01T00:00:00Z",  # at start: inside
            "2024-03-01T12:00:00Z",
            "2024-03-02T00:00:00Z",  # at end: outside
            "2024-02-29T23:59:59Z",  # before start
            "2024-03-01T06:00:00Z",  # low confidence (VIIRS)
            "2024-03-01T07:00:00Z",  # low confidence (MODIS numeric)
            "2024-03-01T08:00:00Z",  # nominal, NaN FRP
            "2024-03-01T09:00:00Z",  # outside every cell
        ],
        "latitude": [18.35, 18.35, 18.35, 18.35, 18.35, 18.35, 18.32, 18.0],
        "longitude": [99.75, 99.76, 99.75, 99.75, 99.85, 99.85, 99.85, 99.75],
        "frp_mw": [10.0, 2.5, 100.0, 100.0, 50.0, 50.0, np.nan, 5.0],
        "confidence": ["h", "n", "h", "h", "l", 10, "n", "h"],
    })
    cells = grid_2x1()
    result = hazards.fire_hazard(det, cells, "2024-03-01", "2024-03-02")
    t = result.table
    assert t.loc["west", "count"] == 2 and t.loc["west", "frp_mw_sum"] == pytest.approx(12.5)
    assert t.loc["east", "count"] == 1 and t.loc["east", "frp_mw_sum"] == 0.0
    area = hazards.cell_area_km2(cells)
    assert 110 < area["west"] < 125  # 0.1° × 0.1° at 18.35° N
    assert result.hazard["west"] == pytest.approx(2 / area["west"])
    assert result.hazard["east"] == pytest.approx(1 / area["east"])
    assert result.parameters["low_confidence_excluded"] == 2
    assert result.parameters["outside_cells"] == 1
    assert result.parameters["detections_used"] == 3


def test_fire_point_on_shared_edge_counted_once():
    det = pd.DataFrame({"time_utc": ["2024-03-01T01:00:00Z"], "latitude": [18.35], "longitude": [99.8],
                        "frp_mw": [3.0], "confidence": ["n"]})
    result = hazards.fire_hazard(det, grid_2x1(), "2024-03-01", "2024-03-02")
    assert result.table["count"].sum() == 1


def test_residents_reports_are_weighted_evidence_beside_the_fire_hazard():
    reports = pd.DataFrame({
        "time_utc": ["2024-03-01T01:00:00Z", "2024-03-01T05:00:00Z", "2024-03-01T06:00:00Z",
                     "2024-03-01T07:00:00Z", "2024-03-02T00:00:00Z"],
        "category": ["smoke-burning", "ash", "odour", "smoke-burning", "smoke-burning"],
        "latitude": [18.35, 18.36, 18.35, 18.35, 18.35],
        "longitude": [99.75, 99.76, 99.75, 99.85, 99.75],
    })
    cells = grid_2x1()
    evidence = hazards.report_evidence(reports, cells, "2024-03-01", "2024-03-02")
    # smoke and ash in the window count; odour does not; the last is after the window
    assert evidence.set_index("cell_id")["reports"].to_dict() == {"west": 2, "east": 1}
    assert (evidence["evidence"] == evidence["reports"] * hazards.REPORT_WEIGHT).all()
    assert evidence["label_en"].str.contains("not added to the hazard").all()
    assert evidence["label_th"].str.contains("รายงานของประชาชน").all()
    assert hazards.report_evidence(reports.iloc[0:0], cells, "2024-03-01", "2024-03-02").empty


def test_fire_no_detections_is_zero_not_missing(tambons):
    det = pd.DataFrame(columns=["time_utc", "latitude", "longitude", "frp_mw", "confidence"])
    result = hazards.fire_hazard(det, tambons, "2024-03-01", "2024-03-08")
    assert result.has_data
    assert (result.hazard == 0.0).all() and result.hazard.notna().all()
    assert len(result.hazard) == 5


def test_fire_bounds_with_timezone_are_utc():
    det = pd.DataFrame({"time_utc": ["2024-03-01T00:30:00Z"], "latitude": [18.35], "longitude": [99.75],
                        "frp_mw": [1.0], "confidence": ["n"]})
    # 07:00 in Bangkok on 1 March is 00:00 UTC
    start = pd.Timestamp("2024-03-01T07:00", tz="Asia/Bangkok")
    result = hazards.fire_hazard(det, grid_2x1(), start, start + pd.Timedelta(hours=1))
    assert result.table.loc["west", "count"] == 1
    with pytest.raises(ValueError):
        hazards.fire_hazard(det, grid_2x1(), "2024-03-02", "2024-03-01")


def test_no_data_result():
    for dim in ("water", "heat", "energy", "ghg"):
        r = hazards.no_data(dim)
        assert r.dimension == dim and r.status == "no data" and r.hazard is None and not r.has_data
        assert r.notes


def test_geodesic_area_matches_reference(tambons):
    area = hazards.cell_area_km2(tambons)
    expected = dict(zip(tambons["tambon_code"], tambons["area_km2"]))
    for code, km2 in area.items():
        assert km2 == pytest.approx(expected[code], abs=0.01)


def test_cells_without_crs_are_refused():
    # cells without cell_id or CRS are refused
    with pytest.raises(ValueError):
        hazards.cell_area_km2(gpd.GeoDataFrame(geometry=[Point(0, 0).buffer(1)]).assign(cell_id="a"))


def test_cell_containing_a_station_takes_its_value(stations, tambons):
    result = hazards.air_hazard(stations, tambons)
    # 38t lies in Sop Pat, 39t in Ban Dong, 40t in Mae Mo (SOURCE.md); 37t is outside the district
    assert result.hazard["520205"] == 40.0
    assert result.hazard["520201"] == 80.0
    assert result.hazard["520204"] == 120.0
    assert 40.0 < result.hazard["520203"] < 120.0


def test_station_on_shared_edge_and_two_stations_in_one_cell():
    stations = pd.DataFrame({"station_id": ["edge", "w1", "w2"], "longitude": [99.8, 99.72, 99.74],
                             "latitude": [18.35, 18.31, 18.39], "aqi": [50.0, 10.0, 30.0]})
    cells = grid_2x1()
    h = hazards.air_hazard(stations, cells).hazard
    assert h["east"] == 50.0
    assert h["west"] == pytest.approx((50.0 + 10.0 + 30.0) / 3)


def test_cell_area_uses_the_cells_own_geodesic_area(tambons):
    computed = hazards.cell_area_km2(tambons)
    carried = hazards.cell_area_km2(tambons.assign(geodesic_area_km2=computed.to_numpy() * 2))
    assert (carried == computed * 2).all()
    assert computed.round(2).tolist() == tambons["area_km2"].tolist()  # SOURCE.md's geodesic areas
