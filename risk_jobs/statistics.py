"""Global and local spatial autocorrelation with esda (pure: no ``ckan`` import).

* :func:`global_moran`: Moran's I with a permutation test.
* :func:`local_statistics`: local Moran (LISA) and Getis-Ord Gi* per unit,
  with the same weights, permutations and seed, and map classes.
* :func:`warm_up`: compile the numba kernels once (15-18 s; about 6 s
  once they are cached on disk) before a worker forks; later, local
  statistics with 999 permutations take ~2.5 s for 20 000 cells in-process.

Run local statistics on the hexagon grid (:mod:`.grid`), not on the five
tambons: with 5 units the conditional permutations have only a handful of
distinct outcomes and no p-value can reach 0.05.

Outcomes that are not ordinary results (documented for the method record):

* NaN values: the unit is dropped from the computation (the weights are
  subset and re-row-standardised) and reported with class ``"no data"`` and
  NaN numbers.
* Islands (units without neighbours, also units whose neighbours are all
  NaN): esda gives them p_sim = 0.001 and a "HL" quadrant, a false
  cluster; they get class ``"isolated"``, NaN p-values and no quadrant, are
  never significant and are left out of the FDR cut-off.
* Units that cannot be significant: the conditional permutation of a unit
  with k neighbours among n units has only C(n-1, k) distinct neighbour
  sets, so its exact p is at least 1 / C(n-1, k).  When that exceeds
  ``significance`` (e.g. Na Sak, whose 4 neighbours are all the other
  tambons: one set, a degenerate distribution that esda 2.9 reports as
  p = 0.001) the p-values are set to NaN, the class is "not significant",
  the ids are in ``result.attrs["untestable"]`` and they are left out of the
  FDR cut-off.
* Zero variance (all values equal) or fewer than ``MIN_UNITS`` valid units:
  nothing is computed, every valid unit is ``"not significant"`` with NaN
  numbers, and ``result.attrs["notes"]`` says why.
* No variation: a unit whose value equals the value of each of its
  neighbours (e.g. a cell without fire among cells without fire) carries no
  evidence of a cluster: class ``"no variation"``, NaN p-values, never
  tested and left out of the FDR cut-off.
* Ties: in a field of many equal values (counts with mostly zeros) many
  permuted statistics equal the observed one up to rounding (1e-18); esda
  2.9 counts them as less extreme on the lower side, which gives false
  p = 0.001. :func:`tie_aware_p` counts a permuted statistic within
  :data:`TIE_RTOL` of the observed one (relative to the largest magnitude of
  that unit's statistic, observed or permuted) as at least as extreme, on
  both sides.

The local statistics are computed by blocks of rows (:mod:`.blocks`), in
this process or on a dask.distributed cluster: the same numbers as esda's,
without keeping the n x permutations simulations.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from libpysal.weights import W

# esda and libpysal are imported where they are used: they compile numba
# kernels, seconds and ~150 MB that the web processes never need.

PERMUTATIONS = 999
SEED = 20240601
MIN_UNITS = 3
MIN_UNITS_GLOBAL = 4  # the variance of Moran's I divides by (n - 3)
#: permuted statistics this close to the observed one (relative to the largest
#: magnitude of the unit's statistic, observed or permuted) are ties: counted as at least as extreme
TIE_RTOL = 1e-9

P_VALUE_DEFINITION = (
    "Pseudo p-values from conditional permutation (esda {version}): for each unit the "
    "observed value is held fixed and the other values are randomly reassigned to its "
    "neighbours {permutations} times (seeded). p = (M + 1) / (permutations + 1), where M "
    "is the number of permuted statistics at least as extreme as the observed one on the "
    "side of the permutation distribution where the observed statistic lies: a one-tailed "
    "('directed') test, not two-sided (a two-sided p is about twice as large). Ties count: "
    "M = min(#(sim >= obs - tol), #(sim <= obs + tol)) with tol = {rtol} x the largest "
    "absolute value of that unit's statistic (observed or permuted), so a unit whose "
    "permuted statistics all equal the observed one gets p = 1, not 0.001 (esda 2.9 counts "
    "ties as less extreme on the lower side). Units whose value equals each neighbour's are "
    "'no variation' and not tested. The smallest attainable p is 1 / (permutations + 1), "
    "0.001 for 999 permutations. Global Moran's I uses the same rule with total (not "
    "conditional) permutation. With FDR, the significance level is replaced by the "
    "Benjamini-Hochberg cut-off of esda.fdr, computed separately for the LISA and the Gi* "
    "p-values of the tested units (esda returns the Bonferroni bound alpha / n when no "
    "p-value passes); the p-values themselves are not adjusted."
)

LISA_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
LISA_CLASSES = ("HH", "LH", "LL", "HL", "not significant", "no variation", "isolated", "no data")
GI_LEVELS = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))
GI_CLASSES = (
    "hot 99%", "hot 95%", "hot 90%", "cold 99%", "cold 95%", "cold 90%",
    "not significant", "no variation", "isolated", "no data",
)
NOT_SIGNIFICANT = "not significant"
NO_VARIATION = "no variation"
ISOLATED = "isolated"
NO_DATA = "no data"


def p_value_definition(permutations: int = PERMUTATIONS) -> str:
    return P_VALUE_DEFINITION.format(version=metadata.version("esda"), permutations=permutations, rtol=TIE_RTOL)


def tie_aware_p(observed: np.ndarray, simulations: np.ndarray, permutations: int) -> np.ndarray:
    """Directed pseudo p-values counting ties as at least as extreme.

    ``observed``: (n,) statistics; ``simulations``: (n, permutations) permuted
    ones (esda's ``rlisas`` / ``rGs``, or (permutations,) for a global
    statistic). The tolerance of unit i is :data:`TIE_RTOL` x max(|obs_i|,
    max_j |sim_ij|): each unit on its own, so blocks of units give the same
    p as the whole. Without ties this equals esda's ``p_sim``.
    """
    obs = np.asarray(observed, dtype=float)
    sim = np.asarray(simulations, dtype=float)
    scale = np.fmax(np.abs(obs), np.nanmax(np.abs(sim), axis=-1, initial=0.0))
    tol = TIE_RTOL * scale[..., None]
    upper = (sim >= obs[..., None] - tol).sum(axis=-1)
    lower = (sim <= obs[..., None] + tol).sum(axis=-1)
    return (np.minimum(upper, lower) + 1.0) / (permutations + 1.0)


@dataclass(frozen=True)
class GlobalMoran:
    I: float  # noqa: E741 -- the statistic's name
    expected_I: float
    p_sim: float
    z_sim: float
    n: int
    permutations: int
    notes: tuple[str, ...] = field(default=())


def _prepare(values: pd.Series, w: W):
    """Order ``values`` as ``w.id_order``; subset ``w`` to the non-NaN units.

    Returns (y, w_used, valid_ids, no_data_ids); ``w`` itself is only
    replaced, never modified, when units are dropped.
    """
    from libpysal.weights import W

    if not isinstance(values, pd.Series):
        raise TypeError("values must be a pandas Series indexed by the weights' ids")
    if not values.index.is_unique:
        raise ValueError("values index must be unique")
    ids = list(w.id_order)
    if set(values.index) != set(ids) or len(values) != len(ids):
        raise ValueError("values index and weights ids differ")
    y = pd.to_numeric(values, errors="raise").astype(float).reindex(ids)
    valid = y.notna().to_numpy()
    no_data = [i for i, ok in zip(ids, valid) if not ok]
    if no_data:
        keep = set(y.index[valid])
        neighbors, wts = {}, {}
        for i in y.index[valid]:
            pairs = [(j, v) for j, v in zip(w.neighbors[i], w.weights[i]) if j in keep]
            neighbors[i] = [j for j, _ in pairs]
            wts[i] = [v for _, v in pairs]
        w = W(neighbors, wts, id_order=list(y.index[valid]), silence_warnings=True)
        w.transform = "r"
        y = y[valid]
    return y, w, no_data


def _not_computable(y: pd.Series) -> str | None:
    if len(y) < MIN_UNITS:
        return f"only {len(y)} unit(s) with data (< {MIN_UNITS}): statistics not computed"
    if np.ptp(y.to_numpy()) == 0:
        return "zero variance (all values equal): statistics not computed, all units not significant"
    return None


def global_moran(
    values: pd.Series, w: W, permutations: int = PERMUTATIONS, seed: int | None = SEED
) -> GlobalMoran:
    """Moran's I of ``values`` (Series indexed by the ids of ``w``).

    NaN units are dropped (weights subset). esda 2.9's ``Moran`` draws from
    the global NumPy generator: it is seeded with ``seed`` and restored after.
    """
    esda = _esda()

    y, w_used, no_data = _prepare(values, w)
    notes = [f"{len(no_data)} unit(s) without data dropped"] if no_data else []
    reason = _not_computable(y)
    if not reason and len(y) < MIN_UNITS_GLOBAL:
        reason = f"only {len(y)} units with data (< {MIN_UNITS_GLOBAL}): Moran's I not computed"
    if reason:
        return GlobalMoran(np.nan, np.nan, np.nan, np.nan, len(y), permutations, tuple(notes + [reason]))
    if w_used.islands:
        notes.append(f"{len(w_used.islands)} island(s) included with a zero spatial lag")
    state = np.random.get_state()
    try:
        if seed is not None:
            np.random.seed(seed)
        mi = esda.Moran(y.to_numpy(), w_used, transformation="r", permutations=permutations)
    finally:
        np.random.set_state(state)
    p = float(tie_aware_p(np.float64(mi.I), mi.sim, permutations))
    return GlobalMoran(float(mi.I), float(mi.EI), p, float(mi.z_sim), len(y), permutations, tuple(notes))


def _local(y: np.ndarray, w: W, permutations: int, seed: int | None, scheduler: str | None) -> dict:
    """:func:`.blocks.compute` on the weights esda's ``Moran_Local`` (``w``
    row-standardised) and ``G_Local(star=True)`` (self-weight = the row's
    largest weight, then row-standardised: the binary Gi*) would use."""
    from esda.getisord import _infer_star_and_structure_w

    from . import blocks

    _esda()
    w.transform = "r"
    with warnings.catch_warnings():
        # esda warns that it sets the self weight to the row maximum: that is what we want.
        warnings.filterwarnings("ignore", message="Gi\\* requested", category=UserWarning)
        # islands are classified "isolated" afterwards
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected", category=UserWarning)
        gi_w, _ = _infer_star_and_structure_w(w, True, "R")
    gi_w.transform = "R"
    if seed is None:
        seed = int(np.random.randint(12345, 12345000))  # as esda.crand
    return blocks.compute(y, w.sparse, gi_w.sparse, permutations, seed, scheduler=scheduler)


def _gi_label(z: float, p: float, alpha: float) -> str:
    for level, label in GI_LEVELS:
        if p <= level and p <= alpha:
            return f"{'hot' if z > 0 else 'cold'} {label}"
    return NOT_SIGNIFICANT


def _no_variation(y: pd.Series, w: W) -> list:
    """Ids of units with neighbours whose value equals each neighbour's
    (``y`` in the order of ``w.id_order``)."""
    a = w.sparse.tocsr()
    cards = np.diff(a.indptr)
    rows = np.repeat(np.arange(len(cards)), cards)
    values = y.to_numpy()
    differing = np.bincount(rows, weights=values[a.indices] != values[rows], minlength=len(cards))
    return y.index[(cards > 0) & (differing == 0)].tolist()


def local_statistics(
    values: pd.Series,
    w: W,
    permutations: int = PERMUTATIONS,
    seed: int | None = SEED,
    significance: float = 0.05,
    fdr: bool = True,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Local Moran (LISA) and Gi* for ``values`` (Series indexed by the ids of ``w``).

    Returns a DataFrame indexed like ``values``:

    * ``lisa_i``, ``lisa_q`` (1 HH, 2 LH, 3 LL, 4 HL; nullable), ``lisa_p``
      (tie-aware pseudo p, :data:`P_VALUE_DEFINITION`), ``lisa_class`` in
      :data:`LISA_CLASSES`: the quadrant label when ``lisa_p <= alpha``.
    * ``gi_z`` (esda ``Zs``: analytical z of Gi*), ``gi_p`` (tie-aware pseudo p),
      ``gi_class`` in :data:`GI_CLASSES`: hot (z > 0) or cold when
      ``gi_p <= alpha``, labelled by the strongest level the p reaches
      (<= 0.01: 99 %, <= 0.05: 95 %, <= 0.10: 90 %); "90%" therefore only
      appears with ``significance >= 0.10``.

    ``alpha`` is ``significance``, or with ``fdr=True`` the cut-off of
    ``esda.fdr(p, significance)`` computed separately for LISA and Gi* over
    the tested units (the p-values themselves stay unadjusted).
    The numbers are esda's ``Moran_Local`` and ``G_Local(star=True)`` with
    the same ``w``, ``permutations`` and ``seed`` for both statistics,
    computed by blocks of rows (:mod:`.blocks`) that keep no simulations: in
    this process when ``scheduler`` is None, else on the dask.distributed
    scheduler at that address (:class:`.blocks.SchedulerUnreachable` when it
    cannot be reached). ``w.transform`` is set to ``"r"``.  ``result.attrs`` holds ``alpha_lisa``,
    ``alpha_gi``, ``islands``, ``untestable``, ``no_variation``, ``no_data``,
    ``notes`` and ``p_value_definition``.
    """
    esda = _esda()

    y, w_used, no_data = _prepare(values, w)
    ids = list(y.index)
    out = pd.DataFrame(
        {
            "lisa_i": np.nan,
            "lisa_q": pd.array([pd.NA] * len(ids), dtype="Int64"),
            "lisa_p": np.nan,
            "lisa_class": NOT_SIGNIFICANT,
            "gi_z": np.nan,
            "gi_p": np.nan,
            "gi_class": NOT_SIGNIFICANT,
        },
        index=pd.Index(ids, dtype=values.index.dtype),
    )
    notes = [f"{len(no_data)} unit(s) without data: class 'no data'"] if no_data else []
    islands = list(w_used.islands)
    untestable: list = []
    flat: list = []
    alpha_lisa = alpha_gi = float(significance)
    reason = _not_computable(y)
    if reason:
        notes.append(reason)
    else:
        local = _local(y.to_numpy(), w_used, permutations, seed, scheduler)
        out["lisa_i"] = local["lisa_i"]
        out["lisa_q"] = pd.array(local["lisa_q"], dtype="Int64")
        out["lisa_p"] = local["lisa_p"]
        out["gi_z"] = local["gi_z"]
        out["gi_p"] = local["gi_p"]
        if islands:
            out.loc[islands, ["lisa_p", "gi_p"]] = np.nan
            out.loc[islands, "lisa_q"] = pd.NA
            notes.append(f"{len(islands)} unit(s) without neighbours: class 'isolated'")
        untestable = [
            i for i, k in w_used.cardinalities.items()
            if k > 0 and math.comb(len(y) - 1, k) * significance < 1
        ]
        if untestable:
            out.loc[untestable, ["lisa_p", "gi_p"]] = np.nan
            notes.append(
                f"{len(untestable)} unit(s) cannot reach p <= {significance}: fewer than "
                f"1/{significance} distinct neighbour sets (C(n-1, k)); p set to NaN, "
                "class 'not significant'"
            )
        flat = _no_variation(y, w_used)
        if flat:
            out.loc[flat, ["lisa_p", "gi_p"]] = np.nan
            notes.append(f"{len(flat)} unit(s) equal to each of their neighbours: class 'no variation', not tested")
        tested = out[out["lisa_p"].notna()]
        if fdr and len(tested):
            alpha_lisa = float(esda.fdr(tested["lisa_p"].to_numpy(), significance))
            alpha_gi = float(esda.fdr(tested["gi_p"].to_numpy(), significance))
        sig = (out["lisa_p"] <= alpha_lisa).to_numpy()
        out.loc[sig, "lisa_class"] = out.loc[sig, "lisa_q"].map(LISA_LABELS)
        out["gi_class"] = [
            _gi_label(z, p, alpha_gi) if p == p else NOT_SIGNIFICANT
            for z, p in zip(out["gi_z"], out["gi_p"])
        ]
    if flat:
        out.loc[flat, ["lisa_class", "gi_class"]] = NO_VARIATION
    if islands:
        out.loc[islands, ["lisa_class", "gi_class"]] = ISOLATED
    if no_data:
        missing = pd.DataFrame(
            {"lisa_class": NO_DATA, "gi_class": NO_DATA}, index=pd.Index(no_data, dtype=values.index.dtype)
        )
        out = pd.concat([out, missing])
        out["lisa_q"] = out["lisa_q"].astype("Int64")
    out = out.reindex(values.index)
    out.attrs = {
        "alpha_lisa": alpha_lisa,
        "alpha_gi": alpha_gi,
        "fdr": bool(fdr),
        "permutations": permutations,
        "seed": seed,
        "islands": islands,
        "untestable": untestable,
        "no_variation": flat,
        "no_data": no_data,
        "notes": notes,
        "p_value_definition": p_value_definition(permutations),
    }
    return out


@functools.cache
def _esda():
    """esda, its numba kernels cached on disk: a process that finds them
    compiled loads them (about 6 s) instead of compiling (about 20 s).

    esda declares its kernels without ``cache=True``; numba keeps the cache
    beside esda's sources (or in the user's cache folder when they are
    read-only) and invalidates it when those sources change.
    """
    import esda
    import esda.crand
    from numba.core.registry import CPUDispatcher

    for module in (esda.crand, esda.significance, esda.moran, esda.getisord):
        for kernel in vars(module).values():
            if isinstance(kernel, CPUDispatcher):
                kernel.enable_caching()
    return esda


def warm_up() -> None:
    """Compile the numba kernels of the local statistics on a 3x3 lattice.

    Call once in a worker's parent process before forking: the first call in a
    process takes 15-18 s, later ones are fast.
    """
    from libpysal.weights import lat2W

    w = lat2W(3, 3)
    w.transform = "r"
    y = np.arange(9, dtype=float)
    _local(y, w, permutations=9, seed=0, scheduler=None)
