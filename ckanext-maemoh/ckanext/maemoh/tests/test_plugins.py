"""The platform's plugin and every upstream plugin it relies on load."""
import pytest

import ckan.plugins as p
import ckan.plugins.toolkit as tk

PLUGINS = [
    "maemoh", "maemoh_risk_map", "scheming_datasets", "scheming_organizations", "spatial_metadata",
    "spatial_query",
    "harvest", "dcat", "geo_view", "geojson_view", "datastore",
    "datatables_view", "activity", "maemoh_air4thai_harvester",
    "maemoh_openaq_harvester", "maemoh_sensorthings_harvester",
    "maemoh_dustboy_harvester", "maemoh_firms_harvester", "maemoh_traffy_harvester",
    "maemoh_agency_files_harvester", "maemoh_ckan_harvester",
    "maemoh_dcat_rdf_harvester", "maemoh_dcat_mapping",
]

pytestmark = pytest.mark.usefixtures("with_plugins")


@pytest.mark.parametrize("name", PLUGINS)
def test_plugin_is_loaded(name):
    assert p.plugin_loaded(name)


def test_dataset_type_comes_from_our_schema():
    schema = tk.get_action("scheming_dataset_schema_show")(
        {}, {"type": "dataset"})
    fields = [field["field_name"] for field in schema["dataset_fields"]]
    assert "spatial" in fields
    assert schema["about"].startswith("An energy or environment dataset")


def test_our_options_are_declared():
    assert tk.config["ckanext.maemoh.organization"] == "maemoh-district"


def test_maemoh_command_is_registered(cli):
    from ckan.cli.cli import ckan as ckan_command

    result = cli.invoke(ckan_command, ["maemoh", "--help"])
    assert result.exit_code == 0, result.output
    assert "load-demo" in result.output
