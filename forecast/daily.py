"""Bangkok days: the daily 24-hour mean (the Thai AQI basis) and its bands.

An hourly value is stamped at the END of its hour, so day D's mean covers
the stamps 01:00..24:00 Bangkok (UTC+7, no daylight saving). A mean needs
``MIN_HOURS`` of the 24 hours, as ``risk_jobs.air_quality`` requires. For an
issue time T on Bangkok date D, day-ahead k is day D + k; its first stamp is
``25 - hour(T) + 24 (k - 1)`` hours after T, so D+3 reaches up to 96 h ahead:
the daily means have models of their own rather than averaging hourly ones.
"""
from __future__ import annotations

import datetime
import functools
import math

import numpy as np
import pandas as pd

from ckanext.maemoh.risk_jobs import aqi

MIN_HOURS = 18
DAY_AHEAD = (1, 2, 3)
_DAY = np.timedelta64(1, "D")
_OFFSET = pd.Timedelta(hours=7)


def issue_day(times):
    """Bangkok date of each time as a day number (days since 1970-01-01)."""
    return ((times + _OFFSET).floor("D") - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(days=1)


def stamp_day(times):
    """The Bangkok day whose mean an hourly stamp belongs to (00:00 ends the day before)."""
    return issue_day(times - pd.Timedelta(hours=1))


def bangkok_hour(times):
    return np.asarray((times + _OFFSET).hour)


def day_end(day_number):
    """The last stamp (24:00 Bangkok) of a day number, as UTC."""
    return pd.Timestamp(0, tz="UTC") + pd.to_timedelta(np.asarray(day_number) + 1, "D") - _OFFSET


def means(times, x):
    """Daily means: (day numbers, (D, S) array); NaN with fewer than MIN_HOURS values."""
    days = np.asarray(stamp_day(times))
    frame = pd.DataFrame(x).groupby(days)
    total, count = frame.sum(min_count=1), frame.count()
    return total.index.to_numpy(), np.where(count >= MIN_HOURS, total / count.clip(lower=1), np.nan)


def target(times, x, k):
    """The day-ahead-``k`` daily mean for each issue time, (N, S)."""
    days, table = means(times, x)
    wanted = np.asarray(issue_day(times)) + k
    row = np.searchsorted(days, wanted)
    found = (row < len(days)) & (days[np.minimum(row, len(days) - 1)] == wanted)
    out = np.full((len(times), x.shape[1]), np.nan)
    out[found] = table[row[found]]
    return out


def date_of(day_number):
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day_number))


def band(pm25, date):
    """Thai AQI band (1-5) of a daily mean PM2.5 on a Bangkok ``date`` (risk_jobs.aqi)."""
    # to the 0.001 below (cached lookups); the AQI truncates to 0.1 anyway
    return _band(math.floor(max(0.0, float(pm25)) * 1000) / 1000, aqi.scheme_for(date))


@functools.lru_cache(maxsize=65536)
def _band(pm25, scheme):
    return aqi.band_of(aqi.sub_index("pm25", pm25, scheme))
