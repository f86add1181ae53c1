"""`ckan maemoh search check [--repair]`: the search index against the
database, on the real Solr and PostgreSQL."""
import pytest

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.lib.search import common as search_common
from ckan.tests import helpers

from ckanext.maemoh.search import consistency

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

STRAY = "00000000-0000-0000-0000-00000000dead"


@pytest.fixture
def drifted(create_dataset):
    """Two datasets; Solr lost the first and holds a document of a dataset
    the database never had."""
    lost, kept = create_dataset(name="lost-from-the-index"), create_dataset(name="kept")
    solr = search_common.make_connection()
    solr.delete(q=f'id:"{lost["id"]}"', commit=True)
    site = tk.config["ckan.site_id"]
    solr.add([{"index_id": f"{site}-{STRAY}", "id": STRAY, "site_id": site, "name": "stray",
               "title": "stray", "entity_type": "package", "dataset_type": "dataset",
               "capacity": "public", "state": "active"}], commit=True)
    return lost, kept


def test_the_difference_is_found_and_repaired(cli, drifted):
    lost, _kept = drifted
    difference = consistency.compare()
    assert (difference.missing, difference.extra) == ((lost["id"],), (STRAY,))

    result = cli.invoke(ckan_command, ["maemoh", "search", "check"])
    assert result.exit_code == 1 and "1 datasets missing from the index, 1 documents" in result.output

    result = cli.invoke(ckan_command, ["maemoh", "search", "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "the index matches the database" in result.output
    assert consistency.compare().consistent
    names = {d["name"] for d in helpers.call_action("package_search", rows=10)["results"]}
    assert names == {"lost-from-the-index", "kept"}


def test_a_consistent_index_passes(cli, create_dataset):
    create_dataset(name="one")
    result = cli.invoke(ckan_command, ["maemoh", "search", "check"])
    assert result.exit_code == 0 and "0 datasets missing from the index, 0 documents" in result.output
