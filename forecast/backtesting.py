"""Rolling-origin backtest with periodic refits.

Origins are ``start, start + refit_days, ...`` up to ``end``; at each origin
the models are trained on everything before it (targets observed by then)
and forecast every hourly issue time of the window up to the next origin.
When history allows, one more window before ``start`` ("warm-up") is
forecast too, only to calibrate the intervals of the first scored window.
Each window's intervals are calibrated on the residuals of the earlier
windows that were observed by its origin (split conformal, the calibration
slice being the most recent out-of-sample part). Drivers are chosen from the
data before the first origin. Only rows with ``time_utc <= end`` are read.

Scores per hourly horizon and per day-ahead: MAE, RMSE, bias (forecast minus
observed) of the model; RMSE of the three persistences and climatology
(``baselines``); skill (1 - RMSE / RMSE of the best persistence, and of
climatology); coverage of
the model's and the best persistence's intervals; for day-aheads, hit rate
and false-alarm ratio of the daily mean above 37.5 µg/m³ (the Thai 24-h
standard) and at or above 75.1 µg/m³ (band 5), and the share of forecasts
in the right Thai AQI band over the last 90 days (every hourly issue of
every station counts; ``right_band_days`` is the number of calendar days
they cover, what residents read as "over the last N days"). A lead publishes the
model only where its RMSE is at least 2 % below the best persistence's
(a smaller gain is noise); otherwise that persistence.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import baselines, conformal, daily, engine
from .inputs import utc_time
from .settings import Settings

MIN_TRAIN_DAYS = 14
CHOICE_MARGIN = 0.02        # the model must cut the best persistence's RMSE by 2 %
THRESHOLDS = ((">37.5", lambda x: x > 37.5), (">=75.1", lambda x: x >= 75.1))
RIGHT_BAND_DAYS = 90
METHODS = ("model",) + baselines.PERSISTENCE + ("climatology",)


@dataclasses.dataclass
class Result:
    scores: pd.DataFrame        # one row per (kind, lead), kind "hour" or "day"
    choice: dict                # {"hour": {h: (choice, persistence kind)}, "day": {k: ...}}
    calibration: dict           # {"hour": {method: {h: quantiles}}, "day": {...}}
    drivers: object
    windows: list               # origins as ISO text; the first is the warm-up if any
    warm_up: bool


def _origins(first, start, end, refit_days):
    step = pd.Timedelta(days=refit_days)
    origins = list(pd.date_range(start, end, freq=step, inclusive="left"))
    warm = start - step
    warm_up = (warm - first) >= pd.Timedelta(days=MIN_TRAIN_DAYS)
    return ([warm] if warm_up else []) + origins, warm_up


def _forecasts(d, boosters, rows, cutoff_index, settings):
    """Model and reference forecasts at ``rows``: {method: (hourly (R, H), daily (R, 3))}."""
    x, last, times = d.data.pm25, d.last, d.data.times
    model = engine.predict(d, boosters, rows)
    table = baselines.climatology_table(times[:cutoff_index + 1], x[:cutoff_index + 1])
    rows_of = d.rows
    horizons = range(1, settings.horizons + 1)
    p24 = np.column_stack([rows_of(baselines.persistence_24h(x, last, h))[rows] for h in horizons])
    mean24 = np.repeat(rows_of(d.base24)[rows][:, None], len(horizons), axis=1)
    clim = np.column_stack([rows_of(baselines.climatology(table, times + pd.Timedelta(hours=h)))[rows]
                            for h in horizons])
    p24_day = np.column_stack([rows_of(baselines.daily_persistence_24h(times, x, last, k))[rows]
                               for k in daily.DAY_AHEAD])
    clim_day = np.column_stack([rows_of(baselines.daily_climatology(table, times, k))[rows]
                                for k in daily.DAY_AHEAD])
    mean24_day = np.repeat(rows_of(d.base24)[rows][:, None], len(daily.DAY_AHEAD), axis=1)
    last_rows = rows_of(last)[rows][:, None]
    return {"model": model, "persistence_24h": (p24, p24_day),
            "persistence_mean24": (mean24, mean24_day),
            "persistence_last": (np.repeat(last_rows, len(horizons), axis=1),
                                 np.repeat(last_rows, len(daily.DAY_AHEAD), axis=1)),
            "climatology": (clim, clim_day)}


def _observed(d, rows, settings):
    hourly = np.column_stack([d.rows(engine.hourly_target(d, h))[rows]
                              for h in range(1, settings.horizons + 1)])
    by_day = np.column_stack([d.rows(engine.daily_target(d, k))[rows] for k in daily.DAY_AHEAD])
    return hourly, by_day


def _known_at(d, rows, settings):
    """When each target is observed: hourly (R, H) and daily (R, 3) UTC nanoseconds."""
    issue = np.tile(d.data.times.asi8, d.shape[1])[rows]
    hour = np.int64(3600 * 10 ** 9)
    hourly = issue[:, None] + hour * np.arange(1, settings.horizons + 1)[None, :]
    days = np.tile(np.asarray(daily.issue_day(d.data.times)), d.shape[1])[rows]
    by_day = np.column_stack([daily.day_end(days + k).asi8 for k in daily.DAY_AHEAD])
    return hourly, by_day


def _stack(parts):
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def run(inputs, settings, start, end):
    """The backtest's forecasts, scores, per-lead choice and conformal calibration."""
    start, end = utc_time("start", start).ceil("h"), utc_time("end", end).floor("h")
    if not start < end:
        raise ValueError("backtest: start must be before end")
    inputs = inputs.until(end)
    pm = inputs.observations[inputs.observations["variable"] == "pm25"]
    if pm.empty:
        raise ValueError("observations: no pm25 values to forecast")
    first = pm["time_utc"].min()
    if start - first < pd.Timedelta(days=MIN_TRAIN_DAYS):
        raise ValueError(f"backtest: start must be at least {MIN_TRAIN_DAYS} days after the "
                         f"first pm25 value ({first.isoformat()})")
    origins, warm_up = _origins(first, start, end, settings.refit_days)
    drivers = engine.choose_drivers(inputs, first, origins[0], settings)
    d = engine.design(inputs, drivers, settings, first - pd.Timedelta(hours=1), end)
    issue = np.tile(d.data.times.asi8, d.shape[1])
    parts = []
    for j, origin in enumerate(origins):
        stop = origins[j + 1] if j + 1 < len(origins) else end + pd.Timedelta(hours=1)
        rows = np.flatnonzero((issue >= origin.value) & (issue < stop.value))
        boosters = engine.train(d, origin, settings)
        cutoff_index = int(np.searchsorted(d.data.times.asi8, origin.value, side="right")) - 1
        forecasts = _forecasts(d, boosters, rows, cutoff_index, settings)
        observed = _observed(d, rows, settings)
        known = _known_at(d, rows, settings)
        for k, kind in enumerate(("hour", "day")):
            part = {"y": observed[k], "known": known[k], "window": np.full(len(rows), j),
                    "row": rows}
            part.update({m: forecasts[m][k] for m in METHODS})
            parts.append((kind, part))
    data = {kind: _stack([p for kd, p in parts if kd == kind]) for kind in ("hour", "day")}
    _intervals(data, origins, settings)
    scores, choice = _scores(data, d, warm_up, end, settings)
    calibration = {kind: _calibration(data[kind], end.value, settings) for kind in data}
    return Result(scores, choice, calibration, drivers, [o.isoformat() for o in origins], warm_up)


def _intervals(data, origins, settings):
    """Each window's conformal intervals from earlier windows' residuals known by its origin."""
    for kind, part in data.items():
        for method in ("model",) + baselines.PERSISTENCE:
            for level in settings.levels:
                part[(method, level)] = np.full(part[method].shape + (2,), np.nan)
        for j, origin in enumerate(origins):
            now = part["window"] == j
            before = (part["window"] < j)[:, None] & (part["known"] <= origin.value)
            for method in ("model",) + baselines.PERSISTENCE:
                scaled = conformal.residuals(part["y"], part[method])
                for lead in range(part[method].shape[1]):
                    q = conformal.quantiles(scaled[before[:, lead], lead], settings.levels)
                    if q is None:
                        continue
                    for level in settings.levels:
                        low, high = conformal.interval(part[method][now, lead], q[level])
                        part[(method, level)][now, lead] = np.column_stack([low, high])


def _calibration(part, end_ns, settings):
    """{method: {lead: quantiles}} from every window's residuals known by the end."""
    known = part["known"] <= end_ns
    out = {}
    for method in ("model",) + baselines.PERSISTENCE:
        scaled = conformal.residuals(part["y"], part[method])
        out[method] = {lead + 1: conformal.quantiles(scaled[known[:, lead], lead], settings.levels)
                       for lead in range(scaled.shape[1])}
    return out


def _rmse(error):
    return float(np.sqrt(np.mean(error ** 2))) if len(error) else float("nan")


def _share(flags):
    return float(np.mean(flags)) if len(flags) else float("nan")


def _scores(data, d, warm_up, end, settings):
    rows_out, choice = [], {"hour": {}, "day": {}}
    for kind, part in data.items():
        scored = part["window"] >= (1 if warm_up else 0)
        for lead in range(part["y"].shape[1]):
            ok = scored & np.isfinite(part["y"][:, lead])
            y = part["y"][ok, lead]
            f = {m: part[m][ok, lead] for m in METHODS}
            rmse = {m: _rmse(f[m] - y) for m in METHODS}
            best = min(baselines.PERSISTENCE, key=lambda m: (np.nan_to_num(rmse[m], nan=np.inf), m))
            better = rmse["model"] < (1 - CHOICE_MARGIN) * rmse[best]
            choice[kind][lead + 1] = ("model" if better else "persistence", best)
            row = {"kind": kind, "lead": lead + 1, "n": int(ok.sum()),
                   "mae": float(np.mean(np.abs(f["model"] - y))) if len(y) else float("nan"),
                   "rmse": rmse["model"],
                   "bias": float(np.mean(f["model"] - y)) if len(y) else float("nan"),
                   **{f"rmse_{m}": rmse[m] for m in METHODS[1:]},
                   "persistence": best,
                   "skill_persistence": 1 - rmse["model"] / rmse[best] if rmse[best] else float("nan"),
                   "skill_climatology": (1 - rmse["model"] / rmse["climatology"]
                                         if rmse["climatology"] else float("nan")),
                   "choice": choice[kind][lead + 1][0]}
            for level in settings.levels:
                tag = f"{level * 100:g}"
                for method, name in (("model", "coverage"), (best, "coverage_persistence")):
                    bounds = part[(method, level)][ok, lead]
                    has = np.isfinite(bounds[:, 0])
                    inside = (y[has] >= bounds[has, 0]) & (y[has] <= bounds[has, 1])
                    row[f"{name}_{tag}"] = _share(inside)
            if kind == "day":
                row.update(_day_scores(part, ok, lead, d, end))
            rows_out.append(row)
    return pd.DataFrame(rows_out), choice


def _day_scores(part, ok, lead, d, end):
    y, f = part["y"][ok, lead], part["model"][ok, lead]
    out = {}
    for name, event in THRESHOLDS:
        seen, said = event(y), event(f)
        hits = int(np.sum(seen & said))
        out[f"hit_rate_{name}"] = hits / int(seen.sum()) if seen.any() else float("nan")
        out[f"false_alarm_{name}"] = 1 - hits / int(said.sum()) if said.any() else float("nan")
        out[f"events_{name}"] = int(seen.sum())
    known = part["known"][ok, lead]                 # the day's end, 24:00 Bangkok
    day_number = (known + pd.Timedelta(hours=7).value) // pd.Timedelta(days=1).value - 1
    recent = known > (end - pd.Timedelta(days=RIGHT_BAND_DAYS)).value
    dates = [daily.date_of(n) for n in day_number[recent]]
    bands = [(daily.band(a, t), daily.band(b, t)) for a, b, t in zip(f[recent], y[recent], dates)]
    out["right_band_share"] = _share([a == b for a, b in bands])
    out["right_band_days"] = len({t.toordinal() for t in dates})
    return out


def backtest(inputs, settings, start, end):
    """Scores of a rolling-origin backtest over ``[start, end]`` (see the module docstring)."""
    if not isinstance(settings, Settings):
        raise ValueError(f"settings must be a Settings, not {type(settings).__name__}")
    return run(inputs, settings, start, end).scores
