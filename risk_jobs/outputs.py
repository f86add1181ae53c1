"""Publishable outputs of a risk run: GeoJSON, CSV, a PNG map and the method record.

Pure functions; nothing here imports ``ckan``. Matplotlib is used with the Agg
backend only (no display).

Thai text in the PNG needs a font with Thai glyphs. :func:`thai_font` looks for
one (``fc-list :lang=th``, else the fonts Matplotlib knows). Without one the
map is drawn with the English labels only, a warning is logged and written into
the PNG's ``Warning`` text chunk — never boxes in place of Thai letters. On
Debian, ``fonts-thai-tlwg`` (or only ``fonts-tlwg-loma``) provides such fonts.
"""
from __future__ import annotations

import datetime as _dt
import functools
import importlib.metadata
import io
import json
import logging
import math
import platform
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

log = logging.getLogger(__name__)

#: libraries whose versions every method record names
RECORDED_LIBRARIES = ("numpy", "pandas", "geopandas", "shapely", "esda", "libpysal", "matplotlib", "scipy", "pyproj")
COORDINATE_DECIMALS = 6
THAI_FONT_PACKAGE = "fonts-thai-tlwg"
NO_THAI_FONT_WARNING = (
    "No font with Thai glyphs is installed: Thai labels were left out of this map. "
    f"Install the Debian package {THAI_FONT_PACKAGE} (or fonts-noto-core)."
)
_THAI_SAMPLE = 0x0E01  # ก


# --------------------------------------------------------------------------- JSON

def json_safe(value: Any) -> Any:
    """``value`` made JSON-serialisable: NaN/NA/NaT/inf -> None, numpy -> Python, times -> ISO 8601."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series, pd.Index)):
        return [json_safe(v) for v in (sorted(value, key=str) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, _dt.timedelta)):
        return pd.Timedelta(value).isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


# ------------------------------------------------------------------------ GeoJSON

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


# ---------------------------------------------------------------------------- CSV

#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))


def _neutral(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def formula_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each text cell, index label and column name that starts with a
    :data:`FORMULA_STARTS` character prefixed by ``'``, so spreadsheets show it as text.

    Only ``str`` values change: numbers stay numbers (a negative float stays
    ``-3.5``, even in an object column), while text that looks like a number
    (``"-3.5"``) is text and gets the prefix, as OWASP's rule says.
    """
    out = df.copy()
    for position, dtype in enumerate(df.dtypes):
        if _is_text(dtype):
            out.isetitem(position, df.iloc[:, position].map(_neutral))
    if _is_text(out.index.dtype) and not isinstance(out.index, pd.MultiIndex):
        out.index = out.index.map(_neutral)
    out.columns = out.columns.map(_neutral)
    return out


def to_csv(df: pd.DataFrame, index: bool | None = None) -> str:
    """CSV text for people: UTF-8, formula-safe (:func:`formula_safe`), missing values empty.

    Lines end in ``\\r\\n`` (RFC 4180): then Python's csv writer quotes a cell
    holding ``\\r`` on every 3.11 release (before 3.11.9 it did not with ``\\n``).
    A geometry column is left out (publish geometry as GeoJSON). The index is
    written when it is named (e.g. ``cell_id``) unless ``index`` says otherwise.
    """
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    if index is None:
        index = df.index.name is not None
    return formula_safe(df).to_csv(index=index, lineterminator="\r\n")


# ---------------------------------------------------------------------------- PNG

def _font_has_thai(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
        # Matplotlib ships "Last Resort", which maps every code point to a box
        if "last resort" in (font.family_name or "").lower():
            return False
        return _THAI_SAMPLE in font.get_charmap()
    except Exception:  # unreadable or unsupported font file
        return False


@functools.lru_cache(maxsize=1)
def thai_font() -> str | None:
    """Path of an installed font with Thai glyphs, or None.

    Asks fontconfig (``fc-list :lang=th file``) first, then checks the fonts
    Matplotlib has indexed. Prefers TLWG Loma / Noto Sans Thai when present.
    """
    candidates: list[str] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=th", "file"], capture_output=True, text=True, timeout=10).stdout
            candidates = [line.split(":")[0].strip() for line in out.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            candidates = []
    if not candidates:
        from matplotlib import font_manager

        candidates = [f.fname for f in font_manager.fontManager.ttflist]
    candidates = [p for p in candidates if p.lower().endswith((".ttf", ".otf"))]
    preferred = ("loma", "notosansthai", "garuda", "sarabun", "tlwg", "noto")
    candidates.sort(key=lambda p: next((i for i, k in enumerate(preferred) if k in p.lower().replace("-", "")),
                                       len(preferred)))
    for path in candidates:
        if _font_has_thai(path):
            return path
    return None


def to_png(
    gdf: gpd.GeoDataFrame,
    column: str,
    classes: Sequence[Any],
    title_th: str,
    title_en: str,
    attribution: str,
    *,
    width_px: int = 1200,
    height_px: int = 1200,
    dpi: int = 150,
) -> bytes:
    """PNG map (``width_px`` × ``height_px``) of the cells coloured by class.

    ``column`` holds class numbers; ``classes`` are objects (or dicts) with
    ``value``, ``label_th``, ``label_en``, ``colour`` (e.g.
    ``composite.RISK_CLASSES``). Cells with a missing or unknown class are grey
    "ไม่มีข้อมูล / No data". Legend entries read "Thai / English"; the
    attribution line is printed under the map. Drawn in UTM 47N so shapes are
    true. Without a Thai font see the module docstring (English only, warning
    in the log and in the PNG ``Warning`` text chunk).
    """
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    def attr(c: Any, name: str) -> Any:
        return c[name] if isinstance(c, Mapping) else getattr(c, name)

    font_path = thai_font()
    metadata = {"Title": f"{title_th} / {title_en}" if font_path else title_en, "Source": attribution}
    if font_path:
        font_manager.fontManager.addfont(font_path)
        thai_family = font_manager.FontProperties(fname=font_path).get_name()
        font = font_manager.FontProperties(family=[thai_family, "DejaVu Sans"])
    else:
        log.warning(NO_THAI_FONT_WARNING)
        metadata["Warning"] = NO_THAI_FONT_WARNING
        font = font_manager.FontProperties(family="DejaVu Sans")

    def label(th: str, en: str) -> str:
        return f"{th} / {en}" if font_path else en

    colours = {attr(c, "value"): attr(c, "colour") for c in classes}
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)  # Agg explicitly; the global backend is left alone
    ax = fig.add_axes((0.03, 0.1, 0.94, 0.78))
    ax.set_axis_off()
    plot = gdf.to_crs("EPSG:32647") if gdf.crs is not None else gdf
    values = plot[column]
    facecolours = [colours.get(int(v), "#d9d9d9") if pd.notna(v) else "#d9d9d9" for v in values]
    _draw(ax, plot.geometry.values, facecolours)

    handles = [Patch(facecolor=attr(c, "colour"), edgecolor="#636363",
                     label=label(attr(c, "label_th"), attr(c, "label_en"))) for c in classes]
    if values.isna().any() or not set(values.dropna().astype(int)) <= set(colours):
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#636363", label=label("ไม่มีข้อมูล", "No data")))
    ax.legend(handles=handles, loc="lower right", prop=font, framealpha=0.9, fontsize=8)
    fig.suptitle(label(title_th, title_en).replace(" / ", "\n", 1) if font_path else title_en,
                 fontproperties=font, fontsize=13, y=0.97)
    fig.text(0.5, 0.03, attribution, ha="center", va="bottom", fontsize=6, wrap=True, fontproperties=font)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=metadata)
    return buf.getvalue()


def _draw(ax: Any, geoms: np.ndarray, facecolours: list[str]) -> None:
    """Fill the polygons: one PolyCollection when none has holes (a grid of
    10 000 cells draws in a fraction of geopandas' per-patch time)."""
    from matplotlib.collections import PolyCollection

    parts, owner = shapely.get_parts(geoms, return_index=True)
    if (shapely.get_type_id(parts) != 3).any() or (shapely.get_num_interior_rings(parts) > 0).any():
        gpd.GeoSeries(geoms).plot(ax=ax, color=facecolours, edgecolor="#636363", linewidth=0.3)
    else:
        coords, index = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
        rings = np.split(coords, np.cumsum(np.bincount(index, minlength=len(parts)))[:-1])
        ax.add_collection(PolyCollection(rings, facecolors=[facecolours[i] for i in owner],
                                         edgecolors="#636363", linewidths=0.3))
        ax.autoscale_view()
    ax.set_aspect("equal")


# ------------------------------------------------------------------ method record

def library_versions(names: Iterable[str] = RECORDED_LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution, None when absent."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def method_record(
    *,
    job: str,
    inputs: Sequence[Mapping[str, Any]],
    parameters: Mapping[str, Any] | None = None,
    seed: int | None = None,
    run_time: _dt.datetime | None = None,
    components: Sequence[Mapping[str, Any]] = (),
    notes: Sequence[str] = (),
) -> dict:
    """What a run used and how, as a JSON-serialisable dict.

    ``inputs``: one mapping per input, e.g. ``{"dataset_id": ..., "resource_id":
    ..., "time_start": ..., "time_end": ...}`` (datetimes become ISO 8601).
    ``components``: e.g. ``HazardResult.record()`` of each dimension.
    ``run_time_utc`` defaults to now; ``seed`` is recorded as given (None when
    nothing random ran). Library versions: :data:`RECORDED_LIBRARIES`.
    """
    when = run_time or _dt.datetime.now(_dt.timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    record = {
        "job": job,
        "run_time_utc": when.astimezone(_dt.timezone.utc).isoformat(),
        "inputs": [dict(i) for i in inputs],
        "parameters": dict(parameters or {}),
        "components": [dict(c) for c in components],
        "seed": seed,
        "notes": list(notes),
        "python": platform.python_version(),
        "libraries": library_versions(),
        "thai_font": thai_font(),
    }
    record = json_safe(record)
    json.dumps(record, allow_nan=False)  # fail here, not at publication
    return record
