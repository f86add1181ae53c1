"""Correcting low-cost PM2.5 sensors against reference (PCD) stations.

* ``pairs(low_cost, reference, stations, max_km)``: each low-cost sensor's
  hours joined with those of its nearest reference station within ``max_km``.
* ``fit(pairs, ..., until=...)``: one sensor's :class:`Correction`, or a
  :class:`NoCorrection` that says why there is none.
* ``apply(correction, raw, rh)``: corrected values; ``correct(...)``: the
  corrected hourly rows of every corrected sensor, with the correction's id;
  ``record(...)``: a JSON-able dict for the ``sensor-calibration`` dataset.

Method ``linear-rh`` is the US EPA PurpleAir form (Barkjohn et al. 2021,
AMT 14, 4617): ``PM_ref = a·PM_raw + b·RH + c`` by ordinary least squares,
PM2.5 in ``ug/m3``, RH in ``%``. Reference figures: the EPA correction took
the RMSE from ~8 to ~3 µg/m³ (Barkjohn 2021); a Chiang Mai calibration
against a PCD station reached R² 0.915, RMSE 5.08 µg/m³.

Documented choices
------------------
Pairing
    Times are floored to the hour and averaged per station and hour. The
    reference is the nearest ``kind == "reference"`` station within
    ``max_km`` (WGS84 geodesic; ties by station id). RH is the sensor's own;
    where it is missing, that of the nearest station within ``max_km``
    (reference or ``"weather"``) that has it at that hour (``rh_source``).
    Only trusted publishers' stations belong in ``reference`` (the glue's
    job, see the trust boundary).
Window and hold-out
    The window is (``until`` − ``window_days``, ``until``]. Its hours with raw,
    reference and RH are sorted by time; the newest ``holdout_fraction``
    (rounded up) are held out, the older ones fitted: chronological, never
    random, so the scores say how the correction does on hours after its fit.
    Fewer than ``min_hours`` such hours: no correction.
Metrics
    On the held-out hours, of the raw and of the corrected values against the
    reference: R² = 1 − SS_res/SS_tot (of the values as predictions, so it can
    be negative; not the squared correlation), RMSE and mean bias
    (value − reference), all in µg/m³ but R².
Applying
    Corrected values are clipped at 0; an hour without RH gives NaN, never the
    raw value, since a correction without its RH term is not the one scored.
"""
import hashlib
import json
import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from pyproj import Geod

PM25, RH = "pm25", "relative-humidity"
REFERENCE, LOW_COST, WEATHER = "reference", "low-cost", "weather"
METHODS = ("linear-rh",)
COEFFICIENTS = ("a", "b", "c")    # of pm25 raw, RH (%) and the intercept
MIN_HOURS = 72
PAIR_COLUMNS = ["sensor_id", "reference_id", "distance_km", "time_utc",
                "raw", "reference", "rh", "rh_source"]
CORRECTED_COLUMNS = ["sensor_id", "time_utc", "raw", "rh", "rh_source", "value", "correction_id"]
_GEOD = Geod(ellps="WGS84")
_MISSING = pd.DataFrame({PM25: [], RH: []}, index=pd.DatetimeIndex([], tz="UTC"))  # a station without rows
_NOBODY = pd.DataFrame(columns=["station_id", "kind", "km"])  # no station within reach


@dataclass(frozen=True)
class Metrics:
    r2: float | None             # None: the reference did not vary
    rmse: float
    bias: float


@dataclass(frozen=True)
class Correction:
    sensor_id: str
    reference_id: str
    distance_km: float
    method: str
    coefficients: tuple          # floats in COEFFICIENTS order
    window_start: pd.Timestamp   # exclusive
    window_end: pd.Timestamp     # inclusive
    test_start: pd.Timestamp     # first held-out hour
    n_train: int
    n_test: int
    before: Metrics              # raw values on the held-out hours
    after: Metrics               # corrected values on the same hours

    @property
    def correction_id(self):
        """12 hex digits of SHA-256 over sensor, reference, method, coefficients, window."""
        key = [self.sensor_id, self.reference_id, self.method, list(self.coefficients),
               self.window_start.isoformat(), self.window_end.isoformat()]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class NoCorrection:
    sensor_id: str
    reference_id: str
    method: str
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    n_hours: int
    reason: str


def _hourly(frame):
    """station id -> DataFrame of hourly mean pm25 and RH indexed by UTC hour."""
    frame = frame.reindex(columns=["station_id", "time_utc", PM25, RH])
    frame = frame.assign(time_utc=pd.to_datetime(frame["time_utc"], utc=True).dt.floor("h"))
    return {sid: rows.groupby("time_utc")[[PM25, RH]].mean().astype(float)
            for sid, rows in frame.groupby("station_id")}


def _neighbours(stations, max_km):
    """low-cost sensor id -> its reference and weather stations within
    ``max_km`` (``station_id, kind, km``), nearest first, ties by id."""
    others = stations[stations["kind"].isin((REFERENCE, WEATHER))]
    found = {}
    for sensor in stations[stations["kind"] == LOW_COST].itertuples(index=False):
        _, _, metres = _GEOD.inv(np.full(len(others), sensor.longitude),
                                 np.full(len(others), sensor.latitude),
                                 others["longitude"].to_numpy(), others["latitude"].to_numpy())
        found[sensor.station_id] = (others.assign(km=metres / 1000).query("km <= @max_km")
                                    .sort_values(["km", "station_id"])[["station_id", "kind", "km"]])
    return found


def _humidity(sensor_id, index, low, ref, near):
    """(RH, the id of the station it comes from) at the hours ``index``: the
    sensor's own, else the nearest station's within reach that has it."""
    rh = low[sensor_id][RH].reindex(index)
    source = pd.Series(np.where(rh.notna(), sensor_id, None), index=index, dtype=object)
    for other in near["station_id"]:
        fill = ref.get(other, _MISSING)[RH].reindex(index)
        take = rh.isna() & fill.notna()
        rh[take], source[take] = fill[take], other
    return rh, source



def pairs(low_cost, reference, stations, max_km):
    """Hourly rows (``PAIR_COLUMNS``) of every low-cost sensor with its
    nearest reference station within ``max_km``; hours with both PM2.5 values
    only. ``reference`` holds the rows of reference and weather stations."""
    low, ref = _hourly(low_cost), _hourly(reference)
    out = []
    for sensor_id, near in _neighbours(stations, max_km).items():
        refs = near[near["kind"] == REFERENCE]
        if refs.empty or sensor_id not in low:
            continue
        ref_id, km = refs["station_id"].iloc[0], float(refs["km"].iloc[0])
        rows = pd.DataFrame({"raw": low[sensor_id][PM25], "reference": ref.get(ref_id, _MISSING)[PM25]}).dropna()
        rh, source = _humidity(sensor_id, rows.index, low, ref, near)
        out.append(rows.assign(sensor_id=sensor_id, reference_id=ref_id, distance_km=km,
                               rh=rh, rh_source=source).rename_axis("time_utc").reset_index())
    if not out:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    return pd.concat(out, ignore_index=True)[PAIR_COLUMNS].sort_values(
        ["sensor_id", "time_utc"], ignore_index=True)


def correct(low_cost, reference, stations, corrections, max_km):
    """Corrected hourly PM2.5 (``CORRECTED_COLUMNS``) of every sensor with a
    :class:`Correction` in ``corrections``, at each of its hours with a raw
    value and RH (found as in :func:`pairs`); ``raw`` is the hourly mean the
    correction was applied to. Hours without RH are left out."""
    low, ref = _hourly(low_cost), _hourly(reference)
    near = _neighbours(stations, max_km)
    out = []
    for correction in corrections:
        if not isinstance(correction, Correction) or correction.sensor_id not in low:
            continue
        raw = low[correction.sensor_id][PM25].dropna()
        rh, source = _humidity(correction.sensor_id, raw.index, low, ref,
                               near.get(correction.sensor_id, _NOBODY))
        rows = pd.DataFrame({"raw": raw, "rh": rh, "rh_source": source}).dropna(subset=["rh"])
        out.append(rows.assign(sensor_id=correction.sensor_id, value=apply(correction, rows["raw"], rows["rh"]),
                               correction_id=correction.correction_id)
                   .rename_axis("time_utc").reset_index())
    if not out:
        return pd.DataFrame(columns=CORRECTED_COLUMNS)
    return pd.concat(out, ignore_index=True)[CORRECTED_COLUMNS].sort_values(
        ["sensor_id", "time_utc"], ignore_index=True)



def _metrics(values, truth):
    truth = truth.to_numpy(float)
    error = np.asarray(values, dtype=float) - truth
    spread = float(((truth - truth.mean()) ** 2).sum())
    return Metrics(r2=1 - float((error ** 2).sum()) / spread if spread else None,
                   rmse=float(np.sqrt((error ** 2).mean())), bias=float(error.mean()))


def fit(pairs, method="linear-rh", window_days=30, holdout_fraction=0.25, *, until,
        min_hours=MIN_HOURS):
    """One sensor's correction from its ``pairs`` rows (fit each sensor apart:
    ``pairs.groupby("sensor_id")``); ``until``: a timezone-aware end of the window."""
    if method not in METHODS:
        raise ValueError(f"method: one of {METHODS}, not {method!r}")
    if not 0 < holdout_fraction < 1:
        raise ValueError(f"holdout_fraction: between 0 and 1, not {holdout_fraction!r}")
    ids = pairs[["sensor_id", "reference_id"]].drop_duplicates()
    if len(ids) != 1:
        raise ValueError(f"fit one sensor and reference at a time, not {len(ids)}")
    sensor_id, reference_id = ids.iloc[0]
    end = pd.Timestamp(until).tz_convert("UTC")
    start = end - pd.Timedelta(days=window_days)
    times = pairs["time_utc"]
    rows = (pairs[(times > start) & (times <= end)].dropna(subset=["raw", "reference", "rh"])
            .sort_values("time_utc"))
    if len(rows) < min_hours:
        return NoCorrection(sensor_id, reference_id, method, start, end, len(rows),
                            f"{len(rows)} overlapping hours with RH in the window, "
                            f"fewer than {min_hours}")
    n_test = math.ceil(len(rows) * holdout_fraction)
    train, test = rows.iloc[:-n_test], rows.iloc[-n_test:]
    design = np.column_stack([train["raw"], train["rh"], np.ones(len(train))])
    solution = np.linalg.lstsq(design, train["reference"].to_numpy(float), rcond=None)[0]
    coefficients = tuple(float(c) for c in solution)
    return Correction(
        sensor_id, reference_id, float(rows["distance_km"].iloc[0]), method, coefficients,
        start, end, test["time_utc"].iloc[0], len(train), n_test,
        before=_metrics(test["raw"], test["reference"]),
        after=_metrics(_corrected(coefficients, test["raw"], test["rh"]), test["reference"]))


def _corrected(coefficients, raw, rh):
    a, b, c = coefficients
    return np.clip(a * np.asarray(raw, dtype=float) + b * np.asarray(rh, dtype=float) + c, 0, None)


def apply(correction, raw, rh):
    """Corrected PM2.5 (a new Series with ``raw``'s index, or a new array),
    clipped at 0; NaN where RH is missing. The inputs are left untouched."""
    values = _corrected(correction.coefficients, raw, rh)
    return pd.Series(values, index=raw.index) if isinstance(raw, pd.Series) else values


def record(correction):
    """A JSON-able dict of a Correction or NoCorrection, values at full precision."""
    out = {key: (value.isoformat() if isinstance(value, pd.Timestamp) else value)
           for key, value in asdict(correction).items()}
    if isinstance(correction, NoCorrection):
        return {**out, "status": "none"}
    return {**out, "status": "corrected", "correction_id": correction.correction_id,
            "coefficients": dict(zip(COEFFICIENTS, correction.coefficients)),
            "formula": "pm25 = max(0, a * pm25_raw + b * relative_humidity + c)",
            "units": {PM25: "ug/m3", RH: "%"}}
