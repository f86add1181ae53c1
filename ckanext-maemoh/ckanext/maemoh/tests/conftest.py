"""Fixtures shared by the CKAN-layer tests (run against the real stack)."""
import configparser
import contextlib
import importlib.util
import json
import pathlib

import pytest

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.harvest import queue
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource
# The real-browser fixtures, defined once for the session (tests/browser.py)
from ckanext.maemoh.tests.browser import browser_page, chromium_browser, live_server  # noqa: F401

DEMO_DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
DEMO_SOURCES = pathlib.Path(__file__).resolve().parents[4] / "deploy" / "demo" / "harvest_sources.json"


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    """CKAN's ``clean_db`` plus the migrations of our plugins' tables."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")


@pytest.fixture
def district(clean_db):
    """The district organisation (``ckanext.maemoh.organization``) that owns computed layers."""
    return factories.Organization(name=tk.config["ckanext.maemoh.organization"], agency_type="government")


@pytest.fixture
def clean_risk():
    """No risk run records or debounce gates in Redis; no spatial units cached."""
    from ckanext.maemoh.risk import runs as risk_runs

    redis_ = risk_runs.connection()
    for key in redis_.scan_iter("maemoh:risk:*"):
        redis_.delete(key)
    risk_runs.spatial_units.cache_clear()


@pytest.fixture
def portal(district):
    """Fresh air and fire data, the air risk layer, the inventory and its guidance."""
    from ckanext.maemoh.demo import ghg as demo_ghg
    from ckanext.maemoh.ghg import runs as ghg_runs
    from ckanext.maemoh.risk import runs as risk_runs
    from ckanext.maemoh.tests.test_risk_runs import NOW, harvest

    harvest(district, NOW, "air4thai", "firms")
    risk_runs.execute("air")
    list(demo_ghg.load(district["name"]))
    ghg_runs.execute(2024)
    return district


@pytest.fixture
def demo_data():
    """The folder of real boundaries and stations the repository ships."""
    return DEMO_DATA


@pytest.fixture
def demo_secrets(monkeypatch):
    """The demo sources' keys, as deploy/configure-ckan.sh merges them into var/ckan.ini."""
    secrets = configparser.ConfigParser()
    secrets.read(DEMO_SOURCES.parent / "secrets.ini", encoding="utf-8")
    for key, value in secrets["app:main"].items():
        monkeypatch.setitem(tk.config, key, value)


@contextlib.contextmanager
def demo_replay_server():
    """The demo's replay server (deploy/demo/replay_sources.py), serving."""
    from ckanext.maemoh.harvesters.replay import ReplayServer

    spec = importlib.util.spec_from_file_location("replay_sources", DEMO_SOURCES.parent / "replay_sources.py")
    replay_sources = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay_sources)
    with ReplayServer(replay_sources.make_handler()) as server:
        yield server


@pytest.fixture
def organization(clean_db):
    """An organisation to own test datasets (CKAN forbids unowned ones)."""
    return factories.Organization(agency_type="government")


# The fields of each dataset type beyond those all types share.
TYPE_FIELDS = {
    "dataset": {},
    "sensor-station": {
        "station_id": "38t", "network": "air4thai", "elevation_m": "330.5",
        "operator": "Pollution Control Department",
        "measured_parameters": ["pm25", "pm10"], "station_status": "active",
        "timezone": "Asia/Bangkok", "first_observation": "2020-01-01T00:00:00+07:00",
    },
    "risk-layer": {
        "risk_dimension": "air", "risk_method": "getis-ord-gi-star",
        "spatial_unit": "h3", "h3_resolution": "8",
        "risk_parameters": {"permutations": 999, "seed": 12345},
        "input_datasets": ["air4thai-station-38t"],
    },
    "ghg-inventory": {
        "inventory_year": "2567", "inventory_boundary": "Mae Moh district",
        "gpc_level": "basic-plus", "gwp_set": "ar6",
        "factor_dataset": "tgo-emission-factors",
    },
}


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


# Harvesting without the queues (one test also runs the real queues).

def create_source(organization, url, source_type, config):
    return helpers.call_action(
        "harvest_source_create", context={"user": factories.Sysadmin()["name"]},
        name=f"{source_type}-source", title=f"{source_type} source", url=url,
        source_type=source_type, config=json.dumps(config), owner_org=organization["id"])


def run_harvest(source_id):
    """One job of the source: gather, then fetch and import each object, as
    ckanext-harvest's tests do without the queues (tests/lib.py); the job."""
    source = HarvestSource.get(source_id)
    job = HarvestJob(source=source, status="Running")
    job.save()
    harvester = next(h for h in p.PluginImplementations(IHarvester)
                     if h.info()["name"] == source.type)
    for object_id in queue.gather_stage(harvester, job) or []:
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
    tk.get_action("harvest_jobs_run")({"ignore_auth": True}, {"source_id": source_id})
    return job


def report(job):
    """``{guid: (report_status, [error messages])}`` of the job's objects."""
    return {o.guid: (o.report_status, [e.message for e in o.errors]) for o in job.objects}
