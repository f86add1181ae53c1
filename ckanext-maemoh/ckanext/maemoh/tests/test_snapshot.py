"""The residents' snapshot: computed by the real workers after a harvest,
the same figures as the live computation, honest about ages as of the
reading, and served with ETag and a public Cache-Control to anonymous
readers only."""
import datetime as dt

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers as ckan_helpers

from ckanext.maemoh import clock
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.tests import helpers
from ckanext.maemoh.tests.processes import Process, wait_for

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")

NOW = helpers.NOW
CODES = ("520201", "520202", "520203", "520204", "520205")


@pytest.fixture
def harvested(district):
    helpers.harvest(district, NOW, "air4thai", "firms")
    return district


def at(monkeypatch, when):
    """The platform clock set to ``when`` (what every process reads)."""
    monkeypatch.setitem(tk.config, clock.OPTION, when.isoformat())


def test_a_harvest_refreshes_the_snapshot_through_the_workers(app, district):
    before = app.get("/en/maemoh/").get_data(as_text=True)
    assert "The figures are being computed" in before and before.count('class="maemoh-stale"') == 5
    processes = []
    try:
        with ReplayServer(helpers.replay_handler(NOW)) as server:
            source = helpers.create_source(district, server.url + "/air4thai", "air4thai",
                                           {"stations": ["38t", "39t", "40t"], "days": 2})
            ckan_helpers.call_action("harvest_job_create", context={"user": factories.Sysadmin()["name"]},
                                     source_id=source["id"], run=True)
            processes = [Process("harvester", "gather-consumer"), Process("harvester", "fetch-consumer"),
                         Process("jobs", "worker")]
            wait_for("a snapshot with the harvested stations",
                     lambda: len([s for s in snapshot.station_aqi() if not s["stale"]]) == 3, seconds=240,
                     every=0.5)
    finally:
        for process in processes:
            process.kill()
    assert snapshot.computed_at() == NOW
    page = app.get("/en/maemoh/").get_data(as_text=True)
    assert page.count('class="maemoh-stale"') < 5 and "The figures are being computed" not in page
    assert "Figures computed" in page


def test_the_snapshot_holds_what_the_live_computation_gives(harvested):
    snapshot.refresh()
    assert snapshot.station_aqi() == residents.station_aqi(NOW)
    assert snapshot.tambon_aqi() == residents.tambon_aqi(NOW)
    assert snapshot.fire_hotspots() == residents.fire_hotspots(48, NOW)
    assert snapshot.fire_hotspots(), "the replayed detections of the last 48 hours"
    for code in CODES:
        assert snapshot.pm25_daily(code, 30) == residents.pm25_daily(code, 30, NOW)
        assert snapshot.pm25_daily(code, 7) == residents.pm25_daily(code, 7, NOW)
        assert snapshot.band_changes(code, 30) == residents.band_changes(code, 30, NOW)
    assert snapshot.aqi_latest("en", "520204")["tambons"] == residents.aqi_latest("en", "520204", NOW)["tambons"]


def test_ages_are_those_of_the_reading(harvested):
    snapshot.refresh()
    later = NOW + dt.timedelta(hours=4)
    stations = snapshot.station_aqi(later)
    assert stations and all(s["stale"] for s in stations if s["aqi"] is not None)
    assert all(s["age_hours"] > 3 for s in stations if s["aqi"] is not None)
    assert all(t["stale"] for t in snapshot.tambon_aqi(later))
    assert all(s["aqi"] is None for s in snapshot.station_aqi(NOW + dt.timedelta(hours=49)))
    assert snapshot.fire_hotspots(now=NOW + dt.timedelta(hours=49)) == []
    days = snapshot.pm25_daily("520204", 7, now=NOW + dt.timedelta(days=2))
    assert [d["value_ug_m3"] for d in days[-2:]] == [None, None] and days[-1]["hours"] == 0
    assert days[:-2] == snapshot.pm25_daily("520204", 7)[2:]


def test_a_stale_snapshot_is_shown_as_stale(app, harvested, monkeypatch):
    snapshot.refresh()
    assert app.get("/en/maemoh/").get_data(as_text=True).count('class="maemoh-stale"') < 5
    at(monkeypatch, NOW + dt.timedelta(hours=5))
    page = app.get("/en/maemoh/").get_data(as_text=True)
    assert page.count('class="maemoh-stale"') == 5 and "the air quality now is not known" in page
    latest = app.get("/api/3/action/maemoh_aqi_latest?lang=en").json["result"]
    assert all(t["stale"] and t["band_name"] == "No current data" for t in latest["tambons"])


def test_a_refresh_never_replaces_a_later_snapshot(harvested):
    snapshot.refresh()
    kept = snapshot.refresh(NOW - dt.timedelta(hours=1))
    assert kept["computed_at"] == NOW.isoformat() and snapshot.computed_at() == NOW


def queued():
    """The refreshes of the snapshot waiting on the default queue."""
    return [job["title"] for job in tk.get_action("job_list")({"ignore_auth": True}, {"queues": ["default"]})
            if job["title"].startswith("Residents")]


def test_requests_are_gated_and_flush_refreshes_what_is_out_of_date(harvested, monkeypatch):
    assert queued() == ["Residents' snapshot"]  # the harvest's many imports queued one refresh
    assert snapshot.request() is False and snapshot.flush() is False  # queued, not started yet
    snapshot.refresh_job()
    assert snapshot.flush() is False           # fresh and clean
    assert snapshot.request() is True          # fresh data after the refresh
    snapshot.refresh_job()
    at(monkeypatch, NOW + dt.timedelta(minutes=tk.config[snapshot.MAX_AGE_OPTION] + 1))
    assert snapshot.flush() is True            # older than max_age_minutes
    assert queued() == ["Residents' snapshot"] * 3


def test_a_published_risk_layer_queues_a_refresh(harvested):
    snapshot.refresh_job()  # the harvest's refresh, run here: the next change queues another
    tk.get_action("job_clear")({"ignore_auth": True}, {"queues": ["default"]})
    assert risk_runs.execute("air")["status"] == "published"
    assert queued() == ["Residents' snapshot"]
    snapshot.refresh_job()
    assert list(snapshot.risk_summary()) == ["air"]


def test_anonymous_readers_get_etag_and_public_cache_control(app, harvested):
    snapshot.refresh()
    for url in ("/en/maemoh/", "/maemoh/tambon/520204", "/maemoh/map.json",
                "/api/3/action/maemoh_aqi_latest?lang=en"):
        response = app.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.public and response.cache_control.max_age == 30, url
        assert not response.cache_control.private and response.headers["ETag"], url
        assert response.last_modified == NOW.replace(microsecond=0), url
        again = app.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and not again.get_data(), url


def test_nothing_of_a_logged_in_user_is_public(app, harvested):
    snapshot.refresh()
    user = factories.UserWithToken()
    with_session = app.test_client()
    with_session.set_cookie("ckan", "a-session", domain="test.ckan.net")
    for url in ("/en/maemoh/", "/api/3/action/maemoh_aqi_latest"):
        for response in (app.get(url, headers={"Authorization": user["token"]}), with_session.get(url)):
            assert response.status_code == 200, url
            assert not response.cache_control.public and "ETag" not in response.headers, url
    for url in ("/maemoh/health", "/dataset/", "/api/3/action/package_search"):  # not the snapshot's
        response = app.get(url)
        assert response.cache_control.max_age != 30 and "ETag" not in response.headers, url
