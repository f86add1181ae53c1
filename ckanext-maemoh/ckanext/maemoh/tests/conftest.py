"""Fixtures shared by the CKAN-layer tests (run against the real stack)."""
import pathlib

import pytest

from ckan.tests import factories

DEMO_DATA = pathlib.Path(__file__).resolve().parents[4] / "deploy" / "demo" / "data"


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    """CKAN's ``clean_db`` plus the migrations of our plugins' tables."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")


@pytest.fixture
def demo_data():
    """The folder of real boundaries and stations the repository ships."""
    return DEMO_DATA


@pytest.fixture
def organization(clean_db):
    """An organisation to own test datasets (CKAN forbids unowned ones)."""
    return factories.Organization()
