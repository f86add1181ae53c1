"""The DataStore round trip: create, search, search with SQL."""
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import ckan.plugins.toolkit as tk

from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
# Off in our configuration; an operator may turn it on.
def SQL_SEARCH_ON(test):
    return pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)(
        pytest.mark.usefixtures("with_plugins")(test))

RECORDS = [
    {"station_id": "38t", "time_utc": "2026-01-15T02:00:00Z", "pm25": 61.0},
    {"station_id": "39t", "time_utc": "2026-01-15T02:00:00Z", "pm25": 23.5},
    {"station_id": "40t", "time_utc": "2026-01-15T02:00:00Z", "pm25": 44.2},
]


@pytest.fixture
def table(create_dataset):
    dataset = create_dataset()
    resource = factories.Resource(package_id=dataset["id"])
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


def test_datastore_search_sql_is_off_by_default(table):
    with pytest.raises(KeyError):
        tk.get_action("datastore_search_sql")


@SQL_SEARCH_ON
def test_datastore_search_sql_selects_records(table):
    result = helpers.call_action(
        "datastore_search_sql",
        sql=f'SELECT station_id FROM "{table}" WHERE pm25 > 37.5 ORDER BY station_id',
    )
    assert [r["station_id"] for r in result["records"]] == ["38t", "40t"]


@SQL_SEARCH_ON
def test_datastore_search_sql_runs_as_the_read_only_user(table):
    result = helpers.call_action(
        "datastore_search_sql",
        sql=f'SELECT current_user AS who FROM "{table}" LIMIT 1',
    )
    assert result["records"] == [{"who": "datastore_default"}]


def test_the_read_only_user_cannot_change_the_datastore(table):
    engine = sa.create_engine(tk.config["ckan.datastore.read_url"])
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        with engine.begin() as connection:
            connection.execute(sa.text(f'DELETE FROM "{table}"'))
    engine.dispose()
    assert helpers.call_action("datastore_search", resource_id=table)["total"] == 3


def test_the_read_only_user_cannot_open_the_catalogue_database():
    read_url = make_url(tk.config["ckan.datastore.read_url"])
    catalogue = make_url(tk.config["sqlalchemy.url"]).database
    engine = sa.create_engine(read_url.set(database=catalogue))
    with pytest.raises(sa.exc.OperationalError, match="permission denied"):
        engine.connect()
    engine.dispose()
