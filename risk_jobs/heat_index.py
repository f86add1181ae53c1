"""The heat index (apparent temperature) from air temperature and relative
humidity, by the US National Weather Service's equation (Rothfusz 1990, NWS
SR 90-23, a fit to Steadman's 1979 tables; wpc.ncep.noaa.gov "The Heat Index
Equation"), the method the Thai Meteorological Department's heat index
follows (Steadman 1979a). Pure numpy; nothing here imports ``ckan``.

The regression is not valid far outside Steadman's data (very hot and very
dry or humid air); values there are computed all the same and should be read
as "extreme".
"""
from __future__ import annotations

import numpy as np


def heat_index_c(temperature_c, relative_humidity) -> np.ndarray:
    """Heat index in °C for temperatures in °C and relative humidity in %."""
    t = np.asarray(temperature_c, dtype=float) * 9.0 / 5.0 + 32.0
    rh = np.asarray(relative_humidity, dtype=float)
    if np.any((rh < 0) | (rh > 100)):
        raise ValueError("relative humidity must be 0-100 %")
    simple = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094)
    full = (-42.379 + 2.04901523 * t + 10.14333127 * rh - 0.22475541 * t * rh
            - 0.00683783 * t * t - 0.05481717 * rh * rh + 0.00122874 * t * t * rh
            + 0.00085282 * t * rh * rh - 0.00000199 * t * t * rh * rh)
    dry = (rh < 13) & (t >= 80) & (t <= 112)
    with np.errstate(invalid="ignore"):
        full = full - np.where(dry, (13 - rh) / 4 * np.sqrt((17 - np.abs(t - 95)) / 17), 0.0)
    full = full + np.where((rh > 85) & (t >= 80) & (t <= 87), (rh - 85) / 10 * (87 - t) / 5, 0.0)
    f = np.where((simple + t) / 2 >= 80, full, simple)
    return (f - 32.0) * 5.0 / 9.0
