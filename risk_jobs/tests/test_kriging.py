"""Ordinary kriging: a variogram from the data, a system whose weights sum to one."""
import numpy as np
import pytest

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
    estimates, variogram = kriging.ordinary_kriging(stations, values, checks)
    kriged = np.sqrt(np.mean((estimates - truth) ** 2))
    flat = np.sqrt(np.mean((values.mean() - truth) ** 2))
    assert kriged < 0.6 * flat
    assert variogram.psill > 0 and 0 < variogram.range_m <= 40_000 * np.sqrt(2)
    assert set(variogram.record()) == {"model", "nugget", "partial_sill", "range_m", "bins"}


def test_weights_sum_to_one_and_scale(field):
    stations, values, checks, _ = field
    base, _ = kriging.ordinary_kriging(stations, values, checks)
    shifted, _ = kriging.ordinary_kriging(stations, values + 100, checks)
    scaled, _ = kriging.ordinary_kriging(stations, values * 3, checks)
    np.testing.assert_allclose(shifted, base + 100, rtol=0, atol=1e-6)
    np.testing.assert_allclose(scaled, base * 3, rtol=1e-5)


def test_what_cannot_be_kriged(field):
    stations, values, checks, _ = field
    with pytest.raises(kriging.KrigingError, match="at least 10"):
        kriging.ordinary_kriging(stations[:9], values[:9], checks)
    with pytest.raises(kriging.KrigingError, match="same value"):
        kriging.ordinary_kriging(stations, np.full(16, 42.0), checks)


def test_spherical_model():
    h = np.array([0.0, 500.0, 1000.0, 5000.0])
    np.testing.assert_allclose(kriging.spherical(h, 1.0, 4.0, 1000.0), [1.0, 1 + 4 * (0.75 - 0.0625), 5.0, 5.0])
