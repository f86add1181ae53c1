"""Levels per key from small inputs shaped like the residents' snapshot."""
import datetime as dt

import pytest
from pyproj import Geod
from shapely.geometry import box

from ckanext.maemoh.alerts import levels

NOW = dt.datetime(2026, 3, 10, 6, tzinfo=dt.timezone.utc)
TAMBON = box(99.70, 18.30, 99.72, 18.32)        # about 2 km square near Mae Moh
GEOD = Geod(ellps="WGS84")


def fire_east(km, hours_ago=1.0):
    """A detection ``km`` east of the square's east edge, ``hours_ago`` before NOW."""
    longitude, latitude, _ = GEOD.fwd(99.72, 18.31, 90, km * 1000)
    return {"longitude": longitude, "latitude": latitude,
            "time_utc": (NOW - dt.timedelta(hours=hours_ago)).isoformat()}


def test_aqi_levels_leave_stale_and_missing_bands_out():
    rows = [{"tambon_code": "520501", "band": 4, "stale": False},
            {"tambon_code": "520502", "band": 3, "stale": True},
            {"tambon_code": "520503", "band": None, "stale": True}]
    assert levels.aqi_levels(rows) == {"520501": 4, "520502": None, "520503": None}


def test_forecast_levels_take_the_band_of_tomorrow():
    tambons = {"520501": [{"date": "2026-03-10", "band": 2}, {"date": "2026-03-11", "band": 4}],
               "520502": [{"date": "2026-03-10", "band": 2}],
               "520503": [{"date": "2026-03-11", "band": None}]}
    assert levels.forecast_levels(tambons, dt.date(2026, 3, 10)) == {
        "520501": 4, "520502": None, "520503": None}


@pytest.mark.parametrize("fire, level", [
    ({"longitude": 99.71, "latitude": 18.31, "time_utc": NOW}, 3),     # inside: 0 km
    (fire_east(3), 3), (fire_east(7), 2), (fire_east(20), 1), (fire_east(40), 0),
    (fire_east(3, hours_ago=30), 0), (fire_east(3, hours_ago=-1), 0),  # too old, in the future
])
def test_fire_levels_by_ring_and_time(fire, level):
    assert levels.fire_levels([fire], {"520501": TAMBON}, NOW, 24) == {"520501": level}


def test_fire_levels_take_the_nearest_detection_and_custom_rings():
    fires = [fire_east(40), fire_east(7), fire_east(20)]
    assert levels.fire_levels(fires, {"520501": TAMBON}, NOW, 24) == {"520501": 2}
    assert levels.fire_levels(fires, {"520501": TAMBON}, NOW, 24, rings_km=(50, 30, 8)) == {"520501": 3}
    assert levels.fire_levels([], {"520501": TAMBON}, NOW, 24) == {"520501": 0}


@pytest.mark.parametrize("rings", [(5, 10, 25), (25, 10), (25, 10, 0)])
def test_fire_rings_are_validated(rings):
    with pytest.raises(ValueError, match="rings_km"):
        levels.fire_levels([], {}, NOW, 24, rings_km=rings)


def test_risk_levels_read_the_composite_class():
    summary = {"air": {"tambons": [{"tambon_code": "520501", "risk_class_max": 5}]},
               "composite": {"tambons": [{"tambon_code": "520501", "risk_class_max": 4},
                                         {"tambon_code": "520502", "risk_class_max": None}]}}
    assert levels.risk_levels(summary) == {"520501": 4, "520502": None}
    assert levels.risk_levels({}) == {}


def test_stale_levels():
    stations = [{"station_id": "A", "time_utc": (NOW - dt.timedelta(hours=2)).isoformat()},
                {"station_id": "B", "time_utc": (NOW - dt.timedelta(hours=4)).isoformat()},
                {"station_id": "C", "time_utc": None},
                {"station_id": "C", "time_utc": NOW.isoformat()},
                {"station_id": "D", "time_utc": None}]
    assert levels.stale_levels(stations, NOW, 3) == {"A": 0, "B": 1, "C": 0, "D": 1}


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="now"):
        levels.stale_levels([], NOW.replace(tzinfo=None), 3)


def test_choices_hold_the_public_thresholds():
    assert all(levels.PUBLIC_THRESHOLD[kind] in levels.CHOICES[kind] for kind in levels.PUBLIC_THRESHOLD)
