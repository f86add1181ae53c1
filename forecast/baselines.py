"""Reference forecasts the model must beat, all known at the issue time T.

* ``persistence_24h``: the value 24 h before the valid time if it is known
  at T (horizons up to 24 h and an observed value), otherwise the last known
  value at T.
* ``persistence_mean24``: the mean of the values in the last 24 hours
  (``(T - 24 h, T]``), otherwise the last known value.
* ``persistence_last``: the last known value at T (at most 72 h old), the
  plain persistence of a random walk.
* ``climatology``: the mean per station, Bangkok hour of day and month of the
  training data; a cell without data takes the all-station mean of that
  hour and month, then the station's mean.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import daily
from .features import BANGKOK_OFFSET, shift

PERSISTENCE = ("persistence_24h", "persistence_mean24", "persistence_last")


def persistence_24h(x, last, h):
    if h > 24:
        return last
    past = shift(x, 24 - h)
    return np.where(np.isnan(past), last, past)


def persistence_mean24(x, last):
    mean = pd.DataFrame(x).rolling(24, min_periods=1).mean().to_numpy()
    return np.where(np.isnan(mean), last, mean)


def daily_persistence_24h(times, x, last, k):
    """Day-ahead-``k`` mean of ``persistence_24h`` over the day's stamps.

    For k = 1 the stamps of day D up to T (``hour(T)`` of them) stand in for
    the first hours of D+1; every other stamp takes the last known value.
    """
    if k > 1:
        return last
    hours = daily.bangkok_hour(times)                    # stamps of day D so far
    filled = np.where(np.isnan(x), last, x)
    total = np.vstack([np.zeros((1, x.shape[1])), np.nancumsum(filled, axis=0)])
    end = np.arange(len(times)) + 1
    recent = total[end] - total[np.maximum(end - hours, 0)]
    return (recent + (24 - hours)[:, None] * last) / 24


def climatology_table(times, x):
    """(S, 12, 24) mean per station, month and Bangkok hour (see the module docstring)."""
    local = times + BANGKOK_OFFSET
    month, hour = np.asarray(local.month) - 1, np.asarray(local.hour)
    table = np.full((x.shape[1], 12, 24), np.nan)
    for s in range(x.shape[1]):
        frame = pd.DataFrame({"m": month, "h": hour, "v": x[:, s]}).dropna()
        cells = frame.groupby(["m", "h"])["v"].mean()
        table[s, cells.index.get_level_values(0), cells.index.get_level_values(1)] = cells.to_numpy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # a cell no station has: NaN
        pooled = np.nanmean(table, axis=0)
    table = np.where(np.isnan(table), pooled[None], table)
    station = np.nanmean(x, axis=0) if np.isfinite(x).any() else np.zeros(x.shape[1])
    return np.where(np.isnan(table), station[:, None, None], table)


def climatology(table, valid_times):
    """(N, S) climatology at ``valid_times``."""
    local = valid_times + BANGKOK_OFFSET
    month, hour = np.asarray(local.month) - 1, np.asarray(local.hour)
    return table[:, month, hour].T


def daily_climatology(table, times, k):
    """(N, S) mean climatology of day-ahead ``k``'s month (mean over its hours)."""
    days = np.asarray(daily.issue_day(times)) + k
    month = np.asarray(pd.to_datetime(days, unit="D").month) - 1
    return table.mean(axis=2)[:, month].T
