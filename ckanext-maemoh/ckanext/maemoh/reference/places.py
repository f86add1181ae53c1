"""Mae Moh's sub-districts (tambons) and the place codes of a geometry.

Pure: no CKAN import. The polygons are the real boundaries shipped in
``data/`` (EPSG:4326); see ``data/SOURCE.md``.
"""
import functools
import json
import pathlib

from shapely.geometry import Point, shape
from shapely.ops import unary_union

DATA_DIR = pathlib.Path(__file__).resolve().parents[1] / "data"
TAMBONS_FILE = DATA_DIR / "maemoh_tambons.geojson"
POPULATION_FILE = DATA_DIR / "population_2024.csv"
DISTRICT = "district"
OUTSIDE = "outside"
# Share of a geometry's area that may lie beyond the district line (shared
# borders are digitised differently by every agency) before it counts as
# reaching outside.
OUTSIDE_AREA_TOLERANCE = 0.01


def district_geojson(data_dir=DATA_DIR):
    """The district outline as a GeoJSON geometry dict (the file's single
    feature)."""
    with open(pathlib.Path(data_dir) / "maemoh_district.geojson", encoding="utf-8") as f:
        (feature,) = json.load(f)["features"]
    return feature["geometry"]


@functools.lru_cache(maxsize=None)
def tambon_features():
    """The five tambons as GeoJSON features (``tambon_code``, ``name_th``,
    ``name_en``; EPSG:4326): every reader of their shapes starts here."""
    with open(TAMBONS_FILE, encoding="utf-8") as f:
        return tuple(json.load(f)["features"])


@functools.lru_cache(maxsize=None)
def tambons():
    """``{tambon_code: shapely polygon}`` of the five tambons."""
    return {f["properties"]["tambon_code"]: shape(f["geometry"]) for f in tambon_features()}


def tambon_of(longitude, latitude):
    """The code of the tambon covering the point (the first in code order on
    a shared border), None outside the district."""
    point = Point(float(longitude), float(latitude))
    return next((code for code, polygon in sorted(tambons().items()) if polygon.covers(point)), None)


@functools.lru_cache(maxsize=None)
def district():
    """The district outline as one shapely geometry."""
    return unary_union(list(tambons().values()))


def point(spatial):
    """``(longitude, latitude)`` of a GeoJSON Point (text or dict), else None."""
    try:
        geometry = json.loads(spatial) if isinstance(spatial, str) else spatial
        if geometry.get("type") == "Point":
            longitude, latitude = geometry["coordinates"][:2]
            return float(longitude), float(latitude)
    except (AttributeError, TypeError, ValueError, KeyError):
        pass
    return None


def place_codes(geometry):
    """Codes of the places a GeoJSON-like ``geometry`` covers.

    Tambon codes it intersects (sorted), ``district`` when it touches all
    five, and ``outside`` when part of it lies beyond the district.
    """
    geom = shape(geometry)
    codes = sorted(code for code, polygon in tambons().items()
                   if _covers_part_of(polygon, geom))
    if len(codes) == len(tambons()):
        codes.append(DISTRICT)
    if _reaches_outside(geom):
        codes.append(OUTSIDE)
    return codes


def _covers_part_of(polygon, geom):
    """Areas must overlap (a shared border is not enough); points and lines
    must touch the polygon."""
    if geom.area == 0:
        return polygon.intersects(geom)
    return polygon.intersection(geom).area > 0


def _reaches_outside(geom):
    beyond = geom.difference(district())
    if beyond.is_empty:
        return False
    if geom.area == 0:  # points and lines: any part beyond counts
        return True
    return beyond.area / geom.area > OUTSIDE_AREA_TOLERANCE
