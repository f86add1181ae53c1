"""Ordinary kriging of station values to points (pure numpy/scipy; no ``ckan``).

Used by :func:`.hazards.station_hazard` when there are enough stations to
estimate a variogram (:data:`MIN_STATIONS`); with fewer, the variogram is
noise and inverse-distance weighting is used instead.

* Empirical semivariogram: all station pairs, semivariance ½(zᵢ − zⱼ)²,
  averaged in :data:`BINS` equal distance bins up to half the largest pair
  distance (the usual limit: beyond it too few pairs per bin).
* Model: spherical, γ(h) = nugget + psill·(1.5 h/a − 0.5 (h/a)³) for h < a,
  nugget + psill beyond, fitted by least squares weighted by the pairs per
  bin (``scipy.optimize.curve_fit``), with nugget ≥ 0, psill > 0 and the
  range a between the smallest bin and the largest pair distance.
* Estimate: the ordinary kriging system (weights sum to 1) solved once for
  all targets. With a nugget the surface is not exact at the stations; the
  caller puts measured values back in the cells that contain a station.

:class:`KrigingError` says why the model could not be fitted (too few
stations, no variance, a fit that does not converge, a singular system).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import curve_fit
from scipy.spatial.distance import pdist, squareform

MIN_STATIONS = 10
BINS = 6
MIN_BINS = 3


class KrigingError(ValueError):
    """The data do not support a variogram model."""


@dataclasses.dataclass(frozen=True)
class Variogram:
    """A fitted spherical variogram (distances in metres)."""

    nugget: float
    psill: float
    range_m: float
    bins: int

    def __call__(self, h: np.ndarray) -> np.ndarray:
        return spherical(h, self.nugget, self.psill, self.range_m)

    def record(self) -> dict:
        return {"model": "spherical", "nugget": self.nugget, "partial_sill": self.psill,
                "range_m": self.range_m, "bins": self.bins}


def spherical(h: np.ndarray, nugget: float, psill: float, range_m: float) -> np.ndarray:
    r = np.minimum(np.asarray(h, dtype=float) / range_m, 1.0)
    return nugget + psill * (1.5 * r - 0.5 * r ** 3)


def fit_variogram(xy: np.ndarray, values: np.ndarray) -> Variogram:
    """The spherical model of ``values`` at metric points ``xy`` (KrigingError if none fits)."""
    if len(values) < MIN_STATIONS:
        raise KrigingError(f"{len(values)} stations: kriging needs at least {MIN_STATIONS}")
    if np.ptp(values) == 0:
        raise KrigingError("all stations report the same value: no variogram")
    distances = pdist(xy)
    semivariances = 0.5 * pdist(values[:, None], "sqeuclidean")
    edges = np.linspace(0.0, distances.max() / 2, BINS + 1)
    which = np.digitize(distances, edges[1:-1])
    inside = distances <= edges[-1]
    counts = np.bincount(which[inside], minlength=BINS)
    used = counts > 0
    if used.sum() < MIN_BINS:
        raise KrigingError(f"only {used.sum()} distance bins with station pairs (< {MIN_BINS})")
    lags = np.bincount(which[inside], distances[inside], minlength=BINS)[used] / counts[used]
    gammas = np.bincount(which[inside], semivariances[inside], minlength=BINS)[used] / counts[used]
    variance = float(np.var(values))
    try:
        (nugget, psill, range_m), _ = curve_fit(
            spherical, lags, gammas, p0=(0.0, variance, distances.max() / 2),
            sigma=1.0 / np.sqrt(counts[used]),
            bounds=([0.0, 1e-12, lags.min()], [np.inf, np.inf, distances.max()]), maxfev=10_000)
    except (RuntimeError, ValueError) as error:
        raise KrigingError(f"the variogram fit failed: {error}") from None
    return Variogram(float(nugget), float(psill), float(range_m), int(used.sum()))


def ordinary_kriging(xy: np.ndarray, values: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, Variogram]:
    """Estimates at ``targets`` (metric points) and the variogram used."""
    xy = np.asarray(xy, dtype=float)
    values = np.asarray(values, dtype=float)
    variogram = fit_variogram(xy, values)
    n = len(values)
    system = np.ones((n + 1, n + 1))
    system[:n, :n] = variogram(squareform(pdist(xy)))
    np.fill_diagonal(system[:n, :n], 0.0)  # γ(0) = 0: the nugget is a jump away from h = 0
    system[n, n] = 0.0
    to_targets = np.hypot(targets[:, None, 0] - xy[None, :, 0], targets[:, None, 1] - xy[None, :, 1])
    right = np.ones((n + 1, len(targets)))
    right[:n] = variogram(to_targets).T
    try:
        weights = np.linalg.solve(system, right)
    except np.linalg.LinAlgError as error:
        raise KrigingError(f"the kriging system is singular: {error}") from None
    return weights[:n].T @ values, variogram
