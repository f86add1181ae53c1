"""``fit`` a forecast model, ``Model.predict`` an issue, store it with ``dumps``/``loads``.

With less PM2.5 history than ``Settings.min_history_days`` (or too little for
a backtest) no model is trained: the forecast is persistence for the level
(the mean of the last 24 hours) plus each station's mean hour-of-day profile
of the available history for the shape ("persistence-climatology"), with
intervals from the spread of that forecast's errors over the history; a
lead with fewer than 30 error pairs takes the widest interval of the other
leads, widened by half.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import math

import lightgbm
import numpy as np
import pandas as pd
import sklearn

from . import backtesting as backtest_module, baselines, conformal, daily, engine
from .drivers import Drivers
from .features import BANGKOK_OFFSET
from .inputs import Inputs, utc_time
from .settings import Settings, quantile_names

FORMAT = 1
LOOKBACK = pd.Timedelta(days=12)        # history read to forecast one issue
WIDEN = 1.5
FALLBACK = "persistence-climatology"


def _plain(value):
    """JSON-safe copy: NaN -> None, numpy scalars -> Python numbers, keys -> text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer, bool, np.bool_)):
        return value.item() if hasattr(value, "item") else value
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    return value


def _check(inputs, settings):
    if not isinstance(inputs, Inputs):
        raise ValueError(f"inputs must be an Inputs, not {type(inputs).__name__}")
    if not isinstance(settings, Settings):
        raise ValueError(f"settings must be a Settings, not {type(settings).__name__}")


@dataclasses.dataclass(frozen=True)
class Forecast:
    """``hourly``, ``daily`` tables and the ``record`` of one issue."""
    hourly: pd.DataFrame
    daily: pd.DataFrame
    record: dict


@dataclasses.dataclass
class Model:
    """A fitted forecast (LightGBM boosters or the short-history fallback)."""
    settings: Settings
    record: dict
    drivers: Drivers
    boosters: dict | None           # {"hourly": {h: Booster}, "daily": {k: Booster}}
    calibration: dict               # {"hour"|"day": {method: {lead: {level: (lo, hi)}}}}
    choice: dict                    # {"hour"|"day": {lead: ("model"|"persistence", kind)}}
    shape: dict | None = None       # fallback: station -> 24 Bangkok-hour anomalies

    def dumps(self):
        """The model as gzip-compressed JSON bytes (boosters as LightGBM model text)."""
        boosters = None if self.boosters is None else {
            kind: {str(lead): b.model_to_string() for lead, b in by_lead.items()}
            for kind, by_lead in self.boosters.items()}
        data = {"format": FORMAT, "settings": self.settings.as_dict(), "record": self.record,
                "drivers": self.drivers.as_dict(), "boosters": boosters,
                "calibration": _plain(self.calibration), "choice": _plain(self.choice),
                "shape": self.shape}
        return gzip.compress(json.dumps(data, sort_keys=True).encode(), mtime=0)

    @classmethod
    def loads(cls, blob):
        try:
            data = json.loads(gzip.decompress(blob))
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(f"not a stored forecast model ({error})") from None
        if data.get("format") != FORMAT:
            raise ValueError(f"stored model format {data.get('format')!r}, expected {FORMAT}")
        boosters = None if data["boosters"] is None else {
            kind: {int(lead): lightgbm.Booster(model_str=text) for lead, text in by_lead.items()}
            for kind, by_lead in data["boosters"].items()}
        calibration = {kind: {m: {int(lead): None if q is None else
                                  {float(level): tuple(b) for level, b in q.items()}
                                  for lead, q in by_lead.items()}
                              for m, by_lead in methods.items()}
                       for kind, methods in data["calibration"].items()}
        choice = {kind: {int(lead): tuple(c) for lead, c in by_lead.items()}
                  for kind, by_lead in data["choice"].items()}
        return cls(Settings(**data["settings"]), data["record"], Drivers.from_dict(data["drivers"]),
                   boosters, calibration, choice, data["shape"])

    def predict(self, inputs, issued_at):
        """The forecast issued at ``issued_at`` from rows with ``time_utc <= issued_at``."""
        if not isinstance(inputs, Inputs):
            raise ValueError(f"inputs must be an Inputs, not {type(inputs).__name__}")
        issued = utc_time("issued_at", issued_at)
        issue = issued.floor("h")
        cut = inputs.until(issued)
        d = engine.design(cut, self.drivers, self.settings, issue - LOOKBACK, issue)
        n = d.shape[0]
        rows = np.arange(d.shape[1]) * n + (n - 1)
        level = d.rows(d.base24)[rows]
        present = np.isfinite(level)
        rows, stations = rows[present], [s for s, p in zip(self.drivers.targets, present) if p]
        hourly, by_day, methods = self._point(d, rows, issue)
        lead_hours = np.arange(1, self.settings.horizons + 1)
        hourly_table = self._table(hourly, methods["hour"], "hour", stations, {
            "issued_at": issued, "valid_time": lambda s: issue + pd.to_timedelta(lead_hours, "h"),
            "horizon": lambda s: lead_hours})
        day0 = int(daily.issue_day(pd.DatetimeIndex([issue]))[0])
        daily_table = self._table(by_day, methods["day"], "day", stations, {
            "date": lambda s: [daily.date_of(day0 + k) for k in daily.DAY_AHEAD],
            "day_ahead": lambda s: list(daily.DAY_AHEAD)})
        for column, source in (("band", "p50"),) + tuple(
                zip(("band_low", "band_high"), quantile_names(self.settings.levels[0]))):
            daily_table[column] = [daily.band(v, t) for v, t in
                                   zip(daily_table[source], daily_table["date"])]
        daily_table = daily_table[[c for c in daily_table.columns if c != "method"] + ["method"]]
        latest = cut.observations[cut.observations["variable"] == "pm25"].groupby("station_id")[
            "time_utc"].max()
        record = {**self.record, "issued_at": issued.isoformat(), "issue_hour": issue.isoformat(),
                  "stations_forecast": stations,
                  "stations_without_recent_pm25": [s for s in self.drivers.targets
                                                   if s not in stations],
                  "latest_pm25": {s: latest[s].isoformat() for s in self.drivers.targets
                                  if s in latest.index},
                  "drivers_without_recent_data": sorted(
                      v for v, arr in d.data.values.items() if v != "pm25"
                      and not np.isfinite(arr[-24:]).any())}
        return Forecast(hourly_table, daily_table, _plain(record))

    def _point(self, d, rows, issue):
        """p50 (R, H) and (R, 3) and the method per lead."""
        x, last = d.data.pm25, d.last
        horizons = range(1, self.settings.horizons + 1)
        if self.boosters is None:
            shape = np.array([self.shape[s] for s in self.drivers.targets])   # (S, 24)
            stations = rows // d.shape[0]
            hours = np.asarray((issue + pd.to_timedelta(list(horizons), "h") + BANGKOK_OFFSET).hour)
            level = d.rows(d.base24)[rows]
            hourly = np.maximum(level[:, None] + shape[stations][:, hours], 0)
            by_day = np.repeat(level[:, None], len(daily.DAY_AHEAD), axis=1)
            return hourly, by_day, {"hour": [FALLBACK] * len(horizons),
                                    "day": [FALLBACK] * len(daily.DAY_AHEAD)}
        model_hourly, model_daily = engine.predict(d, self.boosters, rows)
        persistence = {
            "hour": {"persistence_24h": lambda h: d.rows(baselines.persistence_24h(x, last, h))[rows],
                     "persistence_mean24": lambda h: d.rows(d.base24)[rows],
                    "persistence_last": lambda h: d.rows(last)[rows]},
            "day": {"persistence_24h": lambda k: d.rows(baselines.daily_persistence_24h(
                        d.data.times, x, last, k))[rows],
                    "persistence_mean24": lambda k: d.rows(d.base24)[rows],
                    "persistence_last": lambda k: d.rows(last)[rows]}}
        out, methods = {}, {}
        for kind, model in (("hour", model_hourly), ("day", model_daily)):
            columns, names = [], []
            for lead in range(1, model.shape[1] + 1):
                chosen, best = self.choice[kind][lead]
                if chosen == "model":
                    columns.append(model[:, lead - 1])
                    names.append("model")
                else:
                    columns.append(np.maximum(persistence[kind][best](lead), 0))
                    names.append(best)
            out[kind], methods[kind] = np.column_stack(columns), names
        return out["hour"], out["day"], methods

    def _table(self, p50, methods, kind, stations, columns):
        leads = p50.shape[1]
        frame = {"station_id": np.repeat(stations, leads)}
        for name, value in columns.items():
            frame[name] = (np.concatenate([np.asarray(value(s)) for s in stations])
                           if callable(value) else value)
        frame["p50"] = p50.reshape(-1)
        bounds = {}
        for lead in range(1, leads + 1):
            method = methods[lead - 1]
            key = "model" if method == "model" else method
            q = _bounds(self.calibration[kind][key], lead)
            for level in self.settings.levels:
                low, high = conformal.interval(p50[:, lead - 1], q[level])
                bounds.setdefault(level, []).append((low, high))
        for level in self.settings.levels:
            low_name, high_name = quantile_names(level)
            frame[low_name] = np.column_stack([b[0] for b in bounds[level]]).reshape(-1)
            frame[high_name] = np.column_stack([b[1] for b in bounds[level]]).reshape(-1)
        frame["method"] = [("model" if m == "model" else "persistence" if m != FALLBACK else m)
                           for m in methods] * len(stations)
        table = pd.DataFrame(frame)
        if "valid_time" in table:
            table["valid_time"] = pd.to_datetime(table["valid_time"], utc=True)
        return table


def _bounds(by_lead, lead):
    """The lead's conformal bounds, or the widest of the others widened by WIDEN."""
    if by_lead.get(lead) is not None:
        return by_lead[lead]
    known = [q for q in by_lead.values() if q is not None]
    if not known:
        raise ValueError("too little PM2.5 history to estimate forecast intervals")
    return {level: (WIDEN * min(q[level][0] for q in known), WIDEN * max(q[level][1] for q in known))
            for level in known[0]}


def _versions():
    return {"lightgbm": lightgbm.__version__, "sklearn": sklearn.__version__,
            "numpy": np.__version__, "pandas": pd.__version__}


def fit(inputs, until, settings=None):
    """A Model from rows with ``time_utc <= until``; runs the backtest and records its scores."""
    settings = Settings() if settings is None else settings
    _check(inputs, settings)
    until = utc_time("until", until).floor("h")
    cut = inputs.until(until)
    targets = cut.targets()
    if not targets:
        raise ValueError("observations: no pm25 values to forecast")
    pm = cut.observations[cut.observations["variable"] == "pm25"]
    first = pm["time_utc"].min()
    history = (until - first) / pd.Timedelta(days=1)
    span = min(settings.backtest_days, history - backtest_module.MIN_TRAIN_DAYS)
    record = {"versions": _versions(), "seed": settings.seed, "settings": settings.as_dict(),
              "trained_until": until.isoformat(), "history_days": round(float(history), 3),
              "stations": list(targets)}
    if history < settings.min_history_days or span < 1:
        reason = (f"{history:.1f} days of PM2.5 history, fewer than min_history_days "
                  f"({settings.min_history_days})" if history < settings.min_history_days else
                  f"{history:.1f} days of PM2.5 history leave no room for a backtest")
        return _fallback(cut, targets, first, until, settings, record, reason)
    result = backtest_module.run(cut, settings, until - pd.Timedelta(days=span), until)
    drivers = engine.choose_drivers(cut, first, until, settings)
    d = engine.design(cut, drivers, settings, first - pd.Timedelta(hours=1), until)
    boosters = engine.train(d, until, settings)
    record.update(_model_record(result, drivers, d, settings))
    return Model(settings, _plain(record), drivers, boosters, result.calibration, result.choice)


def _model_record(result, drivers, d, settings):
    scores = result.scores
    hour, day = scores[scores["kind"] == "hour"], scores[scores["kind"] == "day"]
    d1 = day[day["lead"] == 1].iloc[0]
    out = {
        "method": ("LightGBM gradient-boosted trees, one model per hourly horizon "
                   f"(1..{settings.horizons}) and per day-ahead (D+1..D+3, the Bangkok daily "
                   "mean), pooled over stations with the station as a categorical feature; "
                   "split-conformal intervals; persistence where the model does not beat it"),
        "model": {"params": engine.PARAMS, "rounds": engine.ROUNDS,
                  "row_share": engine.ROW_SHARE, "features": d.names},
        "intervals": conformal.__doc__.strip().split("\n\n")[1].replace("\n", " "),
        "drivers_used": drivers.used, "drivers_sources": drivers.notes,
        "drivers_missing": drivers.missing, "fallback_reason": None,
        "choice": {"hourly": [result.choice["hour"][h][0] for h in sorted(result.choice["hour"])],
                   "daily": [result.choice["day"][k][0] for k in sorted(result.choice["day"])]},
        "persistence_kind": {
            "hourly": [result.choice["hour"][h][1] for h in sorted(result.choice["hour"])],
            "daily": [result.choice["day"][k][1] for k in sorted(result.choice["day"])]},
        "backtest": {"origins": result.windows, "warm_up_window": result.warm_up,
                     "drivers_used": result.drivers.used,
                     "hourly": {c: hour[c].tolist() for c in hour.columns if c != "kind"},
                     "daily": {c: day[c].dropna().tolist() if day[c].dtype == object
                               else day[c].tolist() for c in day.columns if c != "kind"}},
        "right_band_share_d1": {"share": d1["right_band_share"], "days": int(d1["right_band_days"])},
    }
    for level in settings.levels:
        tag = f"{level * 100:g}"
        published = np.where(hour["choice"] == "model", hour[f"coverage_{tag}"],
                             hour[f"coverage_persistence_{tag}"])
        weights = hour["n"].to_numpy(float)
        ok = np.isfinite(published) & (weights > 0)
        out[f"coverage_{tag}"] = (float(np.average(published[ok], weights=weights[ok]))
                                  if ok.any() else None)
    return out


def _fallback(cut, targets, first, until, settings, record, reason):
    """The short-history Model: persistence level, climatology shape, empirical intervals."""
    drivers = Drivers(list(targets), {}, False, False, {}, {})
    d = engine.design(cut, drivers, settings, first - pd.Timedelta(hours=1), until)
    x, times = d.data.pm25, d.data.times
    hours = np.asarray((times + BANGKOK_OFFSET).hour)
    profile = pd.DataFrame(x).groupby(hours).mean().reindex(range(24))
    profile = (profile - profile.mean()).fillna(0.0).to_numpy()        # (24, S)
    shape = {s: profile[:, j].tolist() for j, s in enumerate(targets)}
    level = d.base24
    calibration = {"hour": {FALLBACK: {}}, "day": {FALLBACK: {}}}
    for h in range(1, settings.horizons + 1):
        valid_hours = np.asarray((times + pd.Timedelta(hours=h) + BANGKOK_OFFSET).hour)
        f = np.maximum(level + profile[valid_hours], 0)
        calibration["hour"][FALLBACK][h] = conformal.quantiles(
            conformal.residuals(engine.hourly_target(d, h), f), settings.levels)
    for k in daily.DAY_AHEAD:
        calibration["day"][FALLBACK][k] = conformal.quantiles(
            conformal.residuals(engine.daily_target(d, k), level), settings.levels)
    for kind in calibration:
        _bounds(calibration[kind][FALLBACK], 1)                      # ValueError if none at all
    record.update({
        "method": ("fallback: persistence (mean of the last 24 hours) for the level plus each "
                   "station's hour-of-day profile of the available history for the shape"),
        "intervals": ("signed errors of this forecast over the available history, scaled by the "
                      "level (see forecast.conformal); a lead with fewer than "
                      f"{conformal.MIN_PAIRS} pairs takes the widest interval of the other "
                      f"leads times {WIDEN}"),
        "drivers_used": [], "drivers_sources": {},
        "drivers_missing": {"all": "no model trained: " + reason}, "fallback_reason": reason,
        "choice": {"hourly": [FALLBACK] * settings.horizons, "daily": [FALLBACK] * 3},
        "backtest": None, "right_band_share_d1": None,
        **{f"coverage_{level * 100:g}": None for level in settings.levels}})
    choice = {"hour": {h: (FALLBACK, FALLBACK) for h in range(1, settings.horizons + 1)},
              "day": {k: (FALLBACK, FALLBACK) for k in daily.DAY_AHEAD}}
    return Model(settings, _plain(record), drivers, None, calibration, choice, shape)
