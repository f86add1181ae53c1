"""Shared fixtures: the packaged factor tables, the demo activity table, the tambons."""
from importlib.resources import files

import geopandas as gpd
import pandas as pd
import pytest

from ckanext.maemoh.netzero import factors

DATA = files("ckanext.maemoh") / "data"


def activities(*rows, year=2026):
    """An activity table from (tambon_code, activity, quantity, unit) tuples."""
    return pd.DataFrame([{"year": year, "tambon_code": t, "activity": a, "quantity": q, "unit": u}
                         for t, a, q, u in rows])


@pytest.fixture(scope="session")
def ar6():
    return factors.load_factor_set("ar6")


@pytest.fixture(scope="session")
def ar5():
    return factors.load_factor_set("ar5")


@pytest.fixture(scope="session")
def demo():
    return factors.read_activities()


@pytest.fixture(scope="session")
def tambons():
    return gpd.read_file(str(DATA / "maemoh_tambons.geojson"))


@pytest.fixture(scope="session")
def population():
    return pd.read_csv(str(DATA / "population_2024.csv"), dtype={"tambon_code": str})
