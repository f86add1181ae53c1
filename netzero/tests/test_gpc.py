"""The GPC catalogue and the activity mapping are consistent data."""
import copy
import datetime as dt

import pytest
import yaml

from ckanext.maemoh.netzero.gpc import MAPPING_FILE, load_mapping, parse_mapping


@pytest.fixture(scope="module")
def doc():
    return yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))


def test_mae_moh_specifics():
    mapping = load_mapping()
    plant, mine = mapping.references["I.4.4"], mapping.references["I.7.1"]
    assert (plant.level, plant.in_basic, plant.in_basic_plus) == ("reported", False, False)
    assert (mine.level, mine.scope) == ("BASIC", 1)
    assert mapping.activities["power-plant-lignite"].factor_id == "lignite"
    assert mapping.activities["power-plant-generation"].memo
    assert mapping.activities["electricity-residential"].gpc == "I.1.2"
    assert (mapping.activities["electricity-residential"].scope, mapping.activities["cattle"].basic) == (2, False)


def test_every_activity_with_a_factor_declares_its_methane():
    activities = load_mapping().activities
    assert (activities["lignite-mined"].methane, activities["power-plant-lignite"].methane) == ("fossil", "fossil")
    assert {activities[a].methane for a in ("msw-landfill", "cattle", "buffalo")} == {"non-fossil"}
    assert all(a.methane in ("fossil", "non-fossil") for a in activities.values() if not a.memo)
    assert all(a.methane is None for a in activities.values() if a.memo)


def test_every_activity_has_a_factor_in_its_unit(ar6):
    for activity in load_mapping().activities.values():
        if not activity.memo:
            assert ar6.factor(activity.factor_id, dt.date(2024, 7, 1)).activity_unit == activity.unit


@pytest.mark.parametrize("change, message", [
    (lambda d: d["references"]["II.3.1"].pop("reason_en"), "notation key NO needs reason_th and reason_en"),
    (lambda d: d["references"]["II.3.1"].update(if_no_data=False), "if_no_data must be one of"),
    (lambda d: d["references"].update({"IX.1": {"scope": 1, "level": "BASIC"}}), "not of the form"),
    (lambda d: d["references"]["I.1.1"].update(level="BASIC++"), "level must be one of"),
    (lambda d: d["activities"]["cattle"].update(gpc="V.9"), "'V.9' is not in the catalogue"),
    (lambda d: d["activities"]["cattle"].update(memo=True), "either a factor_id or memo"),
    (lambda d: d["activities"]["cattle"].pop("label_th"), "lacks 'label_th'"),
    (lambda d: d["activities"]["lignite-mined"].pop("methane"),
     "activity 'lignite-mined': declare the methane it emits, methane: fossil or non-fossil"),
    (lambda d: d["activities"]["msw-landfill"].update(methane="biogenic"), r"msw-landfill'.*\(got 'biogenic'\)"),
    (lambda d: d["activities"]["green-forest"].update(methane="non-fossil"), "memo item emits no methane"),
])
def test_inconsistent_mappings_are_named(doc, change, message):
    broken = copy.deepcopy(doc)
    change(broken)
    with pytest.raises(ValueError, match=message):
        parse_mapping(broken)
