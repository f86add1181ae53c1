"""The row loops of :mod:`.blocks`, compiled by numba once per process
(about 3 s; pure: no ``ckan`` import; imports esda, so import it where it
is used).

One loop, :func:`_rows`, serves both statistics; each statistic has its own
entry point that hands it esda's statistic function as a constant. They are
not cached on disk: numba cannot cache a function that calls a function
handed to it, and one that took the statistic function as an argument would
add a compiled copy to the cache in every process (that function's type is
new in each), the cache growing without end.
"""
import numpy as np
from esda.getisord import _g_local_star_crand
from esda.moran import _moran_local_crand
from numba import njit


@njit
def _rows(stat_func, start, values, table, indptr, others, self_weights, scaling):
    """esda's ``compute_chunk`` (islands: weight 0) for rows ``start..``,
    keeping the simulations. Each row gives ``stat_func`` its own value
    followed by the values its permuted ids draw, laid out so that an
    identity table picks them in order: the same numbers as esda's."""
    permutations, width = table.shape
    identity = np.arange(permutations * width).reshape(permutations, width)
    drawn = np.empty(permutations * width + 1)
    out = np.empty((len(indptr) - 1, permutations))
    for row in range(len(indptr) - 1):
        i = start + row
        k = indptr[row + 1] - indptr[row]
        if k == 0:
            weights_i = np.zeros(2)
        else:
            weights_i = np.zeros(k + 1)
            weights_i[0] = self_weights[row]
            weights_i[1:] = others[indptr[row]:indptr[row + 1]]
        used = len(weights_i) - 1
        drawn[0] = values[i]
        for p in range(permutations):
            for j in range(used):
                other = table[p, j]  # an id among the n - 1 units other than i
                drawn[1 + p * width + j] = values[other + 1 if other >= i else other]
        out[row] = stat_func(0, drawn, identity, weights_i, scaling)
    return out


@njit
def local_moran(start, values, table, indptr, others, self_weights, scaling):
    """Permuted local Moran's I of rows ``start..`` (``values``: z)."""
    return _rows(_moran_local_crand, start, values, table, indptr, others, self_weights, scaling)


@njit
def local_g_star(start, values, table, indptr, others, self_weights, scaling):
    """Permuted Gi* (G, not z) of rows ``start..`` (``values``: y)."""
    return _rows(_g_local_star_crand, start, values, table, indptr, others, self_weights, scaling)
