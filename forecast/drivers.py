"""Which drivers (PM10, meteorology, fires) a model uses, and from which station.

A driver with no data, or covering less than ``Settings.min_driver_share`` of
the training period's hours, is dropped with its reason. Meteorology comes
from the nearest station that has the variable with enough coverage (a
weather station without PM2.5 will do); PM10 only from the PM2.5 station
itself.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .inputs import METEOROLOGY, PM10, distance_km

FIRES, UPWIND = "fires", "fires-upwind"


@dataclasses.dataclass(frozen=True)
class Drivers:
    """``targets``: the PM2.5 stations; ``sources``: variable -> {target: source station};
    ``missing``: driver -> reason; ``notes``: where each used driver comes from."""
    targets: list
    sources: dict
    fires: bool
    upwind: bool
    missing: dict
    notes: dict

    @property
    def used(self):
        return sorted(self.sources) + [d for d, on in ((FIRES, self.fires), (UPWIND, self.upwind))
                                       if on]

    def as_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(**data)


def choose(inputs, targets, start, end, share):
    """The drivers for training on ``(start, end]``."""
    hours = max(1.0, (end - start) / np.timedelta64(1, "h"))
    obs = inputs.observations
    obs = obs[(obs["time_utc"] > start) & (obs["time_utc"] <= end)]
    coverage = (obs.groupby(["variable", "station_id"]).size() / hours).clip(upper=1.0)
    sources, missing, notes = {}, {}, {}

    pm10 = coverage.get(PM10)
    pm10_share = 0.0 if pm10 is None else float(pm10.reindex(list(targets)).fillna(0).mean())
    if pm10 is None or pm10_share == 0:
        missing[PM10] = "no PM10 data at the PM2.5 stations"
    elif pm10_share < share:
        missing[PM10] = (f"covers {pm10_share:.0%} of the training period's hours at the "
                         f"PM2.5 stations (< {share:.0%})")
    else:
        sources[PM10] = {t: t for t in targets}
        notes[PM10] = "measured at each PM2.5 station"

    places = inputs.stations
    for variable in METEOROLOGY:
        have = coverage.get(variable)
        if have is None:
            missing[variable] = "no data"
            continue
        good = have[have >= share]
        if good.empty:
            missing[variable] = (f"covers at most {float(have.max()):.0%} of the training "
                                 f"period's hours (< {share:.0%})")
            continue
        chosen, said = {}, {}
        for target in targets:
            km = distance_km(places.at[target, "latitude"], places.at[target, "longitude"],
                             places.loc[good.index, "latitude"].to_numpy(),
                             places.loc[good.index, "longitude"].to_numpy())
            nearest = int(np.argmin(km))
            chosen[target] = str(good.index[nearest])
            said[target] = f"{good.index[nearest]} ({km[nearest]:.1f} km)"
        sources[variable] = chosen
        notes[variable] = said

    fires = inputs.fires
    has_fires = False
    if fires is None:
        missing[FIRES] = "no fire detections given"
    elif not ((fires["time_utc"] > start) & (fires["time_utc"] <= end)).any():
        missing[FIRES] = "no fire detections in the training period"
    else:
        has_fires = True
        notes[FIRES] = "FIRMS detections and FRP per distance ring and 24 h lag"
    upwind = has_fires and "wind-direction" in sources
    if has_fires and not upwind:
        missing[UPWIND] = "needs wind-direction"
    elif upwind:
        notes[UPWIND] = "detections within ±45° of the latest wind direction (where it blows from)"
    return Drivers(list(targets), sources, has_fires, upwind, missing, notes)
