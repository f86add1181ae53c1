"""Risk runs on CKAN's job queue: request, run, publish, report.

A run computes one dimension's layer (:mod:`.risk_jobs.pipeline`) from the
public data (:mod:`.inputs`) and publishes it (:mod:`.publish`);
a run that fails or finds no data leaves the published layer as it was.

Runs are recorded in Redis (``maemoh:risk:run:<id>``, the newest
:data:`KEEP_RUNS` listed in ``maemoh:risk:runs``) as queued, running,
finished or failed, with the error of a failed run; a job the worker killed
(timeout) is reported failed from RQ's own record.

Fresh data request runs through :func:`request`: the dimension is marked
"dirty" and a job is enqueued at once unless one was enqueued for it less
than ``ckanext.maemoh.risk.min_interval_minutes`` ago; :func:`flush` (run by
``ckan maemoh risk flush`` from the scheduler) enqueues what is still dirty
once the interval has passed. So a harvest of a hundred objects makes one
job per dimension, and no change is left without a run.
"""
import functools
import json
import logging
import os
import secrets
import socket
import uuid

import redis
import rq

import ckan.plugins.toolkit as tk

from ckanext.maemoh import clock
from ckanext.maemoh.store import catalog
from ckanext.maemoh.risk import inputs as risk_inputs
from ckanext.maemoh.risk import publish as risk_publish
from ckanext.maemoh.reference import datasets as reference_datasets, vocabularies
from ckanext.maemoh.risk_jobs import blocks, dimensions, pipeline, statistics
from ckanext.maemoh.writers import values

log = logging.getLogger(__name__)

RISK_QUEUE = "maemoh-risk"
RUNS_KEY = "maemoh:risk:runs"
RUN_KEY = "maemoh:risk:run:{}"
DIRTY_KEY = "maemoh:risk:dirty:{}"
GATE_KEY = "maemoh:risk:gate:{}"
SCHEDULER_OPTION = "ckanext.maemoh.risk.dask_scheduler"
KEEP_RUNS = 200
STATES = ("queued", "running", "finished", "failed")
STEPS = ("read inputs", "spatial units", "compute", "render", "publish")
ATTRIBUTION = ("Mae Moh City Data Platform; boundaries: Royal Thai Survey Department / OCHA ROAP "
               "(CC BY-IGO 3.0); population: Department of Provincial Administration 2024")


def attribution(sources):
    """:data:`ATTRIBUTION` and the ``data_source`` of each dataset a layer read."""
    data = sorted({s["data_source"] for s in sources if s.get("data_source")})
    return ATTRIBUTION + (f"; data: {', '.join(data)}" if data else "")


def connection():
    return redis.Redis.from_url(tk.config["ckan.redis.url"])


def parameters(grid=None, end=None):
    """:class:`pipeline.Parameters` from the site's options, windows ending at
    ``end`` (None: when computed); ValueError when bad."""
    return pipeline.Parameters(
        end=end,
        grid=grid or tk.config["ckanext.maemoh.risk.grid"],
        permutations=tk.config["ckanext.maemoh.risk.permutations"],
        seed=tk.config["ckanext.maemoh.risk.seed"],
        significance=float(tk.config["ckanext.maemoh.risk.significance"]),
        fdr=tk.config["ckanext.maemoh.risk.fdr"],
        scheduler=tk.config.get(SCHEDULER_OPTION) or None,
    )


# ---------------------------------------------------------------- runs

def new_run(dimension, grid=None, trigger="manual", user=None, via="queue"):
    """Record a queued run of ``dimension`` (ValueError for a bad dimension or grid);
    ``via`` "queue" (a job) or "sync" (run in the calling process)."""
    if dimension not in dimensions.NAMES:
        raise ValueError(f"Unknown dimension {dimension!r}: one of {', '.join(dimensions.NAMES)}")
    grid = parameters(grid).grid
    run = {"id": str(uuid.uuid4()), "dimension": dimension, "grid": grid, "trigger": trigger,
           "requested_by": user, "via": via, "state": "queued", "queued_at": _now(), "started_at": None,
           "finished_at": None, "outcome": None, "dataset": None, "error": None}
    redis_ = connection()
    redis_.set(RUN_KEY.format(run["id"]), json.dumps(run))
    redis_.lpush(RUNS_KEY, run["id"])
    for stale in redis_.lrange(RUNS_KEY, KEEP_RUNS, -1):
        redis_.delete(RUN_KEY.format(stale.decode()))
    redis_.ltrim(RUNS_KEY, 0, KEEP_RUNS - 1)
    return run


def enqueue(dimension, grid=None, trigger="manual", user=None):
    """Queue a run on :data:`RISK_QUEUE`; returns the run record."""
    run = new_run(dimension, grid, trigger, user)
    tk.enqueue_job(run_job, [run["id"]], title=f"Risk layer {dimension} ({run['grid']})",
                   queue=RISK_QUEUE, rq_kwargs={
                       "job_id": run["id"],
                       "timeout": tk.config["ckanext.maemoh.risk.job_timeout"]})
    return run


def run_job(run_id, progress=None):
    """Execute a recorded run (the job function; also ``--sync``)."""
    run = _update(run_id, state="running", started_at=_now())
    try:
        outcome = execute(run["dimension"], run["grid"], progress=progress)
    except Exception as error:
        _update(run_id, state="failed", finished_at=_now(), error=f"{type(error).__name__}: {error}")
        raise
    return _update(run_id, state="finished", finished_at=_now(), outcome=outcome["status"],
                   dataset=outcome.get("dataset"), error=outcome.get("reason"))


def execute(dimension, grid=None, progress=None):
    """Compute ``dimension`` and publish its layer. Returns ``{"status":
    "published", "dataset": name}`` or ``{"status": "no data", "reason": ...}``."""
    step = progress or (lambda name: None)
    computed_at = clock.now()
    params = parameters(grid, end=computed_at)
    step("read inputs")
    inputs = risk_inputs.load([dimension], params)
    step("spatial units")
    units = spatial_units(params.grid, params.weights, params.k)
    if inputs.vulnerability is not None:
        units = units.with_vulnerability(inputs.vulnerability)
    step("compute")
    try:
        layer = pipeline.compute(dimension, inputs, params, units)
    except blocks.SchedulerUnreachable as error:
        raise blocks.SchedulerUnreachable(f"{error} (set by {SCHEDULER_OPTION})") from error
    if not layer.has_data:
        log.info("risk %s: no data (%s); the published layer is left as it is", dimension, layer.reason)
        return {"status": "no data", "reason": layer.reason}
    step("render")
    title_th, title_en = titles(dimension)
    rendered = pipeline.render(layer, title_th, title_en, attribution(layer.sources))
    step("publish")
    dataset = risk_publish.publish_layer(publisher_context(), risk_publish.RiskLayer(
        dimension=dimension, method="composite-inform", spatial_unit=params.spatial_unit,
        h3_resolution=params.h3_resolution,
        period_start=_bangkok_date(layer.start), period_end=_bangkok_date(layer.end),
        parameters=rendered.method_record["parameters"],
        input_datasets=sorted({s["dataset_name"] for s in layer.sources if s.get("dataset_name")}),
        computed_at=computed_at, geojson=rendered.geojson, csv=rendered.csv, png=rendered.png,
        method_record=rendered.method_record,
        tambon_summary=values.json_safe(layer.tambon_summary().reset_index().to_dict("records")),
        tables=layer.tables))
    return {"status": "published", "dataset": dataset["name"]}


def publisher_context():
    """Act as the risk jobs' own account (``ckanext.maemoh.risk.user``), an
    editor of the district organisation, created when missing. Not the site
    user: CKAN hides the site user's activity, and every new version of a
    layer must show in the dataset's activity stream."""
    name = tk.config["ckanext.maemoh.risk.user"]
    site = catalog.site_context()
    try:
        tk.get_action("user_show")(dict(site), {"id": name})
    except tk.ObjectNotFound:
        tk.get_action("user_create")(dict(site), {
            "name": name, "fullname": "Mae Moh risk jobs", "email": f"{name}@localhost.localdomain",
            "password": secrets.token_urlsafe(32)})
    org = tk.config["ckanext.maemoh.organization"]
    members = tk.get_action("member_list")(dict(site), {"id": org, "object_type": "user"})
    user_id = tk.get_action("user_show")(dict(site), {"id": name})["id"]
    if not any(member_id == user_id and role.lower() in ("editor", "admin") for member_id, _, role in members):
        tk.get_action("organization_member_create")(dict(site), {
            "id": org, "username": name, "role": "editor"})
    return {"user": name}


@functools.lru_cache(maxsize=4)
def spatial_units(grid, weights, k):
    """The cells, weights and exposure of a grid: the same for every run,
    so a worker builds them once (see :func:`warm_up`)."""
    params = pipeline.Parameters(grid=grid, weights=weights, k=k)
    inputs = pipeline.Inputs(tambons=risk_inputs.tambons(), population=risk_inputs.population())
    return pipeline.spatial_units(inputs, params)


@functools.lru_cache(maxsize=1)
def warm_up():
    """Compile esda's kernels (15-18 s) and build the default grid, once per
    process: called before a risk worker forks, its jobs start warm."""
    statistics.warm_up()
    params = parameters()
    spatial_units(params.grid, params.weights, params.k)


def is_risk_worker():
    """True in a job worker process that listens to :data:`RISK_QUEUE`."""
    me = (socket.gethostname(), os.getpid())
    return any((worker.hostname, worker.pid) == me
               and any(name.split(":")[-1] == RISK_QUEUE for name in worker.queue_names())
               for worker in rq.Worker.all(connection=connection()))


def titles(dimension):
    return (f"แผนที่ความเสี่ยงด้าน{vocabularies.label('risk_dimension', dimension, 'th')} อำเภอแม่เมาะ",
            f"{vocabularies.label('risk_dimension', dimension, 'en')} risk, Mae Moh district")


def runs(limit=50):
    """The newest runs first; a run its worker lost is reported failed."""
    redis_ = connection()
    found = []
    for run_id in redis_.lrange(RUNS_KEY, 0, max(limit, 1) - 1):
        raw = redis_.get(RUN_KEY.format(run_id.decode()))
        if raw is None:
            continue
        run = json.loads(raw)
        if run["state"] in ("queued", "running"):
            run = _reconcile(redis_, run)
        found.append(run)
    return found


def _reconcile(redis_, run):
    if run["via"] != "queue":
        return run
    try:
        job = rq.job.Job.fetch(run["id"], connection=redis_)
    except rq.exceptions.NoSuchJobError:
        return dict(run, state="failed", error="the job is no longer in the queue")
    if job.get_status() == "failed":
        lines = (job.exc_info or "").strip().splitlines()
        return dict(run, state="failed", error=lines[-1] if lines else "stopped by the worker")
    return run


def _update(run_id, **fields):
    redis_ = connection()
    key = RUN_KEY.format(run_id)
    run = json.loads(redis_.get(key) or "null")
    if run is None:
        raise KeyError(f"no risk run {run_id}")
    run.update(fields)
    redis_.set(key, json.dumps(run))
    return run


# ----------------------------------------------------------- triggers

def on_observations_changed(resource_id, dataset_id=None, start=None, end=None, **kwargs):
    """The ``maemoh:observations_changed`` handler: request the dimensions
    the changed rows feed, and the composite."""
    kind = risk_inputs.table_kinds([resource_id]).get(resource_id)
    if kind == "fire_detections":
        names = ["fire"]
    elif kind == "observations":
        names = risk_inputs.dimensions_of(risk_inputs.changed_variables(resource_id, start, end))
    else:
        return []
    if names:
        names.append(dimensions.COMPOSITE)
    for dimension in names:
        request(dimension)
    return names


def on_published(dataset_id, name=None, run=None, **kwargs):
    """The ``maemoh:published`` handler: a new inventory feeds the dimensions
    that read it, and the composite (a risk layer itself feeds none)."""
    if not str(name).startswith(reference_datasets.GHG_INVENTORY_TYPE + "-"):
        return []
    return _request_readers("inventory")


def on_resource_changed(resource):
    """A GeoTIFF created or replaced may be the land-cover raster: request the
    dimensions that read one, and the composite (the run reads only a trusted
    public raster, :func:`.risk_inputs.land_cover_raster`)."""
    if (resource.get("format") or "").lower() != risk_inputs.LAND_COVER_FORMAT:
        return []
    return _request_readers("land_cover")


def _request_readers(kind):
    names = [d.name for d in dimensions.REGISTRY.values() if kind in d.reads] + [dimensions.COMPOSITE]
    for dimension in names:
        request(dimension)
    return names


def request(dimension):
    """Mark ``dimension`` as having fresh data and run it when allowed."""
    connection().set(DIRTY_KEY.format(dimension), _now())
    return flush([dimension])


def flush(names=dimensions.NAMES):
    """Enqueue the dirty dimensions of ``names`` whose interval has passed; the runs queued."""
    redis_ = connection()
    interval = max(1, int(tk.config["ckanext.maemoh.risk.min_interval_minutes"] * 60))
    queued = []
    for dimension in names:
        if not redis_.exists(DIRTY_KEY.format(dimension)):
            continue
        if redis_.set(GATE_KEY.format(dimension), _now(), nx=True, ex=interval):
            redis_.delete(DIRTY_KEY.format(dimension))
            queued.append(enqueue(dimension, trigger="data changed"))
    return queued


def _now():
    return clock.now().isoformat()


def _bangkok_date(timestamp):
    return timestamp.tz_convert("Asia/Bangkok").date()
