"""Publishable outputs of the inventory and the pathway: CSV, tambon GeoJSON and two PNG charts.

* CSV: every inventory line, notation-key lines included (their numbers empty).
* GeoJSON (RFC 7946, via :func:`writers.geojson.to_geojson`): per tambon the
  BASIC+ emissions allocated to it (``emissions_t_co2e``; null when none) and
  its I.4.4 share apart; district-level activities (fuel sales) are not on the
  map. ``per_capita_t_co2e`` when a population table is given.
* Charts use the Agg canvas explicitly and the Thai font handling of
  :mod:`writers.maps`: labels read "ไทย / English"; without a Thai font
  English only, the warning logged and written in the PNG ``Warning`` chunk.
  The sector chart draws I.4.4 on its own axis beside the BASIC+ total, so the
  plant does not flatten the district's other sectors.
"""
from __future__ import annotations

import io
import textwrap
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ckanext.maemoh.netzero.gpc import SECTORS
from ckanext.maemoh.netzero.guidance_kinds import number
from ckanext.maemoh.netzero.inventory import Inventory
from ckanext.maemoh.risk_jobs.hazards import geodesic_area_km2
from ckanext.maemoh.writers import geojson, maps, tables

SCOPE_COLOURS = {1: "#08519c", 2: "#6baed6", 3: "#c6dbef"}
PLANT_COLOUR = "#636363"
PLACE = ("อำเภอแม่เมาะ", "Mae Moh district")


def inventory_csv(inventory: Inventory) -> str:
    """The inventory lines as CSV text (:func:`writers.tables.to_csv`: formula-safe, missing values empty)."""
    return tables.to_csv(inventory.lines, index=False)


def tambon_geojson(inventory: Inventory, tambons_gdf: gpd.GeoDataFrame,
                   population: pd.DataFrame | None = None) -> dict:
    """One feature per tambon (``tambon_code, name_th, name_en``) with its emissions."""
    table = inventory.by_tambon()
    tambons = tambons_gdf.copy()
    tambons["tambon_code"] = tambons["tambon_code"].astype(str)
    tambons["year"] = inventory.year
    tambons["emissions_t_co2e"] = tambons["tambon_code"].map(table["basic_plus_t"]).astype(float).round(3)
    tambons["i44_t_co2e"] = tambons["tambon_code"].map(table["i44_t"]).astype(float).round(3)
    properties = ["tambon_code", "name_th", "name_en", "year", "emissions_t_co2e", "i44_t_co2e"]
    if population is not None:
        people = pd.Series(population["population"].astype(float).to_numpy(),
                           index=population["tambon_code"].astype(str))
        tambons["population"] = tambons["tambon_code"].map(people)
        tambons["per_capita_t_co2e"] = (tambons["emissions_t_co2e"] / tambons["population"]).round(3)
        properties += ["population", "per_capita_t_co2e"]
    return geojson.to_geojson(tambons, properties=properties, id_column="tambon_code")


TAMBON_TABLE_COLUMNS = ("tambon_code", "name_th", "name_en", "year", "basic_t_co2e", "basic_plus_t_co2e",
                        "i44_t_co2e", "population", "area_km2", "per_capita_t_co2e", "per_km2_t_co2e")


def tambon_table(inventory: Inventory, tambons_gdf: gpd.GeoDataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Per tambon (:data:`TAMBON_TABLE_COLUMNS`): BASIC, BASIC+ and I.4.4 (t CO2e) allocated to
    it, BASIC+ per registered resident and per km² (geodesic area); NaN where no line is
    allocated to the tambon (never zero). Activities not allocated to a tambon are in no row."""
    totals = inventory.by_tambon()
    table = pd.DataFrame({"tambon_code": tambons_gdf["tambon_code"].astype(str).to_numpy(),
                          "name_th": tambons_gdf["name_th"].to_numpy(), "name_en": tambons_gdf["name_en"].to_numpy(),
                          "year": inventory.year,
                          "area_km2": geodesic_area_km2(tambons_gdf.to_crs("EPSG:4326").geometry)})
    codes = table["tambon_code"]
    for column, total in (("basic_t_co2e", "basic_t"), ("basic_plus_t_co2e", "basic_plus_t"), ("i44_t_co2e", "i44_t")):
        table[column] = codes.map(totals[total]).astype(float)
    people = pd.Series(population["population"].astype(float).to_numpy(), index=population["tambon_code"].astype(str))
    table["population"] = codes.map(people)
    table["per_capita_t_co2e"] = table["basic_plus_t_co2e"] / table["population"]
    table["per_km2_t_co2e"] = table["basic_plus_t_co2e"] / table["area_km2"]
    return table[list(TAMBON_TABLE_COLUMNS)].sort_values("tambon_code", ignore_index=True)


def _figure(width_px: int, height_px: int, dpi: int) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)  # Agg explicitly; the global backend is left alone
    return fig


def _save(fig: Any, dpi: int, title: str, attribution: str, extra: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Title": title, "Source": attribution, **extra})
    return buf.getvalue()


def _thousands(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def sector_chart_png(inventory: Inventory, *, attribution: str | None = None,
                     width_px: int = 1600, height_px: int = 900, dpi: int = 150) -> bytes:
    """Bars per GPC sector (BASIC+, stacked by scope; notation key where no data) and, on its own
    axis, the district's BASIC+ total beside I.4.4 (the power plant)."""
    font, label, extra = maps.chart_fonts()
    record = inventory.factor_record
    attribution = attribution or (f"GPC inventory {inventory.year}; emission factors "
                                  f"{', '.join(record['versions'])}; GWP {record['gwp_set'].upper()}")
    fig = _figure(width_px, height_px, dpi)
    ax, plant = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1], "left": 0.1, "right": 0.97,
                                                "bottom": 0.22, "top": 0.85, "wspace": 0.35})
    lines = inventory.emission_lines
    lines = lines[lines["level"].isin(["BASIC", "BASIC+"])]
    by_scope = lines.pivot_table(index="sector", columns="scope", values="emissions_t_co2e", aggfunc="sum")
    by_scope = by_scope.reindex(index=list(SECTORS), columns=[1, 2, 3]).fillna(0.0)
    bottom = np.zeros(len(SECTORS))
    for scope in (1, 2, 3):
        ax.bar(range(len(SECTORS)), by_scope[scope], bottom=bottom, color=SCOPE_COLOURS[scope],
               label=label(f"ขอบเขต {scope}", f"Scope {scope}"))
        bottom += by_scope[scope].to_numpy()
    notation = inventory.by_sector()["notation"]
    for i, sector in enumerate(SECTORS):
        if notation[sector]:
            ax.text(i, 0, notation[sector], ha="center", va="bottom", fontproperties=font, fontsize=9)
    names = [inventory.mapping.sector_label(s) for s in SECTORS]
    ticks = [s + "\n" + "\n".join(textwrap.fill(part, 20, break_long_words=False)
                                   for part in label(th, en).split(" / "))
             for s, (th, en) in zip(SECTORS, names)]
    ax.set_xticks(range(len(SECTORS)), ticks, fontproperties=font, fontsize=6)
    ax.set_ylabel(label("ตันคาร์บอนไดออกไซด์เทียบเท่า", "t CO2e"), fontproperties=font)
    ax.set_title(label("ภาคต่าง ๆ (BASIC+)", "Sectors (BASIC+)"), fontproperties=font, fontsize=10)
    ax.legend(prop=font, fontsize=8)
    _thousands(ax.yaxis)

    values = [inventory.basic_plus_t, inventory.i44_t]
    bars = plant.bar([0, 1], np.nan_to_num(values), color=[SCOPE_COLOURS[1], PLANT_COLOUR])
    for bar, value in zip(bars, values):
        plant.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), "NE" if np.isnan(value) else number(value),
                   ha="center", va="bottom", fontsize=7, fontproperties=font)
    plant.set_xticks([0, 1], [label("อำเภอ", "District").replace(" / ", "\n") + "\nBASIC+",
                              label("โรงไฟฟ้า", "Power plant").replace(" / ", "\n") + "\nI.4.4"],
                     fontproperties=font, fontsize=7)
    plant.set_title(label("โรงไฟฟ้า (แยกรายงาน)", "Power plant (reported apart)").replace(" / ", "\n"),
                    fontproperties=font, fontsize=9)
    _thousands(plant.yaxis)

    title = label(f"การปล่อยก๊าซเรือนกระจก {PLACE[0]} พ.ศ. {inventory.year + 543}",
                  f"Greenhouse-gas emissions, {PLACE[1]}, {inventory.year}")
    fig.suptitle(title.replace(" / ", "\n", 1), fontproperties=font, fontsize=12)
    fig.text(0.5, 0.02, attribution, ha="center", va="bottom", fontsize=6, wrap=True, fontproperties=font)
    return _save(fig, dpi, title, attribution, extra)


def pathway_chart_png(pathway: pd.DataFrame, *, attribution: str | None = None,
                      width_px: int = 1600, height_px: int = 900, dpi: int = 150) -> bytes:
    """Net emissions per scenario to the last year, the net-zero line, and the gap left in the last
    year annotated (shaded for the scenario that ends lowest)."""
    font, label, extra = maps.chart_fonts()
    method = pathway.attrs.get("method", {})
    attribution = attribution or (
        f"Pathway from the {method.get('baseline_year', '')} inventory (BASIC+, without I.4.4); "
        f"scenarios {method.get('scenarios_version', '')}; removals from per-hectare factors (assumptions)")
    fig = _figure(width_px, height_px, dpi)
    ax = fig.add_axes((0.12, 0.32, 0.66, 0.53))
    last = int(pathway["year"].max())
    finals = pathway[pathway["year"] == last].set_index("scenario")["net_t"]
    lowest = str(finals.idxmin())
    for scenario, rows in pathway.groupby("scenario", sort=False):
        bau = scenario == "bau"
        ax.plot(rows["year"], rows["net_t"], linestyle="--" if bau else "-", color="#969696" if bau else None,
                linewidth=2, label=label(rows["label_th"].iloc[0], rows["label_en"].iloc[0]))
        gap = float(rows["gap_to_net_zero_t"].iloc[-1])
        ax.annotate(label(f"ช่องว่าง {number(gap)}", f"gap {number(gap)}"), (last, float(rows["net_t"].iloc[-1])),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=7, fontproperties=font)
        if scenario == lowest:
            ax.fill_between(rows["year"], 0, rows["net_t"].clip(lower=0), color="#fdae6b", alpha=0.25,
                            label=label("ช่องว่างถึงสุทธิเป็นศูนย์", "Gap to net zero"))
    ax.axhline(0, color="#000000", linewidth=1.2, label=label("สุทธิเป็นศูนย์", "Net zero"))
    ax.set_xlim(int(pathway["year"].min()), last)
    y_label = label("การปล่อยสุทธิ (ตันคาร์บอนไดออกไซด์เทียบเท่า)", "Net emissions (t CO2e)")
    ax.set_ylabel(y_label.replace(" / ", "\n"), fontproperties=font, fontsize=8)
    _thousands(ax.yaxis)
    ax.legend(prop=font, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    title = label(f"เส้นทางสู่การปล่อยก๊าซเรือนกระจกสุทธิเป็นศูนย์ {PLACE[0]}", f"Pathway to net zero, {PLACE[1]}")
    fig.suptitle(title.replace(" / ", "\n", 1), fontproperties=font, fontsize=12)
    fig.text(0.5, 0.02, attribution, ha="center", va="bottom", fontsize=6, wrap=True, fontproperties=font)
    return _save(fig, dpi, title, attribution, extra)
