"""Harvest records past ``ckanext.maemoh.harvest.keep_days`` are deleted:
old payloads and the jobs they leave empty, never a dataset's current
record nor a source's latest job."""
import datetime as dt

import pytest
import sqlalchemy as sa

from ckan import model
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.maemoh.harvest import retention
from ckanext.maemoh.harvesters.replay import ReplayServer
from ckanext.maemoh.tests import helpers

pytestmark = pytest.mark.usefixtures("clean_index")


def age(job, days):
    """Move a job and its objects ``days`` into the past."""
    back = {"id": job.id, "days": dt.timedelta(days=days)}
    model.Session.execute(sa.text("UPDATE harvest_job SET created = created - :days WHERE id = :id"), back)
    model.Session.execute(sa.text(
        "UPDATE harvest_object SET gathered = gathered - :days WHERE harvest_job_id = :id"), back)
    model.Session.commit()


def test_old_harvest_records_go_and_current_ones_stay(district):
    with ReplayServer(helpers.replay_handler(helpers.NOW)) as server:
        source = helpers.create_source(district, server.url + "/air4thai", "air4thai",
                                       {"stations": ["38t", "39t"], "days": 2})
        old, middle, latest = (helpers.run_harvest(source["id"]) for _ in range(3))
    age(old, 40)
    age(middle, 40)
    current_before = {o.id for o in model.Session.query(HarvestObject).filter(HarvestObject.current.is_(True))}
    aged_objects = len(old.objects) + len(middle.objects)
    latest_id = latest.id

    pruned = retention.prune(keep_days=30)

    model.Session.expire_all()
    left = {j.id for j in model.Session.query(HarvestJob)}
    assert pruned == {"objects": aged_objects, "jobs": 2}
    assert left == {latest_id}
    current_after = {o.id for o in model.Session.query(HarvestObject).filter(HarvestObject.current.is_(True))}
    assert current_after == current_before and current_after  # the datasets' records stay
    assert retention.prune(keep_days=30) == {"objects": 0, "jobs": 0}
