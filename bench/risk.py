"""Benchmark: one risk run (pipeline.compute + render) against bare esda.

For each size N (H3 resolution-9 cells over a synthetic area near Mae Moh:
a square cut into five tambon strips, ten PM2.5 stations with 8 days of hourly data, 200 FIRMS
detections), in a fresh "spawn" child process of its own:

* numba compilation: ``statistics.warm_up()``, once, first thing in the child;
* bare esda (the physical anchor): ``esda.Moran_Local`` + ``esda.G_Local``
  (star, row-standardised), ``n_jobs=1``, no kept simulations, on the same
  weights and the same y as the job (the layer's hazard values), best of
  ``--repeats``;
* job (units cached): ``pipeline.compute(dim, inputs, params, units)`` +
  ``pipeline.render(...)`` with ``units = pipeline.spatial_units(...)`` built
  beforehand, as a worker that keeps its units would run it; publishing to
  CKAN is left out;
* job (cold units): the same, ``spatial_units`` included;
* the ratio job / bare esda, for the dimensions "fire" and "air";
* where the time goes: the public functions that ``spatial_units``,
  ``compute`` and ``render`` call are wrapped with ``time.perf_counter``
  timers at run time in the child (``pipeline.py`` itself is not changed);
  "rest" rows are the caller's total minus its timed phases, in the same run;
* GeoJSON size: as ``risk_publish`` writes it (UTF-8, compact separators),
  and gzipped;
* peak memory: ``ru_maxrss`` of the child that measured the size.

Then "a second job on the same worker pays no compilation again": a process
calls ``warm_up()`` and forks two children one after the other, each timing
``compute("air", ...)`` on ``--fork-cells`` cells; for comparison, a freshly
spawned process's first ``compute`` without warm-up.

Targets: at 10 000 cells, job <= 1.2 x bare esda (warm); GeoJSON <= 2 MB.

    .venv/bin/python bench/risk.py [--sizes 1000,10000,100000] [--permutations 999]
"""
import argparse
import gzip
import json
import math
import multiprocessing
import os
import resource
import time
import warnings
from contextlib import contextmanager

import esda
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from ckanext.maemoh.risk_jobs import composite, grid, pipeline, statistics
from ckanext.maemoh.writers import geojson, maps, tables

CENTRE = (99.7, 18.4)               # lon, lat: Mae Moh
#: area of an H3 resolution-9 cell at Mae Moh (0.122 km2; the global mean is 0.105)
CELL_KM2 = h3.cell_area(h3.latlng_to_cell(CENTRE[1], CENTRE[0], 9), "km^2")
TAMBONS = 5
STATIONS = 10
FIRES = 200
END = pd.Timestamp("2026-03-10T00:00:00Z")
DIMENSIONS = ("fire", "air")
TITLES = {"fire": ("ความเสี่ยงจากไฟ", "Fire risk"), "air": ("ความเสี่ยงด้านอากาศ", "Air risk")}
ATTRIBUTION = "© bench/risk.py, synthetic data"
TARGET_CELLS = 10_000
TARGET_RATIO = 1.2
TARGET_GEOJSON_MB = 2.0
MB = 1e6


# ------------------------------------------------------------------ inputs

def synthetic_inputs(cells: int, seed: int = 1) -> pipeline.Inputs:
    """An area giving about ``cells`` H3 resolution-9 cells: a square of five
    tambon strips centred on Mae Moh, with stations, PM2.5 and fires."""
    rng = np.random.default_rng(seed)
    # cells overlapping the outline count: about half a cell more on every side
    side_km = max(math.sqrt(cells * CELL_KM2) - math.sqrt(CELL_KM2), 1.0)
    lon0, lat0 = CENTRE
    dlat = side_km / 110.574
    dlon = side_km / (111.320 * math.cos(math.radians(lat0)))
    west, south = lon0 - dlon / 2, lat0 - dlat / 2
    strip = dlon / TAMBONS
    codes = [f"99{n:04d}" for n in range(1, TAMBONS + 1)]
    tambons = gpd.GeoDataFrame({
        "tambon_code": codes,
        "name_th": [f"ตำบลทดสอบ {n}" for n in range(1, TAMBONS + 1)],
        "name_en": [f"Bench {n}" for n in range(1, TAMBONS + 1)],
    }, geometry=[shapely.box(west + i * strip, south, west + (i + 1) * strip, south + dlat)
                 for i in range(TAMBONS)], crs="EPSG:4326")
    population = pd.DataFrame({"tambon_code": codes,
                               "population": rng.integers(3_000, 20_000, TAMBONS)})

    def inside(n, margin=0.02):
        return (west + dlon * rng.uniform(margin, 1 - margin, n),
                south + dlat * rng.uniform(margin, 1 - margin, n))

    lon, lat = inside(STATIONS)
    stations = pd.DataFrame({"station_id": [f"bench-{n:02d}" for n in range(STATIONS)],
                             "longitude": lon, "latitude": lat})
    # 8 days: the 7-day window and the 24 h before it (PM2.5 AQI is a 24 h mean)
    times = pd.date_range(end=END - pd.Timedelta(hours=1), periods=24 * 8, freq="h", tz="UTC")
    diurnal = 10 * np.sin(np.arange(len(times)) * 2 * np.pi / 24)
    observations = pd.concat([pd.DataFrame({
        "station_id": sid, "variable": "pm25", "time_utc": times, "averaging_period": "PT1H",
        "value": np.round(np.clip(base + diurnal + rng.normal(0, 4, len(times)), 0, None), 1),
        "quality": "unchecked"})
        for sid, base in zip(stations["station_id"], rng.uniform(15, 90, STATIONS))], ignore_index=True)

    # fires: four clusters and a scatter, all in the 7-day window
    centres = np.column_stack(inside(4, 0.2))
    clustered = FIRES * 4 // 5
    which = rng.integers(0, 4, clustered)
    f_lon = np.concatenate([centres[which, 0] + rng.normal(0, dlon / 25, clustered), inside(FIRES - clustered)[0]])
    f_lat = np.concatenate([centres[which, 1] + rng.normal(0, dlat / 25, clustered), inside(FIRES - clustered)[1]])
    fire_detections = pd.DataFrame({
        "time_utc": END - pd.to_timedelta(rng.uniform(0.01, 7 * 24 - 0.01, FIRES), unit="h"),
        "latitude": np.clip(f_lat, south, south + dlat),
        "longitude": np.clip(f_lon, west, west + dlon),
        "frp_mw": np.round(rng.lognormal(2, 0.8, FIRES), 1),
        "confidence": "n",
    })
    sources = tuple(
        [{"kind": "observations", "dataset_id": f"d-{sid}", "resource_id": f"r-{sid}", "station_id": sid}
         for sid in stations["station_id"]]
        + [{"kind": "fire_detections", "dataset_id": "d-fire", "resource_id": "r-fire"},
           {"kind": "population", "name": "bench population"},
           {"kind": "boundaries", "name": "bench tambons"}])
    return pipeline.Inputs(tambons=tambons, population=population, stations=stations,
                           observations=observations, fire_detections=fire_detections, sources=sources)


def parameters(permutations: int) -> pipeline.Parameters:
    return pipeline.Parameters(grid="h3:9", end=END, permutations=permutations)


# ----------------------------------------------------------------- timing

def timed(function, *args, **kwargs):
    """(result, seconds)."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


#: (module, attribute, phase) wrapped by :func:`instrumented`; nested phases
#: (``_local``, the simulations by blocks, inside ``local_statistics``) are reported "of which".
PHASES = (
    (pipeline, "spatial_units", "spatial_units"),
    (grid, "hex_grid", "  hex_grid"),
    (grid, "weights", "  weights"),
    (composite, "area_shares", "  area_shares"),
    (composite, "exposure", "  exposure"),
    (composite, "vulnerability", "  vulnerability"),
    (pipeline, "compute", "compute"),
    (pipeline, "hazard", "  hazard"),
    (composite, "composite_risk", "  composite_risk"),
    (statistics, "local_statistics", "  local statistics"),
    (statistics, "_local", "    of which simulations (blocks)"),
    (statistics, "global_moran", "  global Moran"),
    (pipeline, "render", "render"),
    (geojson, "to_geojson", "  GeoJSON"),
    (tables, "to_csv", "  CSV"),
    (maps, "to_png", "  PNG"),
    (pipeline, "_method_record", "  method record"),
)
#: "rest" rows: the parent's total minus its direct children
REST = {
    "spatial_units": ("  rest (tambon names, join)",
                      ["  hex_grid", "  weights", "  area_shares", "  exposure", "  vulnerability"]),
    "compute": ("  rest (table assembly, sources)",
                ["spatial_units", "  hazard", "  composite_risk", "  local statistics", "  global Moran"]),
    "render": ("  rest (copy, rounding)", ["  GeoJSON", "  CSV", "  PNG", "  method record"]),
}


@contextmanager
def instrumented(times: dict):
    """Wrap the functions of :data:`PHASES` with timers adding into ``times``.

    ``pipeline`` looks its helpers up as module attributes at call time, so
    replacing the attributes times the real run.
    """
    saved = []
    for module, name, phase in PHASES:
        original = getattr(module, name)

        def wrapper(*args, _original=original, _phase=phase, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                times[_phase] = times.get(_phase, 0.0) + time.perf_counter() - started

        saved.append((module, name, original))
        setattr(module, name, wrapper)
    try:
        yield times
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)


def breakdown_rows(times: dict) -> list:
    """(phase, seconds) in :data:`PHASES` order, a "rest" row after each parent's phases.

    ``spatial_units`` called inside ``compute`` (cold units) is shown as a
    top-level phase and taken out of the compute row.
    """
    own = dict(times)
    if "compute" in own and "spatial_units" in own:
        own["compute"] -= own["spatial_units"]
    rows = [(phase, own[phase]) for _, _, phase in PHASES if phase in own]
    for parent, (label, children) in REST.items():
        if parent not in own:
            continue
        rest = own[parent] - sum(own.get(c, 0.0) for c in children if c != "spatial_units")
        last = max(i for i, (phase, _) in enumerate(rows) if phase == parent or phase in children)
        rows.insert(last + 1, (label, rest))
    return rows


def bare_esda(y: np.ndarray, w, permutations: int, seed: int) -> tuple[float, float]:
    """Seconds of (Moran_Local, G_Local star) on ``y`` and ``w``, as statistics calls them."""
    common = dict(permutations=permutations, n_jobs=1, keep_simulations=False, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, lisa = timed(esda.Moran_Local, y, w, transformation="r", **common)
        _, gi = timed(esda.G_Local, y, w, transform="R", star=True, **common)
    return lisa, gi


def job(dimension: str, inputs, params, units=None):
    """compute + render (no publishing); ``units=None``: cold, ``spatial_units`` included."""
    layer = pipeline.compute(dimension, inputs, params, units)
    return pipeline.render(layer, *TITLES[dimension], ATTRIBUTION)


def geojson_sizes(geojson: dict) -> dict:
    """Bytes as ``risk_publish`` writes it (compact separators), and gzipped."""
    published = json.dumps(geojson, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return {"published": len(published), "gzip": len(gzip.compress(published, compresslevel=6))}


# ----------------------------------------------------------- per size

def measure_size(cells: int, permutations: int, repeats: int, cold_repeats: int, out) -> None:
    """All figures of one size, in this (fresh, spawned) process; puts a dict on ``out``."""
    _, compile_s = timed(statistics.warm_up)
    inputs, inputs_s = timed(synthetic_inputs, cells)
    params = parameters(permutations)
    units, units_s = timed(pipeline.spatial_units, inputs, params)
    n = len(units.cells)
    result = {"requested": cells, "cells": n, "compile": compile_s, "inputs": inputs_s,
              "spatial_units_first": units_s, "observations": len(inputs.observations),
              "permutations": permutations, "repeats": repeats, "cold_repeats": cold_repeats,
              "dimensions": {}}
    for dimension in DIMENSIONS:
        layer = pipeline.compute(dimension, inputs, params, units)   # y
        job(dimension, inputs, params, units)                        # one untimed run (first PNG etc.)
        y = layer.table["value"].reindex(list(units.w.id_order)).to_numpy(dtype=float)
        esda_runs = [bare_esda(y, units.w, permutations, params.seed) for _ in range(repeats)]
        lisa_s, gi_s = min(esda_runs, key=sum)

        cached = []
        for _ in range(repeats):
            times = {}
            with instrumented(times):
                rendered, seconds = timed(job, dimension, inputs, params, units)
            cached.append((seconds, times))
        cold = []
        for _ in range(cold_repeats):
            times = {}
            with instrumented(times):
                _, seconds = timed(job, dimension, inputs, params)
            cold.append((seconds, times))
        cached_s, cached_times = min(cached, key=lambda r: r[0])
        cold_s, cold_times = min(cold, key=lambda r: r[0])
        result["dimensions"][dimension] = {
            "moran_local": lisa_s, "g_local": gi_s, "esda": lisa_s + gi_s,
            "cached": cached_s, "cold": cold_s,
            "cached_breakdown": breakdown_rows(cached_times),
            "cold_breakdown": breakdown_rows(cold_times),
            "geojson": geojson_sizes(rendered.geojson),
            "csv": len(rendered.csv.encode()), "png": len(rendered.png),
            "features": len(rendered.geojson["features"]),
        }
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(result)


# ------------------------------------------------------ worker / fork

def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def fork_demo(cells: int, permutations: int, out) -> None:
    """A worker parent: units built, ``warm_up()``, then two forked jobs one after the other."""
    inputs = synthetic_inputs(cells)
    params = parameters(permutations)
    units = pipeline.spatial_units(inputs, params)
    _, compile_s = timed(statistics.warm_up)
    children = []
    for _ in range(2):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: time its first and second compute, report, leave
            code = 1
            try:
                os.close(read_fd)
                _, first = timed(pipeline.compute, "air", inputs, params, units)
                _, second = timed(pipeline.compute, "air", inputs, params, units)
                os.write(write_fd, json.dumps([first, second]).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        data = _read_all(read_fd)
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            raise RuntimeError(f"forked child {pid} failed (status {status})")
        children.append(json.loads(data))
    out.put({"cells": len(units.cells), "compile": compile_s, "children": children})


def fresh_first_compute(cells: int, permutations: int, out) -> None:
    """A freshly spawned process, no warm-up: its first and second ``compute``."""
    inputs = synthetic_inputs(cells)
    params = parameters(permutations)
    units = pipeline.spatial_units(inputs, params)
    _, first = timed(pipeline.compute, "air", inputs, params, units)
    _, second = timed(pipeline.compute, "air", inputs, params, units)
    out.put({"cells": len(units.cells), "first": first, "second": second})


def in_spawned_process(target, *args):
    """Run ``target(*args, queue)`` in a fresh "spawn" process; return what it put."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()  # before join: a large item would block the child's exit
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"{target.__name__}{args}: exit code {process.exitcode}")
    return result


# ---------------------------------------------------------------- output

def print_size(r: dict) -> None:
    d = r["dimensions"]
    print(f"\n== {r['cells']:,} cells (asked {r['requested']:,}): {TAMBONS} tambons, {STATIONS} stations, "
          f"{r['observations']:,} observations, {FIRES} fire detections, {r['permutations']} permutations")
    print(f"numba compilation (statistics.warm_up, once per process): {r['compile']:.1f} s;  "
          f"first spatial_units: {r['spatial_units_first']:.2f} s;  building inputs: {r['inputs']:.2f} s")
    print(f"best of {r['repeats']} (cold units: best of {r['cold_repeats']}), seconds")
    print(f"  {'':38}" + "".join(f"{dim:>10}" for dim in DIMENSIONS))
    for label, key in (("bare esda: Moran_Local", "moran_local"), ("bare esda: G_Local (star)", "g_local"),
                       ("bare esda: both", "esda"), ("job (units cached)", "cached"), ("job (cold units)", "cold")):
        print(f"  {label:38}" + "".join(f"{d[dim][key]:10.2f}" for dim in DIMENSIONS))
    for label, key in (("job (units cached) / bare esda", "cached"), ("job (cold units) / bare esda", "cold")):
        print(f"  {label:38}" + "".join(f"{d[dim][key] / d[dim]['esda']:9.2f}x" for dim in DIMENSIONS))
    print("  breakdown of the best cold run, seconds")
    phases = [p for p, _ in d[DIMENSIONS[0]]["cold_breakdown"]]
    for dim in DIMENSIONS[1:]:
        phases += [p for p, _ in d[dim]["cold_breakdown"] if p not in phases]
    for phase in phases:
        values = [dict(d[dim]["cold_breakdown"]).get(phase) for dim in DIMENSIONS]
        total = d[DIMENSIONS[0]]["cold"]
        share = f"{values[0] / total:7.0%}" if values[0] is not None else ""
        print(f"    {phase:36}" + "".join(f"{v:10.3f}" if v is not None else f"{'':10}" for v in values)
              + f"   {share} of fire cold")
    print("  outputs (MB = 10^6 bytes)")
    for label, key in (("GeoJSON as published", "published"), ("GeoJSON gzipped", "gzip")):
        print(f"    {label:36}" + "".join(f"{d[dim]['geojson'][key] / MB:10.2f}" for dim in DIMENSIONS))
    print(f"    {'CSV':36}" + "".join(f"{d[dim]['csv'] / MB:10.2f}" for dim in DIMENSIONS))
    print(f"    {'PNG':36}" + "".join(f"{d[dim]['png'] / MB:10.2f}" for dim in DIMENSIONS))
    print(f"  peak memory of this size's process (ru_maxrss): {r['peak_mib']:.0f} MiB")


def print_summary(results: list) -> None:
    print("\n== summary (seconds; ratio = job / bare esda; compute = pipeline.compute only, "
          "units cached; GeoJSON MB as published and gzipped)")
    head = f"{'cells':>8} {'compile':>8} {'dim':>5} {'esda':>7} {'compute':>8} {'ratio':>6} {'cached':>7} " \
           f"{'ratio':>6} {'cold':>7} {'ratio':>6} {'GeoJSON':>8} {'gzip':>6} {'peak MiB':>9}"
    print(head)
    for r in results:
        for dim in DIMENSIONS:
            d = r["dimensions"][dim]
            g = d["geojson"]
            compute = dict(d["cached_breakdown"])["compute"]
            print(f"{r['cells']:8,} {r['compile']:8.1f} {dim:>5} {d['esda']:7.2f} {compute:8.2f} "
                  f"{compute / d['esda']:5.2f}x {d['cached']:7.2f} "
                  f"{d['cached'] / d['esda']:5.2f}x {d['cold']:7.2f} {d['cold'] / d['esda']:5.2f}x "
                  f"{g['published'] / MB:8.2f} {g['gzip'] / MB:6.2f} {r['peak_mib']:9.0f}")
    near = [r for r in results if abs(r["requested"] - TARGET_CELLS) <= TARGET_CELLS // 10]
    for r in near:
        print(f"targets at {r['cells']:,} cells:")
        for dim in DIMENSIONS:
            d = r["dimensions"][dim]
            ratio = d["cached"] / d["esda"]
            compute = dict(d["cached_breakdown"])["compute"] / d["esda"]
            g = d["geojson"]
            print(f"  {dim:5} compute only: {compute:.2f}x "
                  f"{'met' if compute <= TARGET_RATIO else 'NOT met'};  "
                  f"job (units cached) <= {TARGET_RATIO} x bare esda: {ratio:.2f}x "
                  f"{'met' if ratio <= TARGET_RATIO else 'NOT met'} "
                  f"(cold units: {d['cold'] / d['esda']:.2f}x "
                  f"{'met' if d['cold'] / d['esda'] <= TARGET_RATIO else 'NOT met'});  "
                  f"GeoJSON <= {TARGET_GEOJSON_MB:g} MB: {g['published'] / MB:.2f} "
                  f"{'met' if g['published'] <= TARGET_GEOJSON_MB * MB else 'NOT met'} "
                  f"(gzipped {g['gzip'] / MB:.2f})")


def print_fork(demo: dict, fresh: dict) -> None:
    print(f"\n== a second job on the same worker ({demo['cells']:,} cells, compute('air'), units built before)")
    print(f"worker parent: warm_up() {demo['compile']:.1f} s, then fork, one child after the other")
    for number, (first, second) in enumerate(demo["children"], 1):
        print(f"  forked child {number}: first compute {first:6.2f} s   (its second: {second:.2f} s)")
    print(f"  fresh spawned process, no warm-up: first compute {fresh['first']:6.2f} s   "
          f"(its second: {fresh['second']:.2f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated cell counts (H3 resolution 9)")
    parser.add_argument("--permutations", type=int, default=statistics.PERMUTATIONS)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--cold-repeats", type=int, default=None,
                        help="runs of the cold-units job (default: --repeats, 1 from 50 000 cells)")
    parser.add_argument("--fork-cells", type=int, default=TARGET_CELLS)
    parser.add_argument("--skip-fork", action="store_true")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    print(__doc__.split("\n")[0])
    print(f"cpus: {os.cpu_count()}; esda {esda.__version__}; sizes {sizes}; "
          f"{args.permutations} permutations; seed {statistics.SEED}; window end {END.isoformat()}")
    results = []
    for cells in sizes:
        cold_repeats = args.cold_repeats or (args.repeats if cells < 50_000 else 1)
        result = in_spawned_process(measure_size, cells, args.permutations, args.repeats, cold_repeats)
        print_size(result)
        results.append(result)
    print_summary(results)
    if not args.skip_fork:
        demo = in_spawned_process(fork_demo, args.fork_cells, args.permutations)
        fresh = in_spawned_process(fresh_first_compute, args.fork_cells, args.permutations)
        print_fork(demo, fresh)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
