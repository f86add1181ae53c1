"""RFC 7946 GeoJSON from GeoDataFrames: WGS84, 6 decimals, right-hand rings."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ckanext.maemoh.writers.values import json_safe

COORDINATE_DECIMALS = 6


def _listify(coords: Any) -> Any:
    if isinstance(coords, (tuple, list)):
        if coords and isinstance(coords[0], (int, float)):
            return [float(c) for c in coords]
        return [_listify(c) for c in coords]
    return coords


def _rfc7946_geometry(geom: Any) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    geom = shapely.transform(geom, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    # exterior rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6)
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    mapped = shapely.geometry.mapping(geom)
    return _geometry_lists(mapped)


def _rfc7946_geometries(geoms: np.ndarray) -> list[dict | None]:
    """:func:`_rfc7946_geometry` of each; simple polygons (a grid's cells) in one vectorised pass."""
    simple = len(geoms) and (
        (shapely.get_type_id(geoms) == 3).all() and not shapely.is_empty(geoms).any()
        and (shapely.get_num_interior_rings(geoms) == 0).all())
    if not simple:
        return [_rfc7946_geometry(g) for g in geoms]
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    rings = shapely.get_exterior_ring(shapely.orient_polygons(rounded, exterior_cw=False))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    ends = np.cumsum(np.bincount(index, minlength=len(geoms)))
    positions = coords.tolist()
    return [{"type": "Polygon", "coordinates": [positions[a:b]]}
            for a, b in zip(np.concatenate(([0], ends[:-1])).tolist(), ends.tolist())]


def _json_column(column: pd.Series) -> list:
    """:func:`json_safe` of each value; float and integer columns without the per-value checks."""
    if pd.api.types.is_float_dtype(column.dtype) and not isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        values = column.to_numpy(dtype=float)
        return [v if math.isfinite(v) else None for v in values.tolist()]
    if pd.api.types.is_integer_dtype(column.dtype) and not isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return column.to_numpy().tolist()
    return [json_safe(v) for v in column.tolist()]


def _geometry_lists(mapped: dict) -> dict:
    if mapped["type"] == "GeometryCollection":
        return {"type": "GeometryCollection", "geometries": [_geometry_lists(g) for g in mapped["geometries"]]}
    return {"type": mapped["type"], "coordinates": _listify(mapped["coordinates"])}


def to_geojson(gdf: gpd.GeoDataFrame, properties: Sequence[str] | None = None, id_column: str | None = None) -> dict:
    """RFC 7946 FeatureCollection (a dict, ready for ``json.dumps(..., allow_nan=False)``).

    Geometries are transformed to WGS84 longitude/latitude, coordinates rounded
    to 6 decimals (~0.1 m), polygon exteriors counter-clockwise and holes
    clockwise (§3.1.6); no ``crs`` member. ``properties``: columns to include
    (default: all but the geometry), made JSON-safe (NaN -> null). With
    ``id_column`` its value becomes each feature's ``id``. Rounding can make a
    sub-decimetre sliver degenerate; cells are far larger than that.
    """
    if gdf.crs is None:
        raise ValueError("the GeoDataFrame has no CRS")
    wgs84 = gdf.to_crs("EPSG:4326")
    geom_col = wgs84.geometry.name
    cols = list(properties) if properties is not None else [c for c in wgs84.columns if c != geom_col]
    missing = set(cols) - set(wgs84.columns)
    if missing:
        raise ValueError(f"no such columns: {sorted(missing)}")
    ids = _json_column(wgs84[id_column]) if id_column is not None else None
    columns = {str(c): _json_column(wgs84[c]) for c in cols}
    geometries = _rfc7946_geometries(wgs84.geometry.values)
    features = []
    for pos, geometry in enumerate(geometries):
        feature: dict[str, Any] = {"type": "Feature"}
        if ids is not None:
            feature["id"] = ids[pos]
        feature["geometry"] = geometry
        feature["properties"] = {k: v[pos] for k, v in columns.items()}
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
