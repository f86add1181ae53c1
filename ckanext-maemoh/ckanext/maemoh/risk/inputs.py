"""What a risk run reads from the catalogue, as the plain tables of
:class:`~ckanext.maemoh.risk_jobs.pipeline.Inputs`.

Only public data of trusted publishers (:mod:`ckanext.maemoh.trust.publishers`) enter a risk layer,
which is public: stations and tables are found with ``package_search``
without private datasets, and only the DataStore tables of those datasets
are read; each input names its publisher. A table is recognised by its
columns (:data:`~ckanext.maemoh.datastore_tables.OBSERVATIONS` or
:data:`~ckanext.maemoh.datastore_tables.FIRE_DETECTIONS`), whatever its name.
Low-cost sensors' particulate readings are never read raw: what replaces
them (:func:`observation_tables`) is the option
``ckanext.maemoh.calibration.low_cost``, the same for the risk layers, the
forecast and the residents' pages.
Rows are read with the DataStore's read-only database user. The land-cover
raster is a GeoTIFF resource (:func:`land_cover_raster`).
"""
import logging
import os
import tempfile

import geopandas as gpd
import h3
import pandas as pd
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan.lib import uploader
from ckanext.datastore.backend.postgres import get_read_engine

from ckanext.maemoh.harvesters import http
from ckanext.maemoh.store import datastore_tables, publish
from ckanext.maemoh.reference import datasets as reference_datasets, places
from ckanext.maemoh.trust import publishers as trust
from ckanext.maemoh.risk_jobs import dimensions, pipeline

log = logging.getLogger(__name__)

POPULATION_ATTRIBUTION = "Department of Provincial Administration, registration statistics 2024"
KINDS = {"observations": datastore_tables.OBSERVATIONS,
         "fire_detections": datastore_tables.FIRE_DETECTIONS}
PAGE = 1000
LAND_COVER_THEME = "green-space"
LAND_COVER_FORMAT = "geotiff"
LOW_COST_OPTION = "ckanext.maemoh.calibration.low_cost"
LOW_COST = "low-cost"
#: a low-cost sensor's readings that are never used raw
LOW_COST_RAW = frozenset({"pm25", "pm10"})


class InputError(Exception):
    """An input the run cannot use (e.g. a misconfigured vulnerability table)."""


def dimensions_of(variables):
    """The dimensions that read any of ``variables``."""
    return [d.name for d in dimensions.REGISTRY.values() if set(d.variables) & set(variables)]


def load(names, parameters):
    """:class:`pipeline.Inputs` for the dimensions ``names`` (the composite reads all)."""
    if dimensions.COMPOSITE in names:
        names = dimensions.NAMES
    starts = [parameters.window(d)[0] for d in names]
    end = parameters.window(names[0])[1]
    start = min(starts) - pd.Timedelta(hours=24)  # the lead of the 24-hour means
    variables = set().union(*(dimensions.get(d).variables for d in names))
    reads = set().union(*(dimensions.get(d).reads for d in names))

    datasets = official_datasets()
    tables = table_kinds([r["id"] for d in datasets for r in d["resources"]
                          if r.get("datastore_active")])
    sources, observations, fires = [low_cost_source()], [], []
    for dataset, resource, left_out in observation_tables(datasets, tables):
        wanted = variables - left_out
        rows = read_observations(resource["id"], wanted, start, end) if wanted else ()
        if len(rows):
            observations.append(rows)
            sources.append(source("observations", dataset, resource,
                                  places=sorted(rows["station_id"].unique())))
    reports = None
    if "fire_detections" in reads:
        for dataset in datasets:
            for resource in dataset["resources"]:
                if tables.get(resource["id"]) == "fire_detections":
                    fires.append(read_fire(resource["id"], start, end))
                    sources.append(source("fire_detections", dataset, resource))
        reports, reports_source = citizen_reports(datasets, start, end)
        sources += reports_source

    emissions, emissions_source = _emissions(datasets) if "inventory" in reads else (None, [])
    raster, raster_source = land_cover_raster(datasets) if "land_cover" in reads else (None, None)
    sources += [raster_source] if raster else []
    vulnerability, vulnerability_source = _vulnerability()
    sources += emissions_source + _reference_sources() + vulnerability_source
    columns = list(pipeline.OBSERVATION_COLUMNS) + ["unit", "quality"]
    return pipeline.Inputs(
        tambons=tambons(),
        population=population(),
        stations=stations(datasets),
        observations=pd.concat(observations, ignore_index=True) if observations
        else pd.DataFrame(columns=columns),
        fire_detections=pd.concat(fires, ignore_index=True) if fires else None,
        reports=reports,
        vulnerability=vulnerability,
        emissions=emissions,
        land_cover=raster,
        sources=tuple(sources),
    )


def low_cost_mode():
    """``corrected`` or ``reference-only``: see :data:`LOW_COST_OPTION`."""
    return tk.config[LOW_COST_OPTION]


def observation_tables(datasets, kinds):
    """``(dataset, resource, variables left out)`` of each observations table
    (``kinds``: :func:`table_kinds`) the products read. A low-cost sensor's
    own table is read without :data:`LOW_COST_RAW`; its PM2.5 comes from the
    district's corrected table (``sensor-calibration``), read in mode
    ``corrected`` only."""
    mode = low_cost_mode()
    for dataset in datasets:
        calibration = is_calibration(dataset)
        for resource in dataset["resources"]:
            if kinds.get(resource["id"]) != "observations":
                continue
            if not calibration:
                yield dataset, resource, LOW_COST_RAW if dataset.get("instrument_class") == LOW_COST else frozenset()
            elif mode == "corrected" and resource.get("name") == reference_datasets.CALIBRATION_CORRECTED_TABLE:
                yield dataset, resource, frozenset()


def is_calibration(dataset):
    """True for the district's ``sensor-calibration`` dataset."""
    return (dataset.get("name") == reference_datasets.CALIBRATION_DATASET
            and (dataset.get("organization") or {}).get("name") == trust.district())


def low_cost_source():
    """What a method record says of the low-cost sensors it read (or not)."""
    return {"kind": "low_cost_sensors", "mode": low_cost_mode(),
            "rule": "raw PM2.5 and PM10 of low-cost sensors never used; "
                    + ("their PM2.5 corrected against the nearest reference station"
                       if low_cost_mode() == "corrected" else "reference stations only")}


def land_cover_raster(datasets=None):
    """``(local path, source record)`` of the land-cover raster, or ``(None, None)``:
    a resource of format GeoTIFF in an official dataset (:func:`official_datasets`)
    with the theme green-space; the dataset modified last wins. An upload is
    read where CKAN stores it; a linked file is downloaded through the
    harvesters' guarded client to a temporary file, and one that cannot be
    fetched is skipped, logged."""
    found = sorted(((d, r) for d in (official_datasets() if datasets is None else datasets)
                    if LAND_COVER_THEME in (d.get("theme") or []) for r in d["resources"]
                    if (r.get("format") or "").lower() == LAND_COVER_FORMAT),
                   key=lambda pair: pair[0]["metadata_modified"], reverse=True)
    for dataset, resource in found:
        path = _local_copy(resource)
        if path:
            return path, source("land_cover", dataset, resource, format=resource["format"])
    return None, None


def _local_copy(resource):
    if resource.get("url_type") == "upload":
        path = uploader.get_resource_uploader(resource).get_path(resource["id"])
        if os.path.isfile(path):
            return path
        log.warning("land-cover raster %s skipped: no uploaded file at %s", resource["id"], path)
        return None
    try:
        response = http.get(resource["url"], timeout=60, retries=1)
    except http.SourceError as error:
        log.warning("land-cover raster %s skipped: %s", resource["id"], error)
        return None
    path = os.path.join(tempfile.gettempdir(), f"maemoh-land-cover-{resource['id']}.tif")
    with open(path, "wb") as file:
        file.write(response.content)
    return path


def tambons():
    frame = gpd.GeoDataFrame.from_features(places.tambon_features(), crs="EPSG:4326")
    return frame[["tambon_code", "name_th", "name_en", "geometry"]]


def population():
    frame = pd.read_csv(places.POPULATION_FILE, dtype={"tambon_code": str})
    return frame[["tambon_code", "population"]]


def official_datasets():
    """Every public, active dataset of a trusted publisher that is not a
    harvest source, with resources; computed products only when the
    district publishes them."""
    context = {"ignore_auth": True}
    fq = f"-dataset_type:harvest +{trust.owner_filter(trust.trusted_ids())}"
    found, start = [], 0
    while True:
        page = tk.get_action("package_search")(dict(context), {
            "q": "*:*", "fq": fq, "include_private": False,
            "rows": PAGE, "start": start, "sort": "name asc"})
        found += [d for d in page["results"]
                  if d.get("type") not in trust.COMPUTED_TYPES or trust.is_official_product(d)]
        start += PAGE
        if start >= page["count"]:
            return found


def table_kinds(resource_ids, kinds=None):
    """``{resource_id: kind}`` for the DataStore tables among ``resource_ids``
    that have every column of a kind; ``kinds``: ``{kind: columns}``, by
    default the observations and fire-detection tables."""
    kinds = kinds or {kind: set(table.columns) for kind, table in KINDS.items()}
    if not resource_ids:
        return {}
    with get_read_engine().connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT table_name, array_agg(column_name::text), "
            "bool_or(column_name = 'time_utc' AND data_type LIKE 'timestamp%') "
            "FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = ANY(:ids) GROUP BY table_name"),
            {"ids": list(resource_ids)}).all()
    found = {}
    for table_name, columns, timed in rows:
        for kind, wanted in kinds.items():
            if set(wanted) <= set(columns):
                if "time_utc" in wanted and not timed:
                    # e.g. an upload whose times were loaded as text: its rows
                    # cannot be selected by time; the data dictionary can type it
                    log.warning("table %s has the columns of %s but time_utc is not a timestamp: "
                                "not read", table_name, kind)
                    continue
                found[table_name] = kind
    return found


def read_table(resource_id, run=None):
    """Every row of a DataStore table, as a DataFrame; with ``run``, the rows
    of that publication run only (store/publish.py), without ``run_id``."""
    where = "WHERE run_id = :run" if run else ""
    with get_read_engine().connect() as connection:
        result = connection.execute(sa.text(
            f"SELECT * FROM {datastore_tables.quote_identifier(resource_id)} {where}"), {"run": run})
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    return frame.drop(columns="run_id") if run else frame


def changed_variables(resource_id, start, end):
    """The variables of the observation rows of ``resource_id`` in ``[start, end]``."""
    with get_read_engine().connect() as connection:
        return {row[0] for row in connection.execute(sa.text(
            f'SELECT DISTINCT variable FROM {datastore_tables.quote_identifier(resource_id)} '
            "WHERE time_utc BETWEEN :start AND :end"), {"start": start, "end": end})}


def read_observations(resource_id, variables, start, end):
    return read_rows(resource_id, "station_id, variable, time_utc, averaging_period, value, unit, quality",
                 "variable = ANY(:variables) AND time_utc >= :start AND time_utc < :end",
                 {"variables": sorted(variables)}, start, end)


def read_fire(resource_id, start, end):
    return read_rows(resource_id, "time_utc, latitude, longitude, frp_mw, confidence",
                 "time_utc >= :start AND time_utc < :end", {}, start, end)


def read_rows(resource_id, columns, where, params, start, end):
    """``columns`` of the rows of a DataStore table matching ``where`` (SQL with
    ``:start`` and ``:end``, UTC, bound from ``start``/``end``; more values in
    ``params``), read with the read-only user; ``time_utc`` comes back in UTC."""
    naive = {"start": _naive_utc(start), "end": _naive_utc(end)}
    with get_read_engine().connect() as connection:
        result = connection.execute(
            sa.text(f"SELECT {columns} FROM {datastore_tables.quote_identifier(resource_id)} WHERE {where}"),
            dict(params, **naive))
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame["time_utc"] = pd.to_datetime(frame["time_utc"]).dt.tz_localize("UTC")
    return frame


def stations(datasets):
    """Stations and sampling points: the located ``sensor-station`` datasets."""
    rows = []
    for dataset in datasets:
        location = places.point(dataset.get("spatial")) if dataset.get("type") == "sensor-station" else None
        if location:
            title = dataset.get("title_translated") or {}
            rows.append({"station_id": dataset["station_id"], "longitude": location[0],
                         "latitude": location[1], "dataset_id": dataset["id"],
                         "name_th": title.get("th") or dataset["title"],
                         "name_en": title.get("en") or dataset["title"]})
    return pd.DataFrame(rows, columns=["station_id", "longitude", "latitude", "dataset_id", "name_th", "name_en"])


def citizen_reports(datasets, start, end):
    """``(rows, [source])`` of the district's public ``citizen-reports``
    table seen in ``[start, end)``: ``time_utc, category, latitude,
    longitude`` at the centre of each report's H3 cell; ``(None, [])``
    without the table."""
    for dataset in datasets:
        if (dataset["name"] != reference_datasets.CITIZEN_REPORTS_DATASET
                or (dataset.get("organization") or {}).get("name") != trust.district()):
            continue
        for resource in dataset["resources"]:
            if resource.get("name") == reference_datasets.CITIZEN_REPORTS_TABLE and resource.get("datastore_active"):
                rows = read_rows(resource["id"], "time_utc, category, h3_cell",
                                 "time_utc >= :start AND time_utc < :end", {}, start, end)
                centres = [h3.cell_to_latlng(cell) for cell in rows["h3_cell"]]
                rows = rows.assign(latitude=[c[0] for c in centres], longitude=[c[1] for c in centres])
                return rows.drop(columns="h3_cell"), [source("citizen_reports", dataset, resource)]
    return None, []


def _emissions(datasets):
    """The "Emissions per tambon" rows of the latest inventory year the district
    publishes (its published run), and its source; (None, []) without one."""
    inventories = [d for d in datasets if d.get("type") == reference_datasets.GHG_INVENTORY_TYPE]
    for dataset in sorted(inventories, key=lambda d: d["name"], reverse=True):
        table = next((r for r in dataset["resources"] if r.get("name") == reference_datasets.GHG_TAMBON_TABLE
                      and r.get("datastore_active")), None)
        if table:
            rows = read_table(table["id"], dataset.get(publish.RUN_FIELD))
            return rows, [source("inventory", dataset, table)]
    return None, []


def _vulnerability():
    """The configured vulnerability table (a public DataStore resource with
    ``vulnerability`` on 0-1 by ``tambon_code`` or ``cell_id``), or None."""
    resource_id = tk.config.get("ckanext.maemoh.risk.vulnerability_resource")
    if not resource_id:
        return None, []
    context = {"user": "", "ignore_auth": False}
    try:
        resource = tk.get_action("resource_show")(dict(context), {"id": resource_id})
        tk.check_access("datastore_search", dict(context), {"resource_id": resource_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        raise InputError(f"ckanext.maemoh.risk.vulnerability_resource: {resource_id} is not "
                         "a public resource") from None
    rows = tk.get_action("datastore_search")(dict(context), {
        "resource_id": resource_id, "limit": 100000})["records"]
    dataset = tk.get_action("package_show")(dict(context), {"id": resource["package_id"]})
    return pd.DataFrame(rows), [source("vulnerability", dataset, resource)]


def _reference_sources():
    return [
        {"kind": "boundaries", "dataset_name": reference_datasets.boundary_dataset(), "file": places.TAMBONS_FILE.name,
         "attribution": reference_datasets.BOUNDARY_ATTRIBUTION},
        {"kind": "population", "file": places.POPULATION_FILE.name, "attribution": POPULATION_ATTRIBUTION},
    ]


def source(kind, dataset, resource, **extra):
    """What a method record says of one input: its kind, dataset, resource and publisher."""
    return {"kind": kind, "dataset_id": dataset["id"], "dataset_name": dataset["name"],
            "resource_id": resource["id"], "publisher": trust.publisher(dataset),
            "data_source": dataset.get("data_source"), **extra}


def _naive_utc(value):
    return pd.Timestamp(value).tz_convert("UTC").tz_localize(None).to_pydatetime()
