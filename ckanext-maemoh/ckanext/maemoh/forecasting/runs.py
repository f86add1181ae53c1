"""Forecast runs on CKAN's job queue: read, fit when due, issue, publish.

A run issues the PM2.5 forecast at the current whole hour (the platform
clock) from the trusted public data (:mod:`.inputs`) and publishes it as
``forecast-pm25`` (:mod:`.publish`); a run without PM2.5 data, or that
fails, leaves the published forecast as it was.

Fitting (every horizon's model and the rolling-origin backtest) costs far
more than issuing, so the fitted model is kept on disk
(``{ckan.storage_path}/maemoh/forecast/model.bin``) and fitted again only
when it is ``ckanext.maemoh.forecast.refit_hours`` old, when the settings
or the PM2.5 stations changed, or when none is kept; every other run only
issues.

Runs are requested like the risk runs (:mod:`ckanext.maemoh.risk.runs`):
fresh PM2.5 or weather rows mark the forecast "dirty" and queue a job unless
one was queued less than ``ckanext.maemoh.forecast.min_interval_minutes``
ago; :func:`flush` (``ckan maemoh tick``) queues what is dirty once the
interval has passed, and queues a run anyway when the last run is
``ckanext.maemoh.forecast.every_minutes`` old (the hourly schedule).
Jobs run on the risk worker's queue.
"""
import json
import logging
import os
import pathlib

import pandas as pd

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.forecasting import inputs as forecast_inputs
from ckanext.maemoh.forecasting import publish as forecast_publish
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import runs as risk_runs

log = logging.getLogger(__name__)

DIRTY_KEY = "maemoh:forecast:dirty"
GATE_KEY = "maemoh:forecast:gate"
LAST_RUN_KEY = "maemoh:forecast:last-run"
STEPS = ("read inputs", "fit", "forecast", "publish")
#: the observations whose arrival requests a forecast
DRIVERS = set(forecast_inputs.VARIABLES)


def settings():
    """:class:`forecast.Settings` from the site's options; ValueError when bad."""
    from ckanext.maemoh import forecast

    return forecast.Settings(min_history_days=tk.config["ckanext.maemoh.forecast.min_history_days"],
                             seed=tk.config["ckanext.maemoh.forecast.seed"])


def enqueue(trigger="manual", user=None):
    """Queue a forecast run; ``{"job_id", "trigger", "requested_by"}``."""
    job = tk.enqueue_job(run_job, [], title="PM2.5 forecast", queue=risk_runs.RISK_QUEUE,
                         rq_kwargs={"timeout": tk.config["ckanext.maemoh.risk.job_timeout"]})
    return {"job_id": job.id, "trigger": trigger, "requested_by": user}


def run_job():
    """The job: issue and publish; the outcome's status."""
    return execute()["status"]


def execute(progress=None):
    """Issue the forecast at the current hour and publish it. Returns
    ``{"status": "published", "dataset", "issued_at", "fitted"}`` or
    ``{"status": "no data", "reason"}``."""
    step = progress or (lambda name: None)
    issued_at = pd.Timestamp(clock.now()).floor("h")
    chosen = settings()
    step("read inputs")
    data, sources = forecast_inputs.load(issued_at, tk.config["ckanext.maemoh.forecast.history_days"])
    risk_runs.connection().set(LAST_RUN_KEY, clock.now().isoformat())
    if not (data.observations["variable"] == "pm25").any():
        reason = "no hourly PM2.5 from a trusted public station"
        log.info("forecast: no data (%s); the published forecast is left as it is", reason)
        return {"status": "no data", "reason": reason}
    step("fit")
    model, fitted = _model(data, issued_at, chosen)
    step("forecast")
    issued = model.predict(data, issued_at)
    step("publish")
    dataset = forecast_publish.publish_forecast(risk_runs.publisher_context(), issued, data.stations, sources)
    return {"status": "published", "dataset": dataset["name"], "issued_at": issued_at.isoformat(),
            "fitted": fitted}


def model_path():
    return pathlib.Path(tk.config["ckan.storage_path"]) / "maemoh" / "forecast" / "model.bin"


def _model(data, issued_at, chosen):
    """``(model, fitted)``: the kept model while it is fresh and fitted with
    ``chosen`` settings and the same PM2.5 stations, else a new one, kept."""
    from ckanext.maemoh import forecast  # LightGBM: imported where used, never by web processes

    path = model_path()
    if path.exists():
        kept = forecast.Model.loads(path.read_bytes())
        age = issued_at - pd.Timestamp(kept.record["trained_until"])
        if (age < pd.Timedelta(hours=tk.config["ckanext.maemoh.forecast.refit_hours"])
                and kept.record["settings"] == json.loads(json.dumps(chosen.as_dict()))
                and set(kept.record["stations"]) == _targets(data)):
            return kept, False
    model = forecast.fit(data, issued_at, chosen)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(model.dumps())
    os.replace(temporary, path)  # a reader sees the old model or the new one
    return model, True


def _targets(data):
    """The stations a model forecasts: those with PM2.5."""
    observations = data.observations
    return set(observations.loc[observations["variable"] == "pm25", "station_id"])


# ----------------------------------------------------------- triggers

def on_observations_changed(resource_id, dataset_id=None, start=None, end=None, **kwargs):
    """The ``maemoh:observations_changed`` handler: fresh PM2.5 or weather
    rows request a forecast; True when they did."""
    if risk_inputs.table_kinds([resource_id]).get(resource_id) != "observations":
        return False
    if not DRIVERS & risk_inputs.changed_variables(resource_id, start, end):
        return False
    request()
    return True


def request():
    """Mark the forecast as having fresh data and queue a run when allowed."""
    risk_runs.connection().set(DIRTY_KEY, clock.now().isoformat())
    return flush()


def flush():
    """Queue a run when the forecast is dirty, or the last run is
    ``every_minutes`` old, and no run was queued in the last
    ``min_interval_minutes``; the queued run or None."""
    redis_ = risk_runs.connection()
    last = redis_.get(LAST_RUN_KEY)
    due = last is None or clock.now() - pd.Timestamp(last.decode()) >= pd.Timedelta(
        minutes=tk.config["ckanext.maemoh.forecast.every_minutes"])
    dirty = bool(redis_.exists(DIRTY_KEY))
    if not (dirty or due):
        return None
    interval = max(1, int(tk.config["ckanext.maemoh.forecast.min_interval_minutes"] * 60))
    if not redis_.set(GATE_KEY, clock.now().isoformat(), nx=True, ex=interval):
        return None
    redis_.delete(DIRTY_KEY)
    return enqueue(trigger="data changed" if dirty else "schedule")
