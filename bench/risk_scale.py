"""Benchmark: LISA and Gi* at national scale, by blocks on a dask.distributed cluster.

All Thailand at H3 resolution 8 is 700-800 thousand cells. For each size
(default 100 000, 300 000 and 800 000 cells):

* the grid: the H3 resolution-8 cells nearest a point in central Thailand
  (whole rings around it, then the first cells of the next ring in id
  order), contiguity = the six cells around each one (fewer at the edge),
  row-standardised; the Gi* weights add the cell itself (every weight
  1/(k+1), the binary Gi*). The CSR matrices are built directly from
  ``h3.grid_ring`` (libpysal would take minutes at 800 000);
* the values: a smooth field of a few hot areas plus noise, a fifth of the
  cells set to zero (ties), seeded;
* blocks: ``blocks.compute`` (999 permutations, ``--block-rows`` rows per
  block) on a fresh ``LocalCluster`` of 1 and of 2 worker processes
  (``threads_per_worker=1``, ``memory_limit`` ``--memory-limit`` each); the
  workers first load the numba kernels (timed apart: "warm-up"); the time
  is the whole ``compute`` call as a job makes it (weights prepared,
  permutation table drawn and scattered, blocks run, results gathered);
  peak memory per worker is each worker's own peak resident size
  (``VmHWM``, asked with ``client.run`` after the run; each cluster is new,
  so it is this run's, the kernels' loading included);
* the baseline: esda alone (``Moran_Local`` + ``G_Local(star=True)``,
  ``keep_simulations=False``, ``n_jobs=1``) on a libpysal ``W`` of the same
  weights, in a spawned process of its own (its kernels compiled first),
  for the sizes in ``--esda-sizes`` (esda copies the value vector for every
  row: its time grows with the square of the cells, ~9x from 100 000 to
  300 000), with that process's peak memory.

Targets (issue 22): time linear in cells per worker: at most 1.3x per
doubling of cells per worker in time per cell (slope of log time against
log cells per worker <= 1 + log2 1.3 = 1.38 over all runs); peak memory per
worker <= 600 MB + 16 bytes per cell (the value vectors every worker holds).

    .venv/bin/python bench/risk_scale.py [--sizes 100000,300000,800000] [--workers 1,2] [--esda-sizes 100000] [--check]
"""
import argparse
import math
import multiprocessing
import sys
import time
import warnings

import h3
import numpy as np
from scipy import sparse

from ckanext.maemoh.risk_jobs import blocks, statistics

CENTRE = (15.0, 101.0)  # lat, lon: central Thailand
RESOLUTION = 8
PERMUTATIONS = 999
SEED = 20240601
BOUND_BASE_MB = 600
BOUND_PER_CELL_B = 16
MAX_SLOPE = 1 + math.log2(1.3)


def grid(n: int) -> tuple[list[str], sparse.csr_matrix, sparse.csr_matrix]:
    """``n`` H3 cells, their row-standardised contiguity and Gi* weights."""
    centre = h3.latlng_to_cell(*CENTRE, RESOLUTION)
    rings = math.ceil((-3 + math.sqrt(9 + 12 * (n - 1))) / 6)  # 3k(k+1) + 1 >= n
    cells = sorted(h3.grid_disk(centre, rings - 1)) + sorted(h3.grid_ring(centre, rings))
    cells = cells[:n]
    index = {c: i for i, c in enumerate(cells)}
    rows, cols = [], []
    for i, c in enumerate(cells):
        for j in sorted(index[d] for d in h3.grid_ring(c, 1) if d in index):
            rows.append(i)
            cols.append(j)
    rows, cols = np.array(rows), np.array(cols)
    card = np.bincount(rows, minlength=n)
    lisa = sparse.csr_matrix((1.0 / card[rows], (rows, cols)), shape=(n, n))
    self_ = np.arange(n)
    gi = sparse.csr_matrix((np.r_[1.0 / (card[rows] + 1), 1.0 / (card + 1)], (np.r_[rows, self_], np.r_[cols, self_])),
                           shape=(n, n))
    return cells, lisa, gi


def values(cells: list[str]) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    field = np.zeros(len(cells))
    for hot_lat, hot_lon in rng.uniform([lat.min(), lon.min()], [lat.max(), lon.max()], (8, 2)):
        field += 50 * np.exp(-((lat - hot_lat) ** 2 + (lon - hot_lon) ** 2) / 0.05)
    y = field + rng.gamma(2.0, 5.0, len(cells))
    y[rng.random(len(cells)) < 0.2] = 0.0
    return y


def peak_mb() -> float:
    """This process's peak resident memory: ``VmHWM`` of /proc/self/status.
    Not ``ru_maxrss``: Linux keeps it across exec, so a spawned process
    (a dask worker, the esda child) would report its parent's size."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def on_cluster(y, lisa, gi, workers: int, memory_limit: str, block_rows: int) -> dict:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                      dashboard_address=None, scheduler_port=0) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        client.run(statistics.warm_up)
        warm = time.perf_counter() - started
        started = time.perf_counter()
        result = blocks.compute(y, lisa, gi, PERMUTATIONS, SEED, block_rows=block_rows,
                                scheduler=cluster.scheduler_address)
        seconds = time.perf_counter() - started
        peaks = sorted(client.run(peak_mb).values())
    return {"seconds": seconds, "warm": warm, "peaks": peaks, "result": result}


def _esda_child(y, lisa, out):
    import esda
    from libpysal.weights import WSP

    from libpysal.weights import lat2W

    warnings.simplefilter("ignore")
    statistics._esda()  # esda's kernels cached on disk, as the risk worker has them
    w = WSP(lisa).to_W(silence_warnings=True)
    common = dict(permutations=PERMUTATIONS, n_jobs=1, keep_simulations=False, seed=SEED)
    # esda's own kernels compiled before the clock starts (as the blocks' warm-up)
    tiny = lat2W(3, 3)
    esda.Moran_Local(np.arange(9.0), tiny, transformation="r", **{**common, "permutations": 9})
    esda.G_Local(np.arange(9.0), tiny, transform="R", star=True, **{**common, "permutations": 9})
    started = time.perf_counter()
    lisa_result = esda.Moran_Local(y, w, transformation="r", **common)
    gi_result = esda.G_Local(y, w, transform="R", star=True, **common)
    seconds = time.perf_counter() - started
    out.put((seconds, peak_mb(), lisa_result.Is, gi_result.Zs))


def esda_alone(y, lisa) -> dict:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_esda_child, args=(y, lisa, out))
    child.start()
    seconds, peak, lisa_i, gi_z = out.get()
    child.join()
    return {"seconds": seconds, "peak": peak, "lisa_i": lisa_i, "gi_z": gi_z}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,300000,800000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--esda-sizes", default="100000")
    parser.add_argument("--memory-limit", default="2GiB", help="per worker (LocalCluster memory_limit)")
    parser.add_argument("--block-rows", type=int, default=blocks.BLOCK_ROWS)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    worker_counts = [int(s) for s in args.workers.split(",")]
    esda_sizes = {int(s) for s in args.esda_sizes.split(",") if s}
    statistics.warm_up()  # as a risk worker does before its jobs: the numba kernels of this process
    print(f"H3 resolution {RESOLUTION}, {PERMUTATIONS} permutations, {args.block_rows} rows per block, "
          f"LocalCluster threads_per_worker=1 memory_limit={args.memory_limit}")
    runs = []
    for n in sizes:
        started = time.perf_counter()
        cells, lisa, gi = grid(n)
        y = values(cells)
        print(f"\n== {n:,} cells: grid, weights and values built in {time.perf_counter() - started:.1f} s "
              f"(mean cardinality {lisa.nnz / n:.2f})")
        results = {}
        for workers in worker_counts:
            r = on_cluster(y, lisa, gi, workers, args.memory_limit, args.block_rows)
            results[workers] = r["result"]
            per_cell_us = r["seconds"] * workers / n * 1e6
            runs.append({"n": n, "workers": workers, "per_worker": n / workers, "seconds": r["seconds"],
                         "peak": max(r["peaks"])})
            print(f"  blocks, {workers} worker(s): {r['seconds']:7.1f} s  ({per_cell_us:5.1f} us per cell "
                  f"per worker; warm-up {r['warm']:.1f} s)  peak RSS per worker: "
                  + ", ".join(f"{p:,.0f} MB" for p in r["peaks"]))
        if len(results) > 1:
            first, *others = results.values()
            same = all(np.array_equal(first[k], o[k], equal_nan=True) for o in others for k in first)
            print(f"  1 and 2 workers give identical numbers: {same}")
        if n in esda_sizes:
            e = esda_alone(y, lisa)
            mine = next(iter(results.values()))
            gap = max(np.nanmax(np.abs(e[k] - mine[k]) / np.abs(mine[k]).max()) for k in ("lisa_i", "gi_z"))
            print(f"  esda alone (1 process): {e['seconds']:7.1f} s  peak RSS {e['peak']:,.0f} MB  "
                  f"(its Is and Gi* z differ from the blocks' by {gap:.1e} relative: its own row-standardisation)")
            for run in runs[-len(worker_counts):]:
                print(f"    blocks with {run['workers']} worker(s) / esda alone: {run['seconds'] / e['seconds']:.2f}x")

    print("\n== scaling (time against cells per worker)")
    print(f"{'cells':>9} {'workers':>7} {'per worker':>10} {'seconds':>8} {'us/cell/worker':>15} {'peak MB':>8} "
          f"{'bound MB':>8}")
    memory_ok = True
    for run in sorted(runs, key=lambda r: r["per_worker"]):
        bound = BOUND_BASE_MB + BOUND_PER_CELL_B * run["n"] / 2**20
        memory_ok &= run["peak"] <= bound
        print(f"{run['n']:9,} {run['workers']:7} {run['per_worker']:10,.0f} {run['seconds']:8.1f} "
              f"{run['seconds'] / run['per_worker'] * 1e6:15.1f} {run['peak']:8,.0f} {bound:8,.0f}")
    for workers in worker_counts:
        mine = sorted((r for r in runs if r["workers"] == workers), key=lambda r: r["n"])
        for a, b in zip(mine, mine[1:]):
            doublings = math.log2(b["n"] / a["n"])
            per_doubling = (b["seconds"] / a["seconds"]) ** (1 / doublings)
            print(f"  {workers} worker(s), {a['n']:,} -> {b['n']:,} cells: time x{per_doubling:.2f} per doubling, "
                  f"time per cell x{per_doubling / 2:.2f} per doubling")
    slope = np.polyfit(np.log2([r["per_worker"] for r in runs]), np.log2([r["seconds"] for r in runs]), 1)[0]
    time_ok = slope <= MAX_SLOPE
    print(f"  all runs: time ~ (cells per worker)^{slope:.2f}: time per cell x{2 ** (slope - 1):.2f} per doubling "
          f"-> {'PASS' if time_ok else 'FAIL'} (target <= 1.3x)")
    print(f"  peak memory per worker <= {BOUND_BASE_MB} MB + {BOUND_PER_CELL_B} B per cell: "
          f"{'PASS' if memory_ok else 'FAIL'}")
    print(f"  this process (grids, weights, results): peak RSS {peak_mb():,.0f} MB")
    if args.check and not (time_ok and memory_ok):
        sys.exit(1)


if __name__ == "__main__":
    main()
