"""The demo's land-cover raster: GENERATED, not a survey, said so in both
languages, published as ``maemoh-land-cover-demo`` with the GeoTIFF uploaded.

:func:`generate` draws the district on 100 m pixels in UTM zone 47N
(EPSG:32647), one byte per pixel in the codes of ``data/land_cover_legend.csv``,
0 (no data) outside the real tambon boundaries, deflate-compressed. It is
deterministic (seed :data:`SEED`): the same bytes every time.

* fixed places, at approximate positions: the open-pit mine east of the town
  (bare, 8) in a ring of spoil dumps, whose outer edge is reclaimed and
  newly planted (2); two reservoirs north of the mine (9); the town around
  the Mae Moh waterworks station (40t), the power plant's housing and five
  villages built up (7), with parks and street trees in them (3);
* the rest ranked by a made-up relief (distance from five valley lines plus
  seeded smooth noise): the highest pixels forest (1), then shrubland and
  grassland (5), orchards on the lower slopes (4), and paddy and cropland on
  the valley floors (6).

Forest, orchards and tree cover in settlements take exactly the hectares of
the demo's greenhouse-gas activity table (``data/ghg/activity_demo.csv``,
latest year), so the green layer and the inventory's memo items tell the
same story.
"""
import hashlib
import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from pyproj import Transformer
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from scipy import ndimage
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk

from ckanext.maemoh.store import catalog
from ckanext.maemoh.reference import places
from ckanext.maemoh.reference.datasets import GDC_DEFAULTS, ILLUSTRATIVE_TAG

DATASET = "maemoh-land-cover-demo"
RESOURCE = "Land cover (GeoTIFF)"
FILENAME = "maemoh-land-cover-demo.tif"
SEED = 20240601
CRS = "EPSG:32647"
PIXEL_M = 100
FOREST, NEW_FOREST, URBAN_TREES, ORCHARD, SHRUB, CROP, BUILT, MINE, WATER = range(1, 10)
#: activity of the demo's activity table -> the code whose hectares it gives
ACTIVITY_CODES = {"green-forest": FOREST, "green-urban-trees": URBAN_TREES, "green-orchard": ORCHARD}
SHRUB_HA = 20_000
NEW_FOREST_HA = 600
#: (lon, lat) centre, (east-west, north-south) semi-axes in metres
MINE_PIT = ((99.735, 18.315), (2_200, 3_200))
SPOIL_RING = 1.35  # the dumps reach 1.35 times the pit's semi-axes
RESERVOIRS = [((99.705, 18.352), (1_400, 700)), ((99.790, 18.365), (900, 500))]
#: (lon, lat), radius in metres: the town, the power plant's housing, villages
SETTLEMENTS = [((99.660, 18.283), 1_600), ((99.745, 18.268), 900), ((99.764, 18.251), 600),
               ((99.727, 18.419), 600), ((99.836, 18.343), 600), ((99.930, 18.450), 550),
               ((99.756, 18.478), 550)]
VALLEYS = [
    [(99.62, 18.27), (99.66, 18.283), (99.74, 18.29), (99.80, 18.25), (99.87, 18.21)],
    [(99.727, 18.419), (99.74, 18.36), (99.72, 18.33)],
    [(99.80, 18.33), (99.836, 18.343), (99.88, 18.40)],
    [(99.88, 18.40), (99.93, 18.45), (100.00, 18.50)],
    [(99.727, 18.419), (99.756, 18.478), (99.77, 18.55)],
]
COLOURS = {FOREST: (26, 110, 45), NEW_FOREST: (102, 189, 99), URBAN_TREES: (120, 198, 121),
           ORCHARD: (173, 221, 142), SHRUB: (217, 240, 163), CROP: (255, 237, 160), BUILT: (189, 0, 38),
           MINE: (150, 150, 150), WATER: (44, 127, 184)}


def targets():
    """``{code: hectares}`` of forest, orchards and tree cover in settlements:
    those of the latest year of the demo's activity table."""
    table = pd.read_csv(places.DATA_DIR / "ghg" / "activity_demo.csv")
    latest = table[(table["year"] == table["year"].max()) & table["activity"].isin(list(ACTIVITY_CODES))]
    return {ACTIVITY_CODES[a]: int(q) for a, q in latest.groupby("activity")["quantity"].sum().items()}


def generate():
    """The GeoTIFF's bytes."""
    rng = np.random.default_rng(SEED)
    tambons = gpd.GeoDataFrame.from_features(places.tambon_features(), crs="EPSG:4326").to_crs(CRS)
    west, south, east, north = tambons.total_bounds
    west, north = np.floor(west / PIXEL_M) * PIXEL_M, np.ceil(north / PIXEL_M) * PIXEL_M
    shape = (int(np.ceil((north - south) / PIXEL_M)), int(np.ceil((east - west) / PIXEL_M)))
    transform = from_origin(west, north, PIXEL_M, PIXEL_M)
    district = rasterio.features.rasterize(tambons.geometry, out_shape=shape, transform=transform) == 1
    x = west + PIXEL_M * (np.arange(shape[1]) + 0.5)
    y = north - PIXEL_M * (np.arange(shape[0]) + 0.5)
    xx, yy = np.meshgrid(x, y)
    to_utm = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)

    def smooth(sigma):
        noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
        return noise / noise.std()

    def radius(centre, axes):  # 1 on an ellipse around ``centre``
        cx, cy = to_utm.transform(*centre)
        return np.hypot((xx - cx) / axes[0], (yy - cy) / axes[1])

    codes = np.zeros(shape, dtype="uint8")
    free = district.copy()
    pit = radius(*MINE_PIT) + 0.08 * smooth(4)
    dumps = free & (pit <= SPOIL_RING)
    codes[dumps] = MINE
    _take(codes, dumps, pit, NEW_FOREST_HA, NEW_FOREST)  # the dumps' outer edge, replanted
    for reservoir in RESERVOIRS:
        codes[free & ~dumps & (radius(*reservoir) + 0.1 * smooth(2) <= 1)] = WATER
    free &= codes == 0
    built = np.zeros(shape, dtype=bool)
    for centre, metres in SETTLEMENTS:
        built |= radius(centre, (metres, metres)) + 0.15 * smooth(2) <= 1
    built &= free
    codes[built] = BUILT
    area = targets()
    _take(codes, built, smooth(1.5), area[URBAN_TREES], URBAN_TREES)
    free &= codes == 0
    lines = shapely.MultiLineString([[to_utm.transform(*p) for p in line] for line in VALLEYS])
    relief = shapely.distance(shapely.points(xx.ravel(), yy.ravel()), lines).reshape(shape) / 1000.0
    relief += 1.5 * smooth(12) + 0.5 * smooth(3)
    for code, hectares in ((FOREST, area[FOREST]), (SHRUB, SHRUB_HA), (ORCHARD, area[ORCHARD])):
        _take(codes, (codes == 0) & free, relief, hectares, code)
    codes[free & (codes == 0)] = CROP
    return _geotiff(codes, transform)


def _take(codes, where, score, hectares, code):
    """Give ``code`` to the ``hectares`` pixels of ``where`` with the highest ``score``."""
    candidates = np.flatnonzero(where)
    if len(candidates) < hectares * 10_000 / PIXEL_M ** 2:
        raise ValueError(f"only {len(candidates)} pixels for {hectares} ha of code {code}")
    order = np.argsort(-score.ravel()[candidates], kind="stable")
    codes.ravel()[candidates[order[:int(hectares * 10_000 / PIXEL_M ** 2)]]] = code


def _geotiff(codes, transform):
    profile = {"driver": "GTiff", "width": codes.shape[1], "height": codes.shape[0], "count": 1,
               "dtype": "uint8", "crs": CRS, "transform": transform, "nodata": 0, "compress": "deflate"}
    with MemoryFile() as memory:
        with memory.open(**profile) as dst:
            dst.write(codes, 1)
            dst.write_colormap(1, {code: (*rgb, 255) for code, rgb in COLOURS.items()})
            dst.update_tags(DESCRIPTION="generated demo data, not a survey", SEED=str(SEED),
                            LEGEND="ckanext-maemoh data/land_cover_legend.csv")
        return memory.read()


def dataset(org_name):
    return {
        **GDC_DEFAULTS, "type": "dataset", "name": DATASET, "owner_org": org_name,
        "theme": ["green-space", "land-use"], "tags": [{"name": ILLUSTRATIVE_TAG}],
        "license_id": "CC-BY-4.0", "quality_level": "raw", "data_type": "geospatial",
        "spatial": json.dumps(places.district_geojson()), "geo_coverage": "district",
        "update_frequency_unit": "year", "update_frequency_interval": "1",
        "data_source": "Mae Moh City Data Platform (generated demo data)", "data_format": ["GeoTIFF"],
        "title_translated": {
            "th": "แผนที่สิ่งปกคลุมดิน อำเภอแม่เมาะ (ข้อมูลสาธิตที่สร้างขึ้น ไม่ใช่ข้อมูลสำรวจ)",
            "en": "Mae Moh land cover (generated demo data, not a survey)"},
        "notes_translated": {
            "th": "ข้อมูลสาธิตที่สร้างขึ้นด้วยโปรแกรม ไม่ใช่ข้อมูลสำรวจ ใช้แสดงการคำนวณสัดส่วนพื้นที่สีเขียว "
                  "และการกักเก็บคาร์บอนตั้งแต่ต้นจนจบ ภาพ GeoTIFF ขนาดจุดภาพ 100 เมตร พิกัด EPSG:32647 "
                  "(UTM โซน 47 เหนือ) ค่าแต่ละจุดภาพเป็นรหัสประเภทสิ่งปกคลุมดินของแพลตฟอร์ม: 1 ป่าไม้ "
                  "2 ป่าปลูกใหม่ 3 ต้นไม้และสวนสาธารณะในเขตชุมชน 4 สวนผลไม้และไม้ยืนต้น 5 ไม้พุ่มและทุ่งหญ้า "
                  "6 นาข้าวและพื้นที่เพาะปลูก 7 พื้นที่สิ่งปลูกสร้าง 8 เหมือง กองดินทิ้ง และพื้นที่โล่ง "
                  "9 แหล่งน้ำ 0 ไม่มีข้อมูล (นอกเขตอำเภอ) แผนที่จริงจากหน่วยงานต้องแปลงรหัสให้ตรงกันก่อนเผยแพร่",
            "en": "GENERATED demo data, not a survey: it shows the green-space share and the carbon "
                  "removals end to end. A GeoTIFF of 100 m pixels in EPSG:32647 (UTM zone 47N), one byte "
                  "per pixel in the platform's land-cover codes: 1 forest, 2 newly planted forest, 3 tree "
                  "cover in settlements and parks, 4 orchards and perennial trees, 5 shrubland and "
                  "grassland, 6 cropland and paddy, 7 built-up, 8 mine, spoil and bare land, 9 water, "
                  "0 no data (outside the district). An agency's map must be reclassified to these codes "
                  "before it is published."},
    }


def load(org_name):
    """Upsert the dataset and its GeoTIFF (replaced only when the generated
    bytes change); yield one line per step."""
    context = catalog.site_context()
    action, found = catalog.upsert(context, "package", dataset(org_name))
    yield f"{action} package {DATASET}"
    content = generate()
    digest = hashlib.sha256(content).hexdigest()
    existing = next((r for r in found["resources"] if r["name"] == RESOURCE), None)
    if existing and existing.get("hash") == digest:
        yield f"kept resource {RESOURCE}"
        return
    data = {"package_id": found["id"], "name": RESOURCE, "format": "GeoTIFF", "mimetype": "image/tiff",
            "hash": digest, "upload": FileStorage(io.BytesIO(content), FILENAME),
            "description": "สิ่งปกคลุมดิน (ข้อมูลสาธิตที่สร้างขึ้น) EPSG:32647 จุดภาพ 100 ม.\n\n"
                           "Land cover (generated demo data), EPSG:32647, 100 m pixels, uint8, nodata 0."}
    if existing:
        tk.get_action("resource_update")(dict(context), dict(data, id=existing["id"]))
        yield f"updated resource {RESOURCE}"
    else:
        tk.get_action("resource_create")(dict(context), data)
        yield f"created resource {RESOURCE}"

