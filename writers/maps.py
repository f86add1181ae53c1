"""PNG maps of classed cells, Thai and English.

Thai text needs a font with Thai glyphs. :func:`thai_font` looks for one
(``fc-list :lang=th``, else the fonts Matplotlib knows). Without one the map
is drawn with the English labels only, a warning is logged and written into
the PNG's ``Warning`` text chunk — never boxes in place of Thai letters. On
Debian, ``fonts-thai-tlwg`` (or only ``fonts-tlwg-loma``) provides such fonts.
Matplotlib is used with the Agg backend only (no display).
"""
from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

log = logging.getLogger(__name__)

THAI_FONT_PACKAGE = "fonts-thai-tlwg"
NO_THAI_FONT_WARNING = (
    "No font with Thai glyphs is installed: Thai labels were left out of this map. "
    f"Install the Debian package {THAI_FONT_PACKAGE} (or fonts-noto-core)."
)
_THAI_SAMPLE = 0x0E01  # ก


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


def chart_fonts() -> tuple[Any, Callable[[str, str], str], dict[str, str]]:
    """(font properties, label maker, extra PNG metadata) for a chart, as
    :func:`to_png` does it: labels "ไทย / English", English only (and a warning
    in the metadata) where no Thai font is installed."""
    from matplotlib import font_manager

    path = thai_font()
    if path:
        font_manager.fontManager.addfont(path)
        family = font_manager.FontProperties(fname=path).get_name()
        return font_manager.FontProperties(family=[family, "DejaVu Sans"]), lambda th, en: f"{th} / {en}", {}
    log.warning(NO_THAI_FONT_WARNING)
    return (font_manager.FontProperties(family="DejaVu Sans"), lambda th, en: en,
            {"Warning": NO_THAI_FONT_WARNING})


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
