"""LightGBM models, one per hourly horizon and one per day-ahead (direct strategy).

The features are built once per issue time (``Design``) and shared by every
model; a model for horizon h adds the columns that depend on h (the value at
the same hour on the latest known day, the valid time's calendar cycles).
Models learn the change from a base known at T (hourly: the mean of the last
3 hours; daily: the mean of the last 24 hours), so a haze episode higher than
any in the training data is still followed. Models are pooled over stations,
the station being a categorical feature. Training rows are a seeded random
quarter of the issue times whose target was observed by the cutoff.
"""
from __future__ import annotations

import dataclasses
import math

import lightgbm as lgb
import numpy as np
import pandas as pd

from . import baselines, daily, drivers as drivers_module
from .features import cycles, issue_features, last_known, matrix, panel, rolling_mean, shift

PARAMS = {
    "objective": "regression", "learning_rate": 0.1, "num_leaves": 15,
    "min_data_in_leaf": 40, "feature_fraction": 0.7, "bagging_fraction": 0.8,
    "bagging_freq": 1, "lambda_l2": 1.0, "max_bin": 63, "num_threads": 2,
    "deterministic": True, "force_row_wise": True, "verbose": -1,
}
ROUNDS = 100
ROW_SHARE = 1 / 4           # share of issue times used to train
STATION = "station"


@dataclasses.dataclass
class Design:
    """Features of every issue time on the grid, with the bases and baselines' inputs."""
    data: object            # features.Panel
    drivers: object         # drivers.Drivers
    names: list
    X: np.ndarray           # (S * N, F) float32, rows station-major
    base: np.ndarray        # (N, S) hourly base (last 3 h mean, carried forward)
    base24: np.ndarray      # (N, S) daily base (persistence_mean24)
    last: np.ndarray        # (N, S) last known PM2.5

    @property
    def shape(self):
        return self.data.pm25.shape

    def rows(self, array):
        """(N, S) array as a (S * N,) column in row order."""
        return np.asarray(array).T.reshape(-1)


def design(inputs, drivers, settings, start, end):
    """Features for the issue times in ``(start, end]`` at the targets of ``drivers``."""
    targets = tuple(drivers.targets)
    data = panel(inputs, drivers, targets, start, end)
    columns = issue_features(data, drivers, settings, inputs)
    columns[STATION] = np.repeat(np.arange(len(targets), dtype=float)[None, :], len(data.times), 0)
    x = data.pm25
    last = last_known(x)
    return Design(data, drivers, list(columns), matrix(columns.values()),
                  last_known(rolling_mean(x, 3)), baselines.persistence_mean24(x, last), last)


def horizon_columns(d, h):
    """The columns that depend on the hourly horizon ``h``: (S * N, 7)."""
    n_stations = d.shape[1]
    same_hour = shift(d.data.pm25, 24 * math.ceil(h / 24) - h)
    columns = {"same_hour_last_day": same_hour,
               **cycles("valid", d.data.times + pd.Timedelta(hours=h), n_stations)}
    return list(columns), matrix(columns.values())


def day_columns(d, k):
    """The columns that depend on the day-ahead ``k``: its weekday and day of year."""
    days = pd.to_datetime(np.asarray(daily.issue_day(d.data.times)) + k, unit="D", utc=True)
    columns = {f"day_{name}": value for name, value in
               cycles("day", days - pd.Timedelta(hours=7) + pd.Timedelta(hours=12),
                      d.shape[1]).items() if "hour" not in name}
    return list(columns), matrix(columns.values())


def hourly_target(d, h):
    return shift(d.data.pm25, -h)


def daily_target(d, k):
    return daily.target(d.data.times, d.data.pm25, k)


def _params(seed):
    return {**PARAMS, "seed": seed}


def _fit_one(X, y, names, seed):
    data = lgb.Dataset(X, y, feature_name=names, categorical_feature=[STATION],
                       params={"max_bin": PARAMS["max_bin"], "verbose": -1}, free_raw_data=True)
    return lgb.train(_params(seed), data, num_boost_round=ROUNDS)


def _sample(d, seed):
    """The seeded share of rows used for training (the same for every model)."""
    rng = np.random.default_rng(seed)
    return rng.random(d.X.shape[0]) < ROW_SHARE


def train(d, cutoff, settings):
    """Boosters {"hourly": {h: Booster}, "daily": {k: Booster}} on targets observed by ``cutoff``."""
    times = d.data.times
    sample = _sample(d, settings.seed)
    base = d.rows(d.base)
    hourly = {}
    for h in range(1, settings.horizons + 1):
        known = d.rows(np.repeat((times + pd.Timedelta(hours=h) <= cutoff)[:, None], d.shape[1], 1))
        y = d.rows(hourly_target(d, h)) - base
        use = sample & known & np.isfinite(y)
        names, extra = horizon_columns(d, h)
        hourly[h] = _fit_one(np.hstack([d.X[use], extra[use]]), y[use], d.names + names,
                             settings.seed + h)
    base24 = d.rows(d.base24)
    by_day = {}
    for k in daily.DAY_AHEAD:
        ends = daily.day_end(np.asarray(daily.issue_day(times)) + k)
        known = d.rows(np.repeat((ends <= cutoff)[:, None], d.shape[1], 1))
        y = d.rows(daily_target(d, k)) - base24
        use = sample & known & np.isfinite(y)
        names, extra = day_columns(d, k)
        by_day[k] = _fit_one(np.hstack([d.X[use], extra[use]]), y[use], d.names + names,
                             settings.seed + 1000 + k)
    return {"hourly": hourly, "daily": by_day}


def predict(d, boosters, rows):
    """Model forecasts at ``rows`` (indices into the design's rows).

    Returns (hourly (len(rows), H), daily (len(rows), 3)), never below 0.
    """
    X = d.X[rows]
    base, base24 = d.rows(d.base)[rows], d.rows(d.base24)[rows]
    hourly = np.column_stack([
        base + booster.predict(np.hstack([X, horizon_columns(d, h)[1][rows]]))
        for h, booster in sorted(boosters["hourly"].items())])
    by_day = np.column_stack([
        base24 + booster.predict(np.hstack([X, day_columns(d, k)[1][rows]]))
        for k, booster in sorted(boosters["daily"].items())])
    return np.maximum(hourly, 0), np.maximum(by_day, 0)


def choose_drivers(inputs, start, end, settings):
    return drivers_module.choose(inputs, inputs.targets(), start, end, settings.min_driver_share)
