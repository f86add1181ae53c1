"""Ordinary kriging by PyKrige: a spherical variogram from the data, estimates with their variance."""
import numpy as np
import pytest
from pykrige.ok import OrdinaryKriging

from ckanext.maemoh.risk_jobs import kriging


@pytest.fixture
def field():
    """16 stations over 40 km of a smooth field with a little noise, and 200 check points."""
    rng = np.random.default_rng(7)
    truth = lambda xy: 50 + 30 * np.sin(xy[:, 0] / 15_000) + 20 * np.cos(xy[:, 1] / 12_000)  # noqa: E731
    stations = rng.uniform(0, 40_000, (16, 2))
    checks = rng.uniform(5_000, 35_000, (200, 2))
    return stations, truth(stations) + rng.normal(0, 1, 16), checks, truth(checks)


def test_kriging_beats_the_mean(field):
    stations, values, checks, truth = field
    kriged = kriging.ordinary_kriging(stations, values, checks)
    error = np.sqrt(np.mean((kriged.estimate - truth) ** 2))
    flat = np.sqrt(np.mean((values.mean() - truth) ** 2))
    assert error < 0.6 * flat
    variogram = kriged.variogram
    assert variogram.psill > 0 and 0 < variogram.range_m <= 40_000 * np.sqrt(2)
    record = variogram.record()
    assert set(record) == {"model", "nugget", "partial_sill", "range_m", "bins", "fitted_by"}
    assert record["model"] == "spherical" and record["fitted_by"].startswith("PyKrige 1.7.3")


def test_weights_sum_to_one_and_scale(field):
    stations, values, checks, _ = field
    base = kriging.ordinary_kriging(stations, values, checks).estimate
    shifted = kriging.ordinary_kriging(stations, values + 100, checks).estimate
    scaled = kriging.ordinary_kriging(stations, values * 3, checks).estimate
    np.testing.assert_allclose(shifted, base + 100, rtol=0, atol=1e-6)
    np.testing.assert_allclose(scaled, base * 3, rtol=1e-5)


def test_exact_at_stations_and_variance_grows_away(field):
    stations, values, _, _ = field
    at = kriging.ordinary_kriging(stations, values, stations)
    np.testing.assert_allclose(at.estimate, values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(at.variance, 0, atol=1e-9)
    # walking away from the westmost station, out of the network
    west = stations[np.argmin(stations[:, 0])]
    walk = west - np.array([[d, 0.0] for d in (1.0, 500.0, 2_000.0, 8_000.0)])
    variance = kriging.ordinary_kriging(stations, values, walk).variance
    assert 0 < variance[0] and (np.diff(variance) > 0).all()


def test_variance_is_pykrige_variance_and_bounds_a_station_mean(field):
    stations, values, _, _ = field
    variogram = kriging.ordinary_kriging(stations, values, stations[:1]).variogram
    h = np.array([0.0, 1_000.0, variogram.range_m + 1])
    r = h[1] / variogram.range_m
    expected = [0.0, variogram.nugget + variogram.psill * (1.5 * r - 0.5 * r ** 3), variogram.nugget + variogram.psill]
    np.testing.assert_allclose(variogram(h), expected)
    # two stations, a target on their bisector: the kriging weights are ½ each,
    # so PyKrige's kriging variance is that of the station mean
    pair = np.array([[0.0, 0.0], [6_000.0, 0.0]])
    target = np.array([3_000.0, 2_000.0])
    ok = OrdinaryKriging(pair[:, 0], pair[:, 1], [1.0, 2.0], variogram_model="spherical",
                         variogram_parameters=variogram.parameters)
    _, pykrige_variance = ok.execute("points", target[:1], target[1:])
    assert kriging.station_mean_variance(variogram, pair, target) == pytest.approx(pykrige_variance[0])
    # off the bisector the mean is not the best weighting: its variance is larger
    off = np.array([1_000.0, 500.0])
    _, kriging_variance = ok.execute("points", off[:1], off[1:])
    assert kriging.station_mean_variance(variogram, pair, off) > kriging_variance[0]
    # one station: Var(Z(x) − Z(s)) = 2γ(|x − s|)
    assert kriging.station_mean_variance(variogram, pair[:1], off) == pytest.approx(2 * variogram(np.hypot(*off)))


def test_leave_one_out_predicts_each_station_from_the_others(field):
    stations, values, _, _ = field
    variogram = kriging.ordinary_kriging(stations, values, stations[:1]).variogram
    predicted = kriging.leave_one_out(stations, values, variogram)
    assert np.abs(predicted - values).min() > 1e-6  # not the station's own value
    changed = values.copy()
    changed[3] += 50
    again = kriging.leave_one_out(stations, changed, variogram)
    assert again[3] == pytest.approx(predicted[3], abs=1e-9)  # station 3 is not used for itself
    assert (np.abs(np.delete(again - predicted, 3)) > 0).any()


def test_what_cannot_be_kriged(field):
    stations, values, checks, _ = field
    with pytest.raises(kriging.KrigingError, match="at least 10"):
        kriging.ordinary_kriging(stations[:9], values[:9], checks)
    with pytest.raises(kriging.KrigingError, match="same value"):
        kriging.ordinary_kriging(stations, np.full(16, 42.0), checks)
    twin = stations.copy()
    twin[1] = twin[0]
    with pytest.raises(kriging.KrigingError, match="share a location"):
        kriging.ordinary_kriging(twin, values, checks)
    # 16 stations 1 km apart on a line, alternating 0 and 1: nothing the stations resolve
    line = np.column_stack([np.arange(16) * 1_000.0, np.zeros(16)])
    with pytest.raises(kriging.KrigingError, match="no spatial structure"):
        kriging.ordinary_kriging(line, np.arange(16) % 2 * 1.0, checks)
