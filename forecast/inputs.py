"""The forecast's inputs, checked and normalised once.

Observations are hourly values stamped at the END of their hour. A time that
is not on the hour is moved to the end of its hour; values of the same
station, variable and hour are averaged. Variables other than ``VARIABLES``
and extra columns are ignored.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

PM25, PM10 = "pm25", "pm10"
METEOROLOGY = ("temperature", "relative-humidity", "wind-speed", "wind-direction", "rainfall")
VARIABLES = (PM25, PM10) + METEOROLOGY


def _columns(name, frame, required):
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}")


def _numbers(name, values):
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise ValueError(f"{name}: {int(bad.sum())} values are not numbers "
                         f"(e.g. {values[bad].iloc[0]!r})")
    return numbers


def _times(name, values):
    try:
        times = pd.to_datetime(values, format="ISO8601") if values.dtype == object \
            else pd.to_datetime(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: unparseable time ({error})") from None
    if len(times) and times.dt.tz is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive times")
    if times.isna().any():
        raise ValueError(f"{name}: {int(times.isna().sum())} rows have no time")
    return times.dt.tz_convert("UTC").astype("datetime64[ns, UTC]") if len(times) \
        else pd.Series(pd.DatetimeIndex([], tz="UTC"), index=values.index)


def utc_time(name, value):
    """``value`` as a tz-aware UTC Timestamp; ValueError if naive or not a time."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a timezone-aware time, not {value!r}") from None
    if stamp is pd.NaT or stamp.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware time, not {value!r}")
    return stamp.tz_convert("UTC")


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Observations, stations and (optionally) FIRMS fire detections.

    ``observations``: station_id, variable, time_utc (tz-aware, end of the
    hour), value. ``stations``: station_id, latitude, longitude (every station
    that has observations). ``fires``: time_utc, latitude, longitude, frp_mw,
    or None. The fields hold normalised copies; ValueError names a bad field.
    """
    observations: pd.DataFrame
    stations: pd.DataFrame
    fires: pd.DataFrame | None = None

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("stations", _stations(self.stations))
        set_("observations", _observations(self.observations, set(self.stations.index)))
        set_("fires", None if self.fires is None else _fires(self.fires))

    def until(self, time):
        """These inputs without rows after ``time`` (no look-ahead)."""
        cut = object.__new__(Inputs)
        object.__setattr__(cut, "stations", self.stations)
        object.__setattr__(cut, "observations",
                           self.observations[self.observations["time_utc"] <= time])
        object.__setattr__(cut, "fires", None if self.fires is None
                           else self.fires[self.fires["time_utc"] <= time])
        return cut

    def targets(self):
        """Stations with PM2.5 observations, sorted."""
        obs = self.observations
        return tuple(sorted(obs.loc[obs["variable"] == PM25, "station_id"].unique()))


def _stations(frame):
    _columns("stations", frame, ("station_id", "latitude", "longitude"))
    ids = frame["station_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(f"stations.station_id: duplicates {sorted(set(ids[ids.duplicated()]))}")
    table = pd.DataFrame({"latitude": _numbers("stations.latitude", frame["latitude"]).to_numpy(),
                          "longitude": _numbers("stations.longitude", frame["longitude"]).to_numpy()},
                         index=pd.Index(ids.to_numpy(), name="station_id"))
    if table.isna().any().any() or not (table["latitude"].abs() <= 90).all() \
            or not (table["longitude"].abs() <= 180).all():
        raise ValueError("stations.latitude/longitude: missing or out-of-range coordinates")
    return table


def _observations(frame, known):
    _columns("observations", frame, ("station_id", "variable", "time_utc", "value"))
    rows = frame[frame["variable"].astype(str).isin(VARIABLES)]
    value = _numbers("observations.value", rows["value"])
    rows = pd.DataFrame({"station_id": rows["station_id"].astype(str).to_numpy(),
                         "variable": rows["variable"].astype(str).to_numpy(),
                         "time_utc": _times("observations.time_utc", rows["time_utc"]).dt.ceil("h")
                         .to_numpy(),
                         "value": value.to_numpy()})
    rows = rows[rows["value"].notna()]
    unknown = sorted(set(rows["station_id"]) - known)
    if unknown:
        raise ValueError(f"observations.station_id: stations {unknown} are not in stations")
    pm = rows["variable"].isin((PM25, PM10)) & (rows["value"] < 0)
    if pm.any():
        raise ValueError(f"observations.value: {int(pm.sum())} negative PM concentrations")
    rows = (rows.groupby(["station_id", "variable", "time_utc"], as_index=False, sort=True)["value"]
            .mean())
    return rows


def _fires(frame):
    _columns("fires", frame, ("time_utc", "latitude", "longitude", "frp_mw"))
    fires = pd.DataFrame({
        "time_utc": _times("fires.time_utc", frame["time_utc"]).to_numpy(),
        "latitude": _numbers("fires.latitude", frame["latitude"]).to_numpy(),
        "longitude": _numbers("fires.longitude", frame["longitude"]).to_numpy(),
        "frp_mw": _numbers("fires.frp_mw", frame["frp_mw"]).fillna(0.0).to_numpy(),
    })
    if fires[["latitude", "longitude"]].isna().any().any():
        raise ValueError("fires.latitude/longitude: missing coordinates")
    return fires.sort_values("time_utc", ignore_index=True)


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (haversine, R = 6371 km); broadcasts."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def bearing_deg(lat1, lon1, lat2, lon2):
    """Initial bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(x, y)) % 360
