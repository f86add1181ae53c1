"""The NWS heat index equation, checked against worked values of its own steps."""
import numpy as np
import pytest

from ckanext.maemoh.risk_jobs.heat_index import heat_index_c


def f_to_c(f):
    return (f - 32) * 5 / 9


def test_the_regression_at_90_f_and_70_percent():
    t_f, rh = 90.0, 70.0
    expected = (-42.379 + 2.04901523 * t_f + 10.14333127 * rh - 0.22475541 * t_f * rh
                - 0.00683783 * t_f ** 2 - 0.05481717 * rh ** 2 + 0.00122874 * t_f ** 2 * rh
                + 0.00085282 * t_f * rh ** 2 - 0.00000199 * t_f ** 2 * rh ** 2)
    assert expected == pytest.approx(105.92, abs=0.01)  # the NWS chart prints 106 °F
    assert heat_index_c(f_to_c(t_f), rh) == pytest.approx(f_to_c(expected))


def test_mild_air_uses_the_simple_formula():
    t_f, rh = 70.0, 50.0
    simple = 0.5 * (t_f + 61.0 + (t_f - 68.0) * 1.2 + rh * 0.094)
    assert heat_index_c(f_to_c(t_f), rh) == pytest.approx(f_to_c(simple))


def test_dry_and_humid_adjustments():
    t_f = 95.0  # dry: the adjustment lowers the index by (13 - RH)/4 at 95 °F
    base = heat_index_c(f_to_c(t_f), 13.0)
    assert heat_index_c(f_to_c(t_f), 5.0) < base
    humid = heat_index_c(f_to_c(82.0), 95.0)  # humid adjustment raises it
    assert humid > f_to_c(82.0)


def test_bad_humidity_is_refused():
    with pytest.raises(ValueError, match="0-100"):
        heat_index_c(np.array([30.0]), np.array([120.0]))
