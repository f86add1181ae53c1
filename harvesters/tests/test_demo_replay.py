"""The demo's replay server (``deploy/demo/replay_sources.py``) through the
real adapters, configured as ``deploy/demo/harvest_sources.json`` registers
them: the expected stations, weeks of hourly data at plausible levels, only
the deliberate rejects, no personal data, and the same answer every time.
"""
import configparser
import datetime
import hashlib
import importlib.util
import json
import math
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections import defaultdict
from types import SimpleNamespace

import pytest
import requests

from ckanext.maemoh.harvesters import (
    agency_files, air4thai, dustboy, firms, model, openaq, sensorthings)
from ckanext.maemoh.harvesters.base import split_cadence
from ckanext.maemoh.harvesters.replay import ReplayServer, Request

DEMO = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "demo"
SCRIPT = DEMO / "replay_sources.py"
_spec = importlib.util.spec_from_file_location("replay_sources", SCRIPT)
replay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replay)

SOURCES = json.loads((DEMO / "harvest_sources.json").read_text(encoding="utf-8"))
_SECRETS = configparser.ConfigParser()
_SECRETS.read(DEMO / "secrets.ini", encoding="utf-8")


def with_secrets(config):
    """A source's configuration as its adapter gets it: without the cadence,
    and with its secret references replaced, as the CKAN glue does from the
    server configuration (deploy/demo/secrets.ini)."""
    config, _minutes = split_cadence(config)
    return {key: _SECRETS["app:main"][f"ckanext.maemoh.secret.{value['secret']}"]
            if isinstance(value, dict) and set(value) == {"secret"} else value
            for key, value in config.items()}
ADAPTERS = {cls.name: cls for cls in (air4thai.Air4Thai, openaq.OpenAQ, sensorthings.SensorThings,
                                      dustboy.DustBoy, firms.Firms, agency_files.AgencyFiles)}
#: hourly stations, low-cost sensors every 15 minutes, satellites several
#: times a day, agency files daily
CADENCE = {"air4thai": 60, "openaq": 60, "dustboy": 15, "sensorthings": 15, "firms": 180,
           "agency-files": 1440}
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
NOW = datetime.datetime(2026, 3, 10, 7, 20, tzinfo=UTC)  # 14:20 in Bangkok, dry season
STATIONS = {
    "demo-air4thai": {"37t", "38t", "39t", "40t"},
    "demo-openaq": {"3004101", "3004102"},
    "demo-sensorthings": {"1"},
    "demo-dustboy": {"5211", "5212", "5213"},  # not 5201, in Lampang city
    "demo-firms": set(),
    "demo-agency-files": {"LF-01"},
    "demo-water-quality": {"MM01", "MM02", "MM03", "MM04"},
}
# What the demo promises per variable, in canonical units (the weeks to
# 2026-03-10, the haze season; 120 days at the Air4Thai and weather stations).
RANGES = {
    "pm25": (5, 250), "pm10": (6, 400), "o3": (0, 75), "co": (0.1, 2.5), "no2": (5, 30),
    "so2": (1, 120), "temperature": (10, 40), "relative-humidity": (20, 100),
    "wind-speed": (0.1, 9), "wind-direction": (0, 359), "rainfall": (0, 40),
    "waste-mass": (50, 500), "waste-landfilled": (40, 2000), "electricity-use": (200, 5000),
    "dissolved-oxygen": (3, 10), "bod": (0.8, 4.5), "total-coliform": (1500, 22000),
    "fecal-coliform": (300, 4500), "ammonia-nitrogen": (0.05, 0.6), "water-ph": (6.7, 8.3),
    "conductivity": (150, 1700), "manganese": (0.05, 1.6), "arsenic": (0.001, 0.01),
}
#: low-cost sensors read PM2.5 about 40 % high, more in humid hours (atmosphere.low_cost_pm25)
LOW_COST = {"demo-dustboy", "demo-openaq"}
LOW_COST_RANGES = {"pm25": (0, 600)}
PERSONAL_FIELDS = ("dustboy_contact_name", "dustboy_contact_phone", "dustboy_email",
                   "dustboy_address", "dustboy_line_id")


@pytest.fixture(scope="module")
def demo():
    """Every demo source harvested once (gather, fetch, parse) against the replay
    server, as the first harvests of `make run` (a station's backfill included)."""
    harvests = {}
    with ReplayServer(replay.make_handler(lambda: NOW)) as server:
        for source in SOURCES:
            slept = []
            adapter = ADAPTERS[source["source_type"]](
                server.url + source["path"], with_secrets(source["config"]), now=lambda: NOW,
                sleep=slept.append, backfill=True)
            raws = {key: adapter.fetch(key) for key in adapter.gather()}
            batch = model.Batch()
            for key, raw in raws.items():
                batch.extend(adapter.parse(key, raw))
            harvests[source["name"]] = SimpleNamespace(batch=batch, raws=raws, slept=slept)
    return SimpleNamespace(harvests=harvests, requests=server.requests)


def test_one_source_per_adapter_each_with_a_valid_config_and_cadence():
    assert set(s["source_type"] for s in SOURCES) == set(ADAPTERS)
    assert len({s["name"] for s in SOURCES}) == len(SOURCES)
    for source in SOURCES:
        ADAPTERS[source["source_type"]].validate_config(with_secrets(source["config"]))
        assert source["path"].startswith("/") and source["title"]["th"] and source["title"]["en"]
        # each at its own cadence (minutes), not ckanext-harvest's daily frequency
        assert source["frequency"] == "MANUAL"
        assert split_cadence(source["config"])[1] == CADENCE[source["source_type"]]


def test_the_expected_stations(demo):
    for name, expected in STATIONS.items():
        assert {s.station_id for s in demo.harvests[name].batch.stations} == expected, name



def test_the_weather_station_gives_wind_and_rain(demo):
    (station,) = demo.harvests["demo-sensorthings"].batch.stations
    assert station.variables == ("temperature", "relative-humidity", "wind-speed",
                                 "wind-direction", "rainfall")

def test_weeks_of_hourly_series_without_holes(demo):
    """Every hourly series (observations and rejected hours together) runs
    hour after hour over at least 27 days."""
    for name in ("demo-air4thai", "demo-openaq", "demo-sensorthings", "demo-dustboy"):
        series = defaultdict(set)
        batch = demo.harvests[name].batch
        for record in batch.observations:
            if record.averaging_period == "PT1H":
                series[record.station_id, record.variable].add(record.time)
        for record in batch.rejects:
            series[record.station_id, record.variable].add(record.time)
        assert {station for station, _ in series} == STATIONS[name]
        for key, times in series.items():
            first, last = min(times), max(times)
            assert last - first >= datetime.timedelta(days=27), (name, key)
            assert len(times) == (last - first) / HOUR + 1, (name, key)


def test_values_are_plausible_for_mae_moh(demo):
    for name, harvest in demo.harvests.items():
        for record in harvest.batch.observations:
            low, high = (LOW_COST_RANGES if name in LOW_COST else {}).get(record.variable, RANGES[record.variable])
            assert low <= record.value <= high, (name, record)
    for detection in demo.harvests["demo-firms"].batch.detections:
        assert 290 <= detection.brightness_k <= 370 and 0 < detection.frp_mw <= 100


def expected_air4thai_rejects():
    """The gaps and sentinels of the history window (the ``backfill_days``
    Bangkok days up to now), and the latest 1-hour values that fall on a flawed hour."""
    reasons = {"gap": "no data", "sentinel": "no-data sentinel -999"}
    local = NOW.astimezone(model.BANGKOK)
    days = next(s for s in SOURCES if s["source_type"] == "air4thai")["config"]["backfill_days"]
    first = datetime.datetime.combine(local.date() - datetime.timedelta(days=days - 1),
                                      datetime.time(), model.BANGKOK).astimezone(UTC)
    current = NOW.replace(minute=0)
    expected = set()
    for station in STATIONS["demo-air4thai"]:
        t = first
        while t <= current:
            for param, (variable, _unit, _period) in air4thai.PARAMS.items():
                flaw = replay.air4thai_flaw(station, param, t)
                if flaw:
                    expected.add((station, variable, t, reasons[flaw]))
                if flaw and t == current and param in ("NO2", "SO2"):
                    expected.add((station, variable, t, "no data (color_id 0)"))
            t += HOUR
    return expected


def test_the_only_rejects_are_the_deliberate_gaps_and_sentinels(demo):
    rejects = demo.harvests["demo-air4thai"].batch.rejects
    found = [(r.station_id, r.variable, r.time, r.reason) for r in rejects]
    assert len(found) == len(set(found))
    assert set(found) == expected_air4thai_rejects()
    for station in STATIONS["demo-air4thai"]:  # one of each a station-week
        reasons = [reason for s, _, _, reason in found if s == station]
        assert reasons.count("no-data sentinel -999") >= 3 and reasons.count("no data") >= 3 * 6
    for name, harvest in demo.harvests.items():
        if name != "demo-air4thai":
            assert harvest.batch.rejects == [], name


def test_no_personal_data_of_the_dustboy_registry_is_fetched(demo):
    personal = [entry[field] for entry in replay.DUSTBOY_REGISTRY for field in PERSONAL_FIELDS]
    assert len(personal) == 4 * len(PERSONAL_FIELDS) and all(personal)
    for harvest in demo.harvests.values():
        for raw in harvest.raws.values():
            assert not [value for value in personal if value in raw]


def test_fire_detections_lie_in_the_bbox_a_few_a_day(demo):
    """The district bbox holds about 1 % of the wide domain's fires: a few a
    day per source in the haze season."""
    west, south, east, north = next(
        s["config"]["bbox"] for s in SOURCES if s["source_type"] == "firms")
    detections = demo.harvests["demo-firms"].batch.detections
    assert {d.source for d in detections} >= {"VIIRS_SNPP_NRT", "MODIS_NRT"}
    per_day = defaultdict(int)
    for d in detections:
        assert south <= d.latitude <= north and west <= d.longitude <= east
        assert d.time <= NOW
        per_day[d.source, d.time.date()] += 1
    assert all(n <= (10 if source == "MODIS_NRT" else 15) for (source, _), n in per_day.items())
    assert {day for _, day in per_day} <= {NOW.date() - datetime.timedelta(days=k)
                                          for k in range(5)}


def test_agency_files_give_five_tambons_by_twelve_months_and_the_landfill(demo):
    harvest = demo.harvests["demo-agency-files"]
    assert [key.rsplit(".", 1)[-1] for key in harvest.raws] == ["csv", "xlsx"]
    cells = {(o.station_id, o.variable, o.time) for o in harvest.batch.observations}
    assert len(cells) == len(harvest.batch.observations) == 5 * 12 * 3 + 12
    months = {time for _, _, time in cells}
    assert len(months) == 12
    assert max(months) == model.to_utc(datetime.datetime(2026, 2, 1))  # the last whole month
    assert {(s, v) for s, v, _ in cells} == {
        (f"52020{n}", v) for n in range(1, 6)
        for v in ("waste-mass", "waste-landfilled", "electricity-use")} | {("LF-01", "waste-landfilled")}
    landfill = [o.value for o in harvest.batch.observations if o.station_id == "LF-01"]
    tambons = [o.value for o in harvest.batch.observations
               if o.variable == "waste-landfilled" and o.station_id != "LF-01"]
    assert sum(landfill) == pytest.approx(sum(tambons), abs=1)  # what the tambons landfill
    assert harvest.batch.rejects == []


def test_water_quality_gives_monthly_grab_samples_at_four_points(demo):
    harvest = demo.harvests["demo-water-quality"]
    samples = harvest.batch.observations
    assert {o.averaging_period for o in samples} == {"instant"} and harvest.batch.rejects == []
    assert len({o.time for o in samples}) == 24 and len(samples) == 24 * 4 * 9
    (below_mine,) = [s for s in harvest.batch.stations if s.station_id == "MM02"]
    assert "manganese" in below_mine.variables and below_mine.name_th.endswith("(สาธิต)")


def test_paging_is_followed(demo):
    config = next(s for s in SOURCES if s["source_type"] == "sensorthings")["config"]
    pages = math.ceil(24 * config["backfill_days"] / sensorthings.SensorThings.defaults["page_size"])
    for raw in demo.harvests["demo-sensorthings"].raws.values():
        assert all(len(found) == pages for found in json.loads(raw)["observations"].values())
    # OpenAQ: smaller pages give the same values, and pacing went through the injected sleep
    assert demo.harvests["demo-openaq"].slept and set(demo.harvests["demo-openaq"].slept) == {1.8}
    source = next(s for s in SOURCES if s["source_type"] == "openaq")
    with ReplayServer(replay.make_handler(lambda: NOW)) as server:
        adapter = openaq.OpenAQ(server.url + source["path"],
                                {**with_secrets(source["config"]), "page_limit": 100},
                                now=lambda: NOW, sleep=lambda seconds: None)
        batch = adapter.parse("3004101", adapter.fetch("3004101"))
    values = {(o.variable, o.time, o.value) for o in batch.observations}
    assert values == {(o.variable, o.time, o.value)
                      for o in demo.harvests["demo-openaq"].batch.observations
                      if o.station_id == "3004101"}


def test_keyed_sources_refuse_requests_without_a_key():
    handler = replay.make_handler(lambda: NOW)
    for path in ("/openaq/v3/locations", "/dustboy/stations"):
        assert handler(Request("GET", path, {}, {}))[0] == 401
        assert handler(Request("GET", path, {}, {"x-api-key": "demo-key"}))[0] == 200


def answers_digest(handler, recorded):
    return hashlib.sha256(b"".join(repr(handler(r)).encode() for r in recorded)).hexdigest()


def test_the_same_request_gives_the_same_bytes(demo, monkeypatch):
    """Twice in this process (the second time a day later by the wall clock),
    and in another process with another hash seed."""
    first = answers_digest(replay.make_handler(lambda: NOW), demo.requests)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86400)
    assert answers_digest(replay.make_handler(lambda: NOW), demo.requests) == first
    monkeypatch.undo()
    recorded = [[r.method, r.path, r.query, r.headers] for r in demo.requests]
    program = (
        "import datetime, hashlib, importlib.util, json, sys\n"
        "from ckanext.maemoh.harvesters.replay import Request\n"
        f"spec = importlib.util.spec_from_file_location('replay_sources', {str(SCRIPT)!r})\n"
        "replay = importlib.util.module_from_spec(spec); spec.loader.exec_module(replay)\n"
        f"now = datetime.datetime.fromisoformat({NOW.isoformat()!r})\n"
        "handler = replay.make_handler(lambda: now)\n"
        "recorded = [Request(*r) for r in json.load(sys.stdin)]\n"
        "answers = b''.join(repr(handler(r)).encode() for r in recorded)\n"
        "print(hashlib.sha256(answers).hexdigest())\n"
    )
    other = subprocess.run([sys.executable, "-c", program], input=json.dumps(recorded),
                           capture_output=True, text=True, check=True, timeout=60,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert other.stdout.strip() == first


def test_the_script_serves_until_sigterm():
    process = subprocess.Popen([sys.executable, str(SCRIPT), "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split()[-1]
        answer = requests.get(url + "/air4thai/services/getNewAQI_JSON.php", timeout=10)
        assert [s["stationID"] for s in answer.json()["stations"]] == ["38t", "39t", "40t", "37t"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.stdout.close()
