"""Land cover from a GeoTIFF: hectares per zone and class, green share,
green area per resident (pure: no ``ckan`` import).

The raster is one band of class codes of the platform's legend
(``data/land_cover_legend.csv``: code, Thai and English label, whether the
class is green, its sequestration ``land_class``); 0 and the raster's own
nodata value are "no data" and counted nowhere.

How pixels are counted (:func:`zonal_areas`):

* the zones are reprojected to the raster's CRS; the raster is never
  resampled, so every pixel keeps its class;
* a pixel belongs to a zone when its centre lies inside the zone
  (``rasterio.features.rasterize``, ``all_touched=False``); zones are
  rasterised one by one, so overlapping zones each count a shared pixel;
* a pixel's area: in a projected CRS, the area of the pixel in the
  projection's plane, from the transform (UTM 47N: within 0.04 % of the
  ground over Mae Moh); in a geographic CRS (EPSG:4326), the geodesic area
  on the WGS84 ellipsoid of the pixels of each row (north-up rasters only).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from importlib.resources import files

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.windows
from pyproj import Geod

LEGEND_FILE = files("ckanext.maemoh") / "data" / "land_cover_legend.csv"
NO_DATA_CODE = 0
M2_PER_HA = 10_000.0
AREA_COLUMNS = ("zone", "code", "pixels", "area_ha")
_GEOD = Geod(ellps="WGS84")


@dataclasses.dataclass(frozen=True)
class Reference:
    """A declared reference value, with its source and how well it is verified."""

    value: float
    unit: str
    label_th: str
    label_en: str
    source: str
    verification: str

    def record(self) -> dict:
        return dataclasses.asdict(self)


#: the reference for green area per resident (secondary: ONEP's own text not read)
GREEN_PER_RESIDENT = Reference(
    value=15.0, unit="m2/person",
    label_th="เป้าหมายพื้นที่สีเขียวสาธารณะของ สผ. อย่างน้อย 15 ตร.ม. ต่อคน",
    label_en="ONEP target: at least 15 m² of public green space per person",
    source="Office of Natural Resources and Environmental Policy and Planning (ONEP), Guidelines for "
           "Sustainable Green Urban Management (National Environment Board 1 Aug 2018, Cabinet 26 Nov 2018): "
           "public green space of at least 15 m² per person within 20 years (2018-2037), as reported by "
           "EXRI and Pattaya Mail. The 9 m² per person often attributed to the WHO is commonly cited, not "
           "a WHO standard (no WHO document states it). Compared here with tree cover in settlements and "
           "parks from the land-cover raster, which is not the target's public, accessible green space",
    verification="secondary",
)


def legend(path=LEGEND_FILE) -> pd.DataFrame:
    """The legend indexed by code: ``label_th, label_en, green`` (bool), ``land_class`` ('' when none)."""
    frame = pd.read_csv(path, dtype={"code": "uint8", "green": str, "land_class": str}, keep_default_na=False)
    frame["green"] = frame["green"].map({"true": True, "false": False})
    if frame["green"].isna().any():
        raise ValueError(f"{path}: green must be true or false")
    return frame.set_index("code")


def zonal_areas(raster_path, zones: gpd.GeoDataFrame, zone_column: str,
                legend_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pixels and hectares of each legend code in each zone: :data:`AREA_COLUMNS`,
    one row per zone and code present (a zone without pixels has no row).

    ValueError when the raster holds codes the legend lacks (named), or when
    a geographic raster is not north-up."""
    codes = legend() if legend_table is None else legend_table
    if zones.crs is None:
        raise ValueError("zones have no CRS")
    rows = []
    with rasterio.open(raster_path) as src:
        if src.crs is None:
            raise ValueError(f"{raster_path}: the raster has no CRS")
        local = zones.to_crs(src.crs)
        window = _window(local.total_bounds, src.transform, src.width, src.height)
        if window is None:
            return pd.DataFrame(columns=list(AREA_COLUMNS))
        data = src.read(1, window=window)
        transform = src.window_transform(window)
        valid = data != NO_DATA_CODE
        if src.nodata is not None:
            valid &= data != src.nodata
        unknown = sorted(set(np.unique(data[valid]).tolist()) - set(codes.index.tolist()))
        if unknown:
            raise ValueError(f"{raster_path}: codes not in the land-cover legend: {unknown}")
        row_ha = _row_areas_ha(src.crs, transform, data.shape)
    height, width = data.shape
    for zone, geometry in zip(local[zone_column], local.geometry):
        part = None if geometry is None or geometry.is_empty else _window(geometry.bounds, transform, width, height)
        if part is None:
            continue
        rows_, cols = part.toslices()
        inside = rasterio.features.rasterize(
            [(geometry, 1)], out_shape=(part.height, part.width), fill=0, all_touched=False, dtype="uint8",
            transform=rasterio.windows.transform(part, transform)).astype(bool) & valid[rows_, cols]
        r, c = np.nonzero(inside)
        values = data[rows_, cols][r, c]
        for code in np.unique(values):
            of_code = values == code
            rows.append((zone, int(code), int(of_code.sum()), float(row_ha[r[of_code] + rows_.start].sum())))
    return pd.DataFrame(rows, columns=list(AREA_COLUMNS))


def _window(bounds, transform, width, height) -> rasterio.windows.Window | None:
    """The window of the whole pixels that ``bounds`` touch in a ``width`` x
    ``height`` array at ``transform``, or None when they miss it."""
    w = rasterio.windows.from_bounds(*bounds, transform=transform)
    col0, row0 = max(math.floor(w.col_off), 0), max(math.floor(w.row_off), 0)
    col1, row1 = min(math.ceil(w.col_off + w.width), width), min(math.ceil(w.row_off + w.height), height)
    if col1 <= col0 or row1 <= row0:
        return None
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _row_areas_ha(crs, transform, shape) -> np.ndarray:
    """Hectares of one pixel of each row of an array of ``shape`` at ``transform``."""
    height = shape[0]
    if crs.is_geographic:
        if transform.b != 0 or transform.d != 0:
            raise ValueError("a geographic raster must be north-up (no rotation) to measure its pixels")
        west, east = transform.c, transform.c + transform.a
        tops = transform.f + transform.e * np.arange(height)
        return np.array([abs(_GEOD.polygon_area_perimeter(
            [west, east, east, west], [top, top, top + transform.e, top + transform.e])[0]) / M2_PER_HA
            for top in tops])
    metres = crs.linear_units_factor[1]
    return np.full(height, abs(transform.determinant) * metres ** 2 / M2_PER_HA)


def green_by_zone(areas: pd.DataFrame, zone_ids: Iterable | None = None,
                  legend_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per zone (index; ``zone_ids`` adds zones without pixels): ``covered_ha``
    (pixels with data), ``green_ha``, ``green_share`` (0-1, NaN without pixels),
    ``tree_ha`` (the classes with a sequestration land class) and
    ``<land_class>_ha`` for each land class of the legend."""
    codes = legend() if legend_table is None else legend_table
    classes = sorted(c for c in codes["land_class"].unique() if c)
    frame = areas.join(codes[["green", "land_class"]], on="code")
    by = frame.groupby("zone")
    table = pd.DataFrame({
        "covered_ha": by["area_ha"].sum(),
        "green_ha": frame[frame["green"]].groupby("zone")["area_ha"].sum(),
        "tree_ha": frame[frame["land_class"] != ""].groupby("zone")["area_ha"].sum(),
    })
    per_class = frame[frame["land_class"] != ""].pivot_table(
        index="zone", columns="land_class", values="area_ha", aggfunc="sum")
    for land_class in classes:
        table[f"{land_class}_ha"] = per_class[land_class] if land_class in per_class else 0.0
    if zone_ids is not None:
        table = table.reindex(pd.Index(list(zone_ids), name="zone"))
    covered = table["covered_ha"]
    table = table.fillna({c: 0.0 for c in table.columns if c != "covered_ha"})
    table.loc[covered.isna()] = np.nan
    table["green_share"] = table["green_ha"] / table["covered_ha"]
    return table.rename_axis("zone")


def land_class_ha(areas: pd.DataFrame, legend_table: pd.DataFrame | None = None) -> dict[str, float]:
    """Hectares per sequestration land class over all zones (the pathway's green areas)."""
    codes = legend() if legend_table is None else legend_table
    frame = areas.join(codes["land_class"], on="code")
    frame = frame[frame["land_class"] != ""]
    return {str(k): float(v) for k, v in frame.groupby("land_class")["area_ha"].sum().items()}


def green_per_resident(by_zone: pd.DataFrame, population: Mapping[str, float],
                       reference: Reference = GREEN_PER_RESIDENT) -> pd.DataFrame:
    """Per zone with a population: ``urban_tree_cover_ha``, ``population``,
    ``m2_per_person`` (tree cover in settlements and parks per resident) and
    ``meets_reference`` (≥ ``reference.value``; <NA> where unknown)."""
    people = pd.Series(population, dtype=float).reindex(by_zone.index)
    tree = by_zone["urban_tree_cover_ha"]
    per_person = tree * M2_PER_HA / people.where(people > 0)
    meets = (per_person >= reference.value).astype("boolean").mask(per_person.isna())
    return pd.DataFrame({"urban_tree_cover_ha": tree, "population": people,
                         "m2_per_person": per_person, "meets_reference": meets})
