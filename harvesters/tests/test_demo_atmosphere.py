"""The demo's made-up atmosphere (``ckanext.maemoh.demo.atmosphere``) has the
structure a PM2.5 forecaster can learn (haze season, night-time
accumulation, upwind fires a day ahead, autocorrelated hours, rain
washout), is deterministic and fast, and is what the replay server serves.
"""
import datetime
import importlib.util
import io
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from ckanext.maemoh.demo import atmosphere
from ckanext.maemoh.harvesters.replay import Request

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "demo" / "replay_sources.py"
_spec = importlib.util.spec_from_file_location("replay_sources_atmosphere", SCRIPT)
replay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replay)

UTC = datetime.timezone.utc
START, END = "2024-01-01", "2026-01-01"  # two years
NOW = datetime.datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # the CKAN tests' frozen instant
AIR = [s for s in atmosphere.STATIONS if s != "MM-WX-01"]


def clear_caches():
    for cached in (atmosphere._district, atmosphere._fire_block, atmosphere._smoke,
                   atmosphere._place, atmosphere._weather):
        cached.cache_clear()


@pytest.fixture(scope="module")
def table():
    frame = atmosphere.hourly(START, END)
    frame["local"] = frame["time_utc"].dt.tz_convert("Asia/Bangkok")
    return frame


def series(table, variable, station=None):
    rows = table[(table["variable"] == variable)
                 & ((table["station_id"] == station) if station else True)]
    return rows


def pm25_mean(table):
    """The hourly PM2.5 averaged over the four stations, by local time."""
    return series(table, "pm25").groupby("local")["value"].mean()


def test_stations_and_the_long_format(table):
    assert list(atmosphere.STATIONS) == ["38t", "39t", "40t", "37t", "MM-WX-01"]
    assert list(table.columns[:4]) == ["station_id", "variable", "time_utc", "value"]
    assert str(table["time_utc"].dt.tz) == "UTC"
    hours = pd.date_range("2024-01-01 01:00", END, freq="h", tz="UTC")
    expected = {(s, v) for s in AIR for v in ("pm25", "pm10")} | {
        ("MM-WX-01", v) for v in ("temperature", "relative-humidity", "wind-speed",
                                  "wind-direction", "rainfall")}
    assert set(map(tuple, table[["station_id", "variable"]].drop_duplicates().to_numpy())) == expected
    for _, group in table.groupby(["station_id", "variable"]):
        assert (group["time_utc"].to_numpy() == hours.to_numpy()).all()
    # start excluded, end included
    short = atmosphere.hourly("2025-03-01T00:30:00Z", "2025-03-01T03:00:00Z", ["38t"])
    assert sorted(set(short["time_utc"].dt.hour)) == [1, 2, 3]


def test_the_haze_season_is_far_above_the_wet_season(table):
    pm = pm25_mean(table)
    month = pm.index.month
    haze, wet = pm[month.isin([2, 3, 4])], pm[month.isin([6, 7, 8, 9])]
    assert haze.mean() > 3 * wet.mean()
    assert 10 <= wet.mean() <= 20 and (wet < 25).mean() > 0.85  # mostly under 25
    daily = pm.groupby(pm.index.date).mean()
    assert 100 <= daily.max() <= 200  # the worst days of an episode
    pm10 = series(table, "pm10")["value"].to_numpy() / series(table, "pm25")["value"].to_numpy()
    assert 1.25 <= np.percentile(pm10, 1) and np.percentile(pm10, 99) <= 1.65


def test_nights_are_higher_than_afternoons(table):
    pm = pm25_mean(table)
    hour = pm.index.hour
    assert pm[(hour >= 1) & (hour <= 6)].mean() > 1.4 * pm[(hour >= 13) & (hour <= 17)].mean()
    speed = series(table, "wind-speed").groupby(lambda i: table.loc[i, "local"].hour)["value"].mean()
    assert speed.loc[[1, 2, 3, 4, 5]].mean() < 0.5 * speed.loc[[13, 14, 15]].mean()  # calm nights


def test_upwind_fires_raise_next_days_pm25(table):
    pm = pm25_mean(table)
    daily = pm.groupby(pm.index.date).mean()
    direction = series(table, "wind-direction").set_index("local")["value"]
    radians = np.radians(direction)
    by_day = radians.index.date
    wind_from = np.degrees(np.arctan2(np.sin(radians).groupby(by_day).mean(),
                                      np.cos(radians).groupby(by_day).mean())) % 360
    fires = atmosphere.fire_detections(START, END)
    assert list(fires.columns) == ["time_utc", "latitude", "longitude", "frp_mw"]
    latitude, longitude = atmosphere.CENTRE
    north = (fires["latitude"] - latitude) * 111.32
    east = (fires["longitude"] - longitude) * 111.32 * np.cos(np.radians(latitude))
    distance = np.hypot(east, north)
    assert distance.max() <= 301
    bearing = np.degrees(np.arctan2(east, north)) % 360
    day = fires["time_utc"].dt.date
    off = np.abs((bearing - day.map(wind_from) + 180) % 360 - 180)
    upwind = (fires["frp_mw"] * np.exp(-distance / 150) * (off < 45)).groupby(day).sum()
    upwind = upwind.reindex(daily.index, fill_value=0.0)
    following = daily.shift(-1)
    haze = pd.to_datetime(daily.index).month.isin([2, 3, 4]) & following.notna().to_numpy()
    x, y = upwind[haze], following[haze]
    assert np.corrcoef(x, y)[0, 1] > 0.4
    strong, calm = y[x >= x.quantile(0.75)].mean(), y[x <= x.quantile(0.25)].mean()
    assert strong > 1.3 * calm
    # and fires follow their season: March dwarfs August
    month = fires["time_utc"].dt.month
    assert (month == 3).sum() > 100 * max(1, (month == 8).sum())


def test_hours_are_autocorrelated(table):
    for station in AIR:
        pm = series(table, "pm25", station)["value"]
        assert pm.autocorr(1) > 0.9
        assert pm.diff().autocorr(1) < 0.9  # not a random walk either


def test_rain_is_followed_by_lower_pm25(table):
    rain = series(table, "rainfall").set_index("time_utc")["value"]
    recent = rain.rolling(3).sum().shift(1)
    dry = rain.rolling(12).sum() == 0
    for station in AIR:
        pm = series(table, "pm25", station).set_index("time_utc")["value"]
        local = pm.index.tz_convert("Asia/Bangkok")
        relative = pm / pm.groupby([local.month, local.hour]).transform("mean")
        after = relative[recent.reindex(pm.index) >= 1]
        assert len(after) > 200
        assert after.mean() < 0.8 * relative[dry.reindex(pm.index, fill_value=False)].mean()


def test_weather_has_its_seasons(table):
    month = lambda rows: rows["local"].dt.month  # noqa: E731
    temperature = series(table, "temperature")
    assert temperature["value"].between(10, 42).all()
    april, january = (temperature[month(temperature) == m]["value"] for m in (4, 1))
    assert april.max() > january.max() and april.min() > january.min()
    rain = series(table, "rainfall")
    assert rain[month(rain).isin([5, 6, 7, 8, 9, 10])]["value"].sum() > 8 * rain[
        month(rain).isin([11, 12, 1, 2])]["value"].sum()
    assert (rain["value"] >= 0).all()
    direction = series(table, "wind-direction")
    assert direction["value"].between(0, 359).all()
    for months, centre in (([12, 1], 20), ([6, 7, 8], 230)):
        chosen = np.radians(direction[month(direction).isin(months)]["value"])
        mean = np.degrees(np.arctan2(np.sin(chosen).mean(), np.cos(chosen).mean())) % 360
        assert abs((mean - centre + 180) % 360 - 180) < 40, (months, mean)
    humidity = series(table, "relative-humidity")["value"]
    assert humidity.between(15, 99).all()


def test_the_same_values_every_time(table):
    again = atmosphere.hourly("2025-02-01", "2025-03-01")
    clear_caches()
    fresh = atmosphere.hourly("2025-02-01", "2025-03-01")
    pd.testing.assert_frame_equal(again, fresh)
    window = table[(table["time_utc"] > "2025-02-01") & (table["time_utc"] <= "2025-03-01")]
    pd.testing.assert_frame_equal(window.drop(columns="local").reset_index(drop=True), fresh)
    assert atmosphere.fires(datetime.date(2025, 3, 1)) == atmosphere.fires(datetime.date(2025, 3, 1))
    # in another process, with another hash seed
    program = ("from ckanext.maemoh.demo import atmosphere\n"
               "print(atmosphere.hourly('2025-02-01', '2025-03-01')['value'].sum().round(3),"
               " len(atmosphere.fires(__import__('datetime').date(2025, 3, 1))))\n")
    other = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                           check=True, timeout=60, env={**os.environ, "PYTHONHASHSEED": "99"})
    assert other.stdout.split() == [str(fresh["value"].sum().round(3)),
                                    str(len(atmosphere.fires(datetime.date(2025, 3, 1))))]


def test_two_years_hourly_in_under_ten_seconds():
    clear_caches()
    started = time.perf_counter()
    frame = atmosphere.hourly("2024-03-01", "2026-03-01")
    assert time.perf_counter() - started < 10
    assert len(frame) == (2 * 4 + 5) * 24 * 730


def test_the_frozen_instant_is_a_haze_afternoon():
    values = [atmosphere.pm25(s, NOW) for s in AIR]
    assert all(30 <= v <= 120 for v in values), values


def history(station, params, first, last, now=NOW):
    request = Request("GET", "/forweb/getHistoryData.php", {
        "stationID": station, "param": ",".join(params), "type": "hr",
        "sdate": first.isoformat(), "edate": last.isoformat(), "stime": "00", "etime": "23"}, {})
    return json.loads(replay.air4thai(request, "/forweb/getHistoryData.php", now)[2])


def test_served_air4thai_history_is_hourly():
    for station in AIR:
        (answer,) = history(station, ["PM25", "PM10"], datetime.date(2026, 2, 1),
                            datetime.date(2026, 3, 10))["stations"]
        served = pd.DataFrame(answer["data"])
        served["time_utc"] = pd.to_datetime(served["DATETIMEDATA"]).dt.tz_localize(
            "Asia/Bangkok").dt.tz_convert("UTC")
        generated = atmosphere.hourly("2026-01-31T16:00:00Z", NOW, [station]).pivot(
            index="time_utc", columns="variable", values="value")
        served = served.set_index("time_utc")
        assert list(served.index) == list(generated.index)
        for param, variable in (("PM25", "pm25"), ("PM10", "pm10")):
            ok = served[param].notna() & (served[param] != -999)
            assert ok.mean() > 0.95
            assert (served.loc[ok, param].astype(float) == generated.loc[ok, variable]).all()


def test_a_year_of_history_is_served_in_well_under_a_second():
    clear_caches()
    started = time.perf_counter()
    (answer,) = history("39t", ["PM25"], datetime.date(2025, 3, 11), datetime.date(2026, 3, 10))[
        "stations"]
    assert time.perf_counter() - started < 0.8
    assert len(answer["data"]) == 364 * 24 + 15  # up to now, 14:00 in Bangkok


def test_served_weather_is_hourly():
    handler = replay.make_handler(lambda: NOW)
    generated = atmosphere.hourly(NOW - datetime.timedelta(days=2), NOW, ["MM-WX-01"])
    streams = {101: "temperature", 102: "relative-humidity", 103: "wind-speed",
               104: "wind-direction", 105: "rainfall"}
    since = (NOW - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for ds_id, variable in streams.items():
        answer = handler(Request("GET", f"/sensorthings/v1.1/Datastreams({ds_id})/Observations",
                                 {"$filter": f"phenomenonTime ge {since}", "$top": "1000"},
                                 {"Host": "demo"}))
        served = {pd.Timestamp(o["resultTime"]): o["result"] for o in json.loads(answer[2])["value"]}
        expected = generated[generated["variable"] == variable].set_index("time_utc")["value"]
        assert served == expected.to_dict(), variable


def test_served_fire_detections_are_the_generators():
    bbox = (99.3, 18.0, 100.4, 18.9)
    for source in atmosphere.SOURCE_NAMES:
        body = replay.firms(None, "/api/area/csv/key/%s/%s/5" % (source, ",".join(map(str, bbox))),
                            NOW)[2].decode()
        table = pd.read_csv(io.StringIO(body), dtype=str)
        served = sorted(zip(table["acq_date"], table["acq_time"].str.zfill(4),
                            table["latitude"], table["longitude"], table["frp"]))
        modis = source == "MODIS_NRT"
        expected = sorted(
            (t.date().isoformat(), t.strftime("%H%M"), f"{lat:.{4 if modis else 5}f}",
             f"{lon:.{4 if modis else 5}f}", f"{frp:.{1 if modis else 2}f}")
            for k in range(5)
            for t, lat, lon, frp, s in atmosphere.fires(NOW.date() - datetime.timedelta(days=k))
            if s == source and t <= NOW and bbox[1] <= lat <= bbox[3] and bbox[0] <= lon <= bbox[2])
        assert served == expected and served, source
