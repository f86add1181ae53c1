"""A whole risk run on the real tambons: hazards per dimension, statistics, outputs."""
import dataclasses
import io
import json
from importlib.resources import files

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.features
from rasterio.transform import from_origin

from ckanext.maemoh.risk_jobs import (air_quality, aqi, composite, dimensions, hazards, land_cover, pipeline,
                                     scales, statistics)
from ckanext.maemoh.risk_jobs.heat_index import heat_index_c
from ckanext.maemoh.risk_jobs.tests.recompute import assert_agrees

DATA = files("ckanext.maemoh") / "data"
END = pd.Timestamp("2026-03-10T00:00:00Z")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tambons():
    return gpd.read_file(str(DATA / "maemoh_tambons.geojson"))[["tambon_code", "name_th", "name_en", "geometry"]]


@pytest.fixture(scope="module")
def population():
    return pd.read_csv(DATA / "population_2024.csv", dtype={"tambon_code": str})[["tambon_code", "population"]]


@pytest.fixture(scope="module")
def stations():
    s = pd.read_csv(DATA / "air4thai_stations.csv", dtype={"tambon_code": str})
    return s.rename(columns={"lat": "latitude", "lon": "longitude"})[["station_id", "longitude", "latitude"]]


def hourly(station_id, variable, level, hours=24 * 9, end=END):
    """Hourly PT1H rows ending at ``end`` with a constant ``level``."""
    times = pd.date_range(end=end - pd.Timedelta(hours=1), periods=hours, freq="h", tz="UTC")
    return pd.DataFrame({"station_id": station_id, "variable": variable, "time_utc": times,
                         "averaging_period": "PT1H", "value": float(level), "quality": "unchecked"})


@pytest.fixture(scope="module")
def inputs(tambons, population, stations):
    levels = {"38t": 12.0, "39t": 30.0, "40t": 60.0, "37t": 20.0}
    obs = pd.concat([hourly(s, "pm25", v) for s, v in levels.items()]
                    + [hourly("39t", "temperature", 30.0), hourly("40t", "temperature", 36.0),
                       hourly("39t", "relative-humidity", 50.0), hourly("40t", "relative-humidity", 40.0),
                       hourly("38t", "temperature", 33.0)])  # 38t: no humidity, no heat index
    energy = pd.DataFrame({"station_id": ["520201", "520202", "520203", "520201", "999999"],
                           "variable": "electricity-use", "averaging_period": "P1M",
                           "time_utc": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01",
                                                       "2026-02-01", "2026-02-01"], utc=True),
                           "value": [100.0, 50.0, 10.0, 100.0, 1.0]})
    sources = (
        {"kind": "observations", "dataset_id": "d38", "resource_id": "r38", "places": ["38t"]},
        {"kind": "observations", "dataset_id": "d99", "resource_id": "r99", "places": ["99t"]},
        {"kind": "population", "name": "population_2024.csv"},
        {"kind": "fire_detections", "dataset_id": "dfire", "resource_id": "rfire"},
    )
    return pipeline.Inputs(tambons=tambons, population=population, stations=stations,
                           observations=pd.concat([obs, energy], ignore_index=True), sources=sources)


@pytest.fixture(scope="module")
def tambon_params():
    return pipeline.Parameters(grid="tambon", end=END, permutations=99)


@pytest.fixture(scope="module")
def hex_params():
    return pipeline.Parameters(grid="h3:7", end=END, permutations=199)


@pytest.fixture(scope="module")
def hex_units(inputs, hex_params):
    return pipeline.spatial_units(inputs, hex_params)


@pytest.fixture(scope="module")
def fire_cluster(inputs, hex_units):
    """(inputs with 5 detections in a cell and each of its six neighbours, that cell)."""
    cells = hex_units.cells
    inner = [c for c in cells["cell_id"] if set(h3.grid_disk(c, 2)) <= set(cells["cell_id"])]
    target = cells.loc[inner[len(inner) // 2]]
    ring = cells.loc[sorted(h3.grid_disk(target["cell_id"], 1))]
    rows = []
    for point in ring.geometry.representative_point():
        rows += [{"time_utc": "2026-03-08T06:30:00Z", "latitude": point.y, "longitude": point.x,
                  "frp_mw": 10.0, "confidence": "n"}] * 5
    point = target.geometry.representative_point()
    rows.append({"time_utc": "2026-01-01T06:30:00Z", "latitude": point.y, "longitude": point.x,
                 "frp_mw": 10.0, "confidence": "n"})  # before the window
    return pipeline.Inputs(**{**inputs.__dict__, "fire_detections": pd.DataFrame(rows)}), target, ring


def test_every_dimension_has_a_hazard_function():
    assert set(pipeline.HAZARDS) == set(dimensions.HAZARD_NAMES)


@pytest.mark.parametrize("kwargs", [
    {"grid": "hex"}, {"grid": "h3:4"}, {"grid": "h3:11"}, {"permutations": 0}, {"significance": 0},
    {"weights": "queen"}, {"window_days": 0}, {"k": 0}, {"interpolation": "spline"},
])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        pipeline.Parameters(**kwargs)


def test_window_and_units():
    p = pipeline.Parameters(grid="h3:9", end=END, window_days=3)
    assert p.spatial_unit == "h3" and p.h3_resolution == 9
    assert p.window("air") == (END - pd.Timedelta(days=3), END)
    p = pipeline.Parameters(grid="tambon", end=END.tz_localize(None))
    assert p.h3_resolution is None and p.window("heat") == (END - pd.Timedelta(days=30), END)
    assert p.record()["weights"] == "queen"


def test_unknown_dimension(inputs, tambon_params):
    with pytest.raises(ValueError, match="unknown dimension"):
        pipeline.compute("noise", inputs, tambon_params)


def test_air_on_tambons_takes_station_aqi(inputs, tambon_params, stations):
    layer = pipeline.compute("air", inputs, tambon_params)
    assert layer.has_data and len(layer.table) == 5
    start, end = tambon_params.window("air")
    obs = inputs.observations[inputs.observations["variable"] == "pm25"]
    expected = air_quality.station_summary(obs, start, end).table["aqi_mean"]
    # 40t (60 ug/m3, TH-2023) lies in tambon 520204 (Mae Mo): its AQI, exactly
    by_tambon = layer.table.set_index("tambon_code")["value"]
    assert by_tambon["520204"] == pytest.approx(expected["40t"])
    assert expected["40t"] == aqi.aqi({"pm25": (60.0, "PT24H")}, END.date()).value
    band = aqi.band_of(round(by_tambon["520204"]))
    row = layer.table.set_index("tambon_code").loc["520204"]
    assert row["hazard_level"] == band and row["hazard_label_en"] == aqi.BANDS[band].name_en
    assert row["hazard_label_th"] == aqi.BANDS[band].name_th
    assert set(layer.table["risk_class"].dropna()) <= {1, 2, 3, 4, 5}
    # an interpolated surface: no cluster classes, and the method record says why
    assert "lisa_class" not in layer.table and "gi_class" not in layer.table and layer.global_moran is None
    local = next(c for c in layer.components if c.get("component") == "local statistics")
    assert local["computed"] is False and "interpolated" in local["why_not"]
    assert [s["places"] for s in layer.sources if s["kind"] == "observations"] == [["38t"]]
    assert layer.sources[0]["time_end_utc"] == END.isoformat()


def test_statistics_are_those_of_the_statistics_module(fire_cluster, hex_params, hex_units):
    layer = pipeline.compute("fire", fire_cluster[0], hex_params, hex_units)
    value = layer.table["value"]
    direct = statistics.local_statistics(value, hex_units.w, 199, hex_params.seed, fdr=hex_params.fdr)
    pd.testing.assert_series_equal(layer.table["lisa_p"], direct["lisa_p"], check_names=False)
    pd.testing.assert_series_equal(layer.table["gi_class"], direct["gi_class"], check_names=False)
    moran = statistics.global_moran(value, hex_units.w, 199, hex_params.seed)
    assert layer.global_moran == moran and hex_params.fdr and layer.statistics["fdr"]


def test_fire_cluster_is_a_hot_spot(fire_cluster, hex_params, hex_units):
    fire_inputs, target, ring = fire_cluster
    metres = hex_units.cells.geometry.to_crs("EPSG:32647").centroid
    distance = metres.distance(metres[target["cell_id"]])
    layer = pipeline.compute("fire", fire_inputs, hex_params, hex_units)
    classes = layer.table["gi_class"]
    assert classes[target["cell_id"]].startswith("hot")
    assert not classes[(distance > 25_000).to_numpy()].str.startswith("hot").any()
    # cells without fire among cells without fire are not "cold spots": they are not tested
    assert not classes.str.startswith("cold").any() and (classes == "no variation").sum() > 0.9 * len(classes)
    assert layer.table.loc[ring["cell_id"], "value"].gt(0).all()
    assert layer.table["value"].sum() == pytest.approx((5 / hazards.cell_area_km2(ring)).sum())
    assert any(s["kind"] == "fire_detections" for s in layer.sources)


def test_residents_reports_are_a_table_beside_the_fire_layer_never_in_it(fire_cluster, hex_params, hex_units):
    fire_inputs, target, _ring = fire_cluster
    centre = hex_units.cells.loc[hex_units.cells["cell_id"] == target["cell_id"]].geometry.iloc[0].centroid
    reports = pd.DataFrame({"time_utc": [END - pd.Timedelta(hours=5)] * 3, "category": ["smoke-burning", "ash", "dust"],
                            "latitude": [centre.y] * 3, "longitude": [centre.x] * 3})
    alone = pipeline.compute("fire", fire_inputs, hex_params, hex_units)
    with_reports = pipeline.compute("fire", dataclasses.replace(fire_inputs, reports=reports), hex_params, hex_units)
    pd.testing.assert_series_equal(with_reports.table["value"], alone.table["value"])
    pd.testing.assert_series_equal(with_reports.table["gi_class"], alone.table["gi_class"])
    (row,) = with_reports.tables["residents' reports"].to_dict("records")
    assert row["cell_id"] == target["cell_id"] and row["reports"] == 2  # dust is not fire evidence
    assert any("not added to the hazard" in note for c in with_reports.components for note in c.get("notes", ()))
    assert "residents' reports" not in alone.tables


def test_dimensions_without_data(inputs, tambon_params):
    for dimension, reason in (("fire", "no fire-detection table"), ("ghg", "no greenhouse-gas inventory"),
                              ("water", "no sampling point"), ("waste", "no waste collection")):
        layer = pipeline.compute(dimension, inputs, tambon_params)
        assert layer.status == "no data" and layer.table is None and reason in layer.reason
        with pytest.raises(ValueError, match="no data"):
            pipeline.render(layer, "t", "t", "a")
    no_stations = pipeline.Inputs(tambons=inputs.tambons, population=inputs.population)
    assert pipeline.compute("air", no_stations, tambon_params).status == "no data"
    assert pipeline.compute("composite", no_stations, tambon_params).reason == "no dimension has data"


def test_heat_is_mean_daily_maximum_heat_index(inputs, tambon_params):
    layer = pipeline.compute("heat", inputs, tambon_params)
    by_tambon = layer.table.set_index("tambon_code")["value"]
    at_40t, at_39t = heat_index_c(36.0, 40.0), heat_index_c(30.0, 50.0)
    assert by_tambon["520204"] == pytest.approx(at_40t)  # 40t
    assert by_tambon["520201"] == pytest.approx(at_39t)  # 39t
    assert at_39t < by_tambon["520203"] < at_40t          # no station: interpolated
    assert layer.inputs == ("39t", "40t")                 # 38t has no humidity
    levels = layer.table.set_index("tambon_code")["hazard_level"]
    assert levels["520204"] == dimensions.get("heat").scale.level(pd.Series([at_40t])).iloc[0]


def test_a_uniform_air_field_is_one_class(inputs, tambon_params):
    """AQI band 4 everywhere (PM2.5 at 50 ug/m3 at every station): one hazard level, one class."""
    obs = pd.concat([hourly(s, "pm25", 50.0) for s in ("38t", "39t", "40t", "37t")])
    layer = pipeline.compute("air", pipeline.Inputs(**{**inputs.__dict__, "observations": obs}), tambon_params)
    assert set(layer.table["hazard_level"]) == {4}
    assert layer.table["hazard_n"].eq(0.75).all()


def test_a_tenth_of_a_degree_is_one_heat_class(inputs, tambon_params):
    obs = pd.concat([hourly("39t", "temperature", 33.81), hourly("40t", "temperature", 33.91),
                     hourly("39t", "relative-humidity", 45.0), hourly("40t", "relative-humidity", 45.0)])
    layer = pipeline.compute("heat", pipeline.Inputs(**{**inputs.__dict__, "observations": obs}), tambon_params)
    assert layer.table["hazard_level"].nunique() == 1
    assert layer.table["risk_class"].nunique() <= 2  # exposure differs by tambon, the hazard does not


def test_energy_is_per_tambon_density(inputs, tambon_params, tambons):
    layer = pipeline.compute("energy", inputs, tambon_params)
    area = dict(zip(tambons["tambon_code"], hazards.geodesic_area_km2(tambons.geometry)))
    by_tambon = layer.table.set_index("tambon_code")["value"]
    assert by_tambon["520201"] == pytest.approx(200.0 / area["520201"])
    assert by_tambon["520203"] == pytest.approx(10.0 / area["520203"])
    assert np.isnan(by_tambon["520204"])  # no report: no data, not zero
    assert layer.table.set_index("tambon_code").loc["520204", "risk_label_en"] == "No data"
    assert layer.table.set_index("tambon_code").loc["520204", "lisa_class"] == "no data"
    assert any("999999" in note for c in layer.components for note in c.get("notes", []))


def test_composite_combines_the_dimensions_with_data(inputs, tambon_params):
    layer = pipeline.compute("composite", inputs, tambon_params)
    used = layer.components[0]["parameters"]["dimensions"]
    assert used == ["air", "heat", "energy"]
    parts = [pipeline.compute(d, inputs, tambon_params).table["hazard_n"] for d in used]
    expected = pd.concat(parts, axis=1).mean(axis=1, skipna=True)
    pd.testing.assert_series_equal(layer.table["value"], expected, check_names=False)
    assert layer.table["risk"].between(0, 1).all() and "lisa_class" not in layer.table


def test_render_a_surface(inputs, hex_params, hex_units):
    layer = pipeline.compute("air", inputs, hex_params, hex_units)
    props = pipeline.render(layer, "ความเสี่ยงด้านอากาศ", "Air risk", "© test").geojson["features"][0]["properties"]
    assert {"value", "hazard_level", "hazard_label_th", "hazard_label_en", "risk_class"} <= set(props)
    assert not {"lisa_class", "gi_class", "lisa_p", "gi_p"} & set(props)


def test_render(fire_cluster, hex_params, hex_units):
    layer = pipeline.compute("fire", fire_cluster[0], hex_params, hex_units)
    out = pipeline.render(layer, "ความเสี่ยงด้านไฟ", "Fire risk", "© test")
    gj = out.geojson
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(hex_units.cells)
    props = gj["features"][0]["properties"]
    assert {"cell_id", "name_th", "name_en", "value", "hazard_level", "lisa_class", "gi_z", "gi_class",
            "risk_class", "colour"} <= set(props)
    # full precision: the published numbers are the computed ones
    published = pd.Series({f["properties"]["cell_id"]: f["properties"]["value"] for f in gj["features"]})
    pd.testing.assert_series_equal(published, layer.table["value"], check_names=False, check_exact=True)
    back = gpd.read_file(io.StringIO(json.dumps(gj)))
    assert len(back) == len(gj["features"]) and back.crs.to_epsg() == 4326
    csv = pd.read_csv(io.StringIO(out.csv), dtype={"cell_id": str})
    assert len(csv) == len(hex_units.cells) and "lisa_i" in csv.columns and "geometry" not in csv.columns
    assert out.png.startswith(PNG)
    record = out.method_record
    json.dumps(record, allow_nan=False)
    assert record["seed"] == hex_params.seed and record["parameters"]["grid"] == "h3:7"
    assert record["libraries"]["esda"] and record["parameters"]["cells"] == len(hex_units.cells)
    stats = next(c for c in record["components"] if c.get("component") == "statistics")
    assert "one-tailed" in stats["p_value_definition"] and stats["global_moran"]["permutations"] == 199
    summary = next(c for c in record["components"] if c.get("component") == "tambon summary")
    assert sorted(r["tambon_code"] for r in summary["rows"]) == sorted(fire_cluster[0].tambons["tambon_code"])


def test_tambon_summary(inputs, hex_params, hex_units):
    layer = pipeline.compute("air", inputs, hex_params, hex_units)
    summary = layer.tambon_summary()
    assert summary["cells"].sum() == len(hex_units.cells)
    mean = layer.table[layer.table["tambon_code"] == "520204"]["value"].mean()
    assert summary.loc["520204", "value_mean"] == pytest.approx(mean)
    assert summary.loc["520204", "name_en"] == "Mae Mo"
    assert composite.RISK_CLASSES[0].value <= summary["risk_class_max"].min()


def test_the_published_files_recompute_exactly(fire_cluster, hex_params, hex_units):
    """From the GeoJSON and the method record alone, esda gives the same numbers and classes."""
    layer = pipeline.compute("fire", fire_cluster[0], hex_params, hex_units)
    out = pipeline.render(layer, "ไฟ", "Fire", "© test")
    geojson = json.loads(json.dumps(out.geojson, allow_nan=False))
    record = json.loads(json.dumps(out.method_record, allow_nan=False))
    published, _ = assert_agrees(geojson, record)
    assert published["gi_class"].str.startswith("hot").any()
    assert (published["gi_class"] == "no variation").any()


def _inside(tambons, code, shift=0.0):
    point = tambons.set_index("tambon_code").loc[code, "geometry"].representative_point()
    return point.x + shift, point.y


def test_water_is_per_sampling_point_and_never_crosses_into_a_tambon_without_one(inputs, tambon_params, tambons):
    points = pd.DataFrame([("w1", *_inside(tambons, "520204")), ("w2", *_inside(tambons, "520204", 1e-4)),
                           ("w3", *_inside(tambons, "520201"))], columns=["station_id", "longitude", "latitude"])
    month = pd.Timestamp("2026-02-01", tz="UTC")
    rows = [("w1", "bod", 3.0), ("w1", "dissolved-oxygen", 5.0), ("w2", "bod", 1.0), ("w2", "arsenic", 0.05),
            ("w3", "bod", 1.2), ("w3", "dissolved-oxygen", 7.0), ("w3", "conductivity", 300.0)]
    obs = pd.DataFrame([{"station_id": s, "variable": v, "time_utc": month, "averaging_period": "instant",
                         "value": x} for s, v, x in rows])
    water_inputs = pipeline.Inputs(**{**inputs.__dict__, "observations": obs,
                                      "stations": pd.concat([inputs.stations, points], ignore_index=True)})
    layer = pipeline.compute("water", water_inputs, tambon_params)
    by_tambon = layer.table.set_index("tambon_code")
    assert by_tambon.loc["520204", "value"] == 5 and by_tambon.loc["520204", "hazard_label_en"] == "Class 5"
    assert by_tambon.loc["520201", "value"] == 2
    for code in ("520202", "520203", "520205"):       # no sampling point: no data, never interpolated
        assert np.isnan(by_tambon.loc[code, "value"]) and by_tambon.loc[code, "risk_label_en"] == "No data"
    sampled = layer.tables["sampling points"].set_index("station_id")
    assert sampled.loc["w2", "limiting"] == "arsenic" and sampled.loc["w2", "tambon_code"] == "520204"
    assert sampled.loc["w1", "water_class"] == 4 and "special treatment" in sampled.loc["w1", "uses_en"]
    assert set(layer.tables["parameters"]["station_id"]) == {"w1", "w2", "w3"}
    assert layer.inputs == ("w1", "w2", "w3")
    assert any("WQI not computed" in note for note in layer.components[0]["notes"])


def test_waste_is_per_resident_and_day_with_the_landfills_apart(inputs, tambon_params, tambons, population):
    months = pd.date_range("2025-04-01", periods=6, freq="MS", tz="UTC")
    rows = [{"station_id": "520201", "variable": "waste-mass", "time_utc": t, "value": 30.0} for t in months]
    rows += [{"station_id": "520201", "variable": "waste-landfilled", "time_utc": t, "value": 24.0} for t in months]
    rows += [{"station_id": "landfill-1", "variable": "waste-landfilled", "time_utc": t, "value": 50.0} for t in months]
    obs = pd.DataFrame(rows).assign(averaging_period="P1M")
    site = pd.DataFrame([("landfill-1", *_inside(tambons, "520204"))], columns=["station_id", "longitude", "latitude"])
    layer = pipeline.compute("waste", pipeline.Inputs(**{**inputs.__dict__, "observations": obs, "stations": site}),
                             tambon_params)
    by_tambon = layer.table.set_index("tambon_code")
    people = population.set_index("tambon_code")["population"]
    assert by_tambon.loc["520201", "value"] == pytest.approx(30.0 * 12 * 1000 / people["520201"] / 365.25)
    assert by_tambon.loc["520201", "landfilled_share"] == pytest.approx(0.8)
    assert np.isnan(by_tambon.loc["520204", "value"])   # the landfill's tonnes are not the tambon's waste
    (landfill,) = layer.tables["landfills"].to_dict("records")
    assert landfill["station_id"] == "landfill-1" and landfill["landfilled_t"] == 300.0


def test_ghg_agrees_with_the_inventory_per_tambon(inputs, tambon_params, tambons, population):
    from ckanext.maemoh.netzero import factors, inventory, outputs

    activity = factors.read_activities()
    year = int(activity["year"].max())
    inv = inventory.compute_inventory(activity, factors.load_factor_set("ar6"), year)
    emissions = outputs.tambon_table(inv, tambons, population)
    layer = pipeline.compute("ghg", pipeline.Inputs(**{**inputs.__dict__, "emissions": emissions}), tambon_params)
    by_tambon = layer.table.set_index("tambon_code")
    totals = inv.by_tambon()
    for code in by_tambon.index:
        assert by_tambon.loc[code, "emissions_t_co2e"] == pytest.approx(totals.loc[code, "basic_plus_t"])
        assert by_tambon.loc[code, "i44_t_co2e"] == pytest.approx(totals.loc[code, "i44_t"], nan_ok=True)
        people = population.set_index("tambon_code").loc[code, "population"]
        assert by_tambon.loc[code, "value"] == pytest.approx(totals.loc[code, "basic_plus_t"] / people)
    assert by_tambon["i44_t_co2e"].sum() == pytest.approx(inv.i44_t)   # the plant apart, all of it
    assert layer.components[0]["parameters"]["inventory_year"] == year


def test_the_composite_lists_its_dimensions(inputs, tambon_params):
    layer = pipeline.compute("composite", inputs, tambon_params)
    record = pipeline.render(layer, "t", "t", "a").method_record
    assert record["parameters"]["composite_of"] == ["air", "heat", "energy"]


def district_raster(path, tambons, pad_m=0, mask=True):
    """200 m pixels over the district (UTM 47N) and ``pad_m`` around it: forest
    in the west, tree cover in settlements in a band, paddy in the east; with
    ``mask``, no data outside the district."""
    utm = tambons.to_crs("EPSG:32647")
    west, south, east, north = utm.total_bounds + np.array([-pad_m, -pad_m, pad_m, pad_m])
    shape = (int((north - south) // 200) + 1, int((east - west) // 200) + 1)
    transform = from_origin(west, north, 200, 200)
    x = west + 200 * (np.arange(shape[1]) + 0.5) - pad_m
    data = np.repeat(np.where(x < west + 15_000, 1, np.where(x < west + 17_000, 3, 6))[None, :], shape[0], axis=0)
    if mask:
        data[rasterio.features.rasterize(utm.geometry, out_shape=shape, transform=transform) == 0] = 0
    with rasterio.open(path, "w", driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="uint8",
                       crs="EPSG:32647", transform=transform, nodata=0) as dst:
        dst.write(data.astype("uint8"), 1)
    return str(path)


@pytest.fixture(scope="module")
def land_cover_tif(tmp_path_factory, tambons):
    return district_raster(tmp_path_factory.mktemp("land-cover") / "district.tif", tambons)


def with_land_cover(inputs, path):
    source = {"kind": "land_cover", "dataset_id": "dlc", "resource_id": "rlc"}
    return pipeline.Inputs(**{**inputs.__dict__, "land_cover": path, "sources": inputs.sources + (source,)})


def test_green_is_the_green_share_of_each_unit(inputs, tambon_params, land_cover_tif, tambons, population):
    assert pipeline.compute("green", inputs, tambon_params).reason == "no land-cover raster is published"
    layer = pipeline.compute("green", with_land_cover(inputs, land_cover_tif), tambon_params)
    assert layer.has_data and layer.has_local_statistics  # measured per unit: clusters are computed
    areas = land_cover.zonal_areas(land_cover_tif, tambons, "tambon_code")
    expected = land_cover.green_by_zone(areas)
    table = layer.table.set_index("tambon_code")
    assert table["value"].to_dict() == pytest.approx((expected["green_share"] * 100).to_dict())
    assert table["green_ha"].to_dict() == pytest.approx(expected["green_ha"].to_dict())
    assert table["hazard_level"].tolist() == scales.GREEN.level(table["value"]).tolist()
    parameters = layer.components[0]["parameters"]
    assert parameters["land_class_ha"] == pytest.approx(land_cover.land_class_ha(areas))
    people = population.set_index("tambon_code")["population"]
    for code, row in parameters["per_tambon"].items():
        assert row["m2_per_person"] == pytest.approx(row["urban_tree_cover_ha"] * 1e4 / people[code])
    assert parameters["green_per_resident_reference"]["value"] == 15.0
    assert "rlc" in {s.get("resource_id") for s in layer.sources}
    air = pipeline.compute("air", with_land_cover(inputs, land_cover_tif), tambon_params)
    assert "rlc" not in {s.get("resource_id") for s in air.sources}


def test_the_green_layer_on_cells_renders_and_recomputes(inputs, hex_params, hex_units, land_cover_tif, tambons,
                                                         tmp_path):
    layer = pipeline.compute("green", with_land_cover(inputs, land_cover_tif), hex_params, hex_units)
    out = pipeline.render(layer, "พื้นที่สีเขียว", "Green space", "© test")
    csv = pd.read_csv(io.StringIO(out.csv), dtype={"cell_id": str}).set_index("cell_id")
    measured = csv["covered_ha"].notna()
    assert 0.9 * len(csv) < measured.sum() < len(csv)  # edge cells with no pixel centre in the district
    share = csv.loc[measured, "green_ha"] / csv.loc[measured, "covered_ha"]
    assert np.allclose(csv.loc[measured, "value"], 100 * share, rtol=1e-12)
    assert csv.loc[~measured, "value"].isna().all() and (csv.loc[~measured, "lisa_class"] == "no data").all()
    # a raster reaching beyond the district: every cell measured, the statistics recompute exactly
    wide = district_raster(tmp_path / "wide.tif", tambons, pad_m=5_000, mask=False)
    out = pipeline.render(pipeline.compute("green", with_land_cover(inputs, wide), hex_params, hex_units),
                          "พื้นที่สีเขียว", "Green space", "© test")
    published, _ = assert_agrees(json.loads(json.dumps(out.geojson, allow_nan=False)),
                                 json.loads(json.dumps(out.method_record, allow_nan=False)))
    assert (published["lisa_class"] == "HH").any() and published["value"].notna().all()
