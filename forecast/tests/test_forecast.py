"""The forecast package on small synthetic series (fast, deterministic)."""
import pandas as pd
import pytest

from ckanext.maemoh.forecast import Inputs, Model, Settings, backtest, fit

from . import synthetic as syn

FAST = Settings(horizons=24, min_history_days=30, backtest_days=20, refit_days=10)


@pytest.fixture(scope="module")
def ar_model():
    inputs = syn.inputs(days=90)
    return inputs, fit(inputs, syn.END, FAST)


def test_forecast_tables_and_record(ar_model):
    inputs, model = ar_model
    forecast = model.predict(inputs, syn.END)
    hourly, daily = forecast.hourly, forecast.daily
    assert list(hourly.columns) == ["station_id", "issued_at", "valid_time", "horizon", "p50",
                                    "p10", "p90", "p025", "p975", "method"]
    assert len(hourly) == 3 * 24 and set(hourly["station_id"]) == {"A", "B", "C"}
    assert (hourly["p025"] <= hourly["p10"]).all() and (hourly["p10"] <= hourly["p50"]).all()
    assert (hourly["p50"] <= hourly["p90"]).all() and (hourly["p90"] <= hourly["p975"]).all()
    assert (hourly[["p50", "p10", "p025"]] >= 0).all().all()
    assert list(daily["day_ahead"]) == [1, 2, 3] * 3
    assert str(daily["date"].iloc[0]) == "2026-04-02"        # issued 00:00 Bangkok, 1 April
    assert daily["band"].between(1, 5).all()
    assert (daily["band_low"] <= daily["band"]).all() and (daily["band"] <= daily["band_high"]).all()
    record = model.record
    assert record["fallback_reason"] is None
    assert record["drivers_sources"]["temperature"]["A"].startswith("W ")   # the weather station
    assert len(record["choice"]["hourly"]) == 24
    assert 0 <= record["right_band_share_d1"]["share"] <= 1
    assert record["coverage_80"] is not None and forecast.record["issued_at"].startswith("2026-03-31")


def test_dumps_loads_same_forecast(ar_model):
    inputs, model = ar_model
    again = Model.loads(model.dumps())
    a, b = model.predict(inputs, syn.END), again.predict(inputs, syn.END)
    pd.testing.assert_frame_equal(a.hourly, b.hourly)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert again.record == model.record


def test_predict_ignores_rows_after_issue(ar_model):
    inputs, model = ar_model
    issued = syn.END - pd.Timedelta(days=2)
    before = model.predict(inputs, issued)
    obs = inputs.observations.copy()
    later = obs["time_utc"] > issued
    obs.loc[later, "value"] = obs.loc[later, "value"] * 10 + 500
    future = syn.frame([999.0], "A", "pm25", [issued + pd.Timedelta(hours=1)])
    altered = Inputs(pd.concat([obs[~obs["time_utc"].eq(future["time_utc"][0])
                                    | obs["station_id"].ne("A") | obs["variable"].ne("pm25")],
                                future]), syn.STATIONS, inputs.fires)
    after = model.predict(altered, issued)
    pd.testing.assert_frame_equal(before.hourly, after.hourly)
    pd.testing.assert_frame_equal(before.daily, after.daily)


def test_backtest_has_no_look_ahead():
    """Independent hourly values: only a leak of the future could forecast them."""
    inputs = syn.inputs(days=60, kind="noise", with_fires=False)
    scores = backtest(inputs, FAST, syn.END - pd.Timedelta(days=20), syn.END)
    hourly = scores[scores["kind"] == "hour"]
    assert (hourly["skill_climatology"] < 0.1).all()
    assert (hourly["rmse"] > 0.8 * hourly["rmse_climatology"]).all()


def test_backtest_reproducible():
    inputs = syn.inputs(days=60)
    settings = Settings(horizons=24, min_history_days=30, backtest_days=10, refit_days=10)
    start = syn.END - pd.Timedelta(days=10)
    first, second = (backtest(inputs, settings, start, syn.END) for _ in range(2))
    pd.testing.assert_frame_equal(first, second)


def test_short_history_falls_back():
    inputs = syn.inputs(days=20)
    model = fit(inputs, syn.END, FAST)
    assert "min_history_days" in model.record["fallback_reason"]
    forecast = model.predict(inputs, syn.END)
    assert set(forecast.hourly["method"]) == {"persistence-climatology"}
    assert forecast.hourly[["p10", "p90", "p025", "p975"]].notna().all().all()
    assert (forecast.hourly["p975"] > forecast.hourly["p025"]).all()
    assert forecast.record["fallback_reason"] == model.record["fallback_reason"]


def test_missing_drivers_are_said():
    inputs = syn.inputs(days=60, with_fires=False, weather=False, pm10=False)
    model = fit(inputs, syn.END, Settings(horizons=24, min_history_days=30, backtest_days=10,
                                          refit_days=10))
    missing = model.record["drivers_missing"]
    assert {"fires", "temperature", "wind-direction", "pm10"} <= set(missing)
    assert missing["fires"] == "no fire detections given"
    assert model.record["drivers_used"] == []
    assert len(model.predict(inputs, syn.END).hourly) == 3 * 24


def test_walk_falls_back_to_persistence():
    inputs = syn.inputs(days=60, kind="walk", with_fires=False, weather=False)
    model = fit(inputs, syn.END, Settings(horizons=24, min_history_days=30, backtest_days=20,
                                          refit_days=10))
    choice = model.record["choice"]["hourly"]
    assert choice.count("persistence") >= 0.8 * len(choice)
    hourly = model.predict(inputs, syn.END).hourly
    assert (hourly["method"] == "persistence").sum() >= 0.8 * len(hourly)


def test_conformal_coverage_near_nominal(ar_model):
    _, model = ar_model
    assert 0.72 <= model.record["coverage_80"] <= 0.88
    assert 0.90 <= model.record["coverage_95"] <= 0.99


@pytest.mark.parametrize("field, value", [("horizons", 12), ("horizons", 200),
                                          ("min_history_days", 0), ("levels", (0.95, 0.8)),
                                          ("rings_km", (100, 25)), ("seed", -1)])
def test_bad_settings(field, value):
    with pytest.raises(ValueError, match=field):
        Settings(**{field: value})


def test_bad_inputs():
    obs = syn.series(days=2)
    with pytest.raises(ValueError, match="observations lacks columns"):
        Inputs(obs.drop(columns="value"), syn.STATIONS)
    with pytest.raises(ValueError, match="time_utc must be timezone-aware"):
        Inputs(obs.assign(time_utc=obs["time_utc"].dt.tz_localize(None)), syn.STATIONS)
    with pytest.raises(ValueError, match="not in stations"):
        Inputs(obs, syn.STATIONS.iloc[:2])
    with pytest.raises(ValueError, match="negative PM"):
        Inputs(obs.assign(value=-obs["value"]), syn.STATIONS)
    with pytest.raises(ValueError, match="fires lacks columns"):
        Inputs(obs, syn.STATIONS, pd.DataFrame({"time_utc": []}))
    inputs = Inputs(obs, syn.STATIONS)
    with pytest.raises(ValueError, match="until must be a timezone-aware"):
        fit(inputs, "2026-03-01T00:00", FAST)
    with pytest.raises(ValueError, match="settings must be a Settings"):
        fit(inputs, syn.END, {"horizons": 24})
    with pytest.raises(ValueError, match="no pm25"):
        fit(Inputs(obs[obs["variable"] != "pm25"], syn.STATIONS), syn.END, FAST)
    with pytest.raises(ValueError, match="not a stored forecast model"):
        Model.loads(b"junk")
