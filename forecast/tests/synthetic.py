"""Small synthetic inputs for the forecast tests (deterministic)."""
import numpy as np
import pandas as pd

from ckanext.maemoh.forecast import Inputs

STATIONS = pd.DataFrame({"station_id": ["A", "B", "C", "W"],
                         "latitude": [18.30, 18.40, 18.50, 18.35],
                         "longitude": [99.70, 99.75, 99.65, 99.72]})
END = pd.Timestamp("2026-03-31T17:00Z")


def frame(values, station, variable, times):
    return pd.DataFrame({"station_id": station, "variable": variable, "time_utc": times,
                         "value": values})


def series(days=120, seed=1, kind="ar", stations=("A", "B", "C"), weather=True, pm10=True,
           end=END):
    """Long observations of ``days`` hourly values ending at ``end``.

    kind "ar": a persistent log-AR(1) with a diurnal cycle (forecastable);
    "walk": a random walk (nothing beats persistence); "noise": independent
    values (nothing is forecastable, so leaks would show).
    """
    rng = np.random.default_rng(seed)
    times = pd.date_range(end=end, periods=days * 24, freq="h")
    hour = np.asarray((times + pd.Timedelta(hours=7)).hour)
    parts = []
    for j, station in enumerate(stations):
        if kind == "ar":
            e = rng.normal(0, 0.12, len(times))
            z = np.zeros(len(times))
            for i in range(1, len(times)):
                z[i] = 0.97 * z[i - 1] + e[i]
            pm = np.exp(3.2 + z + 0.25 * np.cos(2 * np.pi * (hour - 8) / 24)) + 2 * j
        elif kind == "walk":
            pm = np.abs(30 + np.cumsum(rng.normal(0, 2.0, len(times))))
        else:
            pm = rng.gamma(4.0, 8.0, len(times))
        parts.append(frame(pm, station, "pm25", times))
        if pm10:
            parts.append(frame(pm * 1.6 + rng.normal(0, 2, len(times)).clip(0), station, "pm10",
                               times))
    if weather:
        parts.append(frame(28 + 5 * np.sin(2 * np.pi * hour / 24), "W", "temperature", times))
        parts.append(frame(rng.uniform(0, 360, len(times)), "W", "wind-direction", times))
        parts.append(frame(rng.gamma(2, 1, len(times)), "W", "wind-speed", times))
    return pd.concat(parts, ignore_index=True)


def fires(days=120, seed=2, end=END):
    rng = np.random.default_rng(seed)
    n = days * 20
    return pd.DataFrame({
        "time_utc": end - pd.to_timedelta(rng.uniform(0, days * 24, n), "h"),
        "latitude": 18.4 + rng.normal(0, 1.0, n), "longitude": 99.7 + rng.normal(0, 1.0, n),
        "frp_mw": rng.gamma(2, 10, n)})


def inputs(with_fires=True, **kwargs):
    return Inputs(series(**kwargs), STATIONS, fires(kwargs.get("days", 120)) if with_fires else None)
