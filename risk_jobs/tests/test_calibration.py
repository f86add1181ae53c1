"""Low-cost PM2.5 calibration on a synthetic sensor whose bias is known.

The truth is a seeded hourly PM2.5 series over 60 days (a diurnal cycle, a
slower multi-day swing, log-normal noise) with RH from 40 to 95 % peaking
before dawn. The reference station reads the truth exactly; the low-cost
sensor reads ``1.4·truth + 0.12·(RH − 60)·truth/50 + N(0, 2)``: 40 % high
(as PurpleAir sensors are), more so in humid hours (hygroscopic growth),
plus random noise. ``until`` is pinned, so the tests pass on any date.
"""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from ckanext.maemoh.risk_jobs import calibration

SEED = 20240101
T0 = pd.Timestamp("2024-01-01T00:00Z")
HOUR = pd.Timedelta("1h")
UNTIL = T0 + 60 * 24 * HOUR - HOUR           # the last synthetic hour
RH = calibration.RH
STATIONS = pd.DataFrame({
    "station_id": ["LC1", "PCD-NEAR", "PCD-FAR", "WX", "LC-AWAY"],
    "kind": ["low-cost", "reference", "reference", "weather", "low-cost"],
    "longitude": [99.700, 99.720, 99.800, 99.705, 100.700],
    "latitude": [18.300, 18.300, 18.300, 18.300, 18.300],
})


def synthetic():
    """(low-cost rows, reference rows) of LC1 and PCD-NEAR over 60 days."""
    rng = np.random.default_rng(SEED)
    times = T0 + HOUR * np.arange(60 * 24)
    hour, day = np.arange(len(times)) % 24, np.arange(len(times)) / 24
    truth = ((25 + 12 * np.sin(2 * np.pi * (hour - 14) / 24) + 8 * np.sin(2 * np.pi * day / 9))
             * rng.lognormal(0, 0.15, len(times)))
    rh = np.clip(67.5 + 25 * np.cos(2 * np.pi * (hour - 22) / 24) + rng.normal(0, 4, len(times)),
                 40, 95)
    raw = 1.4 * truth + 0.12 * (rh - 60) * truth / 50 + rng.normal(0, 2, len(times))
    low = pd.DataFrame({"station_id": "LC1", "time_utc": times, "pm25": raw, RH: rh})
    ref = pd.DataFrame({"station_id": "PCD-NEAR", "time_utc": times, "pm25": truth, RH: rh})
    return low, ref


@pytest.fixture(scope="module")
def paired():
    return calibration.pairs(*synthetic(), STATIONS, max_km=5)


def test_pairs_nearest_reference_hourly_means_and_rh_fallback():
    t = T0
    low = pd.DataFrame({"station_id": ["LC1", "LC1", "LC1", "LC1", "LC-AWAY"],
                        "time_utc": [t + pd.Timedelta("10min"), t + pd.Timedelta("40min"),
                                     t + HOUR, t + 2 * HOUR, t],
                        "pm25": [10.0, 20.0, 30.0, 40.0, 50.0], RH: [50.0, 70.0, None, 80.0, 60.0]})
    ref = pd.DataFrame({"station_id": ["PCD-NEAR", "PCD-NEAR", "PCD-FAR", "PCD-FAR", "WX"],
                        "time_utc": [t, t + HOUR, t + 2 * HOUR, t + HOUR, t + HOUR],
                        "pm25": [11.0, 21.0, 31.0, 99.0, None], RH: [None, 77.0, 88.0, 66.0, 55.0]})
    out = calibration.pairs(low, ref, STATIONS, max_km=20)
    assert list(out.columns) == calibration.PAIR_COLUMNS
    assert set(out["reference_id"]) == {"PCD-NEAR"} and set(out["sensor_id"]) == {"LC1"}
    assert out["distance_km"].iloc[0] == pytest.approx(2.11, abs=0.01)
    assert list(out["time_utc"]) == [t, t + HOUR]          # no PCD-NEAR value at t + 2 h
    assert list(out["raw"]) == [15.0, 30.0] and list(out["reference"]) == [11.0, 21.0]
    assert list(out["rh"]) == [60.0, 55.0]                 # own mean; then WX, the nearest
    assert list(out["rh_source"]) == ["LC1", "WX"]
    assert calibration.pairs(low, ref, STATIONS, max_km=1).empty


def test_fit_recovers_the_bias_on_held_out_hours(paired):
    c = calibration.fit(paired, until=UNTIL)
    print(f"\nheld-out RMSE {c.before.rmse:.2f} -> {c.after.rmse:.2f} ug/m3, "
          f"bias {c.before.bias:.2f} -> {c.after.bias:.2f}, R2 {c.before.r2:.3f} -> {c.after.r2:.3f}, "
          f"coefficients {c.coefficients}")
    assert isinstance(c, calibration.Correction)
    assert (c.sensor_id, c.reference_id, c.method) == ("LC1", "PCD-NEAR", "linear-rh")
    assert c.before.rmse > 8 and c.after.rmse < c.before.rmse / 4
    assert abs(c.after.bias) < 0.5 and c.after.r2 > 0.95
    assert 0.6 < c.coefficients[0] < 0.8                    # about 1 / 1.4


def test_hold_out_is_the_newest_hours_and_is_not_fitted(paired):
    c = calibration.fit(paired, window_days=30, holdout_fraction=0.25, until=UNTIL)
    assert (c.n_train, c.n_test) == (540, 180)
    assert c.window_start == UNTIL - pd.Timedelta(days=30) and c.window_end == UNTIL
    assert c.test_start == UNTIL - 179 * HOUR
    held_out = paired["time_utc"] >= c.test_start
    spoiled = paired.assign(reference=paired["reference"].where(~held_out, 500.0))
    again = calibration.fit(spoiled, until=UNTIL)
    assert again.coefficients == c.coefficients and again.after.rmse > 100
    oldest = paired["time_utc"] == UNTIL - 700 * HOUR
    moved = calibration.fit(paired.assign(reference=paired["reference"].where(~oldest, 500.0)),
                            until=UNTIL)
    assert moved.coefficients != c.coefficients


def test_too_few_overlapping_hours_gives_a_reason(paired):
    few = paired[paired["time_utc"] > UNTIL - 50 * HOUR]
    none = calibration.fit(few, until=UNTIL)
    assert isinstance(none, calibration.NoCorrection) and none.n_hours == 50
    assert none.reason == "50 overlapping hours with RH in the window, fewer than 72"
    assert isinstance(calibration.fit(few, until=UNTIL, min_hours=40), calibration.Correction)
    assert json.loads(json.dumps(calibration.record(none)))["status"] == "none"


def test_apply_clips_at_zero_leaves_input_untouched_and_needs_rh(paired):
    c = calibration.fit(paired, until=UNTIL)
    raw = pd.Series([0.0, 30.0, 60.0, 90.0], index=[5, 6, 7, 8])
    rh = np.array([95.0, 60.0, np.nan, 40.0])
    raw_before, rh_before = raw.copy(), rh.copy()
    out = calibration.apply(c, raw, rh)
    pd.testing.assert_series_equal(raw, raw_before)
    np.testing.assert_array_equal(rh, rh_before)
    assert list(out.index) == [5, 6, 7, 8] and np.isnan(out[7]) and (out.dropna() >= 0).all()
    a, b, k = c.coefficients
    assert out[6] == pytest.approx(max(0.0, a * 30 + b * 60 + k))
    harsh = dataclasses.replace(c, coefficients=(1.0, -1.0, 0.0))
    assert list(calibration.apply(harsh, np.array([10.0]), np.array([50.0]))) == [0.0]


def test_correction_id_and_record(paired):
    c = calibration.fit(paired, until=UNTIL)
    assert calibration.fit(paired.copy(), until=UNTIL).correction_id == c.correction_id
    assert len(c.correction_id) == 12
    assert calibration.fit(paired, until=UNTIL - 24 * HOUR).correction_id != c.correction_id
    assert calibration.fit(paired, window_days=20, until=UNTIL).correction_id != c.correction_id
    published = json.loads(json.dumps(calibration.record(c)))
    assert published["correction_id"] == c.correction_id and published["status"] == "corrected"
    assert tuple(published["coefficients"].values()) == c.coefficients   # full precision
    assert published["after"]["rmse"] == c.after.rmse
    assert published["window_end"] == UNTIL.isoformat()


def test_bad_input_is_refused(paired):
    with pytest.raises(ValueError, match="method"):
        calibration.fit(paired, method="cubic", until=UNTIL)
    with pytest.raises(ValueError, match="holdout_fraction"):
        calibration.fit(paired, holdout_fraction=1, until=UNTIL)
    two = pd.concat([paired, paired.assign(sensor_id="LC2")])
    with pytest.raises(ValueError, match="one sensor"):
        calibration.fit(two, until=UNTIL)


def test_correct_every_hour_with_rh_raw_rows_untouched(paired):
    low, ref = synthetic()
    c = calibration.fit(paired, until=UNTIL)
    # hours without a reference value are corrected too; one hour has no RH anywhere
    extra = pd.DataFrame({"station_id": "LC1", "time_utc": [UNTIL + HOUR, UNTIL + 2 * HOUR],
                          "pm25": [70.0, 80.0], RH: [50.0, None]})
    low = pd.concat([low, extra], ignore_index=True)
    before = low.copy()
    none = calibration.NoCorrection("LC-AWAY", "", "linear-rh", T0, UNTIL, 0, "no reference")
    out = calibration.correct(low, ref, STATIONS, [c, none], max_km=5)
    pd.testing.assert_frame_equal(low, before)
    assert list(out.columns) == calibration.CORRECTED_COLUMNS
    assert set(out["sensor_id"]) == {"LC1"} and set(out["correction_id"]) == {c.correction_id}
    assert len(out) == 60 * 24 + 1 and out["time_utc"].iloc[-1] == UNTIL + HOUR
    last = out.iloc[-1]
    assert last["raw"] == 70.0 and last["rh_source"] == "LC1"
    a, b, k = c.coefficients
    assert last["value"] == pytest.approx(a * 70 + b * 50 + k)
    # the corrected values are nearer the truth (the reference) than the raw ones
    joined = out.merge(ref.rename(columns={"pm25": "truth"}), on="time_utc")
    assert (joined["value"] - joined["truth"]).abs().mean() < 0.2 * (joined["raw"] - joined["truth"]).abs().mean()
    assert calibration.correct(low, ref, STATIONS, [none], max_km=5).empty
