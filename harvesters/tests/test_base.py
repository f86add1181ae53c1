"""The cadence of a source's configuration is the harvester's, not the adapter's."""
import pytest

from ckanext.maemoh.harvesters.base import ConfigError, split_cadence


def test_the_cadence_is_split_off():
    assert split_cadence({"stations": ["38t"], "every_minutes": 60}) == ({"stations": ["38t"]}, 60)
    assert split_cadence({"stations": ["38t"]}) == ({"stations": ["38t"]}, None)


@pytest.mark.parametrize("minutes", [4, 10081, 1.5, "60", True, None])
def test_a_cadence_out_of_range_names_the_key(minutes):
    with pytest.raises(ConfigError, match="every_minutes"):
        split_cadence({"every_minutes": minutes})
