"""FIRMS fire detections as features: count and FRP per 24 h window before the issue time.

A detection counts from the end of its hour plus :data:`LATENCY_HOURS`,
when FIRMS near-real-time data have reached the platform (NASA's NRT
products arrive within about three hours of the overpass), so neither the
backtest nor the model uses a detection before it could be known. Window
``lag`` covers ``(T - 24 (lag + 1) h, T - 24 lag h]``, lag 0 being the last
24 hours. Rings are ``[0, r1), [r1, r2), ...`` km around the station; the
upwind sector holds detections within the outer ring whose bearing from the
station is within ±45° of the latest wind direction (where the wind blows
from).
"""
from __future__ import annotations

import numpy as np

from .inputs import bearing_deg, distance_km

SECTOR_HALF_WIDTH = 45.0
LATENCY_HOURS = 3
_BIN = 10.0                     # bearing bins for the upwind sector, degrees
_BINS = int(360 / _BIN)


def _window_sums(hourly, lags):
    """24 h window sums of ``hourly`` (N, ...), one (N, ...) array per lag in turn."""
    pad = np.zeros((24 * (lags + 1),) + hourly.shape[1:])
    total = np.concatenate([pad, hourly]).cumsum(axis=0)
    end = np.arange(len(hourly)) + len(pad)
    for lag in range(lags + 1):
        yield total[end - 24 * lag] - total[end - 24 * (lag + 1)]


def features(fires, stations, times, rings_km, lags, wind_from=None):
    """Fire features: name -> (N, S) array, for ``times`` (hourly grid) at ``stations``.

    ``stations``: DataFrame of latitude, longitude in the columns' order;
    ``wind_from``: (N, S) latest wind direction in degrees, or None for no
    upwind features.
    """
    n, s = len(times), len(stations)
    start = times[0]
    known = fires["time_utc"].dt.ceil("h") + np.timedelta64(LATENCY_HOURS, "h")
    inside = ((known >= start) & (known <= times[-1])).to_numpy()
    fires, known = fires[inside], known[inside]
    hour = ((known - start) // np.timedelta64(1, "h")).to_numpy(int)
    lat, lon = stations["latitude"].to_numpy(), stations["longitude"].to_numpy()
    km = distance_km(lat[None, :], lon[None, :], fires["latitude"].to_numpy()[:, None],
                     fires["longitude"].to_numpy()[:, None])           # (fires, S)
    frp = fires["frp_mw"].to_numpy()
    edges = (0.0,) + tuple(rings_km)
    out = {}
    for inner, outer in zip(edges, edges[1:]):
        ring = (km >= inner) & (km < outer)
        counts, power = np.zeros((n, s)), np.zeros((n, s))
        for j in range(s):
            np.add.at(counts[:, j], hour[ring[:, j]], 1.0)
            np.add.at(power[:, j], hour[ring[:, j]], frp[ring[:, j]])
        label = f"{inner:g}_{outer:g}km"
        for lag, (c, p) in enumerate(zip(_window_sums(counts, lags), _window_sums(power, lags))):
            out[f"fires_{label}_lag{lag}"] = c
            out[f"frp_{label}_lag{lag}"] = p
    if wind_from is not None:
        near = km < edges[-1]
        sector = (bearing_deg(lat[None, :], lon[None, :], fires["latitude"].to_numpy()[:, None],
                              fires["longitude"].to_numpy()[:, None]) // _BIN).astype(int) % _BINS
        counts, power = np.zeros((n, s, _BINS)), np.zeros((n, s, _BINS))
        for j in range(s):
            np.add.at(counts[:, j], (hour[near[:, j]], sector[near[:, j], j]), 1.0)
            np.add.at(power[:, j], (hour[near[:, j]], sector[near[:, j], j]), frp[near[:, j]])
        centres = (np.arange(_BINS) + 0.5) * _BIN
        gap = np.abs((centres[None, None, :] - np.nan_to_num(wind_from)[..., None] + 180) % 360 - 180)
        upwind = gap <= SECTOR_HALF_WIDTH                                  # (N, S, bins)
        unknown = np.isnan(wind_from)
        for lag, (c, p) in enumerate(zip(_window_sums(counts, lags), _window_sums(power, lags))):
            out[f"fires_upwind_lag{lag}"] = np.where(unknown, np.nan, (c * upwind).sum(axis=2))
            out[f"frp_upwind_lag{lag}"] = np.where(unknown, np.nan, (p * upwind).sum(axis=2))
    return out
