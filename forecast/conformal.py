"""Split-conformal intervals from out-of-sample residuals, per horizon.

Residuals are signed and scaled by the forecast's level, ``(y - f) / (f + K)``
with ``K = 10 µg/m³``, so intervals widen with the level (PM2.5 errors grow
in a haze episode) and may be asymmetric. For a central level L the bounds
are the residual quantiles at (1 - L)/2 and (1 + L)/2, pushed outwards by the
finite-sample correction (n + 1)/n. The interval always contains the point
forecast and never goes below 0.
"""
from __future__ import annotations

import numpy as np

K = 10.0
MIN_PAIRS = 30


def residuals(y, forecast):
    return (y - forecast) / (np.maximum(forecast, 0) + K)


def quantiles(scaled, levels):
    """{level: (low, high)} of scaled residuals, or None with fewer than MIN_PAIRS."""
    scaled = np.asarray(scaled, float)
    scaled = scaled[np.isfinite(scaled)]
    n = len(scaled)
    if n < MIN_PAIRS:
        return None
    out = {}
    for level in levels:
        upper = min(1.0, (1 + level) / 2 * (n + 1) / n)
        out[level] = (float(np.quantile(scaled, 1 - upper, method="lower")),
                      float(np.quantile(scaled, upper, method="higher")))
    return out


def interval(forecast, bounds):
    """(low, high) arrays around ``forecast`` for one level's ``bounds``."""
    scale = np.maximum(forecast, 0) + K
    low = np.maximum(np.minimum(forecast + bounds[0] * scale, forecast), 0)
    high = np.maximum(forecast + bounds[1] * scale, forecast)
    return low, np.maximum(high, 0)
