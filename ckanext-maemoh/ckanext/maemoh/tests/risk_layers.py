"""Synthetic risk layers shaped as the risk jobs publish them (the data
contract of a risk layer's GeoJSON), for the risk-map tests and
bench/risk_map.py: H3 cells over the real tambons (or the tambons
themselves), with every property of the contract, LISA and Gi* classes
only where asked (as for fire), ``uncertainty`` where asked (as for the
interpolated air and heat). Deterministic for a seed. No CKAN import here
except in :func:`publish`."""
import datetime as dt
import pathlib

import geopandas as gpd
import h3
import numpy as np
import pandas as pd

from ckanext.maemoh.risk_jobs import composite, grid
from ckanext.maemoh.writers import geojson, maps, records, tables

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
LISA = ("HH", "LH", "LL", "HL", "not significant", "no variation", "isolated", "no data")
GI = ("hot 99%", "hot 95%", "hot 90%", "cold 99%", "cold 95%", "cold 90%",
      "not significant", "no variation", "isolated", "no data")
HAZARD_LABELS = {1: ("ภัยต่ำมาก", "Very low hazard"), 2: ("ภัยต่ำ", "Low hazard"),
                 3: ("ภัยปานกลาง", "Moderate hazard"), 4: ("ภัยสูง", "High hazard"),
                 5: ("ภัยสูงมาก", "Very high hazard")}


def tambons():
    return gpd.read_file(DATA / "maemoh_tambons.geojson")


def risk_class(risk):
    """Class number of a risk on 0-1 by the classes' bounds, None for no data."""
    if risk is None or not np.isfinite(risk):
        return None
    for c in composite.RISK_CLASSES:
        if c.lower <= risk < c.upper or (c is composite.RISK_CLASSES[-1] and risk <= c.upper):
            return c.value
    return None


def cells(resolution, exactly=None):
    """The H3 cells of the district at ``resolution`` (GeoDataFrame); with
    ``exactly``, that many: rings of cells around the district are added
    (each with the tambon of the cell it grew from), or cells left out."""
    found = grid.hex_grid(tambons(), resolution).cells.reset_index(drop=True)
    if exactly is None:
        return found
    tambon = dict(zip(found["cell_id"], found["tambon_code"]))
    frontier = list(tambon)
    while len(tambon) < exactly:
        grown = []
        for cell in frontier:
            for neighbour in h3.grid_ring(cell, 1):
                if neighbour not in tambon:
                    tambon[neighbour] = tambon[cell]
                    grown.append(neighbour)
        frontier = grown
    ids = list(tambon)[:exactly]
    return gpd.GeoDataFrame({"cell_id": ids, "tambon_code": [tambon[c] for c in ids]},
                            geometry=[grid._hexagon(c) for c in ids], crs=grid.WGS84)


def frame(units, *, local=True, uncertainty=False, seed=1, no_data_share=0.02, hazard_labels=HAZARD_LABELS):
    """``units`` (cell_id, tambon_code, geometry) with every property of the
    contract: a smooth hazard field with noise, its levels and labels, risk
    and class (a few cells without data), LISA and Gi* classes when ``local``."""
    rng = np.random.default_rng(seed)
    names = tambons().set_index("tambon_code")[["name_th", "name_en"]]
    gdf = units[["cell_id", "tambon_code", "geometry"]].copy().reset_index(drop=True)
    n = len(gdf)
    centres = gdf.geometry.to_crs(grid.PROJECTED_CRS).centroid
    x, y = centres.x.to_numpy(), centres.y.to_numpy()
    field = np.exp(-(((x - x.mean()) / (x.std() + 1)) ** 2 + ((y - y.mean()) / (y.std() + 1)) ** 2))
    value = 20 + 180 * field + rng.normal(0, 8, n)
    risk = np.clip(field * 0.9 + rng.normal(0, 0.08, n), 0, 1)
    missing = rng.random(n) < no_data_share
    gdf["name_th"] = gdf["tambon_code"].map(names["name_th"])
    gdf["name_en"] = gdf["tambon_code"].map(names["name_en"])
    gdf["value"] = np.where(missing, np.nan, np.round(value, 3))
    level = np.clip(np.ceil(field * 5), 1, 5).astype(int)
    gdf["hazard_level"] = pd.array([None if m else int(v) for m, v in zip(missing, level)], dtype="Int64")
    gdf["hazard_label_th"] = [None if m else hazard_labels[v][0] for m, v in zip(missing, level)]
    gdf["hazard_label_en"] = [None if m else hazard_labels[v][1] for m, v in zip(missing, level)]
    gdf["risk"] = np.where(missing, np.nan, np.round(risk, 4))
    classes = [None if m else risk_class(r) for m, r in zip(missing, risk)]
    gdf["risk_class"] = pd.array(classes, dtype="Int64")
    by_value = composite.RISK_CLASS_BY_VALUE
    gdf["risk_label_th"] = [by_value[c].label_th if c else composite.NO_DATA_LABEL_TH for c in classes]
    gdf["risk_label_en"] = [by_value[c].label_en if c else composite.NO_DATA_LABEL_EN for c in classes]
    gdf["colour"] = [by_value[c].colour if c else composite.NO_DATA_COLOUR for c in classes]
    if local:
        hot = field > np.quantile(field, 0.8)
        cold = field < np.quantile(field, 0.2)
        gdf["lisa_class"] = np.where(missing, "no data", np.where(hot, "HH", np.where(
            cold, "LL", rng.choice(["not significant", "not significant", "HL", "LH", "isolated"], n))))
        gdf["gi_class"] = np.where(missing, "no data", np.where(
            field > np.quantile(field, 0.9), "hot 99%", np.where(hot, "hot 95%", np.where(
                cold, rng.choice(["cold 99%", "cold 95%", "cold 90%"], n),
                rng.choice(["not significant", "not significant", "hot 90%", "no variation"], n)))))
    if uncertainty:
        gdf["uncertainty"] = np.where(missing, np.nan, np.round(rng.uniform(1, 15, n), 3))
    return gpd.GeoDataFrame(gdf, geometry="geometry", crs=units.crs)


def h3_geojson(resolution, exactly=None, **options):
    """The GeoJSON of a synthetic layer on the district's H3 cells
    (``exactly``: see :func:`cells`), and its GeoDataFrame."""
    gdf = frame(cells(resolution, exactly), **options)
    return geojson.to_geojson(gdf, id_column="cell_id"), gdf


def tambon_geojson(**options):
    """The GeoJSON of a synthetic layer on the five tambons (``cell_id`` is the
    tambon code), without local statistics."""
    units = tambons()[["tambon_code", "geometry"]].copy()
    units["cell_id"] = units["tambon_code"]
    gdf = frame(units, local=False, no_data_share=0, **options)
    return geojson.to_geojson(gdf, id_column="cell_id"), gdf


def publish(dimension="fire", resolution=8, **options):
    """Publish a synthetic layer through the real publishing code as the
    district; the dataset dict. ``resolution`` None: the tambon grid."""
    from ckanext.maemoh.store import catalog
    from ckanext.maemoh.risk.publish import RiskLayer, publish_layer

    if resolution is None:
        geojson, gdf = tambon_geojson(**options)
    else:
        geojson, gdf = h3_geojson(resolution, **options)
    computed_at = dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.timezone.utc)
    layer = RiskLayer(
        dimension=dimension, method="getis-ord-gi-star",
        spatial_unit="tambon" if resolution is None else "h3", h3_resolution=resolution,
        period_start=dt.date(2026, 3, 3), period_end=dt.date(2026, 3, 9),
        parameters={"permutations": 99, "seed": 1}, input_datasets=[], computed_at=computed_at,
        geojson=geojson, csv=tables.to_csv(gdf.drop(columns="geometry")),
        png=maps.to_png(gdf, "risk_class", composite.RISK_CLASSES, "ความเสี่ยง", "Risk", "test",
                           width_px=300, height_px=300, dpi=75),
        method_record=records.method_record(job="test", inputs=[], run_time=computed_at))
    return publish_layer(catalog.site_context(), layer)
