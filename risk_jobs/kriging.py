"""Ordinary kriging of station values to points, by PyKrige (no ``ckan``).

Used by :func:`.hazards.station_hazard` when there are enough stations to
estimate a variogram (:data:`MIN_STATIONS`); with fewer, the variogram is
noise and inverse-distance weighting is used instead. Coordinates are metres
(UTM 47N), so PyKrige runs with Euclidean distances.

What ``pykrige.ok.OrdinaryKriging`` does for us:

* the empirical semivariogram: all station pairs, ½(zᵢ − zⱼ)², averaged in
  :data:`NLAGS` equal-width distance bins from the shortest to the longest
  pair;
* the spherical model fitted to it (partial sill, range, nugget): soft-L1
  least squares (``scipy.optimize.least_squares``), unweighted, with the
  nugget and partial sill ≥ 0 and the range at most the longest lag;
* the ordinary kriging system (weights sum to 1), solved for every target,
  with the kriging variance. ``exact_values=True``: the nugget is a jump away
  from h = 0, so at a station's own location the estimate is its value and the
  variance 0, while a short distance away the nugget counts in full.

Here, around it: the cases PyKrige accepts but that support no variogram
(:class:`KrigingError`), the record of the fitted model, leave-one-out
cross-validation with that model (:func:`leave_one_out`), and the variance of
a station mean taken as the value at a point (:func:`station_mean_variance`).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pykrige
from pykrige.ok import OrdinaryKriging
from pykrige.variogram_models import spherical_variogram_model
from scipy.spatial.distance import cdist, pdist

MIN_STATIONS = 10
NLAGS = 6
#: fewer non-empty distance bins than this cannot determine three parameters
MIN_LAGS = 3
#: stations closer than this (metres) make the kriging system singular
COINCIDENT_M = 1e-3
#: a partial sill below this share of the sill is a pure-nugget fit; a range
#: within the closest station pair leaves no two stations correlated either
MIN_STRUCTURE = 1e-6


class KrigingError(ValueError):
    """The data do not support a variogram model (or a solvable kriging system)."""


@dataclasses.dataclass(frozen=True)
class Variogram:
    """A spherical variogram fitted by PyKrige (distances in metres)."""

    nugget: float
    psill: float
    range_m: float
    bins: int

    @property
    def parameters(self) -> dict:
        """The model in PyKrige's ``variogram_parameters`` form."""
        return {"psill": self.psill, "range": self.range_m, "nugget": self.nugget}

    def __call__(self, h: np.ndarray) -> np.ndarray:
        """γ(h), 0 at h = 0 (as in PyKrige's system with ``exact_values=True``)."""
        h = np.asarray(h, dtype=float)
        gamma = spherical_variogram_model([self.psill, self.range_m, self.nugget], h)
        return np.where(h > OrdinaryKriging.eps, gamma, 0.0)

    def record(self) -> dict:
        return {
            "model": "spherical", "nugget": self.nugget, "partial_sill": self.psill,
            "range_m": self.range_m, "bins": self.bins,
            "fitted_by": f"PyKrige {pykrige.__version__} OrdinaryKriging: soft-L1 least squares on "
                         f"{NLAGS} equal-width distance bins from the shortest to the longest "
                         "station pair, unweighted",
        }


@dataclasses.dataclass(frozen=True)
class Kriged:
    """Estimates and kriging variances at the targets, and the variogram used."""

    estimate: np.ndarray
    variance: np.ndarray
    variogram: Variogram


def _kriging(xy: np.ndarray, values: np.ndarray, parameters: dict | None = None) -> OrdinaryKriging:
    try:
        return OrdinaryKriging(xy[:, 0], xy[:, 1], values, variogram_model="spherical",
                               variogram_parameters=parameters, nlags=NLAGS)
    except ValueError as error:
        raise KrigingError(f"the variogram fit failed: {error}") from None


def _execute(model: OrdinaryKriging, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        estimate, variance = model.execute("points", targets[:, 0], targets[:, 1])
    except np.linalg.LinAlgError as error:
        raise KrigingError(f"the kriging system is singular: {error}") from None
    estimate, variance = np.asarray(estimate, dtype=float), np.asarray(variance, dtype=float)
    if not (np.isfinite(estimate).all() and np.isfinite(variance).all()):
        raise KrigingError("the kriging system gave non-finite estimates")
    return estimate, np.maximum(variance, 0.0)  # rounding leaves ±1e-12 where it is 0


def fit(xy: np.ndarray, values: np.ndarray) -> tuple[OrdinaryKriging, Variogram]:
    """PyKrige's model of ``values`` at metric points ``xy`` (KrigingError if none fits)."""
    xy = np.asarray(xy, dtype=float)
    values = np.asarray(values, dtype=float)
    if len(values) < MIN_STATIONS:
        raise KrigingError(f"{len(values)} stations: kriging needs at least {MIN_STATIONS}")
    if np.ptp(values) == 0:
        raise KrigingError("all stations report the same value: no variogram")
    closest = pdist(xy).min()
    if closest <= COINCIDENT_M:
        raise KrigingError("two stations share a location: the kriging system is singular")
    model = _kriging(xy, values)
    psill, range_m, nugget = (float(p) for p in model.variogram_model_parameters)
    if len(model.lags) < MIN_LAGS:
        raise KrigingError(f"only {len(model.lags)} distance bins with station pairs (< {MIN_LAGS})")
    if psill <= MIN_STRUCTURE * (psill + nugget) or range_m <= closest:
        raise KrigingError("the fitted variogram has no spatial structure between stations "
                           f"(partial sill {psill:.3g}, range {range_m:.0f} m)")
    return model, Variogram(nugget, psill, range_m, len(model.lags))


def ordinary_kriging(xy: np.ndarray, values: np.ndarray, targets: np.ndarray) -> Kriged:
    """Estimates and kriging variances at ``targets`` (metric points)."""
    model, variogram = fit(xy, values)
    return Kriged(*_execute(model, np.asarray(targets, dtype=float)), variogram)


def leave_one_out(xy: np.ndarray, values: np.ndarray, variogram: Variogram) -> np.ndarray:
    """Each station's estimate from the other stations with ``variogram``
    (the model fitted on all stations; it is not re-fitted per fold)."""
    xy = np.asarray(xy, dtype=float)
    values = np.asarray(values, dtype=float)
    predicted = np.empty(len(values))
    for i in range(len(values)):
        others = np.arange(len(values)) != i
        model = _kriging(xy[others], values[others], variogram.parameters)
        predicted[i] = _execute(model, xy[i:i + 1])[0][0]
    return predicted


def station_mean_variance(variogram: Variogram, xy: np.ndarray, target: np.ndarray) -> float:
    """Error variance of the mean of the stations at ``xy`` taken as the value
    at ``target``: 2·mean γ(sᵢ, target) − mean γ(sᵢ, sⱼ). Never below the
    kriging variance there (kriging has the least of all unbiased weights)."""
    xy = np.asarray(xy, dtype=float)
    to_target = cdist(xy, np.asarray(target, dtype=float).reshape(1, 2))
    return float(2 * variogram(to_target).mean() - variogram(cdist(xy, xy)).mean())
