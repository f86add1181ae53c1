"""Features known at the issue time T, on an hourly grid of the PM2.5 stations.

Everything is an (N hours, S stations) array built with backward-looking
shifts and rolling windows only, so a feature at T never sees a value stamped
after T. ``matrix`` stacks them into rows ``s * N + i`` (station-major).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import fires as fire_features
from .inputs import PM10, PM25

BANGKOK_OFFSET = pd.Timedelta(hours=7)
LAGS = (1, 2, 3, 6, 12, 24)
MEANS = (3, 6, 24, 72)
STALE_HOURS = 72            # a "last known value" older than this is unknown


@dataclasses.dataclass(frozen=True)
class Panel:
    """Hourly series of the target stations: ``values[variable]`` is (N, S)."""
    times: pd.DatetimeIndex
    targets: tuple
    values: dict

    @property
    def pm25(self):
        return self.values[PM25]


def panel(inputs, drivers, targets, start, end):
    """The hourly grid ``(start, end]`` (whole hours) with PM2.5 and each driver's series."""
    times = pd.date_range(start.ceil("h"), end.floor("h"), freq="h", name="time_utc")
    obs = inputs.observations
    obs = obs[(obs["time_utc"] >= times[0]) & (obs["time_utc"] <= times[-1])]
    wide = {variable: group.pivot(index="time_utc", columns="station_id", values="value")
            .reindex(times) for variable, group in obs.groupby("variable")}
    values = {PM25: wide[PM25].reindex(columns=list(targets)).to_numpy(float)}
    for variable, sources in drivers.sources.items():
        table = wide.get(variable, pd.DataFrame(index=times))
        values[variable] = table.reindex(columns=[sources.get(t) for t in targets]).to_numpy(float)
    return Panel(times, tuple(targets), values)


def _frame(array):
    return pd.DataFrame(array)


def rolling_mean(x, hours):
    return _frame(x).rolling(hours, min_periods=max(1, hours // 4)).mean().to_numpy()


def last_known(x):
    """The latest value at or before each hour, at most ``STALE_HOURS`` old."""
    return _frame(x).ffill(limit=STALE_HOURS).to_numpy()


def shift(x, hours):
    """``x`` moved ``hours`` later (positive: the past value), NaN where unknown."""
    out = np.full_like(x, np.nan)
    if hours >= 0:
        out[hours:] = x[:len(x) - hours]
    else:
        out[:hours] = x[-hours:]
    return out


def cycles(name, stamps, n_stations):
    """Bangkok hour, weekday and day of year of ``stamps`` as sin/cos, (N, S) each."""
    local = stamps + BANGKOK_OFFSET
    out = {}
    for part, value, period in (("hour", local.hour, 24), ("weekday", local.day_of_week, 7),
                                ("doy", local.day_of_year - 1, 365.25)):
        angle = 2 * np.pi * np.asarray(value, float) / period
        out[f"{name}_{part}_sin"] = np.repeat(np.sin(angle)[:, None], n_stations, axis=1)
        out[f"{name}_{part}_cos"] = np.repeat(np.cos(angle)[:, None], n_stations, axis=1)
    return out


def _pm(prefix, x, full):
    out = {f"{prefix}_last": x, f"{prefix}_known": last_known(x)}
    for hours in MEANS if full else (3, 24):
        out[f"{prefix}_mean{hours}"] = rolling_mean(x, hours)
    if full:
        for lag in LAGS:
            out[f"{prefix}_lag{lag}"] = shift(x, lag)
        out[f"{prefix}_max24"] = _frame(x).rolling(24, min_periods=6).max().to_numpy()
    out[f"{prefix}_change24"] = x - shift(x, 24)
    return out


def issue_features(data, drivers, settings, inputs):
    """Features at every hour of ``data`` (a Panel): name -> (N, S) array."""
    values, n_stations = data.values, len(data.targets)
    out = _pm("pm25", data.pm25, full=True)
    if PM10 in values:
        out.update(_pm("pm10", values[PM10], full=False))
    for variable in ("temperature", "relative-humidity", "wind-speed"):
        if variable in values:
            name = variable.replace("-", "_")
            out[f"{name}_last"] = values[variable]
            out[f"{name}_mean6"] = rolling_mean(values[variable], 6)
    wind_from = None
    if "wind-direction" in values:
        radians = np.radians(values["wind-direction"])
        for part, fn in (("sin", np.sin), ("cos", np.cos)):
            out[f"wind_from_{part}_last"] = fn(radians)
            out[f"wind_from_{part}_mean6"] = rolling_mean(fn(radians), 6)
        if "wind-speed" in values:
            out["wind_u_last"] = -values["wind-speed"] * np.sin(radians)
            out["wind_v_last"] = -values["wind-speed"] * np.cos(radians)
        wind_from = _frame(values["wind-direction"]).ffill(limit=6).to_numpy()
    if "rainfall" in values:
        rain = _frame(values["rainfall"])
        out["rainfall_sum3"] = rain.rolling(3, min_periods=1).sum().to_numpy()
        out["rainfall_sum24"] = rain.rolling(24, min_periods=6).sum().to_numpy()
    out.update(cycles("issue", data.times, n_stations))
    if drivers.fires:
        out.update(fire_features.features(
            inputs.fires, inputs.stations.loc[list(data.targets)], data.times,
            settings.rings_km, settings.fire_lag_days,
            wind_from if drivers.upwind else None))
    return out


def matrix(columns):
    """Stack (N, S) arrays into a float32 (S * N, F) matrix, rows station-major."""
    return np.stack([np.asarray(a, np.float32).T.reshape(-1) for a in columns], axis=1)
