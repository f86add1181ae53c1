"""One risk run, pure: observations in, a risk layer out (no ``ckan`` import).

:func:`spatial_units` builds the units once (H3 cells or tambons, their
weights, exposure and vulnerability); :func:`compute` makes one dimension's
layer on them; :func:`render` turns a layer into the four published files.

What each dimension's ``value`` is, its window, unit, fixed scale and
evidence are in :mod:`.dimensions` (the window ends at ``Parameters.end``; its
length is ``Parameters.window_days`` or the dimension's). How the values are
made:

* air: Thai AQI per station and hour (:mod:`.air_quality`), its mean over the
  window per station, interpolated to cells (:func:`.hazards.air_hazard`:
  ordinary kriging with 10 stations or more, else inverse-distance weighting).
* fire: FIRMS detections per km² (:func:`.hazards.fire_hazard`); no detection
  table at all is "no data", an empty one is "no fire".
* heat: the heat index (:mod:`.heat_index`) of each hourly pair of temperature
  and relative humidity, its daily maximum (Bangkok days) and the mean of those
  per station, interpolated to cells.
* water: each sampling point classed on the Thai surface-water standard
  (:mod:`.water`), the worst class of a tambon's points given to its cells:
  rivers do not interpolate across hills, and a tambon without a point has
  no data. The points and their parameters are published as tables.
* energy: electricity use (MWh) reported per tambon over the window, per km²
  of the tambon, given to its cells.
* waste: waste collected (t) reported per tambon, per registered resident
  and day; the landfilled share beside it; places with coordinates that
  report landfilled waste are the landfills, published as a table.
* ghg: the latest inventory's BASIC+ emissions allocated to each tambon, per
  resident; I.4.4 (the power plant's generation for the grid) apart.
* green: the share (%) of green classes of the land-cover raster in each
  cell's pixels (:mod:`.land_cover`; pixels counted by centre); a cell
  without a pixel of the raster is no data. The raster is a snapshot: the
  window does not select its pixels. Per tambon, the method record gives the
  hectares per class and the tree cover in settlements and parks per resident
  against :data:`.land_cover.GREEN_PER_RESIDENT`.
* composite: the mean, cell by cell, of the hazards on 0–1 of the dimensions
  that have data.

Every layer: the value's level on the dimension's fixed scale (``hazard_level``)
and that level on 0–1 (``hazard_n``); risk = :func:`.composite.composite_risk`
(hazard × exposure × vulnerability); local Moran, Gi* and global Moran's I on
the value only where the units carry independent evidence
(:meth:`.dimensions.Dimension.local_statistics`); a tambon summary.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import geopandas as gpd
import pandas as pd

from ckanext.maemoh.risk_jobs import (air_quality, aqi, composite, dimensions, grid, hazards, heat_index,
                                     land_cover, scales, statistics, water)
from ckanext.maemoh.writers import geojson as geojson_writer
from ckanext.maemoh.writers import maps, records, tables
from ckanext.maemoh.writers.values import json_safe

H3_RESOLUTIONS = range(5, 11)  # 5: ~30 cells over Mae Moh ... 10: ~75 000
WEIGHT_KINDS = ("knn", "distance")
_GRID = re.compile(r"tambon|h3:([0-9]{1,2})")
OBSERVATION_COLUMNS = ("station_id", "variable", "time_utc", "averaging_period", "value")


@dataclasses.dataclass(frozen=True)
class Parameters:
    """What a run may change; validated on creation (ValueError)."""

    grid: str = "h3:8"
    end: dt.datetime | None = None          # UTC; None: now
    window_days: int | None = None          # None: the dimension's default
    permutations: int = statistics.PERMUTATIONS
    seed: int | None = statistics.SEED
    significance: float = 0.05
    fdr: bool = True
    weights: str = "knn"                    # for H3 cells; tambons use queen
    k: int = 6
    interpolation: str = "auto"             # see hazards.station_hazard
    idw_power: float = 2.0
    # where the local statistics run: a dask.distributed scheduler address, None
    # in-process; the numbers are the same, so the method record leaves it out
    scheduler: str | None = None

    def __post_init__(self) -> None:
        match = _GRID.fullmatch(str(self.grid))
        if not match:
            raise ValueError(f"grid must be 'tambon' or 'h3:R', got {self.grid!r}")
        if match.group(1) is not None and int(match.group(1)) not in H3_RESOLUTIONS:
            raise ValueError(f"H3 resolution must be {H3_RESOLUTIONS.start}..{H3_RESOLUTIONS.stop - 1}")
        if self.window_days is not None and int(self.window_days) < 1:
            raise ValueError("window_days must be at least 1")
        if not 1 <= int(self.permutations) <= 99_999:
            raise ValueError("permutations must be 1..99999")
        if not 0 < float(self.significance) <= 0.5:
            raise ValueError("significance must be in (0, 0.5]")
        if self.weights not in WEIGHT_KINDS:
            raise ValueError(f"weights must be one of {WEIGHT_KINDS}")
        if int(self.k) < 1:
            raise ValueError("k must be at least 1")
        if self.interpolation not in hazards.INTERPOLATION_METHODS:
            raise ValueError(f"interpolation must be one of {hazards.INTERPOLATION_METHODS}")

    @property
    def spatial_unit(self) -> str:
        return "tambon" if self.grid == "tambon" else "h3"

    @property
    def h3_resolution(self) -> int | None:
        return None if self.grid == "tambon" else int(self.grid.split(":")[1])

    def window(self, dimension: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``[start, end)`` in UTC for ``dimension``."""
        end = pd.Timestamp(self.end or dt.datetime.now(dt.timezone.utc))
        end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
        days = self.window_days or dimensions.get(dimension).window_days
        return end - pd.Timedelta(days=int(days)), end

    def record(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        del record["scheduler"]
        record["end"] = None if self.end is None else pd.Timestamp(self.end).isoformat()
        record["weights"] = "queen" if self.spatial_unit == "tambon" else self.weights
        return record


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything a run reads, as plain tables.

    ``tambons``: ``tambon_code, name_th, name_en, geometry``;
    ``population``: ``tambon_code, population``; ``stations``:
    ``station_id, longitude, latitude``; ``observations``:
    :data:`OBSERVATION_COLUMNS` (+ ``quality``), times UTC, canonical units —
    a ``station_id`` may also be a tambon code (agency tables);
    ``fire_detections``: FIRMS rows, or None when no source reports fire;
    ``reports``: residents' approved reports (``time_utc, category,
    latitude, longitude``: the centre of the report's H3 cell), or None;
    ``vulnerability``: see :func:`.composite.vulnerability`; ``emissions``:
    the latest inventory per tambon (``tambon_code, year, basic_plus_t_co2e,
    i44_t_co2e``), or None; ``land_cover``: the path of the land-cover GeoTIFF
    (:mod:`.land_cover`), or None; ``sources``: one mapping per input table
    for the method record (``kind`` "observations"/"fire_detections"/
    "population"/"boundaries"/"vulnerability"/"land_cover"/"inventory", ids,
    and ``places``: the station ids or tambon codes of an observations table).
    """

    tambons: gpd.GeoDataFrame
    population: pd.DataFrame
    stations: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=["station_id", "longitude", "latitude"]))
    observations: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=list(OBSERVATION_COLUMNS)))
    fire_detections: pd.DataFrame | None = None
    reports: pd.DataFrame | None = None
    vulnerability: pd.DataFrame | None = None
    emissions: pd.DataFrame | None = None
    land_cover: str | None = None
    sources: tuple[dict, ...] = ()


@dataclasses.dataclass(frozen=True)
class SpatialUnits:
    """Cells (indexed by ``cell_id``; ``tambon_code``, ``name_th``, ``name_en``,
    ``geodesic_area_km2``) with their weights, exposure and vulnerability."""

    cells: gpd.GeoDataFrame
    w: Any
    exposure: composite.Component
    vulnerability: composite.Component
    weights: str

    def with_vulnerability(self, table: pd.DataFrame | None) -> SpatialUnits:
        """The same units with vulnerability from ``table`` (see :func:`.composite.vulnerability`)."""
        return dataclasses.replace(self, vulnerability=composite.vulnerability(self.cells, table))


@dataclasses.dataclass(frozen=True)
class Layer:
    """One dimension's result. ``status`` "ok" (``table`` set) or "no data" (``reason``)."""

    dimension: str
    status: str
    parameters: Parameters
    start: pd.Timestamp
    end: pd.Timestamp
    table: gpd.GeoDataFrame | None = None
    reason: str | None = None
    components: tuple[dict, ...] = ()
    global_moran: statistics.GlobalMoran | None = None
    statistics: dict = dataclasses.field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    sources: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.status == hazards.OK

    @property
    def has_local_statistics(self) -> bool:
        return self.table is not None and "gi_class" in self.table.columns

    def tambon_summary(self) -> pd.DataFrame:
        """Per tambon: cells, mean value and risk, highest class, and, where local
        statistics were computed, hot-spot and HH cells (else <NA>)."""
        t = self.table
        by = t.groupby("tambon_code", sort=True)
        summary = pd.DataFrame({
            "name_th": by["name_th"].first(),
            "name_en": by["name_en"].first(),
            "cells": by.size(),
            "value_mean": by["value"].mean(),
            "risk_mean": by["risk"].mean(),
            "risk_class_max": by["risk_class"].max(),
            "hot_spot_cells": pd.NA,
            "high_high_cells": pd.NA,
        })
        if self.has_local_statistics:
            summary["hot_spot_cells"] = by["gi_class"].apply(lambda s: int(s.str.startswith("hot").sum()))
            summary["high_high_cells"] = by["lisa_class"].apply(lambda s: int((s == "HH").sum()))
        summary[["hot_spot_cells", "high_high_cells"]] = summary[["hot_spot_cells", "high_high_cells"]].astype("Int64")
        return summary


@dataclasses.dataclass(frozen=True)
class Rendered:
    geojson: dict
    csv: str
    png: bytes
    method_record: dict


# ---------------------------------------------------------------- units

def spatial_units(inputs: Inputs, parameters: Parameters) -> SpatialUnits:
    """The cells of ``parameters.grid`` over the tambons, and what does not change per dimension."""
    tambons = inputs.tambons.to_crs("EPSG:4326").copy()
    tambons["tambon_code"] = tambons["tambon_code"].astype(str)
    names = tambons.set_index("tambon_code")[["name_th", "name_en"]]
    if parameters.spatial_unit == "tambon":
        cells = gpd.GeoDataFrame(
            {"cell_id": tambons["tambon_code"].to_numpy(), "tambon_code": tambons["tambon_code"].to_numpy()},
            geometry=tambons.geometry.to_numpy(), crs="EPSG:4326")
        cells.index = pd.Index(cells["cell_id"].to_numpy())
        w = grid.weights(cells, kind="queen")
        weights = "queen contiguity, row-standardised"
    else:
        cells = grid.hex_grid(tambons[["tambon_code", "geometry"]], parameters.h3_resolution).cells
        w = grid.weights(cells, kind=parameters.weights, k=parameters.k)
        weights = (f"{parameters.k} nearest neighbours" if parameters.weights == "knn"
                   else f"distance band {grid.DISTANCE_BAND_FACTOR} x median nearest-neighbour distance")
        weights += " (cell centroids, EPSG:32647), row-standardised"
    cells = cells.join(names, on="tambon_code")
    cells["geodesic_area_km2"] = hazards.geodesic_area_km2(cells.geometry)
    shares = composite.area_shares(cells, tambons)
    return SpatialUnits(
        cells=cells,
        w=w,
        exposure=composite.exposure(cells, inputs.population, shares),
        vulnerability=composite.vulnerability(cells, inputs.vulnerability),
        weights=weights,
    )


# -------------------------------------------------------------- hazards

def _observations(inputs: Inputs, variables: set[str], start: pd.Timestamp, end: pd.Timestamp,
                  drop_suspect: bool = True) -> pd.DataFrame:
    """Rows of ``variables`` in ``[start, end)`` with a value (without suspect ones)."""
    obs = inputs.observations
    missing = set(OBSERVATION_COLUMNS) - set(obs.columns)
    if missing:
        raise ValueError(f"observations lack columns {sorted(missing)}")
    obs = obs[obs["variable"].isin(variables)].copy()
    obs["time_utc"] = pd.to_datetime(obs["time_utc"], utc=True, format="ISO8601")
    obs["value"] = pd.to_numeric(obs["value"], errors="coerce")
    obs = obs.dropna(subset=["value"])
    if drop_suspect and "quality" in obs.columns:
        obs = obs[obs["quality"] != "suspect"]
    return obs[(obs["time_utc"] >= start) & (obs["time_utc"] < end)]


def _with_coordinates(values: pd.Series, inputs: Inputs) -> pd.DataFrame:
    stations = inputs.stations.assign(station_id=inputs.stations["station_id"].astype(str))
    return stations.drop_duplicates("station_id").merge(
        values.rename("value").rename_axis("station_id").reset_index(), on="station_id")


def _air(inputs, cells, start, end, p):
    # station_summary leaves suspect rows out itself, and counts them
    obs = _observations(inputs, set(aqi.VARIABLE_ORDER), start - pd.Timedelta(hours=24), end, drop_suspect=False)
    summary = air_quality.station_summary(obs, start, end)
    if summary.table.empty:
        return hazards.no_data("air", "no station has an AQI in the window"), [summary.record()]
    stations = _with_coordinates(summary.table["aqi_mean"], inputs).rename(columns={"value": "aqi"})
    result = hazards.air_hazard(stations, cells, method=p.interpolation, power=p.idw_power)
    return result, [dict(summary.record(), component="station AQI")]


def _fire(inputs, cells, start, end, p):
    if inputs.fire_detections is None:
        return hazards.no_data("fire", "no fire-detection table is published"), []
    result = hazards.fire_hazard(inputs.fire_detections, cells, start, end)
    if inputs.reports is None:
        return result, []
    evidence = hazards.report_evidence(inputs.reports, cells, start, end)
    note = (f"residents' approved reports of smoke, burning or ash: {int(evidence['reports'].sum())} in "
            f"{len(evidence)} cells, in a table of their own (weight {hazards.REPORT_WEIGHT} of a satellite "
            "detection each), not added to the hazard")
    return dataclasses.replace(result, notes=result.notes + (note,),
                               tables={**result.tables, "residents' reports": evidence}), []


def _heat(inputs, cells, start, end, p):
    obs = _observations(inputs, {"temperature", "relative-humidity"}, start, end)
    pairs = obs.pivot_table(index=[obs["station_id"].astype(str), "time_utc"], columns="variable",
                            values="value", aggfunc="mean")
    if not {"temperature", "relative-humidity"} <= set(pairs.columns):
        return hazards.no_data("heat", "no hour with both temperature and relative humidity in the window"), []
    pairs = pairs.dropna(subset=["temperature", "relative-humidity"]).reset_index()
    if pairs.empty:
        return hazards.no_data("heat", "no hour with both temperature and relative humidity in the window"), []
    pairs["heat_index"] = heat_index.heat_index_c(pairs["temperature"], pairs["relative-humidity"])
    day = pairs["time_utc"].dt.tz_convert(aqi.BANGKOK).dt.date
    daily_max = pairs.groupby([pairs["station_id"], day])["heat_index"].max()
    per_station = daily_max.groupby(level=0).mean()
    stations = _with_coordinates(per_station, inputs)
    result = hazards.station_hazard("heat", stations, cells, "value", p.interpolation, p.idw_power)
    record = {"component": "station heat index", "hours": int(len(pairs)),
              "stations": sorted(per_station.index), "formula": "NWS heat index (Rothfusz 1990)"}
    return result, [record]


def _places(inputs: Inputs, ids) -> pd.Series:
    """The tambon code of each place id (a tambon code, or a station inside a tambon)."""
    ids = [str(i) for i in ids]
    codes = set(inputs.tambons["tambon_code"].astype(str))
    place = pd.Series({pid: pid for pid in ids if pid in codes}, dtype=object)
    stations = inputs.stations[inputs.stations["station_id"].astype(str).isin(ids)]
    if len(stations):
        points = gpd.GeoDataFrame(
            {"station_id": stations["station_id"].astype(str).to_numpy()},
            geometry=gpd.points_from_xy(stations["longitude"], stations["latitude"]), crs="EPSG:4326")
        joined = gpd.sjoin(points, inputs.tambons[["tambon_code", "geometry"]].to_crs("EPSG:4326"),
                           predicate="within").drop_duplicates("station_id")
        place = pd.concat([place, pd.Series(joined["tambon_code"].astype(str).to_numpy(),
                                            index=joined["station_id"].to_numpy())])
    return place


def _per_tambon(values: pd.Series, inputs: Inputs, how: str = "mean") -> tuple[pd.Series, list[str]]:
    """Values per place (tambon code or station id) -> per tambon (``how``: mean, max
    or sum of its places), and the places outside every tambon."""
    values = values.copy()
    values.index = values.index.astype(str)
    place = _places(inputs, values.index)
    unplaced = sorted(set(values.index) - set(place.index))
    placed = values[values.index.isin(place.index)]
    return placed.groupby(place.reindex(placed.index).to_numpy()).agg(how), unplaced


def _located(inputs: Inputs) -> pd.DataFrame:
    """Names and coordinates of the stations and points, by station id."""
    stations = inputs.stations.assign(station_id=inputs.stations["station_id"].astype(str))
    located = stations.drop_duplicates("station_id").set_index("station_id")
    return located[[c for c in ("name_th", "name_en", "longitude", "latitude") if c in located.columns]]


def _people(inputs: Inputs) -> pd.Series:
    """Registered residents per tambon code."""
    population = inputs.population.assign(tambon_code=inputs.population["tambon_code"].astype(str))
    return population.groupby("tambon_code")["population"].sum()


def _tambon_hazard(dimension, per_tambon, unplaced, cells, method, unit, places=None):
    """One value per tambon given to its cells; ``inputs`` names ``places`` (the
    station ids or tambon codes read; default the tambons)."""
    if per_tambon.empty:
        return hazards.no_data(dimension, "no value could be placed in a tambon")
    notes = ["one value per tambon, given to each of its cells: clusters follow tambon lines"]
    if unplaced:
        notes.append(f"places outside every tambon left out: {', '.join(unplaced)}")
    hazard = pd.Series(cells["tambon_code"].map(per_tambon).to_numpy(dtype=float),
                       index=hazards.cell_index(cells), name="hazard")
    return hazards.HazardResult(
        dimension=dimension, status=hazards.OK, hazard=hazard, method=method,
        parameters={"unit": unit, "per_tambon": {k: float(v) for k, v in per_tambon.items()}},
        inputs=tuple(per_tambon.index if places is None else sorted(map(str, places))), notes=tuple(notes))


def _water(inputs, cells, start, end, p):
    obs = _observations(inputs, set(water.VARIABLES), start, end)
    points = water.points(obs)
    if points.empty:
        return hazards.no_data("water", "no sampling point has a parameter of the surface-water standard "
                                        "in the window"), []
    per_tambon, unplaced = _per_tambon(points["water_class"].astype(float), inputs, how="max")
    result = _tambon_hazard("water", per_tambon, unplaced, cells,
                            "worst class of the tambon's sampling points on the Thai surface-water standard",
                            "class", places=points.index)
    if not result.has_data:
        return result, []
    points = points.join(_places(inputs, points.index).rename("tambon_code")).join(_located(inputs))
    points["uses_th"] = [water.USES[int(c)][0] for c in points["water_class"]]
    points["uses_en"] = [water.USES[int(c)][1] for c in points["water_class"]]
    tables = {"sampling points": points.reset_index(), "parameters": water.parameters(obs)}
    notes = result.notes + ("WQI not computed: PCD's rating curves (concentration to score) could not be "
                            "verified in any primary source",)
    result = dataclasses.replace(result, tables=tables, notes=notes,
                                 parameters=dict(result.parameters, standard=water.record()))
    return result, []


def _energy(inputs, cells, start, end, p):
    obs = _observations(inputs, {"electricity-use"}, start, end)
    if obs.empty:
        return hazards.no_data("energy", "no electricity use in the window"), []
    total, unplaced = _per_tambon(obs.groupby(obs["station_id"].astype(str))["value"].sum(), inputs)
    tambons = inputs.tambons.assign(tambon_code=inputs.tambons["tambon_code"].astype(str))
    area = pd.Series(hazards.geodesic_area_km2(tambons.geometry), index=tambons["tambon_code"])
    density = total / area.reindex(total.index)
    return _tambon_hazard("energy", density, unplaced, cells,
                          "tambon electricity use per km²", "MW.h/km2"), []


def _waste(inputs, cells, start, end, p):
    obs = _observations(inputs, {"waste-mass", "waste-landfilled"}, start, end)
    sites = set(inputs.stations["station_id"].astype(str))
    at_sites = obs["station_id"].astype(str).isin(sites)
    reported = obs[~at_sites]
    collected = reported[reported["variable"] == "waste-mass"]
    if collected.empty:
        return hazards.no_data("waste", "no waste collection reported per tambon in the window"), []
    months = collected.groupby(collected["station_id"].astype(str))["time_utc"].nunique()
    tonnes, unplaced = _per_tambon(collected.groupby(collected["station_id"].astype(str))["value"].sum()
                                   / months * 12, inputs, how="sum")
    people = _people(inputs)
    per_person = (tonnes * 1000 / people.reindex(tonnes.index) / 365.25).dropna()
    result = _tambon_hazard("waste", per_person, unplaced, cells,
                            "tambon waste collected per registered resident and day (a year of "
                            "reported months)", "kg/person/d", places=set(obs["station_id"].astype(str)))
    if not result.has_data:
        return result, []
    landfilled = reported[reported["variable"] == "waste-landfilled"]
    landfilled_t, _ = _per_tambon(landfilled.groupby(landfilled["station_id"].astype(str))["value"].sum(),
                                  inputs, "sum")
    collected_t, _ = _per_tambon(collected.groupby(collected["station_id"].astype(str))["value"].sum(), inputs, "sum")
    share = landfilled_t / collected_t.reindex(landfilled_t.index)
    detail = pd.DataFrame({"landfilled_share": cells["tambon_code"].map(share).to_numpy(dtype=float)},
                          index=hazards.cell_index(cells))
    at = obs[at_sites & (obs["variable"] == "waste-landfilled")]
    landfills = at.groupby(at["station_id"].astype(str))["value"].agg(["sum", "count"]).rename(
        columns={"sum": "landfilled_t", "count": "months"}).rename_axis("station_id")
    landfills = landfills.join(_located(inputs))
    notes = result.notes + (
        "months reported are scaled to a year (tonnes / months x 12); residents: registered population",
        "residents' reports of waste dumping: not read by this layer (they are published in citizen-reports)")
    return dataclasses.replace(result, table=detail, notes=notes,
                               tables={"landfills": landfills.reset_index()} if len(landfills) else {}), []


def _ghg(inputs, cells, start, end, p):
    if inputs.emissions is None or inputs.emissions.empty:
        return hazards.no_data("ghg", "no greenhouse-gas inventory is published"), []
    e = inputs.emissions.assign(tambon_code=inputs.emissions["tambon_code"].astype(str)).set_index("tambon_code")
    people = _people(inputs)
    tambons = inputs.tambons.assign(tambon_code=inputs.tambons["tambon_code"].astype(str))
    area = pd.Series(hazards.geodesic_area_km2(tambons.geometry), index=tambons["tambon_code"])
    basic_plus = pd.to_numeric(e["basic_plus_t_co2e"], errors="coerce").reindex(area.index)
    per_person = (basic_plus / people.reindex(area.index)).dropna()
    result = _tambon_hazard("ghg", per_person, [], cells,
                            f"BASIC+ emissions of inventory year {int(e['year'].max())} allocated to the "
                            "tambon, per registered resident", "t CO2e/person/a")
    if not result.has_data:
        return result, []
    codes = cells["tambon_code"]
    detail = pd.DataFrame({
        "emissions_t_co2e": codes.map(basic_plus).to_numpy(dtype=float),
        "t_co2e_per_km2": codes.map(basic_plus / area).to_numpy(dtype=float),
        "i44_t_co2e": codes.map(pd.to_numeric(e["i44_t_co2e"], errors="coerce")).to_numpy(dtype=float),
    }, index=hazards.cell_index(cells))
    notes = result.notes + (
        "the power plant's generation supplied to the grid (GPC I.4.4) is in i44_t_co2e, not in the value",
        "activities not allocated to a tambon (district-wide fuel sales) are in no tambon")
    return dataclasses.replace(result, table=detail, notes=notes,
                               parameters=dict(result.parameters, inventory_year=int(e["year"].max()))), []


def _green(inputs, cells, start, end, p):
    if inputs.land_cover is None:
        return hazards.no_data("green", "no land-cover raster is published"), []
    index = hazards.cell_index(cells)
    zones = gpd.GeoDataFrame({"cell_id": index.to_numpy()}, geometry=cells.geometry.to_numpy(), crs=cells.crs)
    per_cell = land_cover.green_by_zone(
        land_cover.zonal_areas(inputs.land_cover, zones, "cell_id"), index).set_axis(index)
    if per_cell["covered_ha"].isna().all():
        return hazards.no_data("green", "the land-cover raster has no pixel in the district"), []
    tambons = inputs.tambons.assign(tambon_code=inputs.tambons["tambon_code"].astype(str))
    areas = land_cover.zonal_areas(inputs.land_cover, tambons, "tambon_code")
    per_tambon = land_cover.green_by_zone(areas, tambons["tambon_code"])
    residents = land_cover.green_per_resident(per_tambon, _people(inputs))
    summary = per_tambon.join(residents[["population", "m2_per_person", "meets_reference"]])
    summary["green_share_pct"] = summary.pop("green_share") * 100
    notes = ["the land-cover raster is a snapshot: the window does not select its pixels"]
    empty = int(per_cell["covered_ha"].isna().sum())
    if empty:
        notes.append(f"{empty} cells without a pixel of the raster: no data")
    result = hazards.HazardResult(
        dimension="green", status=hazards.OK, hazard=(per_cell["green_share"] * 100).rename("hazard"),
        method="share of green classes in the cell's pixels of the land-cover raster (pixel centres in the cell)",
        parameters={"unit": "%", "legend": json_safe(land_cover.legend().reset_index().to_dict("records")),
                    "per_tambon": json_safe(summary.to_dict("index")),
                    "land_class_ha": land_cover.land_class_ha(areas),
                    "green_per_resident": "tree cover in settlements and parks (m2) per registered resident",
                    "green_per_resident_reference": land_cover.GREEN_PER_RESIDENT.record()},
        table=per_cell[["covered_ha", "green_ha", "tree_ha"]], notes=tuple(notes))
    return result, []


HAZARDS = {"air": _air, "fire": _fire, "heat": _heat, "water": _water, "energy": _energy, "waste": _waste,
           "ghg": _ghg, "green": _green}
#: per-cell detail a hazard may give, published beside the value
DETAIL_COLUMNS = ("uncertainty", "landfilled_share", "emissions_t_co2e", "t_co2e_per_km2", "i44_t_co2e",
                  "covered_ha", "green_ha", "tree_ha")


def hazard(dimension: str, inputs: Inputs, units: SpatialUnits, parameters: Parameters):
    """(HazardResult, extra component records) of one dimension."""
    start, end = parameters.window(dimension)
    return HAZARDS[dimension](inputs, units.cells, start, end, parameters)


# -------------------------------------------------------------- compute

def compute(dimension: str, inputs: Inputs, parameters: Parameters, units: SpatialUnits | None = None) -> Layer:
    """The layer of ``dimension`` (one of :data:`.dimensions.NAMES`)."""
    spec = dimensions.get(dimension)
    units = units or spatial_units(inputs, parameters)
    start, end = parameters.window(dimension)
    if dimension == dimensions.COMPOSITE:
        result, records = _composite_hazard(inputs, units, parameters)
    else:
        result, records = hazard(dimension, inputs, units, parameters)
    records = [result.record()] + records
    if not result.has_data:
        return Layer(dimension, result.status, parameters, start, end, reason="; ".join(result.notes),
                     components=tuple(records))
    sources = _sources(inputs, records, start, end)

    value = result.hazard.rename("value")
    level = spec.scale.level(value)
    risk = composite.composite_risk(spec.scale.normalised(value), units.exposure, units.vulnerability)
    table = units.cells[["cell_id", "tambon_code", "name_th", "name_en", "geometry"]].copy()
    table["value"] = value.to_numpy()
    table["hazard_level"] = level.to_numpy()
    table["hazard_label_th"] = spec.scale.labels(level, "th")
    table["hazard_label_en"] = spec.scale.labels(level, "en")
    table = table.join(risk.table[["hazard_n", "exposure_n", "vulnerability_n", "risk", "risk_class",
                                   "label_th", "label_en", "colour"]].set_axis(table.index))
    table = table.rename(columns={"label_th": "risk_label_th", "label_en": "risk_label_en"})
    for column in DETAIL_COLUMNS:
        if result.table is not None and column in result.table.columns:
            table[column] = result.table[column].reindex(value.index).to_numpy()
    notes = list(risk.notes)
    computed, why_not = spec.local_statistics(parameters.spatial_unit)
    local_record = {"component": "local statistics", "computed": computed, "why_not": why_not}
    moran, attrs = None, {}
    if computed:
        local = statistics.local_statistics(value, units.w, parameters.permutations, parameters.seed,
                                            parameters.significance, parameters.fdr, parameters.scheduler)
        moran = statistics.global_moran(value, units.w, parameters.permutations, parameters.seed)
        table = table.join(local.set_axis(table.index))
        attrs = {k: v for k, v in local.attrs.items() if k != "notes"}
        notes += list(local.attrs["notes"]) + list(moran.notes)
    else:
        notes.append(f"no cluster statistics: {why_not}")
    records += [
        {"component": "exposure", "method": units.exposure.method, "notes": list(units.exposure.notes)},
        {"component": "vulnerability", "method": units.vulnerability.method,
         "notes": list(units.vulnerability.notes)},
        local_record,
    ]
    return Layer(dimension, hazards.OK, parameters, start, end, table=table, components=tuple(records),
                 global_moran=moran, statistics=attrs, inputs=tuple(result.inputs), sources=sources,
                 notes=tuple(dict.fromkeys(notes)), tables=dict(result.tables))


def _composite_hazard(inputs, units, parameters):
    parts, records = [], []
    for name in dimensions.HAZARD_NAMES:
        result, extra = hazard(name, inputs, units, parameters)
        records += [result.record()] + extra
        if result.has_data:
            parts.append(dimensions.get(name).scale.normalised(result.hazard).rename(name))
    if not parts:
        return hazards.no_data(dimensions.COMPOSITE, "no dimension has data"), records
    combined = pd.concat(parts, axis=1).mean(axis=1, skipna=True).rename("hazard")
    used = [p.name for p in parts]
    return hazards.HazardResult(
        dimension=dimensions.COMPOSITE, status=hazards.OK, hazard=combined,
        method="mean of the dimensions' hazard levels on 0-1 (each on its fixed scale)",
        parameters={"dimensions": used},
        inputs=tuple(used)), records


# --------------------------------------------------------------- render

GEOJSON_PROPERTIES = (
    "cell_id", "tambon_code", "name_th", "name_en", "value", "hazard_level", "hazard_label_th",
    "hazard_label_en", *DETAIL_COLUMNS, "risk", "risk_class", "risk_label_th", "risk_label_en", "colour",
    "lisa_q", "lisa_p", "lisa_class", "gi_z", "gi_p", "gi_class",
)


def render(layer: Layer, title_th: str, title_en: str, attribution: str) -> Rendered:
    """GeoJSON (RFC 7946), CSV, PNG and method record of an "ok" layer; values
    at full precision, so that the statistics can be recomputed from the files."""
    if not layer.has_data:
        raise ValueError(f"{layer.dimension}: no data, nothing to render ({layer.reason})")
    table = layer.table
    properties = [name for name in GEOJSON_PROPERTIES if name in table.columns]
    geojson = geojson_writer.to_geojson(table, properties=properties, id_column="cell_id")
    csv = tables.to_csv(table.drop(columns="geometry").set_index("cell_id"))
    png = maps.to_png(table, "risk_class", composite.RISK_CLASSES, title_th, title_en, attribution)
    return Rendered(geojson, csv, png, _method_record(layer))


def _method_record(layer: Layer) -> dict:
    p = layer.parameters
    moran = layer.global_moran
    summary = layer.tambon_summary()
    spec = dimensions.get(layer.dimension)
    parameters = dict(p.record(), window_start_utc=layer.start.isoformat(), window_end_utc=layer.end.isoformat(),
                      value_unit=spec.unit, value_statistic=spec.statistic_en, cells=len(layer.table),
                      dimension=spec.record(),
                      hazard_n="(hazard_level - 1) / (levels - 1) on the dimension's fixed scale",
                      exposure_reference_per_km2=composite.EXPOSURE_REFERENCE_PER_KM2,
                      risk="geometric mean of hazard, exposure and vulnerability, each 0-1 (INFORM-style)",
                      risk_scale=scales.RISK_INDEX.record(),
                      risk_classes=[dataclasses.asdict(c) for c in composite.RISK_CLASSES])
    if layer.dimension == dimensions.COMPOSITE:
        parameters["composite_of"] = layer.components[0]["parameters"]["dimensions"]
    stats = {
        "component": "statistics",
        "statistic_of": "value",
        "computed": layer.has_local_statistics,
        "global_moran": None if moran is None else dataclasses.asdict(moran),
        **layer.statistics,
    }
    summary_record = {"component": "tambon summary",
                      "rows": summary.reset_index().rename(columns={"index": "tambon_code"}).to_dict("records")}
    return records.method_record(
        job=f"maemoh risk {layer.dimension}",
        inputs=layer.sources,
        parameters=parameters,
        seed=p.seed,
        components=list(layer.components) + [stats, summary_record],
        notes=layer.notes,
    )


def _sources(inputs: Inputs, records: list[dict], start: pd.Timestamp, end: pd.Timestamp) -> tuple[dict, ...]:
    """The input tables a layer used: its stations' and places' tables, fire
    tables when fire had data, the inventory when ghg had data, the land-cover
    raster when green had data, and the tables every layer uses."""
    places = {str(i) for r in records for i in r.get("inputs", [])}
    fire = any(r.get("dimension") == "fire" and r.get("status") == hazards.OK for r in records)
    inventory = any(r.get("dimension") == "ghg" and r.get("status") == hazards.OK for r in records)
    green = any(r.get("dimension") == "green" and r.get("status") == hazards.OK for r in records)
    window = {"time_start_utc": start.isoformat(), "time_end_utc": end.isoformat()}
    used = []
    for source in inputs.sources:
        kind = source.get("kind")
        if kind == "observations" and not places & {str(p) for p in source.get("places", ())}:
            continue
        if kind in ("fire_detections", "citizen_reports") and not fire:
            continue
        if kind == "inventory" and not inventory:
            continue
        if kind == "land_cover" and not green:
            continue
        if kind == "vulnerability" and inputs.vulnerability is None:
            continue
        used.append(dict(source, **window) if kind in ("observations", "fire_detections", "citizen_reports")
                    else dict(source))
    return tuple(used)
