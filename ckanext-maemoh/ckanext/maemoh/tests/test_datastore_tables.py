"""The bulk path into the DataStore: COPY + merge, idempotent, permission-checked."""
import datetime

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.maemoh.store import catalog
from ckanext.maemoh.store import datastore_tables
from ckanext.maemoh.store.datastore_tables import OBSERVATIONS

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
UTC = datetime.timezone.utc


def _row(hour, value, quality="unchecked"):
    return {"station_id": "38t", "network": "air4thai", "variable": "pm25",
            "time_utc": datetime.datetime(2026, 2, 1, hour, tzinfo=UTC),
            "averaging_period": "PT1H", "value": value, "unit": "ug/m3",
            "quality": quality, "raw_ref": f"history/PM25/{hour}"}


@pytest.fixture
def table(create_dataset):
    context = catalog.site_context()
    dataset = create_dataset()
    return context, datastore_tables.ensure_table(context, dataset["id"], OBSERVATIONS)


def _records(resource_id):
    result = helpers.call_action("datastore_search", resource_id=resource_id,
                                 sort="time_utc", limit=1000)
    return [(r["time_utc"], r["value"], r["quality"]) for r in result["records"]]


def test_rows_land_and_a_second_identical_write_changes_nothing(table):
    context, resource_id = table
    rows = [_row(h, 40.0 + h) for h in range(24)]
    first = datastore_tables.bulk_upsert(context, resource_id, OBSERVATIONS, rows)
    assert (first.inserted, first.updated, first.unchanged) == (24, 0, 0)
    second = datastore_tables.bulk_upsert(context, resource_id, OBSERVATIONS, rows)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 24)
    assert not second.changed
    assert len(_records(resource_id)) == 24


def test_a_corrected_value_replaces_the_old_row(table):
    context, resource_id = table
    datastore_tables.bulk_upsert(context, resource_id, OBSERVATIONS, [_row(1, 41.0), _row(2, 42.0)])
    count = datastore_tables.bulk_upsert(
        context, resource_id, OBSERVATIONS, [_row(1, 41.0), _row(2, 24.0, "valid")])
    assert (count.inserted, count.updated, count.unchanged) == (0, 1, 1)
    assert _records(resource_id) == [("2026-02-01T01:00:00", 41.0, "unchecked"),
                                     ("2026-02-01T02:00:00", 24.0, "valid")]


def test_within_one_write_the_last_row_of_a_key_wins(table):
    context, resource_id = table
    datastore_tables.bulk_upsert(context, resource_id, OBSERVATIONS, [_row(5, 10.0), _row(5, 11.0)])
    assert _records(resource_id) == [("2026-02-01T05:00:00", 11.0, "unchecked")]


def test_rows_are_found_by_full_text_and_by_value(table):
    context, resource_id = table
    datastore_tables.bulk_upsert(context, resource_id, OBSERVATIONS, [_row(3, 77.5)])
    assert helpers.call_action("datastore_search", resource_id=resource_id, q="38t")["total"] == 1
    result = helpers.call_action(
        "datastore_search", resource_id=resource_id, sort="value desc", limit=1, fields=["value"])
    assert result["records"] == [{"value": 77.5}]


def test_a_user_who_may_not_edit_the_dataset_cannot_write(table):
    _context, resource_id = table
    outsider = {"user": factories.User()["name"], "ignore_auth": False}
    with pytest.raises(tk.NotAuthorized):
        datastore_tables.bulk_upsert(outsider, resource_id, OBSERVATIONS, [_row(4, 1.0)])
    assert _records(resource_id) == []


def test_ensure_table_is_idempotent(table, create_dataset):
    context, resource_id = table
    dataset_id = helpers.call_action("resource_show", id=resource_id)["package_id"]
    assert datastore_tables.ensure_table(context, dataset_id, OBSERVATIONS) == resource_id
    assert len(helpers.call_action("package_show", id=dataset_id)["resources"]) == 1
