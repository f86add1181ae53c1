"""GeoJSON (RFC 7946), CSV, PNG map and method record."""
import csv
import datetime as dt
import io
import json
import struct
import zlib
from importlib.resources import files

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from ckanext.maemoh.risk_jobs import composite
from ckanext.maemoh.writers import geojson, maps, records, tables

DATA = files("ckanext.maemoh") / "data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tambons():
    t = gpd.read_file(str(DATA / "maemoh_tambons.geojson"))
    return t.assign(cell_id=t["tambon_code"], risk_class=pd.array([1, 3, 5, None, 2], dtype="Int64"),
                    risk=[0.1, 0.5, np.nan, np.nan, 0.3])


def clockwise_square_with_hole():
    exterior = [(99.7, 18.3), (99.7, 18.4), (99.8, 18.4), (99.8, 18.3), (99.7, 18.3)]  # clockwise
    hole = [(99.72, 18.32), (99.78, 18.32), (99.78, 18.38), (99.72, 18.38), (99.72, 18.32)]  # counter-clockwise
    return Polygon(exterior, [hole])


def signed_area(ring):
    xy = np.asarray(ring)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def polygons_of(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    assert geometry["type"] == "MultiPolygon"
    return geometry["coordinates"]


def all_positions(geometry):
    for poly in polygons_of(geometry):
        for ring in poly:
            yield from ring


@pytest.fixture
def mixed():
    odd = clockwise_square_with_hole()
    multi = MultiPolygon([Polygon([(99.9, 18.5), (99.9, 18.55), (99.95, 18.55), (99.9, 18.5)]),
                          Polygon([(100.0, 18.5), (100.01234567891, 18.5), (100.0, 18.51), (100.0, 18.5)])])
    return gpd.GeoDataFrame({"cell_id": ["sq", "multi"], "value": [np.nan, 2.5], "n": [np.int64(3), np.int64(4)],
                             "when": [pd.Timestamp("2024-03-01", tz="UTC"), pd.NaT]},
                            geometry=[odd, multi], crs="EPSG:4326")


def test_geojson_rfc7946_rules(mixed):
    fc = geojson.to_geojson(mixed, ["cell_id", "value", "n", "when"], id_column="cell_id")
    text = json.dumps(fc, allow_nan=False)  # NaN would fail here
    assert "crs" not in fc and '"crs"' not in text
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    sq, multi = fc["features"]
    assert sq["id"] == "sq"
    assert sq["properties"] == {"cell_id": "sq", "value": None, "n": 3, "when": "2024-03-01T00:00:00+00:00"}
    assert multi["properties"]["when"] is None and multi["properties"]["value"] == 2.5
    for feature in fc["features"]:
        for poly in polygons_of(feature["geometry"]):
            assert signed_area(poly[0]) > 0  # exterior counter-clockwise
            for hole in poly[1:]:
                assert signed_area(hole) < 0  # holes clockwise
            for ring in poly:
                assert ring[0] == ring[-1]
        for lon, lat in all_positions(feature["geometry"]):
            assert 99 < lon < 101 and 18 < lat < 19  # longitude first
            assert round(lon, 6) == lon and round(lat, 6) == lat
    assert [100.012346, 18.5] in polygons_of(multi["geometry"])[1][0]


def test_geojson_round_trip_through_geopandas(tambons, mixed):
    for gdf in (tambons, mixed):
        fc = geojson.to_geojson(gdf, ["cell_id"])
        back = gpd.GeoDataFrame.from_features(json.loads(json.dumps(fc)), crs="EPSG:4326")
        assert back["cell_id"].tolist() == gdf["cell_id"].tolist()
        assert back.geometry.is_valid.all()
        for a, b in zip(back.geometry, gdf.geometry):
            assert shapely.normalize(a).equals_exact(shapely.normalize(b), tolerance=1e-6)


def test_geojson_reprojects_to_lon_lat(tambons):
    utm = tambons.to_crs("EPSG:32647")
    fc = geojson.to_geojson(utm, ["cell_id", "risk_class", "risk"])
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert 99.6 < lon < 100.1 and 18.1 < lat < 18.7
    assert fc["features"][3]["properties"] == {"cell_id": "520204", "risk_class": None, "risk": None}
    with pytest.raises(ValueError):
        geojson.to_geojson(tambons.set_crs(None, allow_override=True))


def test_csv(tambons):
    text = tables.to_csv(tambons[["cell_id", "name_th", "risk_class", "risk", "geometry"]])
    lines = text.split("\r\n")
    assert lines[0] == "cell_id,name_th,risk_class,risk"
    assert lines[1] == "520201,บ้านดง,1,0.1"
    assert lines[4] == "520204,แม่เมาะ,,"
    indexed = tables.to_csv(pd.DataFrame({"risk": [0.5]}, index=pd.Index(["c1"], name="cell_id")))
    assert indexed == "cell_id,risk\r\nc1,0.5\r\n"


def test_csv_cells_cannot_start_a_formula():
    text_cells = ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "Mae Moh, แม่เมาะ", "-3.5"]
    numbers = [-3.5, -1e-9, 0.0, 2.25, -7.0, 1e6, -0.125, 3.0]
    frame = pd.DataFrame({"note": text_cells, "value": numbers,
                          "mixed": np.array([-3.5, "=1+1", None, 4, "a", "b", "c", "d"], dtype=object)},
                         index=pd.Index(["=c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"], name="cell_id"))
    rows = list(csv.reader(io.StringIO(tables.to_csv(frame))))
    assert rows[0] == ["cell_id", "note", "value", "mixed"]
    assert [r[1] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx",
                                        "Mae Moh, แม่เมาะ", "'-3.5"]
    assert [float(r[2]) for r in rows[1:]] == numbers and rows[1][2] == "-3.5"
    assert [r[3] for r in rows[1:4]] == ["-3.5", "'=1+1", ""]
    assert rows[1][0] == "'=c1"
    assert tables.to_csv(pd.DataFrame({"@x": [1]})) == "'@x\r\n1\r\n"
    assert frame.loc["=c1", "note"] == '=HYPERLINK("http://x")'  # the caller's frame is left as it was


def png_chunks(data):
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8].decode("ascii")
        body = data[pos + 8:pos + 8 + length]
        chunks.setdefault(kind, []).append(body)
        pos += 12 + length
    return chunks


def png_text(chunks):
    texts = {}
    for body in chunks.get("tEXt", []):
        key, _, value = body.partition(b"\0")
        texts[key.decode("latin-1")] = value.decode("latin-1")
    for body in chunks.get("zTXt", []):
        key, _, rest = body.partition(b"\0")
        texts[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
    for body in chunks.get("iTXt", []):
        key, _, rest = body.partition(b"\0")
        texts[key.decode("latin-1")] = rest.split(b"\0", 3)[-1].decode("utf-8")
    return texts


def test_png_signature_size_and_metadata(tambons):
    attribution = "Administrative boundaries: Royal Thai Survey Department / OCHA ROAP, CC BY-IGO 3.0"
    data = maps.to_png(tambons, "risk_class", composite.RISK_CLASSES, "ความเสี่ยงรวม", "Composite risk",
                          attribution, width_px=800, height_px=600, dpi=100)
    assert data.startswith(PNG_SIGNATURE)
    chunks = png_chunks(data)
    width, height = struct.unpack(">II", chunks["IHDR"][0][:8])
    assert (width, height) == (800, 600)
    texts = png_text(chunks)
    assert texts["Source"] == attribution
    if maps.thai_font() is None:
        assert "fonts-thai-tlwg" in texts["Warning"]
        assert texts["Title"] == "Composite risk"
    else:
        assert "Warning" not in texts


def test_png_without_thai_font_warns(tambons, monkeypatch, caplog):
    monkeypatch.setattr(maps, "thai_font", lambda: None)
    classes = [{"value": c.value, "label_th": c.label_th, "label_en": c.label_en, "colour": c.colour}
               for c in composite.RISK_CLASSES]
    with caplog.at_level("WARNING"):
        data = maps.to_png(tambons, "risk_class", classes, "ความเสี่ยง", "Risk", "attribution")
    assert data.startswith(PNG_SIGNATURE)
    assert struct.unpack(">II", png_chunks(data)["IHDR"][0][:8]) == (1200, 1200)
    assert "Thai" in png_text(png_chunks(data))["Warning"]
    assert any("fonts-thai-tlwg" in r.getMessage() for r in caplog.records)


def test_thai_font_finder_ignores_last_resort():
    path = maps.thai_font()
    assert path is None or "lastresort" not in path.lower().replace(" ", "")


def test_method_record_is_json_and_names_versions():
    record = records.method_record(
        job="composite-risk",
        inputs=[{"dataset_id": "air4thai-hourly", "time_start": pd.Timestamp("2024-03-01", tz="UTC"),
                 "time_end": dt.datetime(2024, 3, 2, tzinfo=dt.timezone.utc)}],
        parameters={"idw_power": np.int64(2), "missing": np.nan, "grid_km": 1.0},
        seed=42,
        run_time=dt.datetime(2024, 3, 2, 7, 0),
        components=[{"dimension": "water", "status": "no data"}],
        notes=("equal weights",),
    )
    again = json.loads(json.dumps(record, allow_nan=False))
    assert again == record
    assert record["run_time_utc"] == "2024-03-02T07:00:00+00:00"
    assert record["inputs"][0]["time_start"] == "2024-03-01T00:00:00+00:00"
    assert record["parameters"] == {"idw_power": 2, "missing": None, "grid_km": 1.0}
    assert record["seed"] == 42
    for lib in ("numpy", "pandas", "geopandas", "shapely", "esda", "libpysal", "matplotlib"):
        assert lib in record["libraries"]
    assert record["libraries"]["numpy"] == np.__version__
    assert record["libraries"]["pandas"] == pd.__version__


def test_method_record_default_time_is_now_utc():
    record = records.method_record(job="x", inputs=[])
    when = dt.datetime.fromisoformat(record["run_time_utc"])
    assert when.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - when) < dt.timedelta(minutes=1)


def test_geojson_of_a_grid_equals_the_per_feature_path(tambons):
    from ckanext.maemoh.risk_jobs.grid import hex_grid

    cells = hex_grid(tambons[["tambon_code", "geometry"]], 7).cells
    clockwise = cells.geometry.map(lambda g: shapely.orient_polygons(g, exterior_cw=True))
    fast = geojson._rfc7946_geometries(clockwise.values)
    assert fast == [geojson._rfc7946_geometry(g) for g in clockwise]
    assert all(signed_area(g["coordinates"][0]) > 0 for g in fast)  # counter-clockwise again


def _pixels(png):
    from PIL import Image

    image = Image.open(__import__("io").BytesIO(png)).convert("RGB")
    return __import__("collections").Counter(f"#{r:02x}{g:02x}{b:02x}" for r, g, b in image.get_flattened_data())


@pytest.mark.parametrize("with_hole", [False, True])
def test_png_fills_each_cell_with_its_class_colour(tambons, with_hole):
    gdf = tambons.copy()
    if with_hole:  # polygons with holes take the slower per-patch path
        largest = max(shapely.get_parts(gdf.loc[0, "geometry"]), key=lambda p: p.area)
        gdf.loc[0, "geometry"] = largest.difference(largest.representative_point().buffer(0.01))
        assert shapely.get_num_interior_rings(gdf.loc[0, "geometry"]) == 1
    png = maps.to_png(gdf, "risk_class", composite.RISK_CLASSES, "ก", "Risk", "test",
                         width_px=1000, height_px=1000, dpi=100)
    pixels = _pixels(png)
    legend_only = pixels[composite.RISK_CLASSES[3].colour]  # class 4: in the legend, on no cell
    assert legend_only > 0
    for number in (1, 3, 5, 2):  # each filled cell is far larger than its legend patch
        assert pixels[composite.RISK_CLASSES[number - 1].colour] > 5 * legend_only
    assert pixels["#d9d9d9"] > 5 * legend_only  # the cell without a class
