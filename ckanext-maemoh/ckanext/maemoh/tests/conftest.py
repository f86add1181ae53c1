"""Fixtures shared by the CKAN-layer tests (run against the real stack)."""
import pathlib

import pytest

from ckan.tests import factories, helpers

DEMO_DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


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
    return factories.Organization(agency_type="government")


def valid_dataset(**fields):
    """The fields of a valid ``dataset`` with every required field, and
    ``fields`` on top."""
    return {
        "name": "pm25-sop-pat",
        "title_translated": {"th": "ฝุ่น PM2.5 รายชั่วโมง สถานีสบป้าด",
                             "en": "Hourly PM2.5, Sop Pat station"},
        "notes_translated": {"th": "ค่าฝุ่นละอองขนาดเล็กจากสถานีตรวจวัดคุณภาพอากาศ",
                             "en": "Fine particulate readings from the air-quality station."},
        "theme": ["air"],
        "update_frequency_unit": "hour",
        "update_frequency_interval": "1",
        "quality_level": "validated",
        "data_type": "record",
        "objective": ["public-service"],
        "geo_coverage": "sub-district",
        "data_source": "Pollution Control Department",
        "data_category": "public",
        "data_language": ["th", "en"],
        **fields,
    }


@pytest.fixture
def create_dataset(organization):
    """Create a dataset through the Action API from ``valid_dataset``."""
    def create(**fields):
        data = valid_dataset(owner_org=organization["id"], **fields)
        return helpers.call_action(
            "package_create", context={"user": factories.Sysadmin()["name"]}, **data)
    return create
