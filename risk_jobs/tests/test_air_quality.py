"""AQI per station and hour from raw observations: averaging periods, the 75 %
rule, precedence, quality, the 2023 scheme switch, the window summary.

Expected AQI values come from ``aqi.aqi`` itself, called on the period values
the test works out by hand.
"""
import bisect
import datetime
import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from ckanext.maemoh.risk_jobs import air_quality, aqi

T0 = pd.Timestamp("2024-01-01T00:00Z")
HOUR = pd.Timedelta("1h")
# 48 hourly PM2.5 values whose last 24 average exactly 30.0, but whose rolling
# float mean is 29.999999999999996 (truncated: 29.9).
NOISY = (128.4, 312.7, 176.2, 343.9, 116.0, 1.2, 282.1, 46.0, 308.2, 205.1, 116.3, 243.9,
         263.1, 348.4, 184.1, 214.0, 136.2, 73.9, 389.1, 123.2, 155.6, 45.4, 95.5, 141.3,
         47.2, 47.4, 45.3, 29.2, 46.5, 1.5, 30.7, 22.6, 20.5, 3.7, 54.8, 52.3,
         47.7, 3.4, 43.8, 20.4, 1.1, 28.1, 5.8, 38.0, 32.9, 0.4, 13.2, 83.5)


def series(variable, values, period="PT1H", station="A", start=T0 + HOUR, quality=None):
    """Observations of one variable at consecutive hours from ``start``; None: no row."""
    times = [start + i * HOUR for i in range(len(values))]
    frame = pd.DataFrame({"station_id": station, "variable": variable, "time_utc": times,
                          "averaging_period": period, "value": values})
    return frame.dropna(subset=["value"]).assign(quality=quality or "unchecked")


def obs(*parts):
    return pd.concat(parts, ignore_index=True)


def at(frame, time, **where):
    rows = frame[frame["time_utc"] == time]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) <= 1
    return rows.iloc[0] if len(rows) else None


def expected_aqi(concentrations, time):
    return aqi.aqi(concentrations, time.to_pydatetime())


def test_table_periods_are_the_same_in_both_schemes():
    for scheme in aqi.SCHEMES.values():
        assert {v: p.averaging_period for v, p in scheme.pollutants.items()} == dict(
            air_quality.TABLE_PERIOD)


def test_native_pt24h_is_used_as_it_is():
    t = T0 + 10 * HOUR
    frame = series("pm25", [31.2], period="PT24H", start=t)
    values = air_quality.period_values(frame)
    assert values.to_dict("records") == [{"station_id": "A", "variable": "pm25", "time_utc": t,
                                          "value": 31.2, "source": "native"}]
    row = air_quality.hourly_aqi(frame).iloc[0]
    result = expected_aqi({"pm25": (31.2, "PT24H")}, t)
    assert (row["aqi"], row["band"], row["dominant"], row["scheme"]) == (
        result.value, result.band, "pm25", "TH-2023")


def test_24_hourly_values_give_the_24h_mean_from_the_18th_hour():
    hourly = [round(12.3 + 1.7 * i, 1) for i in range(24)]
    values = air_quality.period_values(series("pm25", hourly))
    assert set(values["source"]) == {"hourly mean"}
    assert values["time_utc"].min() == T0 + 18 * HOUR       # 18 of 24 hours
    assert len(values) == 7
    for n in range(18, 25):
        exact = sum(Fraction(str(v)) for v in hourly[:n]) / n
        assert at(values, T0 + n * HOUR)["value"] == round(float(exact), 6)
    assert at(values, T0 + 24 * HOUR)["value"] == pytest.approx(sum(hourly) / 24, abs=1e-12)


def test_17_of_24_hours_give_no_value_and_18_do():
    seventeen = [20.0] * 10 + [None] * 7 + [20.0] * 7
    assert air_quality.period_values(series("pm25", seventeen)).empty
    eighteen = [20.0] * 11 + [None] * 6 + [20.0] * 7
    values = air_quality.period_values(series("pm25", eighteen))
    assert values["time_utc"].tolist() == [T0 + 24 * HOUR]
    assert values["value"].tolist() == [20.0]


def test_8h_pollutants_need_6_of_8_hours():
    five = air_quality.period_values(series("o3", [40.0, None, 40.0, None, 40.0, None, 40.0, 40.0]))
    assert five.empty
    six = air_quality.period_values(series("co", [1.0, None, 2.0, None, 3.0, 4.0, 5.0, 6.0]))
    assert six["time_utc"].tolist() == [T0 + 8 * HOUR]
    assert six["value"].tolist() == [3.5]


def test_no_mean_at_an_hour_without_its_own_reading():
    values = air_quality.period_values(series("pm25", [20.0] * 23 + [None] + [20.0]))
    assert T0 + 24 * HOUR not in set(values["time_utc"])
    assert T0 + 25 * HOUR in set(values["time_utc"])


def test_float_noise_does_not_drop_a_mean_a_table_step():
    assert sum(Fraction(str(v)) for v in NOISY[-24:]) / 24 == 30
    t = T0 + 48 * HOUR
    frame = series("pm25", list(NOISY))
    assert at(air_quality.period_values(frame), t)["value"] == 30.0
    assert at(air_quality.hourly_aqi(frame), t)["aqi"] == expected_aqi(
        {"pm25": (30.0, "PT24H")}, t).value


def test_native_value_wins_over_the_hourly_mean():
    t = T0 + 24 * HOUR
    frame = obs(series("pm25", [20.0] * 24), series("pm25", [50.0], period="PT24H", start=t))
    values = air_quality.period_values(frame)
    assert at(values, t)[["value", "source"]].tolist() == [50.0, "native"]
    assert at(values, t - HOUR)[["value", "source"]].tolist() == [20.0, "hourly mean"]
    assert len(values) == 7


def test_suspect_rows_are_excluded_and_counted():
    hourly = series("pm25", [20.0] * 24 + [22.0] * 5)
    spike = series("pm25", [999.0], start=T0 + 30 * HOUR, quality="suspect")
    values = air_quality.period_values(obs(hourly, spike))
    assert at(values, T0 + 29 * HOUR)["value"] == round((19 * 20.0 + 5 * 22.0) / 24, 6)
    assert T0 + 30 * HOUR not in set(values["time_utc"])     # its only reading is suspect
    pd.testing.assert_frame_equal(values, air_quality.period_values(hourly))
    summary = air_quality.station_summary(obs(hourly, spike), T0, T0 + 48 * HOUR)
    assert summary.counts["suspect"] == 1
    assert "1 suspect rows excluded" in summary.notes


def test_other_periods_are_ignored_and_counted():
    hourly = series("pm25", [20.0] * 24)
    ten_minutes = series("pm25", [80.0] * 6, period="PT10M", start=T0 + 23 * HOUR)
    daily = series("pm10", [40.0], period="P1D", start=T0 + 24 * HOUR)
    frame = obs(hourly, ten_minutes, daily)
    pd.testing.assert_frame_equal(air_quality.period_values(frame),
                                  air_quality.period_values(hourly))
    summary = air_quality.station_summary(frame, T0, T0 + 48 * HOUR)
    assert summary.counts["other_period"] == 7
    assert "7 rows with another averaging period ignored (P1D, PT10M)" in summary.notes


def test_no2_and_so2_hourly_values_are_used_directly():
    frame = obs(series("no2", [12.0, 80.0, 150.0]), series("so2", [5.0, None, 450.0]),
                series("temperature", [31.0, 32.0, 33.0]))
    values = air_quality.period_values(frame)
    assert set(values["source"]) == {"native"}
    assert len(values) == 5
    hourly = air_quality.hourly_aqi(frame)
    assert len(hourly) == 3
    for n, (no2, so2) in enumerate([(12.0, 5.0), (80.0, None), (150.0, 450.0)], start=1):
        t = T0 + n * HOUR
        given = {"no2": (no2, "PT1H")} | ({"so2": (so2, "PT1H")} if so2 is not None else {})
        result = expected_aqi(given, t)
        assert at(hourly, t)[["aqi", "dominant"]].tolist() == [result.value, result.dominant]


def test_scheme_switches_at_midnight_bangkok_on_1_june_2023():
    switch = pd.Timestamp("2023-05-31T17:00Z")        # 2023-06-01 00:00 in Bangkok
    frame = series("pm25", [30.0] * 25, start=switch - 24 * HOUR)
    hourly = air_quality.hourly_aqi(frame)
    before, after = at(hourly, switch - HOUR), at(hourly, switch)
    assert (before["scheme"], after["scheme"]) == ("TH-2018", "TH-2023")
    old = aqi.aqi({"pm25": (30.0, "PT24H")}, datetime.date(2023, 5, 31))
    new = aqi.aqi({"pm25": (30.0, "PT24H")}, datetime.date(2023, 6, 1))
    assert (before["aqi"], after["aqi"]) == (old.value, new.value)
    assert before["aqi"] != after["aqi"]


@pytest.mark.parametrize("given", [
    {"pm25": 20.0, "o3": 90.0, "no2": 30.0, "co": 2.0},     # o3 highest
    {"pm25": 60.0, "pm10": 100.0, "so2": 120.0},             # pm25 highest
    {"pm25": 15.0, "pm10": 50.0},                            # tie at 25: first in table order
])
def test_hourly_aqi_is_the_highest_sub_index(given):
    t = T0 + 5 * HOUR
    frame = obs(*(series(v, [c], period=air_quality.TABLE_PERIOD[v], start=t)
                  for v, c in given.items()))
    row = air_quality.hourly_aqi(frame).iloc[0]
    result = expected_aqi({v: (c, air_quality.TABLE_PERIOD[v]) for v, c in given.items()}, t)
    assert result.value == max(result.sub_indices.values())
    assert row[["aqi", "band", "dominant", "scheme"]].tolist() == [
        result.value, result.band, result.dominant, result.scheme]


def test_station_summary_over_the_window():
    start, end = T0 + 24 * HOUR, T0 + 48 * HOUR
    levels = [10.0] * 24 + [30.0 + i for i in range(24)] + [200.0] * 5
    inside = obs(series("pm25", levels, start=T0 + HOUR), series("o3", [20.0] * 53, start=T0 + HOUR))
    only_before = series("pm25", [40.0] * 20, station="B")
    summary = air_quality.station_summary(obs(inside, only_before), start.to_pydatetime(), end)

    hourly = air_quality.hourly_aqi(inside)
    window = hourly[(hourly["time_utc"] >= start) & (hourly["time_utc"] < end)]
    assert len(window) == 24          # hours before start feed the first means
    row = summary.table.loc["A"]
    assert row["aqi_mean"] == pytest.approx(window["aqi"].mean())
    assert row["aqi_max"] == window["aqi"].max()
    assert row["aqi_latest"] == window["aqi"].iloc[-1]
    assert row["time_latest_utc"] == end - HOUR
    assert row["hours"] == 24
    assert row["dominant"] == "pm25"
    assert row["schemes"] == "TH-2023"
    # the first mean of the window averages the 24 hours before it (10 each)
    first = aqi.aqi({"pm25": (10.0, "PT24H"), "o3": (20.0, "PT8H")}, start.to_pydatetime())
    assert window["aqi"].iloc[0] == first.value

    assert list(summary.table.index) == ["A"]
    assert summary.stations_without_aqi == ("B",)
    assert "no AQI in the window for stations B" in summary.notes
    record = json.loads(json.dumps(summary.record()))
    assert record["schemes"] == ["TH-2023"]
    assert record["counts"]["stations"] == 1 and record["counts"]["hours"] == 24
    assert record["stations_without_aqi"] == ["B"]
    assert "(t - period, t]" in record["rules"]["hourly mean"]


def test_summary_schemes_and_dominant_across_the_switch():
    switch = pd.Timestamp("2023-05-31T17:00Z")
    frame = obs(series("pm25", [30.0] * 30, start=switch - 24 * HOUR),
                series("no2", [300.0] * 2, start=switch - 3 * HOUR))
    summary = air_quality.station_summary(frame, switch - 3 * HOUR, switch + 3 * HOUR)
    row = summary.table.loc["A"]
    assert row["schemes"] == "TH-2018,TH-2023"
    assert row["dominant"] == "pm25"          # 4 hours pm25, 2 hours no2
    assert summary.record()["schemes"] == ["TH-2018", "TH-2023"]


def test_naive_times_are_utc():
    aware = series("pm25", [20.0] * 24)
    naive = aware.assign(time_utc=aware["time_utc"].dt.tz_localize(None))
    text = aware.assign(time_utc=aware["time_utc"].dt.tz_convert("Asia/Bangkok").map(
        lambda t: t.isoformat()))
    expected = air_quality.hourly_aqi(aware)
    pd.testing.assert_frame_equal(air_quality.hourly_aqi(naive), expected, check_dtype=False)
    pd.testing.assert_frame_equal(air_quality.hourly_aqi(text), expected, check_dtype=False)
    assert air_quality.station_summary(aware, T0.tz_localize(None), T0 + 25 * HOUR).table.loc[
        "A", "hours"] == 7


def test_nan_values_are_dropped():
    frame = series("pm25", [20.0] * 24)
    frame.loc[3, "value"] = np.nan
    values = air_quality.period_values(frame)
    assert values["time_utc"].min() == T0 + 19 * HOUR
    assert air_quality.station_summary(frame, T0, T0 + 48 * HOUR).counts["no_value"] == 1


def test_missing_columns_are_named():
    frame = series("pm25", [20.0]).drop(columns=["averaging_period", "value"])
    for function in (air_quality.period_values, air_quality.hourly_aqi):
        with pytest.raises(ValueError, match=r"\['averaging_period', 'value'\]"):
            function(frame)
    with pytest.raises(ValueError, match="averaging_period"):
        air_quality.station_summary(frame, T0, T0 + HOUR)


@pytest.mark.parametrize("time", ["yesterday", "2024-13-01T00:00Z", None])
def test_bad_times_raise(time):
    frame = series("pm25", [20.0, 21.0]).astype({"time_utc": object})
    frame.loc[1, "time_utc"] = time
    with pytest.raises(ValueError, match="time_utc"):
        air_quality.period_values(frame)


def test_bad_window_duplicates_and_negative_values_raise():
    frame = series("pm25", [20.0] * 24)
    with pytest.raises(ValueError, match="start must be before end"):
        air_quality.station_summary(frame, T0 + HOUR, T0 + HOUR)
    with pytest.raises(ValueError, match="1 duplicate rows"):
        air_quality.period_values(obs(frame, frame.iloc[[5]]))
    frame.loc[2, "value"] = -1.0
    with pytest.raises(ValueError, match="negative concentrations at stations \\['A'\\]"):
        air_quality.hourly_aqi(frame)


def test_empty_input():
    empty = series("pm25", []).iloc[0:0]
    assert list(air_quality.period_values(empty).columns) == air_quality.PERIOD_COLUMNS
    assert list(air_quality.hourly_aqi(empty).columns) == air_quality.AQI_COLUMNS
    summary = air_quality.station_summary(empty, T0, T0 + HOUR)
    assert summary.table.empty
    assert list(summary.table.columns) == air_quality.SUMMARY_COLUMNS
    assert summary.notes == ("no observations of AQI pollutants",)
    assert json.loads(json.dumps(summary.record()))["counts"]["hours"] == 0
    only_temperature = series("temperature", [30.0, 31.0])
    assert air_quality.station_summary(only_temperature, T0, T0 + HOUR).table.empty


def _reference(frame):
    """Period values by brute force: per row, the rows in (t - period, t]."""
    native = {}
    hourly = {}
    for r in frame.itertuples(index=False):
        key = (r.station_id, r.variable)
        if r.averaging_period == air_quality.TABLE_PERIOD[r.variable]:
            native[key + (r.time_utc,)] = r.value
        else:
            hourly.setdefault(key, []).append((r.time_utc, r.value))
    values = dict(native)
    for (station, variable), rows in hourly.items():
        rows.sort()
        times = [t for t, _ in rows]
        width = pd.Timedelta(air_quality.TABLE_PERIOD[variable])
        need = {24: 18, 8: 6}[width // HOUR]
        for i, t in enumerate(times):
            window = [v for _, v in rows[bisect.bisect_right(times, t - width):i + 1]]
            if len(window) >= need:
                values.setdefault((station, variable, t), sum(window) / len(window))
    return values


def test_larger_frame_matches_brute_force():
    rng = np.random.default_rng(7)
    scale = {"pm25": 40, "pm10": 60, "o3": 40, "co": 1.5, "no2": 60, "so2": 60}
    parts = []
    for station in ("S1", "S2", "S3", "S4"):
        for variable, size in scale.items():
            values = np.round(rng.gamma(2.0, size / 2, 24 * 8), 1).tolist()
            gaps = rng.random(len(values)) < 0.2
            parts.append(series(variable, [None if g else v for v, g in zip(values, gaps)],
                                station=station, start=pd.Timestamp("2023-05-28T01:00Z")))
        parts.append(series("pm25", [55.5, 12.0], period="PT24H", station=station,
                            start=pd.Timestamp("2023-06-02T00:00Z")))
    frame = obs(*parts).sample(frac=1, random_state=1)       # input order does not matter

    values = air_quality.period_values(frame)
    reference = _reference(frame)
    got = {(r.station_id, r.variable, r.time_utc): r.value for r in values.itertuples()}
    assert got.keys() == reference.keys()
    for key, value in reference.items():
        assert got[key] == pytest.approx(value, abs=1e-6)

    hourly = air_quality.hourly_aqi(frame)
    assert set(hourly["scheme"]) == {"TH-2018", "TH-2023"}
    assert len(hourly) == len(values[["station_id", "time_utc"]].drop_duplicates())
    by_time = values.groupby(["station_id", "time_utc"])
    for row in hourly.itertuples():
        given = by_time.get_group((row.station_id, row.time_utc))
        result = expected_aqi({v: (c, air_quality.TABLE_PERIOD[v])
                               for v, c in zip(given["variable"], given["value"])}, row.time_utc)
        assert (row.aqi, row.band, row.dominant, row.scheme) == (
            result.value, result.band, result.dominant, result.scheme)
