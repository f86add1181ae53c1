"""Calibration runs: fit each low-cost sensor's correction, publish it and
the corrected hourly PM2.5.

A run reads the PM2.5 (hourly) and relative humidity of the trusted public
stations (:func:`risk.inputs.official_datasets`): low-cost sensors
(``instrument_class`` ``low-cost``), reference stations (``reference``)
and stations with humidity (weather), over the last
``ckanext.maemoh.calibration.apply_days``. It fits every sensor with a
reference station within ``max_km`` on the ``window_days`` ending at the
last Bangkok midnight (:func:`risk_jobs.calibration.fit`; so a correction
is refitted once a day and its id is stable in between), writes the
``Corrections`` rows and, in ``Corrected PM2.5``, every hour that has no
corrected value yet (or whose raw value changed) with the newest
correction. It then sends ``maemoh:observations_changed`` for the
corrected rows, so the risk layers and the forecast run again.

Runs are requested as the forecast's are: fresh PM2.5 or humidity mark
the calibration dirty and queue a job on the risk worker's queue unless one
was queued less than ``min_interval_minutes`` ago; :func:`flush` (``tick``)
queues what is still dirty. The job goes to the front of the queue, so the
layers and the forecast queued by the same data read its corrections.
"""
import logging

import pandas as pd
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import get_read_engine

from ckanext.maemoh import clock
from ckanext.maemoh.calibration import tables
from ckanext.maemoh.harvest.base import observations_changed_signal
from ckanext.maemoh.reference import datasets as reference_datasets, places
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.risk_jobs import aqi, calibration
from ckanext.maemoh.store import catalog, datastore_tables, publish

log = logging.getLogger(__name__)

DIRTY_KEY = "maemoh:calibration:dirty"
GATE_KEY = "maemoh:calibration:gate"
OPTION = "ckanext.maemoh.calibration.{}"
#: the observations whose arrival requests a calibration
DRIVERS = {calibration.PM25, calibration.RH}
KINDS = {"reference": calibration.REFERENCE, "low-cost": calibration.LOW_COST}
HOURLY = "PT1H"
METHOD = "linear-rh"


def option(name):
    return tk.config[OPTION.format(name)]


def execute(now=None):
    """Fit, correct and publish as of ``now`` (default: the platform clock);
    ``{"status": "published", "corrected": n, "without": m, "rows": k,
    "fits": [Correction or NoCorrection]}`` or
    ``{"status": "no data", "reason"}``."""
    now = pd.Timestamp(now or clock.now()).tz_convert("UTC")
    until = pd.Timestamp(now.tz_convert(aqi.BANGKOK).normalize()).tz_convert("UTC")
    start = min(now - pd.Timedelta(days=option("apply_days")), until - pd.Timedelta(days=option("window_days")))
    stations, low, ref, origin = _read(start, now + pd.Timedelta(seconds=1))  # the current hour counts
    if not (stations["kind"] == calibration.LOW_COST).any():
        return {"status": "no data", "reason": "no trusted public low-cost sensor"}
    max_km = option("max_km")
    paired = calibration.pairs(low, ref, stations, max_km)
    fits = [calibration.fit(rows, METHOD, option("window_days"), until=until, min_hours=option("min_hours"))
            for _, rows in paired.groupby("sensor_id")]
    fitted = {c.sensor_id for c in fits}
    fits += [calibration.NoCorrection(sensor, "", METHOD, until - pd.Timedelta(days=option("window_days")),
                                      until, 0, f"no reference station within {max_km} km with "
                                                "PM2.5 at the same hours")
             for sensor in stations.loc[stations["kind"] == calibration.LOW_COST, "station_id"]
             if sensor not in fitted]
    corrected = calibration.correct(low, ref, stations, fits, max_km)
    written = _publish(fits, corrected, origin, start)
    return {"status": "published", "corrected": sum(isinstance(c, calibration.Correction) for c in fits),
            "without": sum(isinstance(c, calibration.NoCorrection) for c in fits), "rows": written,
            "fits": fits}


def describe(fit):
    """One line on a sensor's correction and its held-out scores (µg/m³)."""
    if isinstance(fit, calibration.NoCorrection):
        return f"{fit.sensor_id}: no correction ({fit.reason})"

    def scores(m):
        r2 = "n/a" if m.r2 is None else f"{m.r2:.3f}"
        return f"R² {r2}, RMSE {m.rmse:.2f}, bias {m.bias:+.2f}"
    return (f"{fit.sensor_id} against {fit.reference_id} ({fit.distance_km:.1f} km), {fit.n_test} held-out hours: "
            f"raw {scores(fit.before)}; corrected {scores(fit.after)} (correction {fit.correction_id})")


def _read(start, end):
    """(stations, low-cost rows, reference and weather rows, {station id:
    (network, dataset name)}) of the trusted public stations."""
    datasets = risk_inputs.official_datasets()
    kinds = risk_inputs.table_kinds([r["id"] for d in datasets for r in d["resources"]
                                     if r.get("datastore_active")])
    stations, frames, origin = [], [], {}
    for dataset in datasets:
        point = places.point(dataset.get("spatial")) if dataset.get("type") == "sensor-station" else None
        kind = KINDS.get(dataset.get("instrument_class"))
        if kind is None and calibration.RH in (dataset.get("measured_parameters") or []):
            kind = calibration.WEATHER
        if point is None or kind is None:
            continue
        station_id = dataset["station_id"]
        stations.append({"station_id": station_id, "kind": kind, "longitude": point[0], "latitude": point[1]})
        origin[station_id] = (dataset.get("network") or "", dataset["name"])
        for resource in dataset["resources"]:
            if kinds.get(resource["id"]) == "observations":
                rows = risk_inputs.read_observations(resource["id"], DRIVERS, start, end)
                keep = ((rows["station_id"] == station_id) & (rows["quality"] != "suspect")
                        & ((rows["variable"] != calibration.PM25) | (rows["averaging_period"] == HOURLY)))
                frames.append(rows[keep])
    stations = pd.DataFrame(stations, columns=["station_id", "kind", "longitude", "latitude"]).drop_duplicates(
        "station_id")
    long = (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["station_id", "variable", "time_utc", "value"]))
    wide = (long.assign(value=long["value"].astype(float))
            .pivot_table(index=["station_id", "time_utc"], columns="variable", values="value", aggfunc="mean")
            .reindex(columns=sorted(DRIVERS)).reset_index())
    low_cost = set(stations.loc[stations["kind"] == calibration.LOW_COST, "station_id"])
    return (stations, wide[wide["station_id"].isin(low_cost)], wide[~wide["station_id"].isin(low_cost)],
            origin)


def _publish(fits, corrected, origin, start):
    """Write the corrections and the new corrected rows (one run at a time,
    whichever worker runs it); the rows written."""
    with publish.exclusive(reference_datasets.CALIBRATION_DATASET):
        return _write(fits, corrected, origin, start)


def _write(fits, corrected, origin, start):
    context = risk_runs.publisher_context()
    _action, dataset = catalog.upsert(context, "package", tables.dataset_fields(tk.config["ckanext.maemoh.organization"]))
    corrections_id = datastore_tables.ensure_table(context, dataset["id"], tables.CORRECTIONS)
    datastore_tables.bulk_upsert(context, corrections_id, tables.CORRECTIONS, [_correction_row(c) for c in fits])
    corrected_id = datastore_tables.ensure_table(context, dataset["id"], tables.CORRECTED)
    rows = _new_rows(corrected_id, corrected, origin, start)
    if rows:
        count = datastore_tables.bulk_upsert(context, corrected_id, tables.CORRECTED, rows)
        times = [r["time_utc"] for r in rows]
        observations_changed_signal().send(corrected_id, dataset_id=dataset["id"], start=min(times), end=max(times))
        return count.inserted + count.updated
    return 0


def _correction_row(fit):
    record = calibration.record(fit)
    row = {key: record.get(key) for key in tables.CORRECTIONS.columns}
    if isinstance(fit, calibration.Correction):
        row.update(record["coefficients"], formula=record["formula"], reason="",
                   **{f"{name}_{when}": getattr(getattr(fit, when), name)
                      for name in ("r2", "rmse", "bias") for when in ("before", "after")})
    return row


def _new_rows(resource_id, corrected, origin, start):
    """The corrected rows of hours without one yet, or whose raw value changed."""
    quoted = datastore_tables.quote_identifier(resource_id)
    with get_read_engine().connect() as connection:
        kept = {(station, pd.Timestamp(time, tz="UTC")): raw for station, time, raw in connection.execute(sa.text(
            f"SELECT station_id, time_utc, raw_value FROM {quoted} WHERE time_utc >= :start"),
            {"start": start.tz_localize(None).to_pydatetime()})}
    rows = []
    for row in corrected.itertuples(index=False):
        if kept.get((row.sensor_id, row.time_utc)) == row.raw:
            continue
        network, name = origin[row.sensor_id]
        rows.append({"station_id": row.sensor_id, "network": network, "variable": calibration.PM25,
                     "time_utc": row.time_utc.to_pydatetime(), "averaging_period": HOURLY,
                     "value": round(float(row.value), 1), "unit": "ug/m3", "quality": "unchecked",
                     "raw_ref": f"dataset:{name}", "raw_value": float(row.raw),
                     "relative_humidity": float(row.rh), "rh_source": row.rh_source,
                     "correction_id": row.correction_id})
    return rows


# ----------------------------------------------------------- triggers

def enqueue(trigger="manual"):
    """Queue a calibration run at the front of the risk worker's queue; ``{"job_id", "trigger"}``."""
    job = tk.enqueue_job(run_job, [], title="Low-cost sensor calibration", queue=risk_runs.RISK_QUEUE,
                         rq_kwargs={"timeout": tk.config["ckanext.maemoh.risk.job_timeout"], "at_front": True})
    return {"job_id": job.id, "trigger": trigger}


def run_job():
    """The job: the outcome's status."""
    return execute()["status"]


def on_observations_changed(resource_id, dataset_id=None, start=None, end=None, **kwargs):
    """The ``maemoh:observations_changed`` handler: fresh PM2.5 or humidity
    of a station (not the corrected table itself) request a run; True when they did."""
    if risk_inputs.table_kinds([resource_id]).get(resource_id) != "observations":
        return False
    if dataset_id and _is_calibration_dataset(dataset_id):
        return False
    if not DRIVERS & risk_inputs.changed_variables(resource_id, start, end):
        return False
    request()
    return True


def _is_calibration_dataset(dataset_id):
    try:
        found = tk.get_action("package_show")({"ignore_auth": True}, {"id": dataset_id})
    except tk.ObjectNotFound:
        return False
    return found["name"] == reference_datasets.CALIBRATION_DATASET


def request():
    """Mark the calibration as having fresh data and queue a run when allowed."""
    risk_runs.connection().set(DIRTY_KEY, clock.now().isoformat())
    return flush()


def flush():
    """Queue a run when the calibration is dirty and no run was queued in
    the last ``min_interval_minutes``; the queued run or None."""
    redis_ = risk_runs.connection()
    if not redis_.exists(DIRTY_KEY):
        return None
    interval = max(1, int(option("min_interval_minutes") * 60))
    if not redis_.set(GATE_KEY, clock.now().isoformat(), nx=True, ex=interval):
        return None
    redis_.delete(DIRTY_KEY)
    return enqueue(trigger="data changed")
