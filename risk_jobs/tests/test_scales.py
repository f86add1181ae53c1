"""Fixed hazard scales and the dimension registry."""
import numpy as np
import pandas as pd
import pytest

from ckanext.maemoh.risk_jobs import aqi, dimensions, scales


@pytest.mark.parametrize("value, level", [
    (0, 1), (25, 1), (25.4, 1), (25.5, 2), (50, 2), (100, 3), (100.5, 4), (200, 4), (201, 5), (999, 5),
])
def test_air_levels_are_the_thai_aqi_bands(value, level):
    assert scales.AIR.level(pd.Series([value])).iloc[0] == level
    assert level == aqi.band_of(int(np.floor(value + 0.5)))


@pytest.mark.parametrize("value, level", [
    (26.94, 1), (26.95, 2), (32.9, 2), (32.95, 3), (41.9, 3), (42.0, 4), (51.9, 4), (52.0, 5),
])
def test_heat_levels_follow_the_published_bounds(value, level):
    assert scales.HEAT.level(pd.Series([value])).iloc[0] == level


@pytest.mark.parametrize("scale", [scales.AIR, scales.HEAT, *(d.scale for d in dimensions.REGISTRY.values())])
def test_levels_are_those_of_pysal_user_defined_breaks(scale):
    """The levels are mapclassify's UserDefined classes of the rounded values
    (on a descending scale, of the negated values), on and around every bound."""
    import mapclassify

    rng = np.random.default_rng(7)
    bounds = np.array(scale.upper_bounds, dtype=float)
    span = max(abs(bounds).max(), 1.0)
    values = np.concatenate([bounds, bounds - 10.0 ** -scale.decimals, bounds + 10.0 ** -scale.decimals,
                             rng.uniform(bounds.min() - span, bounds.max() + span, 500)])
    rounded = scales._round_half_up(values, scale.decimals)
    sign = -1.0 if scale.descending else 1.0
    oracle = mapclassify.UserDefined(sign * rounded, bins=[*(sign * bounds), np.inf]).yb + 1
    assert scale.level(pd.Series(values)).tolist() == oracle.tolist()


def test_a_scale_does_not_stretch_with_the_run():
    narrow = pd.Series([33.81, 33.91])
    wide = pd.Series([20.0, 33.81, 33.91, 60.0])
    assert scales.HEAT.level(narrow).tolist() == [3, 3]
    assert scales.HEAT.level(wide).tolist()[1:3] == [3, 3]
    assert scales.HEAT.normalised(narrow).tolist() == [0.5, 0.5]


def test_missing_values_stay_missing_and_labels_follow_levels():
    levels = scales.WATER.level(pd.Series([2.0, np.nan, 4.0, 5.0]))
    assert levels.tolist()[0] == 1 and levels.isna().tolist() == [False, True, False, False]
    assert scales.WATER.labels(levels, "en") == ["Class 2", None, "Class 4", "Class 5"]
    assert scales.WATER.normalised(pd.Series([5.0])).iloc[0] == 1.0


def test_a_scale_needs_a_label_per_level():
    with pytest.raises(ValueError, match="label"):
        scales.Scale("X", "u", (1.0,), ("a",), ("a", "b"), 0, "s", "declared by the platform")
    with pytest.raises(ValueError, match="increase"):
        scales.Scale("X", "u", (2.0, 1.0), ("a",) * 3, ("a",) * 3, 0, "s", "declared by the platform")


def test_where_local_statistics_apply():
    assert dimensions.get("fire").local_statistics("h3") == (True, None)
    computed, why = dimensions.get("air").local_statistics("h3")
    assert not computed and "interpolated" in why
    assert not dimensions.get("energy").local_statistics("h3")[0]
    assert dimensions.get("energy").local_statistics("tambon") == (True, None)
    assert not dimensions.get("composite").local_statistics("tambon")[0]
    with pytest.raises(ValueError, match="one of"):
        dimensions.get("noise")


def test_the_risk_classes_and_the_risk_index_scale_agree():
    from ckanext.maemoh.risk_jobs import composite
    assert [c.upper for c in composite.RISK_CLASSES[:-1]] == list(scales.RISK_INDEX.upper_bounds)
    assert [c.label_en for c in composite.RISK_CLASSES] == list(scales.RISK_INDEX.labels_en)
    assert [c.label_th for c in composite.RISK_CLASSES] == list(scales.RISK_INDEX.labels_th)


@pytest.mark.parametrize("value, level", [
    (100, 1), (60.0, 1), (59.96, 1), (59.94, 2), (40.0, 2), (39.9, 3), (20.0, 3), (19.95, 3), (19.94, 4),
    (10.0, 4), (9.9, 5), (0, 5),
])
def test_green_is_a_descending_scale_with_lower_bounds(value, level):
    assert scales.GREEN.level(pd.Series([value])).iloc[0] == level
    assert scales.GREEN.normalised(pd.Series([value])).iloc[0] == (level - 1) / 4  # little green: high hazard


def test_a_descending_scale_needs_decreasing_bounds():
    with pytest.raises(ValueError, match="decrease"):
        scales.Scale("X", "%", (10.0, 20.0), ("a",) * 3, ("a",) * 3, 0, "s", "declared by the platform",
                     descending=True)


def test_the_green_share_is_measured_per_unit():
    assert dimensions.get("green").local_statistics("h3") == (True, None)
    assert dimensions.get("green").local_statistics("tambon") == (True, None)
