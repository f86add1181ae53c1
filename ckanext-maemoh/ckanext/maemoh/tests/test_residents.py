"""The data behind the residents' pages, against the real stack: the demo
replay server's Air4Thai stations and FIRMS detections harvested as of NOW,
then read back as the pages and the public actions see them."""
import datetime as dt
import json
from decimal import ROUND_DOWN, Decimal

import pandas as pd
import pytest
from pyproj import Geod

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.store import datastore_tables
from ckanext.maemoh.reference import places
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.risk_jobs import air_quality, aqi, dimensions
from ckanext.maemoh.tests.helpers import TYPE_FIELDS, valid_dataset
from ckanext.maemoh.tests.helpers import NOW, harvest
from ckanext.maemoh.risk_jobs import air_now

stack = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk", "district")
HOURS = pd.Timedelta(hours=1)
STATIONS = {"38t": "520205", "39t": "520201", "40t": "520204"}  # where the demo stations stand
NO_STATION = ("520202", "520203")
GEOD = Geod(ellps="WGS84")


def sysadmin():
    return {"user": factories.Sysadmin()["name"]}


def records(resource_id, **filters):
    return helpers.call_action("datastore_search", context={"user": ""}, resource_id=resource_id,
                               filters=filters, limit=100000)["records"]


def table_of(dataset_name, name):
    dataset = helpers.call_action("package_show", id=dataset_name)
    return next(r["id"] for r in dataset["resources"] if r["name"] == name)


def observations(station_id, start, end):
    """The station's rows with ``start < time_utc <= end``, read through the Action API."""
    rows = pd.DataFrame(records(table_of(f"air4thai-station-{station_id}", "Observations")))
    rows["time_utc"] = pd.to_datetime(rows["time_utc"], utc=True)
    return rows[(rows["time_utc"] > start) & (rows["time_utc"] <= end)]


def km_from_centroid(code, station):
    centroid = places.tambons()[code].centroid
    return GEOD.inv(centroid.x, centroid.y, station["longitude"], station["latitude"])[2] / 1000


def own_station(district, station_id, point, no2, private=False):
    """A station of our own at ``point`` with hourly NO2 ``{time: ppb}`` (UTC)."""
    fields = {**TYPE_FIELDS["sensor-station"], "station_id": station_id, "measured_parameters": ["no2"]}
    dataset = helpers.call_action("package_create", context=sysadmin(), **valid_dataset(
        name=f"test-station-{station_id}", type="sensor-station", owner_org=district["id"],
        spatial=json.dumps({"type": "Point", "coordinates": list(point)}), private=private, **fields))
    resource_id = datastore_tables.ensure_table(sysadmin(), dataset["id"], datastore_tables.OBSERVATIONS)
    helpers.call_action("datastore_upsert", context=sysadmin(), resource_id=resource_id, method="upsert",
                        force=True, records=[{
                            "station_id": station_id, "network": "air4thai", "variable": "no2",
                            "time_utc": time.tz_convert("UTC").tz_localize(None).isoformat(),
                            "averaging_period": "PT1H", "value": value, "unit": "[ppb]",
                            "quality": "valid"} for time, value in no2.items()])
    return dataset


def inside(code):
    point = places.tambons()[code].representative_point()
    return point.x, point.y


@stack
def test_station_aqi_is_the_latest_hourly_aqi_of_the_last_48_hours(district):
    harvest(district, NOW, "air4thai")
    now = pd.Timestamp(NOW)
    stations = residents.station_aqi(NOW)
    assert [s["station_id"] for s in stations] == sorted(STATIONS)
    for station in stations:
        rows = observations(station["station_id"], now - 72 * HOURS, now)
        hourly = air_quality.hourly_aqi(rows)
        latest = hourly[hourly["time_utc"] > now - 48 * HOURS].sort_values("time_utc").iloc[-1]
        assert (station["aqi"], station["band"], station["dominant"], station["scheme"]) == (
            latest["aqi"], latest["band"], latest["dominant"], latest["scheme"])
        assert station["time_utc"] == latest["time_utc"].isoformat()
        assert station["time_local"] == latest["time_utc"].tz_convert("Asia/Bangkok").isoformat()
        assert station["time_local"].endswith("+07:00")
        assert station["age_hours"] == (now - latest["time_utc"]) / HOURS < 3
        assert station["stale"] is False
        assert station["tambon_code"] == STATIONS[station["station_id"]]
        assert station["dataset_name"] == f"air4thai-station-{station['station_id']}"
        assert station["name_th"] and station["name_en"]
        assert -180 <= station["longitude"] <= 180 and -90 <= station["latitude"] <= 90
    json.dumps(stations)  # plain values only


@stack
def test_an_old_reading_is_stale_and_no_reading_is_no_aqi(district):
    harvest(district, NOW, "air4thai")
    current = {s["station_id"]: s for s in residents.station_aqi(NOW)}
    later = {s["station_id"]: s for s in residents.station_aqi(NOW + dt.timedelta(hours=5))}
    for station_id, station in later.items():
        assert station["stale"] is True and station["aqi"] == current[station_id]["aqi"]
        assert station["age_hours"] == current[station_id]["age_hours"] + 5
    tambons = residents.tambon_aqi(NOW + dt.timedelta(hours=5))
    assert all(t["stale"] and t["aqi"] is not None for t in tambons)
    shown = residents.aqi_latest("en", now=NOW + dt.timedelta(hours=5))
    assert {s["band_name"] for s in shown["stations"] + shown["tambons"]} == {"No current data"}
    assert all(s["band"] in range(1, 6) for s in shown["stations"])  # the last band is kept
    assert shown["stale_after_hours"] == 3

    gone = residents.station_aqi(NOW + dt.timedelta(hours=50))
    assert [s["station_id"] for s in gone] == sorted(STATIONS)
    for station in gone:
        assert station["stale"] is True
        assert {k: station[k] for k in ("aqi", "band", "dominant", "time_utc", "age_hours")} == dict.fromkeys(
            ("aqi", "band", "dominant", "time_utc", "age_hours"))
    assert all(t["aqi"] is None and t["stale"] and t["source"] is None
               for t in residents.tambon_aqi(NOW + dt.timedelta(hours=50)))


@stack
def test_the_stale_limit_is_a_setting(district, monkeypatch):
    harvest(district, NOW, "air4thai")
    monkeypatch.setitem(tk.config, residents.STALE_OPTION, 6)
    assert not any(s["stale"] for s in residents.station_aqi(NOW + dt.timedelta(hours=5)))
    assert all(s["stale"] for s in residents.station_aqi(NOW + dt.timedelta(hours=7)))


@stack
def test_a_tambon_without_a_station_takes_the_nearest_and_says_so(district):
    harvest(district, NOW, "air4thai")
    stations = residents.station_aqi(NOW)
    by_id = {s["station_id"]: s for s in stations}
    tambons = residents.tambon_aqi(NOW, stations)
    assert [t["tambon_code"] for t in tambons] == ["520201", "520202", "520203", "520204", "520205"]
    assert tambons[3]["name_en"] == "Mae Mo" and tambons[3]["name_th"] == "แม่เมาะ"
    for tambon in tambons:
        code = tambon["tambon_code"]
        if code in NO_STATION:
            nearest = min(stations, key=lambda s: km_from_centroid(code, s))
            assert tambon["source"] == "nearest station" and tambon["stations"] == [nearest["station_id"]]
            assert tambon["nearest_km"] == round(km_from_centroid(code, nearest), 1) > 0
        else:
            (own,) = [s for s, c in STATIONS.items() if c == code]
            assert tambon["source"] == "station" and tambon["stations"] == [own]
            assert tambon["nearest_km"] is None
        used = by_id[tambon["stations"][0]]
        assert (tambon["aqi"], tambon["band"], tambon["time_local"]) == (
            used["aqi"], used["band"], used["time_local"])
        assert tambon["stale"] is False
    assert residents.tambon_aqi(NOW) == tambons


@stack
def test_a_tambon_shows_its_highest_fresh_station(district):
    harvest(district, NOW, "air4thai")
    worst = own_station(district, "bad1", inside("520205"), {pd.Timestamp(NOW) - HOURS: 500})
    sop_pat = next(t for t in residents.tambon_aqi(NOW) if t["tambon_code"] == "520205")
    assert sop_pat["source"] == "station" and sorted(sop_pat["stations"]) == ["38t", "bad1"]
    assert sop_pat["aqi"] == aqi.sub_index("no2", 500, "TH-2023") and sop_pat["band"] == 5
    assert worst["name"] == "test-station-bad1"


@stack
def test_private_stations_are_not_listed_nor_used(district):
    harvest(district, NOW, "air4thai")
    helpers.call_action("package_patch", context=sysadmin(), id="air4thai-station-40t", private=True)
    stations = residents.station_aqi(NOW)
    assert [s["station_id"] for s in stations] == ["38t", "39t"]
    mae_mo = next(t for t in residents.tambon_aqi(NOW, stations) if t["tambon_code"] == "520204")
    assert mae_mo["source"] == "nearest station" and mae_mo["stations"] != ["40t"]
    assert all(day["station_id"] != "40t" for day in residents.pm25_daily("520204", 3, NOW))
    snapshot.refresh()
    latest = helpers.call_action("maemoh_aqi_latest", context={"user": ""}, tambon="520204")
    assert "40t" not in json.dumps(latest)


@pytest.mark.parametrize("lang", air_now.LANGUAGES)
def test_band_info_in_both_languages(lang):
    for number, band in aqi.BANDS.items():
        info = air_now.band_info(number, lang)
        assert info["number"] == number and info["colour"] == band.hex
        assert info["name"] == getattr(band, f"name_{lang}")
        assert info["advice_general"] == getattr(band, f"advice_general_{lang}")
        assert info["advice_sensitive"] == getattr(band, f"advice_sensitive_{lang}")
        assert (info["text_colour"], info["icon"], info["aqi_min"]) == (band.text_hex, band.icon, band.aqi_min)
        assert info["label"] == getattr(band, f"label_{lang}")
    none = air_now.band_info(None, lang)
    assert none["number"] is None and none["name"] == {"th": "ไม่มีข้อมูลปัจจุบัน", "en": "No current data"}[lang]
    assert none["colour"].startswith("#") and none["icon"] and none["advice_general"] and none["advice_sensitive"]
    assert air_now.band_info("3", lang) == air_now.band_info(3, lang)
    with pytest.raises(ValueError, match="band"):
        air_now.band_info(6, lang)
    with pytest.raises(ValueError, match="lang"):
        air_now.band_info(1, "fr")


@stack
def test_risk_summary_reads_the_published_tambon_tables(app, district):
    assert residents.risk_summary() == {}
    harvest(district, NOW, "air4thai")
    assert risk_runs.execute("air") == {"status": "published", "dataset": "risk-air"}
    summary = residents.risk_summary()
    assert list(summary) == ["air"]
    air = summary["air"]
    dataset = helpers.call_action("package_show", id="risk-air")
    assert (air["dataset"], air["computed_at"]) == ("risk-air", dataset["computed_at"])
    expected = sorted(records(table_of("risk-air", "Risk per tambon")), key=lambda r: r["tambon_code"])
    assert {r["run_id"] for r in expected} == {dataset["published_run"]}
    table = [{k: v for k, v in r.items() if k not in ("_id", "run_id")} for r in expected]
    assert [{k: row[k] for k in table[0]} for row in air["tambons"]] == table
    scale = dimensions.get("air").scale
    for row in air["tambons"]:  # each tambon's mean on the dimension's scale, named
        assert row["hazard_level"] == scale.level(pd.Series([row["value_mean"]])).iloc[0]
        assert row["hazard_label_en"] == scale.labels_en[row["hazard_level"] - 1]
    assert [r["tambon_code"] for r in air["tambons"]] == ["520201", "520202", "520203", "520204", "520205"]
    assert residents.risk_summary(tambon="520204")["air"]["tambons"] == [air["tambons"][3]]
    assert residents.risk_summary(dimension="fire") == {}
    snapshot.refresh()
    assert snapshot.risk_summary() == summary
    over_http = app.get("/api/3/action/maemoh_risk_summary?dimension=air&tambon=520204")
    assert over_http.status_code == 200
    assert over_http.json["result"]["air"]["tambons"][0]["name_en"] == "Mae Mo"
    for query in ("dimension=smoke", "tambon=999999"):
        bad = app.get(f"/api/3/action/maemoh_risk_summary?{query}")
        assert bad.status_code == 409, query
    helpers.call_action("package_patch", context=sysadmin(), id="risk-air", private=True)
    assert residents.risk_summary() == {}
    snapshot.refresh()
    assert app.get("/api/3/action/maemoh_risk_summary").json["result"] == {}


@stack
def test_fire_hotspots_of_a_window_without_low_confidence(district):
    harvest(district, NOW, "firms")
    now = pd.Timestamp(NOW)
    fires = helpers.call_action("package_show", id="firms-source-data")["resources"]
    # one detection of each confidence two hours ago, whatever the replay gave that day
    table_id = next(r["id"] for r in fires if r.get("datastore_active"))
    helpers.call_action("datastore_upsert", resource_id=table_id, method="insert", force=True, records=[
        {"source": "VIIRS_SNPP_NRT", "time_utc": (NOW - 2 * HOURS).isoformat(), "latitude": 18.30 + k / 100,
         "longitude": 99.75, "brightness_k": 310.0, "frp_mw": 2.5, "confidence": confidence,
         "confidence_raw": confidence[0], "satellite": "N", "instrument": "VIIRS", "daynight": "D",
         "raw_ref": f"test:{confidence}"} for k, confidence in enumerate(("low", "nominal"))])
    table = pd.concat([pd.DataFrame(records(r["id"])) for r in fires if r.get("datastore_active")])
    table["time_utc"] = pd.to_datetime(table["time_utc"], utc=True)
    for hours in (24, 48, 120):
        found = residents.fire_hotspots(hours=hours, now=NOW)
        window = table[(table["time_utc"] > now - hours * HOURS) & (table["time_utc"] <= now)]
        expected = window[window["confidence"] != "low"]
        assert sorted((f["time_utc"], f["latitude"], f["longitude"]) for f in found) == sorted(
            (t.isoformat(), lat, lon) for t, lat, lon in zip(
                expected["time_utc"], expected["latitude"], expected["longitude"]))
        assert [f["time_utc"] for f in found] == sorted((f["time_utc"] for f in found), reverse=True)
        assert all(f["confidence"] in ("nominal", "high") for f in found)
    assert len(found) and (table["confidence"] == "low").any()
    first = found[0]
    assert first["time_local"].endswith("+07:00") and first["frp_mw"] >= 0
    assert first["tambon_code"] in (*places.tambons(), None)
    assert residents.fire_hotspots(hours=48, now=NOW - dt.timedelta(days=10)) == []
    with pytest.raises(ValueError, match="hours"):
        residents.fire_hotspots(hours=0, now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        residents.fire_hotspots(now=dt.datetime(2025, 1, 1))


@stack
def test_daily_pm25_is_the_mean_of_the_days_hourly_readings(district):
    harvest(district, NOW, "air4thai")
    now = pd.Timestamp(NOW)
    today = now.tz_convert("Asia/Bangkok").date()
    days = residents.pm25_daily("520205", 7, NOW)
    assert [d["date"] for d in days] == [(today - dt.timedelta(days=k)).isoformat() for k in range(7, 0, -1)]
    rows = observations("38t", now - 10 * 24 * HOURS, now)
    pm25 = rows[(rows["variable"] == "pm25") & (rows["averaging_period"] == "PT1H")
                & (rows["quality"] != "suspect") & rows["value"].notna()]
    means = air_quality.period_values(rows)
    means = means[(means["variable"] == "pm25") & (means["source"] == "hourly mean")]
    for day in days:
        date = dt.date.fromisoformat(day["date"])
        start = pd.Timestamp(dt.datetime.combine(date, dt.time(), aqi.BANGKOK))
        hours = pm25[(pm25["time_utc"] > start) & (pm25["time_utc"] <= start + 24 * HOURS)]
        assert len(hours) == day["hours"] >= 18, day   # the demo's outages last 2-4 hours
        expected = float(Decimal(repr(round(float(hours["value"].mean()), 6))).quantize(Decimal("0.1"), ROUND_DOWN))
        assert day["value_ug_m3"] == expected and day["station_id"] == "38t"  # truncated to 0.1
        # the same as the 24-hour mean the AQI uses at the end of the day
        at_midnight = means[means["time_utc"] == start + 24 * HOURS]["value"]
        if len(at_midnight):
            assert float(aqi.truncate("pm25", at_midnight.iloc[0], "TH-2023")) == day["value_ug_m3"]
        assert day["standard_ug_m3"] == air_now.PM25_24H_STANDARD_UG_M3 == 37.5
        assert day["exceeds_standard"] == (day["value_ug_m3"] > 37.5)
    nearest = next(t for t in residents.tambon_aqi(NOW) if t["tambon_code"] == "520202")["stations"]
    assert {d["station_id"] for d in residents.pm25_daily("520202", 3, NOW)} == set(nearest)
    with pytest.raises(ValueError, match="tambon"):
        residents.pm25_daily("999999", 7, NOW)
    with pytest.raises(ValueError, match="days"):
        residents.pm25_daily("520205", 0, NOW)


def test_a_day_with_fewer_than_18_hours_has_no_value():
    def day(hours):
        times = pd.date_range("2025-01-09T17:00Z", periods=hours, freq="h") + HOURS  # 10 Jan, Bangkok
        return pd.DataFrame({"station_id": "x", "variable": "pm25", "time_utc": times,
                             "averaging_period": "PT1H", "value": 40.0, "quality": None})
    assert air_now.daily_means(day(18)).loc[dt.date(2025, 1, 10)].to_dict() == {"value": 40.0, "hours": 18}
    assert pd.isna(air_now.daily_means(day(17)).loc[dt.date(2025, 1, 10), "value"])


@stack
def test_band_changes_newest_first(district):
    now = pd.Timestamp(NOW)
    no2 = {now - k * HOURS: value for k, value in zip(range(10, 0, -1), [20] * 5 + [80] * 3 + [20] * 2)}
    own_station(district, "chg1", inside("520203"), no2)
    low, high = aqi.sub_index("no2", 20, "TH-2023"), aqi.sub_index("no2", 80, "TH-2023")
    changes = residents.band_changes("520203", days=1, now=NOW)
    assert [(c["time_utc"], c["band_from"], c["band_to"], c["aqi"], c["station_id"]) for c in changes] == [
        ((now - 2 * HOURS).isoformat(), 2, 1, low, "chg1"),
        ((now - 5 * HOURS).isoformat(), 1, 2, high, "chg1")]
    assert changes[0]["time_local"] == (now - 2 * HOURS).tz_convert("Asia/Bangkok").isoformat()
    # only hours in (now - days, now] and nothing after now
    assert len(residents.band_changes("520203", days=0.1, now=NOW)) == 1
    assert [c["band_to"] for c in residents.band_changes("520203", days=1, now=NOW - dt.timedelta(hours=3))] == [2]
    # a tambon without a station follows the nearest one
    assert residents.band_changes("520202", days=1, now=NOW) == changes
    chang_nuea = next(t for t in residents.tambon_aqi(NOW) if t["tambon_code"] == "520203")
    assert (chang_nuea["source"], chang_nuea["stations"], chang_nuea["aqi"]) == ("station", ["chg1"], low)


@stack
def test_the_actions_are_public_over_http(app, district):
    harvest(district, NOW, "air4thai")
    snapshot.refresh()
    for action in ("maemoh_aqi_latest", "maemoh_risk_summary"):
        assert helpers.call_auth(action, {"user": None, "model": None})
    english = app.get("/api/3/action/maemoh_aqi_latest?lang=en")
    assert english.status_code == 200
    result = english.json["result"]
    assert set(result) == {"stations", "tambons", "stale_after_hours", "computed_at"}
    assert result["stale_after_hours"] == 3 and result["computed_at"] == NOW.isoformat()
    assert len(result["stations"]) == 3 and len(result["tambons"]) == 5
    names = {info.name_en for info in aqi.BANDS.values()}
    for item in result["stations"] + result["tambons"]:
        assert {"band_name", "colour", "icon", "advice_general", "advice_sensitive"} <= set(item)
        if not item["stale"]:
            info = air_now.band_info(item["band"], "en")
            assert item["band_name"] in names and item["colour"] == info["colour"]
            assert item["advice_sensitive"] == info["advice_sensitive"]
        assert item["name"] == item["name_en"]
    thai = app.get("/api/3/action/maemoh_aqi_latest").json["result"]  # Thai by default
    assert thai["tambons"][0]["name"] == "บ้านดง"
    assert {t["band_name"] for t in thai["tambons"]} <= {b.name_th for b in aqi.BANDS.values()} | {"ไม่มีข้อมูลปัจจุบัน"}
    one = app.get("/api/3/action/maemoh_aqi_latest?lang=en&tambon=520202").json["result"]
    assert [t["tambon_code"] for t in one["tambons"]] == ["520202"]
    assert [s["station_id"] for s in one["stations"]] == one["tambons"][0]["stations"]
    for query in ("lang=fr", "tambon=999999", "lang=en&tambon=x"):
        bad = app.get(f"/api/3/action/maemoh_aqi_latest?{query}")
        assert bad.status_code == 409 and bad.json["success"] is False, query
