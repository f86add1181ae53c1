"""Hazard layers per grid cell: air quality (interpolated AQI) and fire (FIRMS).

Pure functions on pandas / geopandas objects; nothing here imports ``ckan``.

Every function returns a :class:`HazardResult`. A result is either

* ``status == "ok"``: ``hazard`` is a float Series named ``"hazard"`` indexed by
  ``cell_id`` (one value per cell, in the order of ``cells``), or
* ``status == "no data"`` (:func:`no_data`): ``hazard`` is ``None``. Callers show
  the dimension as "no data" (ไม่มีข้อมูล) and leave it out of the composite;
  values are never invented for a dimension without observations.

Distances and areas are metric: distances in UTM zone 47N (EPSG:32647, the zone
of Mae Moh, scale error < 0.04 %), areas geodesic on the WGS84 ellipsoid.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from ckanext.maemoh.risk_jobs import kriging

#: projected CRS used for distances (UTM zone 47N, WGS84)
METRIC_CRS = "EPSG:32647"
#: a cell centroid closer than this to a station (metres) takes its value exactly
EXACT_DISTANCE_M = 1e-3
#: VIIRS confidence classes and the MODIS numeric threshold treated as "low"
LOW_CONFIDENCE_CLASSES = frozenset({"l", "low"})
MODIS_LOW_BELOW = 30

NO_DATA = "no data"
OK = "ok"
INTERPOLATION_METHODS = ("auto", "idw", "kriging")

_GEOD = Geod(ellps="WGS84")


@dataclasses.dataclass(frozen=True)
class HazardResult:
    """One hazard dimension on the grid, with how it was computed.

    ``inputs`` names the observations used (station ids for air); ``table``
    holds per-cell detail when there is any (fire: count, FRP, density;
    interpolated layers: uncertainty, see :func:`station_hazard`);
    ``tables``: other published tables by name (water: per sampling point).
    """

    dimension: str
    status: str
    hazard: pd.Series | None
    method: str | None
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.status == OK

    def record(self) -> dict[str, Any]:
        """JSON-serialisable summary (for the method record), without values."""
        return {
            "dimension": self.dimension,
            "status": self.status,
            "method": self.method,
            "parameters": dict(self.parameters),
            "inputs": list(self.inputs),
            "notes": list(self.notes),
        }


def no_data(dimension: str, reason: str | None = None) -> HazardResult:
    """The "no data" result for a dimension without observations.

    Used for water, heat, energy and GHG while their tables are absent, and for
    air when no station reported. ``hazard`` is ``None`` (not zeros, not NaNs
    pretending to be a layer); ``notes`` says why.
    """
    note = reason or f"no {dimension} data available for this run"
    return HazardResult(
        dimension=dimension,
        status=NO_DATA,
        hazard=None,
        method=None,
        notes=(note,),
    )


def check_cells(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``cells`` when they have unique ``cell_id`` values and a CRS; ValueError otherwise."""
    if "cell_id" not in cells.columns:
        raise ValueError("cells need a 'cell_id' column")
    if cells.crs is None:
        raise ValueError("cells have no CRS (expected EPSG:4326)")
    if cells["cell_id"].duplicated().any():
        raise ValueError("cell_id values must be unique")
    return cells


def cell_index(cells: gpd.GeoDataFrame) -> pd.Index:
    """The cells' ids as text, the index of every per-cell result."""
    return pd.Index(cells["cell_id"].astype(str), name="cell_id")


def cell_area_km2(cells: gpd.GeoDataFrame) -> pd.Series:
    """Geodesic area (WGS84 ellipsoid) of each cell in km², indexed by cell_id:
    the cells' ``geodesic_area_km2`` column when they carry one (computed once
    per grid, see ``pipeline.spatial_units``), else computed here."""
    check_cells(cells)
    if "geodesic_area_km2" in cells.columns:
        areas = cells["geodesic_area_km2"].to_numpy(dtype=float)
    else:
        areas = geodesic_area_km2(cells.geometry)
    return pd.Series(areas, index=cell_index(cells), name="area_km2", dtype=float)


def geodesic_area_km2(geometry: gpd.GeoSeries) -> np.ndarray:
    """Geodesic area (WGS84 ellipsoid) of each geometry in km² (NaN if empty)."""
    geoms = geometry.to_crs("EPSG:4326")
    return np.array([
        abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 if g is not None and not g.is_empty else np.nan
        for g in geoms
    ], dtype=float)


def _centroids_metric(cells: gpd.GeoDataFrame) -> np.ndarray:
    pts = cells.geometry.to_crs(METRIC_CRS).centroid
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


#: ``table["uncertainty_kind"]`` of an interpolated surface, per cell
KRIGING_SD = "kriging standard deviation"
STATION_SD = "standard deviation of the station value at the centroid"
LOO_RMSE = "leave-one-out RMSE"
MEASURED = "measured"
NOT_ESTIMABLE = "not estimable"
SURFACE_NOTE = ("interpolated surface: neighbouring cells share stations, "
                "so local cluster statistics are not computed on it")


def idw(xy_known: np.ndarray, values: np.ndarray, xy_target: np.ndarray, power: float = 2) -> np.ndarray:
    """Inverse-distance weighting (Shepard) of ``values`` at ``xy_target``.

    Coordinates are metric. A target within :data:`EXACT_DISTANCE_M` of one or
    more known points takes their (mean) value exactly.
    """
    d = np.hypot(
        xy_target[:, None, 0] - xy_known[None, :, 0],
        xy_target[:, None, 1] - xy_known[None, :, 1],
    )
    at_station = d <= EXACT_DISTANCE_M
    with np.errstate(divide="ignore"):
        w = 1.0 / np.power(np.where(at_station, 1.0, d), power)
    # targets at a station: only coincident stations weigh, equally
    hit = at_station.any(axis=1)
    w[hit] = at_station[hit].astype(float)
    return (w @ values) / w.sum(axis=1)


def idw_leave_one_out(xy_known: np.ndarray, values: np.ndarray, power: float = 2) -> np.ndarray:
    """Each station's :func:`idw` estimate from the other stations (at least two)."""
    if len(values) < 2:
        raise ValueError("leave-one-out needs at least two stations")
    return np.array([
        idw(np.delete(xy_known, i, axis=0), np.delete(values, i), xy_known[i:i + 1], power)[0]
        for i in range(len(values))
    ])


def _cross_validation(station_ids: list[str], predicted: np.ndarray | None, measured: np.ndarray) -> dict:
    """The leave-one-out record: errors (predicted − measured) per station, RMSE, MAE."""
    if predicted is None:
        return {"method": "leave-one-out", "errors": {}, "rmse": None, "mae": None, "n": 0}
    errors = predicted - measured
    return {
        "method": "leave-one-out",
        "errors": {sid: float(e) for sid, e in zip(station_ids, errors)},
        "rmse": float(np.sqrt(np.mean(errors ** 2))),
        "mae": float(np.mean(np.abs(errors))),
        "n": len(errors),
    }


def air_hazard(
    stations: pd.DataFrame,
    cells: gpd.GeoDataFrame,
    method: str = "auto",
    power: float = 2,
) -> HazardResult:
    """AQI interpolated from stations to cell centroids: :func:`station_hazard`
    of the ``aqi`` column (AQI already computed per station)."""
    return station_hazard("air", stations, cells, "aqi", method, power)


def station_hazard(
    dimension: str,
    stations: pd.DataFrame,
    cells: gpd.GeoDataFrame,
    column: str,
    method: str = "auto",
    power: float = 2,
) -> HazardResult:
    """A value measured at stations, interpolated to cell centroids, with its uncertainty.

    ``stations``: ``station_id, longitude, latitude`` (WGS84 degrees) and
    ``column``. Stations with a missing value or coordinate are ignored
    (listed in ``parameters["stations_ignored"]``).

    * zero usable stations -> ``no_data(dimension)``; nothing is extrapolated;
    * one station -> every cell gets that station's value (IDW with one point is
      a constant; a note says there is no spatial contrast);
    * a cell containing a station (inside or on its edge) gets that station's
      value exactly (the mean when it contains several); other cells get the
      interpolated value at their centroid, so the surface is exact at the
      stations.

    ``method``: ``"idw"`` (inverse-distance weighting, ``power``);
    ``"kriging"`` (ordinary kriging by PyKrige, :mod:`.kriging`); ``"auto"``:
    kriging with at least :data:`.kriging.MIN_STATIONS` stations, else IDW.
    When kriging is asked for but the data cannot support a variogram, IDW is
    used and a note says why. ``result.method`` names what was used and
    ``parameters["requested_method"]`` what was asked. Distances are
    Euclidean in UTM 47N metres.

    ``table`` (indexed by ``cell_id``): ``uncertainty``, in the unit of
    ``column``, and ``uncertainty_kind``:

    * kriging: :data:`KRIGING_SD`, the kriging standard deviation at the
      centroid; in cells that take a measured value, :data:`STATION_SD`, the
      standard deviation of that value as the centroid's under the same
      variogram (:func:`.kriging.station_mean_variance`);
    * IDW: :data:`LOO_RMSE`, the same number in every cell; :data:`MEASURED`
      (0) in cells that take a measured value; with one station
      :data:`NOT_ESTIMABLE` (NaN) elsewhere.

    ``parameters["cross_validation"]``: leave-one-out errors (predicted −
    measured) per station, ``rmse``, ``mae``, ``n``, for either method.
    ``parameters["surface"]`` is ``True``: neighbouring cells share stations.
    """
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"unknown interpolation method {method!r} ({', '.join(INTERPOLATION_METHODS)})")
    if power <= 0:
        raise ValueError("IDW power must be positive")
    check_cells(cells)
    missing = {"station_id", "longitude", "latitude", column} - set(stations.columns)
    if missing:
        raise ValueError(f"stations lack columns {sorted(missing)}")

    st = stations.copy()
    st["station_id"] = st["station_id"].astype(str)
    for col in ("longitude", "latitude", column):
        st[col] = pd.to_numeric(st[col], errors="coerce")
    usable = st[["longitude", "latitude", column]].notna().all(axis=1)
    ignored = st.loc[~usable, "station_id"].tolist()
    st = st[usable]

    if st.empty:
        reason = f"no station reported a usable {column}"
        if ignored:
            reason += f" (ignored: {', '.join(ignored)})"
        return no_data(dimension, reason)

    notes: list[str] = []
    params: dict[str, Any] = {
        "requested_method": method,
        "distance": f"euclidean metres in {METRIC_CRS} (UTM 47N)",
        "target": "cell centroid",
        "value": column,
        "stations_ignored": ignored,
        "surface": True,
    }
    if len(st) == 1:
        notes.append(f"one station: every cell takes its {column} (no spatial contrast)")

    pts = gpd.GeoSeries(gpd.points_from_xy(st["longitude"], st["latitude"]), crs="EPSG:4326")
    pts = pts.to_crs(METRIC_CRS)
    xy_known = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    measured_values = st[column].to_numpy(dtype=float)
    station_ids = st["station_id"].tolist()
    targets = _centroids_metric(cells)
    # cells containing stations (inside or on an edge) take their measured value
    polys = cells.geometry.to_crs("EPSG:4326").values
    station_pts = gpd.points_from_xy(st["longitude"], st["latitude"])
    station_pos, cell_pos = gpd.GeoSeries(polys).sindex.query(station_pts, predicate="intersects")
    station_cells = np.unique(cell_pos)

    kriged = None
    if method == "kriging" or (method == "auto" and len(st) >= kriging.MIN_STATIONS):
        try:
            kriged = kriging.ordinary_kriging(xy_known, measured_values, targets)
            predicted = kriging.leave_one_out(xy_known, measured_values, kriged.variogram)
        except kriging.KrigingError as error:
            kriged = None
            notes.append(f"ordinary kriging not possible ({error}): inverse-distance weighting used")
    if kriged is not None:
        used = "ordinary kriging"
        values = kriged.estimate.copy()
        uncertainty = np.sqrt(kriged.variance)
        kind = np.full(len(targets), KRIGING_SD, dtype=object)
        for cell in station_cells:
            inside = station_pos[cell_pos == cell]
            variance = kriging.station_mean_variance(kriged.variogram, xy_known[inside], targets[cell])
            uncertainty[cell] = np.sqrt(variance)
        kind[station_cells] = STATION_SD
        params["variogram"] = kriged.variogram.record()
        params["cross_validation"] = dict(
            _cross_validation(station_ids, predicted, measured_values),
            variogram="fitted once on all stations, not re-fitted per fold")
        notes += [
            f"uncertainty, in the unit of {column}: kriging standard deviation at the cell centroid under "
            "the fitted variogram (it depends on the station layout and the model, not on the "
            "values); cells containing a station take the measured value (mean of several) "
            "and get its standard deviation as the centroid's value under the same variogram, "
            "√(2·mean γ(station, centroid) − mean γ(station, station)), never below the kriging one",
            "leave-one-out cross-validation reuses the variogram fitted on all stations",
        ]
    else:
        used = "idw"
        values = idw(xy_known, measured_values, targets, power)
        params["power"] = power
        if len(st) > 1:
            cv = _cross_validation(station_ids, idw_leave_one_out(xy_known, measured_values, power),
                                   measured_values)
            uncertainty = np.full(len(targets), cv["rmse"])
            kind = np.full(len(targets), LOO_RMSE, dtype=object)
            notes.append(
                f"uncertainty, in the unit of {column}: leave-one-out RMSE of IDW over {cv['n']} stations "
                f"(each predicted from the others, power {power}), the same number in every cell: "
                "a typical error at the spacing of the stations, not an error per cell; cells "
                "containing a station take the measured value and get 0 (measurement error not counted)")
        else:
            cv = _cross_validation(station_ids, None, measured_values)
            uncertainty = np.full(len(targets), np.nan)
            kind = np.full(len(targets), NOT_ESTIMABLE, dtype=object)
            notes.append("one station: leave-one-out cross-validation is impossible, so the "
                         "uncertainty is NaN (0 in a cell containing the station, which takes its value)")
        params["cross_validation"] = cv
        uncertainty[station_cells] = 0.0
        kind[station_cells] = MEASURED
    if len(cell_pos):
        measured = pd.Series(measured_values[station_pos]).groupby(cell_pos).mean()
        values[measured.index.to_numpy()] = measured.to_numpy()
    index = cell_index(cells)
    return HazardResult(
        dimension=dimension,
        status=OK,
        hazard=pd.Series(values, index=index, name="hazard", dtype=float),
        method=used,
        parameters=params,
        inputs=tuple(station_ids),
        table=pd.DataFrame({"uncertainty": uncertainty, "uncertainty_kind": kind}, index=index),
        notes=tuple(notes + [SURFACE_NOTE]),
    )


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _times_utc(values: pd.Series) -> pd.Series:
    """Detection times as UTC; unparseable times raise (never silently dropped)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values, utc=True)
    return pd.to_datetime(values, utc=True, format="ISO8601")


def is_low_confidence(conf: pd.Series) -> pd.Series:
    """VIIRS 'l'/'low', or MODIS numeric confidence below 30 %."""
    text = conf.astype("string").str.strip().str.lower()
    numeric = pd.to_numeric(conf, errors="coerce")
    low = text.isin(LOW_CONFIDENCE_CLASSES) | (numeric < MODIS_LOW_BELOW)
    return low.fillna(False).astype(bool)


def _positions(longitudes, latitudes, cells: gpd.GeoDataFrame) -> np.ndarray:
    """For each point, the position in ``cells`` of the first cell (in
    ``cells`` order) that contains it (an edge counts), or -1 outside them all."""
    if not len(longitudes):
        return np.zeros(0, dtype=int)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(longitudes, latitudes), crs="EPSG:4326")
    poly = gpd.GeoDataFrame({"_pos": np.arange(len(cells))}, geometry=cells.geometry.to_crs("EPSG:4326").values,
                            crs="EPSG:4326")
    joined = gpd.sjoin(pts, poly, how="left", predicate="intersects")
    first = joined["_pos"].groupby(level=0).min().reindex(range(len(pts)))
    return first.fillna(-1).astype(int).to_numpy()


#: what one approved resident's report of smoke, burning or ash counts for,
#: beside one satellite detection (1): evidence, never added to the hazard
REPORT_WEIGHT = 0.25
FIRE_REPORT_CATEGORIES = ("smoke-burning", "ash")


def report_evidence(reports: pd.DataFrame, cells: gpd.GeoDataFrame, start: Any, end: Any,
                    weight: float = REPORT_WEIGHT) -> pd.DataFrame:
    """Residents' approved reports of smoke or burning and ash per cell in
    ``[start, end)`` (UTC): a table of its own beside the fire hazard, never
    mixed into it.

    ``reports``: ``time_utc, category, latitude, longitude`` (the centre of
    the report's H3 cell: the public data place a report no closer). Rows:
    the cells with such reports, ``cell_id, reports, weight, evidence``
    (``reports · weight``, in satellite-detection equivalents) and the label
    that says what it is, in Thai and English.
    """
    check_cells(cells)
    t0, t1 = _utc(start), _utc(end)
    times = _times_utc(reports["time_utc"]) if len(reports) else pd.Series([], dtype="datetime64[ns, UTC]")
    chosen = reports[(times >= t0) & (times < t1) & reports["category"].isin(FIRE_REPORT_CATEGORIES)]
    pos = _positions(chosen["longitude"].astype(float), chosen["latitude"].astype(float), cells)
    counts = pd.Series(pos[pos >= 0]).value_counts().sort_index()
    table = pd.DataFrame({"cell_id": cell_index(cells)[counts.index], "reports": counts.to_numpy(dtype=np.int64)})
    return table.assign(
        weight=float(weight), evidence=table["reports"] * float(weight),
        label_th="รายงานของประชาชน (ควัน การเผา เถ้า) ที่เจ้าหน้าที่อนุมัติ: หลักฐานประกอบ ไม่ใช่การตรวจวัด "
                 "และไม่รวมในค่าความเสี่ยง",
        label_en="Residents' approved reports (smoke, burning, ash): supporting evidence, not measurements, "
                 "not added to the hazard")


def fire_hazard(
    detections: pd.DataFrame,
    cells: gpd.GeoDataFrame,
    start: Any,
    end: Any,
) -> HazardResult:
    """Active-fire detections per cell in the window ``[start, end)`` (UTC).

    ``detections``: ``time_utc, latitude, longitude, frp_mw, confidence``
    (FIRMS). Naive times and bounds are read as UTC.

    * Low-confidence detections are excluded: VIIRS class ``l``/``low`` and
      MODIS numeric confidence < 30 (FIRMS' own "low" band). Nominal, high and
      missing confidence are kept.
    * A detection on a shared cell edge is counted once, in the first cell (in
      ``cells`` order) that contains it; detections outside every cell are
      dropped (counted in ``parameters["outside_cells"]``).
    * ``hazard`` = detections per km² of cell (geodesic area) over the whole
      window — not per day. ``table`` also has ``count``, ``frp_mw_sum``
      (NaN FRP counts as a detection but adds nothing) and ``area_km2``.
    * Cells without detections get 0: when the source reported the window, no
      fire is an observation. If the source did not report, use
      ``no_data("fire")`` instead of calling this.
    """
    check_cells(cells)
    missing = {"time_utc", "latitude", "longitude", "frp_mw", "confidence"} - set(detections.columns)
    if missing:
        raise ValueError(f"detections lack columns {sorted(missing)}")
    t0, t1 = _utc(start), _utc(end)
    if not t0 < t1:
        raise ValueError("fire window: start must be before end")

    det = detections.copy()
    times = _times_utc(det["time_utc"])
    in_window = (times >= t0) & (times < t1)
    low = is_low_confidence(det["confidence"])
    n_low = int((in_window & low).sum())
    det = det[in_window & ~low].copy()
    det["latitude"] = pd.to_numeric(det["latitude"], errors="coerce")
    det["longitude"] = pd.to_numeric(det["longitude"], errors="coerce")
    det["frp_mw"] = pd.to_numeric(det["frp_mw"], errors="coerce")
    det = det.dropna(subset=["latitude", "longitude"])

    index = cell_index(cells)
    count = np.zeros(len(index), dtype=np.int64)
    frp = np.zeros(len(index), dtype=float)
    pos = _positions(det["longitude"], det["latitude"], cells)
    inside = pos >= 0
    outside = int((~inside).sum())
    np.add.at(count, pos[inside], 1)
    np.add.at(frp, pos[inside], det["frp_mw"].fillna(0.0).to_numpy(dtype=float)[inside])

    area = cell_area_km2(cells)
    table = pd.DataFrame({"count": count, "frp_mw_sum": frp, "area_km2": area.to_numpy()}, index=index)
    table["density_per_km2"] = table["count"] / table["area_km2"]
    hazard = table["density_per_km2"].rename("hazard").astype(float)
    return HazardResult(
        dimension="fire",
        status=OK,
        hazard=hazard,
        method="detection density",
        parameters={
            "start_utc": t0.isoformat(),
            "end_utc": t1.isoformat(),
            "window": "[start, end)",
            "unit": "detections per km² over the window",
            "confidence_excluded": "VIIRS 'l'/'low'; MODIS < 30",
            "detections_used": int(count.sum()),
            "low_confidence_excluded": n_low,
            "outside_cells": outside,
        },
        table=table,
    )
