"""Thai AQI per station and hour from raw observations, and a summary per station.

Pure pandas; nothing here imports ``ckan``. The AQI itself is ``aqi.py``.

* ``period_values(observations)``: each AQI pollutant's concentration over its
  table's averaging period, per station and time.
* ``hourly_aqi(observations)``: the AQI per station and time.
* ``station_summary(observations, start, end)``: mean, maximum and latest AQI
  per station over ``[start, end)``, with notes and a method record.

``observations`` are DataStore rows: ``station_id, variable, time_utc,
averaging_period, value`` and optionally ``quality``; values in the canonical
units of ``harvesters/variables.py``. Variables other than the six AQI
pollutants are ignored.

Documented choices
------------------
Time stamps
    ``time_utc`` is the end of the averaging period; a naive time is UTC. A
    missing or unparseable time raises ValueError. The scheme (TH-2018 or
    TH-2023) follows from the Bangkok date of that end (``aqi.scheme_for``).
Quality
    Rows flagged "suspect" are excluded and counted; "unchecked", "valid" and
    a missing flag are used. Rows without a value are dropped and counted.
Native values
    A row whose averaging period is the table's (PT24H PM2.5 and PM10, PT8H
    O3 and CO, PT1H NO2 and SO2; compared as text, as ``aqi.aqi`` does) is
    used as it is.
Hourly means
    For PM2.5, PM10, O3 and CO, the PT1H rows are also averaged over the
    table's period ending at each hourly row's time t, i.e. the window
    (t − 24 h, t] or (t − 8 h, t], when at least 75 % of its hours have a
    value (18 of 24, 6 of 8); the mean is over the hours present. No mean is
    made for an hour without a reading of its own.
Decimals
    Every period value (native or mean) is rounded to 6 decimals, far below
    the tables' steps (0.1 at most), so float noise (29.999999999999996 for a
    mean of 30) never drops a value a step when it is truncated.
Precedence
    When a native value and an hourly mean share station, pollutant and time,
    the native value wins.
Ignored
    Rows with any other period (PT10M, P1D, PT8H PM2.5, ...) are ignored and
    counted. Two rows with the same station, variable, time and period (the
    DataStore key) raise ValueError, as do negative concentrations.
AQI
    Per station and time, over the pollutants with a value then: the highest
    sub-index, ties to the first in table order, exactly as ``aqi.aqi`` gives
    for the period values. With at most 6 decimals, truncation to the table's
    step is exact in integers; ``aqi.sub_index`` is then called once per
    distinct (pollutant, truncated value, scheme).
Summary
    Hourly AQI with ``start <= time_utc < end``; rows before ``start`` still
    feed the means at its beginning (pass observations from start − 24 h).
    ``dominant`` is the most frequent dominant pollutant (ties to table
    order). Stations with AQI pollutant rows but no AQI in the window are
    left out of the table and named in the notes.
"""
from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from . import aqi

HOURLY = "PT1H"
MIN_COVERAGE = 0.75
DECIMALS = 6
_UNIT = 10 ** DECIMALS
SUSPECT = "suspect"
REQUIRED = ("station_id", "variable", "time_utc", "averaging_period", "value")
KEY = ["station_id", "variable", "time_utc"]
# The same in both schemes: only the PM2.5 breakpoints differ.
TABLE_PERIOD = MappingProxyType({v: p.averaging_period
                                 for v, p in aqi.SCHEMES["TH-2023"].pollutants.items()})

RULES = MappingProxyType({
    "time": "time_utc is the end of the averaging period; naive times are UTC",
    "quality": "suspect rows excluded; unchecked, valid and missing flags used",
    "native": "rows whose averaging period is the AQI table's are used as they are",
    "hourly mean": (f"PT1H rows averaged over (t - period, t] at each hourly row's time t "
                    f"for pollutants with a longer table period, when at least "
                    f"{MIN_COVERAGE:.0%} of the hours have a value (18 of 24, 6 of 8)"),
    "decimals": f"period values rounded to {DECIMALS} decimals",
    "precedence": "a native value wins over an hourly mean at the same station, pollutant and time",
    "ignored": "rows with any other averaging period",
    "aqi": "highest sub-index (aqi.aqi), scheme by the Bangkok date of time_utc",
    "window": "hourly AQI with start <= time_utc < end",
})

PERIOD_COLUMNS = ["station_id", "variable", "time_utc", "value", "source"]
AQI_COLUMNS = ["station_id", "time_utc", "aqi", "band", "dominant", "scheme"]
SUMMARY_COLUMNS = ["aqi_mean", "aqi_max", "aqi_latest", "time_latest_utc", "hours",
                   "dominant", "schemes"]


@dataclasses.dataclass(frozen=True)
class _Input:
    rows: pd.DataFrame          # usable AQI pollutant rows, times in UTC
    stations: tuple[str, ...]   # every station with an AQI pollutant row
    counts: dict[str, int]      # rows excluded, by reason
    other_periods: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class StationAQI:
    """AQI per station over ``[start_utc, end_utc)``: ``table`` indexed by
    ``station_id`` (``SUMMARY_COLUMNS``), with notes and what was excluded."""

    table: pd.DataFrame
    notes: tuple[str, ...]
    start_utc: pd.Timestamp
    end_utc: pd.Timestamp
    counts: dict[str, int]
    stations_without_aqi: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        """JSON-serialisable summary (for the method record), without values."""
        return {
            "method": "Thai AQI (Pollution Control Department) per station and hour",
            "start_utc": self.start_utc.isoformat(),
            "end_utc": self.end_utc.isoformat(),
            "rules": dict(RULES),
            "counts": {**self.counts, "stations": len(self.table),
                       "hours": int(self.table["hours"].sum())},
            "schemes": sorted({s for text in self.table["schemes"] for s in text.split(",")}),
            "stations_without_aqi": list(self.stations_without_aqi),
            "notes": list(self.notes),
        }


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _times_utc(values: pd.Series) -> pd.Series:
    """``values`` as UTC times; missing or unparseable ones raise ValueError."""
    try:
        if pd.api.types.is_datetime64_any_dtype(values):
            times = pd.to_datetime(values, utc=True)
        else:
            times = pd.to_datetime(values, utc=True, format="ISO8601")
    except (TypeError, ValueError) as error:
        raise ValueError(f"time_utc: unparseable time ({error})") from None
    if times.isna().any():
        raise ValueError(f"time_utc: {int(times.isna().sum())} rows have no time")
    return times


def _read(observations: pd.DataFrame) -> _Input:
    """The usable AQI pollutant rows of ``observations`` and what was left out.

    ``rows``: ``station_id, variable`` (categorical), ``time_utc``, ``value``
    and ``native`` (False: a PT1H value of a pollutant with a longer period).
    """
    missing = [c for c in REQUIRED if c not in observations.columns]
    if missing:
        raise ValueError(f"observations lack columns {missing}")
    obs = observations[observations["variable"].astype(str).isin(TABLE_PERIOD)]
    variable = obs["variable"].astype(str)
    period = obs["averaging_period"].astype(str).to_numpy(object)
    native = period == variable.map(TABLE_PERIOD).to_numpy(object)
    quality = obs["quality"] if "quality" in obs else pd.Series(None, obs.index, dtype=object)
    suspect = (quality == SUSPECT).to_numpy(bool)
    value = pd.to_numeric(obs["value"], errors="coerce").astype(float)
    no_value = ~suspect & value.isna().to_numpy()
    other = ~suspect & ~no_value & ~native & (period != HOURLY)
    used = ~suspect & ~no_value & ~other
    rows = pd.DataFrame({
        "station_id": obs["station_id"].astype(str).astype("category"),
        "variable": pd.Categorical(variable, categories=aqi.VARIABLE_ORDER),
        "time_utc": _times_utc(obs["time_utc"]),
        "value": value,
        "native": native,
    })
    stations = tuple(sorted(rows["station_id"].unique().astype(str)))
    rows = rows[used]
    duplicated = rows.duplicated(KEY + ["native"])
    if duplicated.any():
        raise ValueError(f"{int(duplicated.sum())} duplicate rows (same station_id, variable, "
                         "time_utc and averaging_period)")
    negative = rows["value"] < 0
    if negative.any():
        raise ValueError(f"negative concentrations at stations "
                         f"{sorted(rows.loc[negative, 'station_id'].unique().astype(str))}")
    counts = {"suspect": int(suspect.sum()), "no_value": int(no_value.sum()),
              "other_period": int(other.sum())}
    return _Input(rows, stations, counts, tuple(sorted(set(period[other]))))


def _hourly_means(hourly: pd.DataFrame, period: str) -> pd.DataFrame:
    """Means of PT1H ``hourly`` rows over ``period`` ending at each row's time."""
    width = pd.Timedelta(period)
    need = math.ceil(MIN_COVERAGE * (width / pd.Timedelta(HOURLY)))
    return (hourly.sort_values("time_utc")
            .groupby(["station_id", "variable"], observed=True)
            .rolling(width, on="time_utc", min_periods=need)["value"].mean()
            .dropna().reset_index())


def _period_values(rows: pd.DataFrame) -> pd.DataFrame:
    """``period_values`` of ``_read`` rows, with categorical station and variable."""
    parts = [rows[rows["native"]].assign(source="native")]
    hourly = rows[~rows["native"]]
    table_period = hourly["variable"].map(TABLE_PERIOD).astype(str)
    for period, group in hourly.groupby(table_period):
        parts.append(_hourly_means(group, period).assign(source="hourly mean"))
    values = pd.concat(parts, ignore_index=True)[PERIOD_COLUMNS]
    values = values.drop_duplicates(KEY, keep="first")     # native first: it wins
    values["value"] = values["value"].round(DECIMALS)
    return values.sort_values(KEY, ignore_index=True)


def _text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.astype({c: str for c in columns})


def period_values(observations: pd.DataFrame) -> pd.DataFrame:
    """Each AQI pollutant's value over its table's averaging period, per station
    and time: ``station_id, variable, time_utc, value, source`` ("native" or
    "hourly mean"). See the module docstring for the rules."""
    return _text(_period_values(_read(observations).rows), ["station_id", "variable"])


def _sub_indices(values: pd.DataFrame) -> pd.Series:
    """``aqi.sub_index`` of every row, once per distinct truncated value.

    Values have at most ``DECIMALS`` decimals: in millionths they are
    integers, and truncation to the table's step is integer division.
    """
    result = pd.Series(0, index=values.index)
    for (variable, scheme), group in values.groupby(["variable", "scheme"], observed=True):
        step = int(aqi.SCHEMES[scheme].pollutants[variable].step * _UNIT)
        units = np.rint(group["value"].to_numpy() * _UNIT).astype(np.int64) // step * step
        distinct, position = np.unique(units, return_inverse=True)
        indices = [aqi.sub_index(variable, Decimal(int(u)).scaleb(-DECIMALS), scheme)
                   for u in distinct]
        result[group.index] = np.asarray(indices)[position]
    return result


def _hourly_aqi(values: pd.DataFrame) -> pd.DataFrame:
    """``hourly_aqi`` of ``_period_values``."""
    if values.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in zip(
            AQI_COLUMNS, (str, "datetime64[us, UTC]", int, int, str, str))})
    times = values["time_utc"].drop_duplicates()
    scheme = dict(zip(times, (aqi.scheme_for(t.to_pydatetime()) for t in times)))
    values = values.assign(scheme=values["time_utc"].map(scheme).astype(str))
    values = values.assign(sub_index=_sub_indices(values))
    wide = values.pivot(index=["station_id", "time_utc", "scheme"], columns="variable",
                        values="sub_index")
    wide = wide.reindex(columns=[v for v in aqi.VARIABLE_ORDER if v in wide.columns])
    table = pd.DataFrame({"aqi": wide.max(axis=1).astype(int),
                          "dominant": wide.idxmax(axis=1).astype(str)}).reset_index()
    bands = {v: aqi.band_of(v) for v in table["aqi"].unique().tolist()}
    return table.assign(band=table["aqi"].map(bands).astype(int))[AQI_COLUMNS]


def hourly_aqi(observations: pd.DataFrame) -> pd.DataFrame:
    """The Thai AQI per station and time at which any pollutant has a period
    value: ``station_id, time_utc, aqi, band, dominant, scheme``."""
    return _text(_hourly_aqi(_period_values(_read(observations).rows)), ["station_id"])


def _most_frequent(dominant: pd.Series) -> str:
    counts = dominant.value_counts()
    return min(counts.index[counts == counts.max()], key=aqi.VARIABLE_ORDER.index)


def _summarise(hourly: pd.DataFrame) -> pd.DataFrame:
    by_station = hourly.sort_values("time_utc").groupby("station_id")
    table = pd.DataFrame({
        "aqi_mean": by_station["aqi"].mean().astype(float),
        "aqi_max": by_station["aqi"].max(),
        "aqi_latest": by_station["aqi"].last(),
        "time_latest_utc": by_station["time_utc"].last(),
        "hours": by_station.size(),
        "dominant": by_station["dominant"].agg(_most_frequent),
        "schemes": by_station["scheme"].agg(lambda s: ",".join(sorted(set(s)))),
    }, columns=SUMMARY_COLUMNS)
    table.index.name = "station_id"
    return table


def station_summary(observations: pd.DataFrame, start: Any, end: Any) -> StationAQI:
    """Mean, maximum and latest hourly AQI per station with ``start <= time_utc < end``.

    ``start``/``end``: datetimes or timestamps, naive = UTC; ValueError unless
    ``start < end``. Pass observations from ``start − 24 h`` so that the means
    at the start of the window are complete.
    """
    t0, t1 = _utc(start), _utc(end)
    if not t0 < t1:
        raise ValueError("AQI window: start must be before end")
    data = _read(observations)
    hourly = _text(_hourly_aqi(_period_values(data.rows)), ["station_id"])
    table = _summarise(hourly[(hourly["time_utc"] >= t0) & (hourly["time_utc"] < t1)])
    without = tuple(s for s in data.stations if s not in table.index)
    notes = []
    if not data.stations:
        notes.append("no observations of AQI pollutants")
    if data.counts["suspect"]:
        notes.append(f"{data.counts['suspect']} suspect rows excluded")
    if data.counts["no_value"]:
        notes.append(f"{data.counts['no_value']} rows without a value dropped")
    if data.counts["other_period"]:
        notes.append(f"{data.counts['other_period']} rows with another averaging period "
                     f"ignored ({', '.join(data.other_periods)})")
    if without:
        notes.append(f"no AQI in the window for stations {', '.join(without)}")
    return StationAQI(table, tuple(notes), t0, t1, dict(data.counts), without)
