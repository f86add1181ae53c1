"""Settings of the PM2.5 forecast, checked when made."""
from __future__ import annotations

import dataclasses
import numbers


def _integer(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"Settings.{name} must be an integer, not {value!r}")
    if value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"Settings.{name} must be {span}, not {value!r}")
    return int(value)


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to forecast and how.

    ``horizons``: hourly horizons 1..horizons (24..168). ``min_history_days``:
    less PM2.5 history than this and no model is trained (persistence and
    climatology instead). ``seed`` fixes LightGBM and the subsampling.
    ``refit_days``/``backtest_days``: the rolling-origin backtest refits every
    ``refit_days`` over the last ``backtest_days``. ``rings_km``: outer radii of
    the fire rings. ``fire_lag_days``: fires per 24 h back to this many days
    before the last 24 h. ``levels``: central interval coverages.
    ``min_driver_share``: a driver covering less of the training period is dropped.
    """
    horizons: int = 72
    min_history_days: int = 60
    seed: int = 20240601
    refit_days: int = 30
    backtest_days: int = 90
    rings_km: tuple = (25, 100, 300)
    fire_lag_days: int = 3
    levels: tuple = (0.8, 0.95)
    min_driver_share: float = 0.5

    def __post_init__(self):
        _integer("horizons", self.horizons, 24, 168)
        _integer("min_history_days", self.min_history_days, 1)
        _integer("seed", self.seed, 0, 2 ** 31 - 1)
        _integer("refit_days", self.refit_days, 1)
        _integer("backtest_days", self.backtest_days, 1)
        _integer("fire_lag_days", self.fire_lag_days, 0, 7)
        rings = tuple(self.rings_km) if isinstance(self.rings_km, (list, tuple)) else None
        if (not rings or any(isinstance(r, bool) or not isinstance(r, numbers.Real) or r <= 0
                             for r in rings) or list(rings) != sorted(set(rings))):
            raise ValueError(f"Settings.rings_km must be increasing positive radii, "
                             f"not {self.rings_km!r}")
        levels = tuple(self.levels) if isinstance(self.levels, (list, tuple)) else None
        if (not levels or any(isinstance(v, bool) or not isinstance(v, numbers.Real)
                              or not 0 < v < 1 for v in levels)
                or list(levels) != sorted(set(levels))):
            raise ValueError(f"Settings.levels must be increasing coverages between 0 and 1, "
                             f"not {self.levels!r}")
        share = self.min_driver_share
        if isinstance(share, bool) or not isinstance(share, numbers.Real) or not 0 < share <= 1:
            raise ValueError(f"Settings.min_driver_share must be in (0, 1], not {share!r}")
        object.__setattr__(self, "rings_km", tuple(float(r) for r in rings))
        object.__setattr__(self, "levels", tuple(float(v) for v in levels))

    def as_dict(self):
        """JSON-safe form (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


def quantile_names(level):
    """Column names of the bounds of a central ``level`` interval: 0.8 -> ("p10", "p90")."""
    def name(q):
        text = f"{q * 100:.1f}".rstrip("0").rstrip(".").replace(".", "")
        return "p" + (text if q >= 0.1 else "0" + text)
    low = round((1 - level) / 2, 6)
    return name(low), name(1 - low)
