"""LISA and Gi* by blocks of rows of the weights (pure: no ``ckan`` import).

esda 2.9's conditional randomisation (``esda.crand``) draws ONE seeded table
of permuted ids (``vec_permutations(max_card, n, permutations, seed)``) and
evaluates every row ``i`` on its first ``k_i`` columns, ids taken among the
other ``n - 1`` units. Rows are therefore independent given the value
vector and that table: :func:`compute` splits the weights into blocks of
rows, and each block computes its observed statistics and its simulations,
reduces the simulations at once to the tie-aware p
(:func:`.statistics.tie_aware_p`, per-unit tolerance) and returns per-row
numbers only. No simulation outlives its block: a block holds
``block_rows x permutations`` floats per statistic.

The numbers equal esda's ``Moran_Local`` and ``G_Local(star=True)`` with the
same weights and seed exactly: the weights are prepared as ``crand`` does,
and each simulated row is computed by esda's own statistic functions
(``_moran_local_crand``, ``_g_local_star_crand``). Those functions copy the
whole value vector for every row (O(n) per row, O(n^2) in all); here each
row hands them only the values its permutations draw, so a row costs
O(permutations x k) whatever n.

With ``scheduler=None`` the blocks run one after the other in this process;
with an address (``tcp://host:8786``) they run on that dask.distributed
cluster, the shared arrays (values, permutation tables) scattered once to
every worker. The workers must be able to import this package.
"""
from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np
from scipy import sparse

from .statistics import _esda, tie_aware_p

#: rows per block: 4 096 x 999 permutations x 8 bytes = 33 MB of simulations per statistic
BLOCK_ROWS = 4096
#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 10.0
#: esda's quadrant codes (1 HH, 2 LH, 3 LL, 4 HL)
QUADS = (1, 2, 3, 4)


class SchedulerUnreachable(RuntimeError):
    """The dask scheduler given cannot be reached."""


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Weights as ``esda.crand`` uses them: the matrix of the observed
    statistic, the self-weights, the other weights (diagonal removed,
    explicit zeros eliminated), and the largest number of other weights in
    a row of the WHOLE matrix (the width of its permutation table)."""

    observed: sparse.csr_matrix
    self_weights: np.ndarray
    others: sparse.csr_matrix
    max_card: int

    @classmethod
    def of(cls, matrix) -> Prepared:
        observed = sparse.csr_matrix(matrix, dtype=float, copy=True)
        others = observed.copy()
        self_weights = others.diagonal()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as crand: changing the sparsity costs little here
            others.setdiag(0)
        others.eliminate_zeros()
        return cls(observed, self_weights, others, int(np.diff(others.indptr).max(initial=0)))

    def rows(self, start: int, stop: int) -> Prepared:
        return Prepared(self.observed[start:stop], self.self_weights[start:stop], self.others[start:stop],
                        self.max_card)


@dataclasses.dataclass(frozen=True)
class Shared:
    """What every block needs: the values and the permutation tables."""

    y: np.ndarray
    z: np.ndarray                  # (y - mean) / std, as Moran_Local
    tables: dict                   # max_card -> (permutations, max_card) permuted ids
    z_den: float                   # sum(z^2)
    moran_scaling: float           # (n - 1) / sum(z^2), as crand
    y_sum: float
    g_mean: float                  # Gi* moments of G_Local.calc (star: nothing removed)
    g_variance: float
    permutations: int


def shared_inputs(y: np.ndarray, lisa: Prepared, gi: Prepared, permutations: int, seed: int) -> Shared:
    """The arrays and scalars of esda's ``Moran_Local`` / ``G_Local`` for ``y``."""
    vec_permutations = _esda().crand.vec_permutations  # its kernel cached on disk

    y = np.array(y, dtype=float)  # a writable copy: one compiled kernel for every caller
    n = len(y)
    with np.errstate(all="ignore"):
        z = (y - y.mean()) / y.std()
        mean = y.sum() / n
        variance = (y ** 2).sum() / n - mean ** 2
    tables = {k: vec_permutations(k, n, permutations, seed) for k in {lisa.max_card, gi.max_card}}
    return Shared(y=y, z=z, tables=tables, z_den=(z * z).sum(), moran_scaling=(n - 1) / (z * z).sum(), y_sum=y.sum(),
                  g_mean=mean, g_variance=variance, permutations=permutations)


def block(shared: Shared, start: int, lisa: Prepared, gi: Prepared) -> dict[str, np.ndarray]:
    """Observed statistics and tie-aware p of rows ``start..start + len`` (the
    rows of ``lisa`` and ``gi``); the simulations die here."""
    from . import crand_rows

    n, rows = len(shared.y), slice(start, start + lisa.observed.shape[0])
    z, y = shared.z, shared.y
    with np.errstate(all="ignore"):
        lag = lisa.observed @ z
        lisa_i = (n - 1) * z[rows] * lag / shared.z_den
        zp, lp = z[rows] > 0, lag > 0
        q = QUADS[0] * (zp & lp) + QUADS[1] * (~zp & lp) + QUADS[2] * (~zp & ~lp) + QUADS[3] * (zp & ~lp)
        g = (gi.observed @ y) / shared.y_sum
        card = np.asarray(gi.observed.sum(axis=1)).ravel()
        expected = card / n
        variance = card * (n - card)
        variance = variance / (n - 1)
        variance = variance * (1 / n ** 2)
        variance = variance * (shared.g_variance / shared.g_mean ** 2)
        gi_z = (g - expected) / np.sqrt(variance)
    lisa_sim = _simulate(crand_rows.local_moran, start, z, shared.tables[lisa.max_card], lisa, shared.moran_scaling)
    lisa_p = tie_aware_p(lisa_i, lisa_sim, shared.permutations)
    del lisa_sim
    gi_sim = _simulate(crand_rows.local_g_star, start, y, shared.tables[gi.max_card], gi, shared.y_sum)
    gi_p = tie_aware_p(g, gi_sim, shared.permutations)
    return {"lisa_i": lisa_i, "lisa_q": q, "lisa_p": lisa_p, "gi_g": g, "gi_z": gi_z, "gi_p": gi_p}


def _simulate(kernel, start, values, table, weights: Prepared, scaling) -> np.ndarray:
    with np.errstate(all="ignore"):
        return kernel(start, values, table, weights.others.indptr, weights.others.data, weights.self_weights,
                      float(scaling))


def compute(y, lisa_matrix, gi_matrix, permutations: int, seed: int, *, block_rows: int = BLOCK_ROWS,
            scheduler: str | None = None, connect_timeout: float | None = None) -> dict[str, np.ndarray]:
    """LISA (``lisa_i``, ``lisa_q``, ``lisa_p``) and Gi* (``gi_g``, ``gi_z``,
    ``gi_p``) of ``y`` per unit, as arrays in the order of ``y``.

    ``lisa_matrix``: the row-standardised weights (sparse, n x n) as
    ``Moran_Local`` uses them; ``gi_matrix``: the Gi* weights (with their
    diagonal) as ``G_Local(star=True)`` uses them. ``scheduler``: a
    dask.distributed address, or None to run in this process;
    ``connect_timeout``: seconds to reach it (None: :data:`CONNECT_TIMEOUT`).
    """
    if block_rows < 1:
        raise ValueError("block_rows must be at least 1")
    lisa, gi = Prepared.of(lisa_matrix), Prepared.of(gi_matrix)
    n = len(y)
    if lisa.observed.shape != (n, n) or gi.observed.shape != (n, n):
        raise ValueError(f"weights must be {n} x {n} like the values")
    shared = shared_inputs(y, lisa, gi, permutations, seed)
    starts = range(0, n, block_rows)
    tasks = [(start, lisa.rows(start, start + block_rows), gi.rows(start, start + block_rows)) for start in starts]
    if scheduler is None:
        parts = [block(shared, *task) for task in tasks]
    else:
        parts = _on_cluster(scheduler, connect_timeout or CONNECT_TIMEOUT, shared, tasks)
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _on_cluster(address: str, timeout: float, shared: Shared, tasks: list) -> list[dict]:
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerUnreachable(f"dask scheduler {address!r} cannot be reached: {error}") from error
    with client:
        on_workers = client.scatter(shared, broadcast=True)
        # A few blocks in flight per worker thread: a worker keeps the inputs of
        # every block queued on it, so submitting all at once would make its
        # memory grow with the number of cells.
        window = 2 * max(1, sum(client.nthreads().values()))
        pending, positions, parts = iter(enumerate(tasks)), {}, [None] * len(tasks)

        def submit(position, task):
            future = client.submit(block, on_workers, *task, pure=False)
            positions[future.key] = position
            return future

        running = as_completed([submit(*item) for item in itertools.islice(pending, window)], loop=client.loop,
                               with_results=True)
        for future, part in running:
            parts[positions.pop(future.key)] = part
            following = next(pending, None)
            if following is not None:
                running.add(submit(*following))
        return parts
