"""The PM2.5 forecast against the real stack: harvested stations in, the
``forecast-pm25`` dataset out through the real worker, the public action and
the residents' pages in Thai and English, and clear errors for bad parameters."""
import datetime as dt
import io
import json

import pandas as pd
import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.forecasting import runs as forecast_runs
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.risk_jobs import aqi
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.tests.helpers import NOW, create_source, harvest, replay_handler, risk_worker, run_harvest

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")

DAILY = "Daily forecast"
TODAY = NOW.astimezone(aqi.BANGKOK).date()
DAYS = [(TODAY + dt.timedelta(days=k)).isoformat() for k in (1, 2, 3)]  # the Bangkok days after the issue
HOURLY = "Forecast"


def anonymous(action, **data):
    return helpers.call_action(action, context={"user": ""}, **data)


def editor_of(district):
    user = factories.User()
    helpers.call_action("organization_member_create", context={"user": factories.Sysadmin()["name"]},
                        id=district["id"], username=user["name"], role="editor")
    return user


def harvest_a_month(district):
    """The demo's Air4Thai stations 38t, 39t and 40t, whose first harvest
    backfills 30 days: enough to fit and backtest models when 5 days are
    enough (the weather and fires as usual)."""
    with ReplayServer(replay_handler(NOW)) as server:
        source = create_source(district, server.url + "/air4thai", "air4thai",
                               {"stations": ["38t", "39t", "40t"], "days": 2, "backfill_days": 30},
                               "air4thai-month")
        run_harvest(source["id"])
    harvest(district, NOW, "weather", "firms")


@pytest.mark.ckan_config("ckanext.maemoh.forecast.min_history_days", 5)
def test_a_run_through_the_worker_publishes_the_forecast(app, ckan_config, district):
    harvest_a_month(district)
    queued = helpers.call_action("maemoh_forecast_run", context={"user": editor_of(district)["name"]})
    assert queued["job_id"] and queued["trigger"] == "action"
    risk_worker(ckan_config, options={"ckanext.maemoh.forecast.min_history_days": 5})

    dataset = anonymous("package_show", id="forecast-pm25")
    assert dataset["type"] == "forecast" and dataset["forecast_variable"] == "pm25"
    assert dataset["issued_at"].startswith(NOW.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:00:00"))
    assert dataset["forecast_method"]["fallback_reason"] is None  # 30 days backfilled, 5 needed
    resources = {r["name"]: r for r in dataset["resources"]}
    record = json.loads(app.get(resources["Method record (JSON)"]["url"]).get_data())
    model = record["components"][0]
    assert model["seed"] == 20240601 and model["drivers_used"] and model["backtest"]
    assert set(model["stations"]) == {"38t", "39t", "40t"}

    hourly = pd.read_csv(io.BytesIO(app.get(resources["Hourly forecast (CSV)"]["url"]).get_data()))
    assert sorted(hourly["horizon"].unique()) == list(range(1, 73))
    assert set(hourly["station_id"]) == {"38t", "39t", "40t"}
    assert (hourly["p10"] <= hourly["p50"]).all() and (hourly["p50"] <= hourly["p90"]).all()
    assert (hourly["p025"] <= hourly["p10"]).all() and (hourly["p025"] >= 0).all()
    table = anonymous("datastore_search", resource_id=resources[HOURLY]["id"], limit=1000)
    assert table["total"] == 72 * 3 and {"tambon_code", "band", "valid_time"} <= {f["id"] for f in table["fields"]}
    daily = anonymous("datastore_search", resource_id=resources[DAILY]["id"], limit=100,
                      filters={"scope": "tambon"})["records"]
    assert sorted({r["tambon_code"] for r in daily}) == ["520201", "520202", "520203", "520204", "520205"]
    assert {r["day_ahead"] for r in daily} == {1, 2, 3} and {r["date"][:10] for r in daily} == set(DAYS)
    charts = [name for name in resources if name.startswith("Chart ")]
    assert len(charts) == 5 and app.get(resources[charts[0]]["url"]).get_data().startswith(b"\x89PNG")

    snapshot.refresh()
    thai, english = anonymous("maemoh_forecast", tambon="520205"), anonymous("maemoh_forecast", lang="en")
    (sop_pat,) = thai["tambons"]
    assert [d["date"] for d in sop_pat["days"]] == DAYS
    assert "ไมโครกรัม/ลบ.ม." in sop_pat["days"][0]["range_text"] and "วันถัดไป" in thai["reliability"]
    assert len(english["tambons"]) == 5 and "next-day forecast" in english["reliability"]
    assert english["tambons"][0]["days"][0]["band_name"] in {
        "Very good", "Good", "Moderate", "Starting to affect health", "Affects health"}

    tomorrow = TODAY + dt.timedelta(days=1)
    tomorrow = f"{tomorrow.day} {tomorrow:%b} {tomorrow.year}"
    page_th = app.get("/maemoh/tambon/520205").get_data(as_text=True)
    page_en = app.get("/en/maemoh/tambon/520205").get_data(as_text=True)
    assert "พยากรณ์ฝุ่น PM2.5" in page_th and "พรุ่งนี้" in page_th and "มะรืนนี้" in page_th
    assert "Fine dust (PM2.5) forecast" in page_en and "Tomorrow" in page_en and tomorrow in page_en
    assert "Tomorrow" in app.get("/en/maemoh/").get_data(as_text=True)


def test_too_little_history_publishes_persistence_and_says_why(district):
    harvest(district, NOW, "air4thai")
    outcome = forecast_runs.execute()
    assert outcome["status"] == "published" and outcome["fitted"]
    method = anonymous("package_show", id="forecast-pm25")["forecast_method"]
    assert "60" in method["fallback_reason"]
    assert forecast_runs.execute()["fitted"] is False  # the kept model is reused within refit_hours


def test_without_pm25_nothing_is_published(district):
    assert forecast_runs.execute() == {"status": "no data",
                                       "reason": "no hourly PM2.5 from a trusted public station"}
    with pytest.raises(tk.ObjectNotFound):
        anonymous("package_show", id="forecast-pm25")


@pytest.mark.parametrize("data, field", [
    ({"lang": "fr"}, "lang"), ({"tambon": "999999"}, "tambon"), ({"station": "no-such"}, "station"),
    ({"tambon": "520205", "station": "38t"}, "station"),
])
def test_bad_parameters_are_409_naming_them(app, district, data, field):
    response = app.post("/api/3/action/maemoh_forecast", json=data, status=409)
    assert field in response.json["error"]


def test_only_district_editors_may_run_the_forecast(app, district):
    for user in (None, factories.User()):
        environ = {"Authorization": factories.APIToken(user=user["name"])["token"]} if user else {}
        app.post("/api/3/action/maemoh_forecast_run", json={}, headers=environ, status=403)
