"""Zonal statistics of land cover against hand-made rasters written here."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from ckanext.maemoh.risk_jobs import land_cover

UTM = "EPSG:32647"
X0, Y0 = 600_000.0, 2_030_000.0  # Mae Moh, in UTM zone 47N


def write(path, data, transform, crs, nodata=0):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="uint8", crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data.astype("uint8"), 1)
    return path


def zones(*geometries, crs=UTM):
    return gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(len(geometries))]},
                            geometry=list(geometries), crs=crs)


@pytest.fixture
def ten_by_ten(tmp_path):
    """10 x 10 pixels of 10 m: forest (1) on the left half, paddy (6) on the
    right, built-up (7) in the bottom row, one no-data pixel (0) top left."""
    data = np.full((10, 10), 6)
    data[:, :5] = 1
    data[9, :] = 7
    data[0, 0] = 0
    return write(tmp_path / "small.tif", data, from_origin(X0, Y0, 10, 10), UTM)


def test_pixels_count_by_centre_and_areas_come_from_the_transform(ten_by_ten):
    # a block of 3 columns x 4 rows, its edges on pixel edges, and a sliver
    # covering 40 % of a pixel column (no centre inside: no pixel)
    block = box(X0 + 30, Y0 - 60, X0 + 60, Y0 - 20)
    sliver = box(X0 + 90, Y0 - 100, X0 + 94, Y0)
    areas = land_cover.zonal_areas(ten_by_ten, zones(block, sliver), "zone_id")
    got = {(r.zone, r.code): (r.pixels, r.area_ha) for r in areas.itertuples()}
    assert got == {("z0", 1): (8, pytest.approx(0.08)), ("z0", 6): (4, pytest.approx(0.04))}
    # bounds off the pixel grid: columns 3-5 of the top row (centres 35, 45, 55 m east)
    offset = land_cover.zonal_areas(ten_by_ten, zones(box(X0 + 29, Y0 - 10, X0 + 59, Y0)), "zone_id")
    assert offset[["code", "pixels"]].values.tolist() == [[1, 2], [6, 1]]


def test_a_triangle_takes_the_pixels_whose_centre_it_covers(ten_by_ten):
    # the lower-left half of the top-right 4x4 block: centres strictly below the diagonal
    triangle = Polygon([(X0 + 60, Y0 - 40), (X0 + 100, Y0 - 40), (X0 + 100, Y0)])
    areas = land_cover.zonal_areas(ten_by_ten, zones(triangle), "zone_id")
    assert areas[["code", "pixels"]].values.tolist() == [[6, 6]]


def test_no_data_is_skipped_and_shares_count_covered_pixels_only(ten_by_ten):
    whole = box(X0, Y0 - 100, X0 + 100, Y0)
    outside = box(X0 + 500, Y0 - 500, X0 + 600, Y0 - 400)
    areas = land_cover.zonal_areas(ten_by_ten, zones(whole), "zone_id")
    assert dict(zip(areas["code"], areas["pixels"])) == {1: 44, 6: 45, 7: 10}
    table = land_cover.green_by_zone(areas, zone_ids=["z0", "z1"])
    assert table.loc["z0", "covered_ha"] == pytest.approx(0.99)
    assert table.loc["z0", "green_ha"] == pytest.approx(0.44)
    assert table.loc["z0", "green_share"] == pytest.approx(44 / 99)
    assert table.loc["z0", "forest_ha"] == pytest.approx(0.44) and table.loc["z0", "orchard_ha"] == 0
    assert table.loc["z1"].isna().all()  # no pixel: no data, not "no green"
    assert land_cover.zonal_areas(ten_by_ten, zones(outside), "zone_id").empty


def test_codes_outside_the_legend_are_named(tmp_path):
    data = np.array([[1, 42], [250, 6]])
    path = write(tmp_path / "odd.tif", data, from_origin(X0, Y0, 10, 10), UTM, nodata=250)
    with pytest.raises(ValueError, match=r"\[42\]"):
        land_cover.zonal_areas(path, zones(box(X0, Y0 - 20, X0 + 20, Y0)), "zone_id")


def test_green_share_and_land_classes_per_zone(tmp_path):
    # one row of legend classes 1..9, 100 m pixels (1 ha each)
    path = write(tmp_path / "row.tif", np.arange(1, 10)[None, :], from_origin(X0, Y0, 100, 100), UTM)
    left, right = box(X0, Y0 - 100, X0 + 400, Y0), box(X0 + 400, Y0 - 100, X0 + 900, Y0)
    areas = land_cover.zonal_areas(path, zones(left, right), "zone_id")
    table = land_cover.green_by_zone(areas)
    assert table["green_share"].tolist() == [1.0, pytest.approx(1 / 5)]
    assert table.loc["z0", ["forest_ha", "forest_new_ha", "urban_tree_cover_ha", "orchard_ha", "tree_ha"]
                     ].tolist() == pytest.approx([1, 1, 1, 1, 4])
    assert land_cover.land_class_ha(areas) == pytest.approx(
        {"forest": 1, "forest_new": 1, "urban_tree_cover": 1, "orchard": 1})
    per_resident = land_cover.green_per_resident(table, {"z0": 500, "z1": 0})
    assert per_resident.loc["z0", "m2_per_person"] == pytest.approx(20.0)  # 1 ha / 500 people
    assert bool(per_resident.loc["z0", "meets_reference"])  # >= 15 m²
    assert pd.isna(per_resident.loc["z1", "meets_reference"])


def test_a_geographic_raster_gives_the_ground_areas_of_a_projected_one(tmp_path):
    """The same ground pattern (forest west of an easting, paddy east of it),
    once in UTM at 50 m and once in EPSG:4326 at 0.0005°: the same polygon
    gives the same hectares within 1 %, whichever CRS the polygon is in."""
    split = X0 + 2_600
    utm = np.where(X0 + 25 + 50 * np.arange(120)[None, :] < split, 1, 6).repeat(120, axis=0)
    utm_path = write(tmp_path / "utm.tif", utm, from_origin(X0, Y0, 50, 50), UTM)
    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    west, north = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(X0, Y0)
    lon = west + 0.0005 * (np.arange(130) + 0.5)
    lat = north - 0.0005 * (np.arange(130) + 0.5)
    east_of_pixel, _ = to_utm.transform(*np.meshgrid(lon, lat))
    geographic = np.where(east_of_pixel < split, 1, 6)
    geo_path = write(tmp_path / "geo.tif", geographic, from_origin(west, north, 0.0005, 0.0005), "EPSG:4326")
    polygon = zones(Polygon([(X0 + 500, Y0 - 500), (X0 + 5_000, Y0 - 1_000), (X0 + 4_500, Y0 - 5_500),
                             (X0 + 1_000, Y0 - 5_000)]))
    expected = {1: polygon.geometry[0].intersection(box(X0, Y0 - 6_000, split, Y0)).area / 1e4,
                6: polygon.geometry[0].difference(box(X0, Y0 - 6_000, split, Y0)).area / 1e4}
    for path in (utm_path, geo_path):
        for zone in (polygon, polygon.to_crs("EPSG:4326")):
            areas = land_cover.zonal_areas(path, zone, "zone_id").set_index("code")["area_ha"]
            assert areas.to_dict() == pytest.approx(expected, rel=0.01), path.name
