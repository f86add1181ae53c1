"""Sampling points on the Thai surface-water standard: every class edge, statistics, points."""
import pandas as pd
import pytest

from ckanext.maemoh.risk_jobs import scales, water

# (variable, value exactly at a limit -> class, value just past it -> class)
EDGES = [
    ("dissolved-oxygen", 6.0, 2, 5.99, 3), ("dissolved-oxygen", 4.0, 3, 3.99, 4),
    ("dissolved-oxygen", 2.0, 4, 1.99, 5),
    ("bod", 1.5, 2, 1.51, 3), ("bod", 2.0, 3, 2.01, 4), ("bod", 4.0, 4, 4.01, 5),
    ("total-coliform", 5000, 2, 5001, 3), ("total-coliform", 20000, 3, 20001, 4),
    ("fecal-coliform", 1000, 2, 1001, 3), ("fecal-coliform", 4000, 3, 4001, 4),
    ("water-ph", 5.0, 2, 4.99, 5), ("water-ph", 9.0, 2, 9.01, 5),
    ("ammonia-nitrogen", 0.5, 2, 0.51, 5), ("nitrate-nitrogen", 5.0, 2, 5.01, 5),
    ("manganese", 1.0, 2, 1.01, 5), ("arsenic", 0.01, 2, 0.0101, 5), ("lead", 0.05, 2, 0.0501, 5),
    ("mercury", 0.002, 2, 0.0021, 5), ("copper", 0.1, 2, 0.101, 5), ("zinc", 1.0, 2, 1.01, 5),
]


@pytest.mark.parametrize("variable, at, at_class, past, past_class", EDGES)
def test_every_class_edge(variable, at, at_class, past, past_class):
    limit = water.LIMITS[variable]
    assert limit.classify(at) == at_class
    assert limit.classify(past) == past_class


def test_coliform_alone_never_makes_class_5():
    assert water.LIMITS["total-coliform"].classify(10 ** 7) == 4
    assert water.LIMITS["fecal-coliform"].classify(10 ** 7) == 4


def samples(station, variable, values, start="2026-01-05"):
    times = pd.date_range(start, periods=len(values), freq="MS", tz="UTC")
    return pd.DataFrame({"station_id": station, "variable": variable, "time_utc": times,
                         "value": [float(v) for v in values]})


def test_percentile_statistics_and_single_sample_exceedances():
    # DO: P20 of 10 samples; BOD: P80; one bad BOD sample hides under the percentile
    obs = pd.concat([samples("p1", "dissolved-oxygen", [7, 7, 7, 7, 7, 7, 7, 7, 3, 7]),
                     samples("p1", "bod", [1.0] * 9 + [6.0])])
    table = water.parameters(obs).set_index("variable")
    assert table.loc["dissolved-oxygen", "statistic_value"] == pytest.approx(7.0)
    assert table.loc["dissolved-oxygen", "water_class"] == 2
    assert table.loc["dissolved-oxygen", "exceedances"] == 1   # the sample of 3 mg/L is class 4 alone
    assert table.loc["bod", "statistic"] == "P80" and table.loc["bod", "statistic_value"] == pytest.approx(1.0)
    assert table.loc["bod", "exceedances"] == 1


def test_a_point_takes_its_worst_parameter_and_names_it():
    obs = pd.concat([samples("p1", "bod", [3.0, 3.5]), samples("p1", "manganese", [0.2, 1.4]),
                     samples("p1", "conductivity", [400, 420]),
                     samples("p2", "bod", [1.0]), samples("p2", "dissolved-oxygen", [5.0]),
                     samples("p3", "conductivity", [900])])
    points = water.points(obs)
    assert list(points.index) == ["p1", "p2"]             # p3: nothing the standard classes
    assert points.loc["p1", "water_class"] == 5 and points.loc["p1", "limiting"] == "manganese"
    assert points.loc["p1", "reported_only"] == "conductivity"
    assert points.loc["p2", "water_class"] == 3 and points.loc["p2", "limiting"] == "dissolved-oxygen"


def test_ph_statistic_is_the_sample_farthest_out():
    table = water.parameters(samples("p1", "water-ph", [7.0, 4.5, 8.9])).iloc[0]
    assert table["statistic_value"] == 4.5 and table["water_class"] == 5


def test_the_scale_classes_the_point_classes():
    assert list(scales.WATER.level(pd.Series([2, 3, 4, 5]))) == [1, 2, 3, 4]
    assert scales.WATER.labels(scales.WATER.level(pd.Series([4])), "en") == ["Class 4"]
    assert set(water.USES) == {2, 3, 4, 5}
