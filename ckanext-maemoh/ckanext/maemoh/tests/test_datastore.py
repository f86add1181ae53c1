"""The DataStore round trip: create, search, search with SQL."""
import pytest

from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

RECORDS = [
    {"station_id": "38t", "time_utc": "2026-01-15T02:00:00Z", "pm25": 61.0},
    {"station_id": "39t", "time_utc": "2026-01-15T02:00:00Z", "pm25": 23.5},
    {"station_id": "40t", "time_utc": "2026-01-15T02:00:00Z", "pm25": 44.2},
]


@pytest.fixture
def table():
    resource = factories.Resource()
    helpers.call_action(
        "datastore_create",
        resource_id=resource["id"],
        fields=[
            {"id": "station_id", "type": "text"},
            {"id": "time_utc", "type": "timestamp"},
            {"id": "pm25", "type": "float8"},
        ],
        primary_key=["station_id", "time_utc"],
        records=RECORDS,
        force=True,
    )
    yield resource["id"]
    helpers.call_action("datastore_delete", resource_id=resource["id"], force=True)


def test_datastore_search_filters_records(table):
    result = helpers.call_action(
        "datastore_search", resource_id=table, filters={"station_id": "40t"})
    assert result["total"] == 1
    assert result["records"][0]["pm25"] == 44.2


def test_datastore_search_sql_runs_as_the_read_only_user(table):
    result = helpers.call_action(
        "datastore_search_sql",
        sql=f'SELECT station_id FROM "{table}" WHERE pm25 > 37.5 ORDER BY station_id',
    )
    assert [r["station_id"] for r in result["records"]] == ["38t", "40t"]


def test_datastore_search_sql_cannot_write(table):
    with pytest.raises(Exception) as error:
        helpers.call_action("datastore_search_sql", sql=f'DELETE FROM "{table}"')
    assert "permission" in str(error.value).lower() or "not allowed" in str(error.value).lower()
    assert helpers.call_action("datastore_search", resource_id=table)["total"] == 3
