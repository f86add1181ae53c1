"""Each harvest source at its own cadence (``"every_minutes"``): left
running for hours, the stack keeps the residents' air quality current."""
import datetime as dt

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers
from ckanext.harvest.model import HarvestJob

from ckanext.maemoh import clock
from ckanext.maemoh.harvest import cadence
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.residents import data as residents
from ckanext.maemoh.tests.helpers import NOW, create_source, replay_handler, run_harvest_job

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def at(monkeypatch):
    """Move the platform clock."""
    def move(moment):
        monkeypatch.setitem(tk.config, clock.OPTION, moment.isoformat())
        return moment
    return move


@pytest.mark.parametrize("minutes", [4, 10081, 1.5, "60", True])
def test_a_cadence_out_of_range_is_refused_naming_the_key(district, minutes):
    with pytest.raises(tk.ValidationError, match="every_minutes"):
        create_source(district, "http://127.0.0.1:9/air4thai", "air4thai",
                      {"stations": ["38t"], "every_minutes": minutes})


def test_hourly_harvests_keep_the_air_quality_current_for_hours(district, at):
    with ReplayServer(replay_handler()) as server:
        hourly = create_source(district, server.url + "/air4thai", "air4thai",
                               {"stations": ["38t", "39t", "40t"], "days": 1, "history": True,
                                "every_minutes": 60})
        create_source(district, server.url + "/firms", "firms",
                      {"map_key": {"secret": "test-firms"}, "sources": ["VIIRS_SNPP_NRT"],
                       "bbox": [99.62, 18.19, 100.06, 18.63], "days": 1})  # no cadence: never due
        queued_at = []
        for step in range(0, 9):  # every half hour for four hours
            now = at(NOW + step * HOUR / 2)
            queued = cadence.queue_due(run=False)
            if queued:
                assert [name for name, _job in queued] == [hourly["name"]]
                queued_at.append(now)
                run_harvest_job(HarvestJob.get(queued[0][1]))
            current = [t for t in residents.tambon_aqi(now=now) if not t["stale"]]
            assert current, f"the air quality is not known at {now.isoformat()}"
    assert queued_at == [NOW + k * HOUR for k in range(5)]


def test_a_waiting_job_blocks_the_next_until_it_is_hung_then_it_is_retried(district, at):
    source = create_source(district, "http://127.0.0.1:9/air4thai", "air4thai",
                           {"stations": ["38t"], "every_minutes": 15})
    at(NOW)
    ((_name, first),) = cadence.queue_due(run=False)
    job = HarvestJob.get(first)
    job.created = NOW.replace(tzinfo=None)  # ckanext-harvest's UTC without a zone
    job.save()
    at(NOW + dt.timedelta(minutes=44))
    assert cadence.queue_due(run=False) == []  # waiting, not yet hung (three cadences: 45 minutes)
    at(NOW + dt.timedelta(minutes=46))
    ((name, second),) = cadence.queue_due(run=False)
    assert name == source["name"] and second != first
    abandoned = helpers.call_action("harvest_job_show", id=first)
    assert abandoned["status"] == "Finished"
    assert [e.message for e in HarvestJob.get(first).gather_errors] == [
        "Abandoned: still new 46 minutes after it was created (its consumer has stopped); "
        "the next job harvests again"]
    assert helpers.call_action("harvest_job_show", id=second)["status"] == "New"
