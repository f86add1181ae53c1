"""Fixtures shared by the CKAN-layer tests (run against the real stack);
the helpers they share are in helpers.py, imported inside the fixtures:
its "now" is read from the configuration, which is not loaded yet when
pytest imports this file."""
import configparser

import pytest
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
# The real-browser fixtures, defined once for the session (tests/browser.py)
from ckanext.maemoh.tests.browser import browser_page, chromium_browser, live_server  # noqa: F401


# Loading every plugin costs about 0.5 s and unloading 0.3 s; building the
# test app another 0.8 s. CKAN's fixtures do both for every test; these keep
# the plugins loaded and one app between tests that leave the configuration
# as test.ini has it. A test with a ``ckan_config`` mark gets them afresh,
# as CKAN's fixtures give them, and they are loaded again after it.
_kept = {"plugins": False, "app": None}


def _config_marked(request):
    return request.node.get_closest_marker("ckan_config") is not None


def _load_plugins(marked):
    """Load every plugin unless they are kept loaded (a fixture of a test
    module may have unloaded them: asked of the plugins themselves)."""
    import ckan.plugins as plugins

    loaded = all(plugins.plugin_loaded(name) for name in tk.aslist(tk.config.get("ckan.plugins")))
    if marked or not (_kept["plugins"] and loaded):
        plugins.load_all()
    _kept["plugins"] = not marked


@pytest.fixture
def with_plugins(request, ckan_config):
    """CKAN's ``with_plugins``: every plugin of ``ckan.plugins`` loaded for the test."""
    import ckan.plugins as plugins

    marked = _config_marked(request)
    _load_plugins(marked)
    yield
    if marked:
        plugins.unload_non_system_plugins()


@pytest.fixture
def make_app(request, ckan_config):
    """CKAN's ``make_app``: the factory of the test app (one kept for unmarked tests)."""
    from ckan.lib.app_globals import _CONFIG_CACHE

    _CONFIG_CACHE.clear()
    marked = _config_marked(request)

    def make():
        if marked:
            return helpers._get_test_app()
        if _kept["app"] is None:
            _kept["app"] = helpers._get_test_app()
        _load_plugins(False)
        return _kept["app"]
    yield make
    if marked:
        _kept["plugins"] = False


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    """CKAN's ``clean_db`` plus the migrations of our plugins' tables; no
    residents' snapshot and no rate-limit counts of an earlier test."""
    _forget_redis_state()
    reset_db()
    for plugin in MIGRATED:
        migrate_db_for(plugin)
    _empty_own_tables()


#: the plugins whose migrations a clean database gets
MIGRATED = ("activity", "harvest", "maemoh")


def _forget_redis_state():
    from ckanext.maemoh import rate_limit
    from ckanext.maemoh.residents import snapshot

    redis_ = snapshot.connection()
    for pattern in (snapshot.KEY + "*", rate_limit.KEY.format("*", "*")):
        for key in redis_.scan_iter(pattern):
            redis_.delete(key)


def _empty_own_tables():
    """The warnings' and the residents' reports' own tables (outside CKAN's
    model, which reset_db empties)."""
    from ckanext.maemoh.alerting import model as alert_model
    from ckanext.maemoh.reporting import model as report_model

    tables = alert_model.metadata.sorted_tables + report_model.metadata.sorted_tables
    with alert_model.engine().begin() as conn:
        conn.execute(sa.text("TRUNCATE {} CASCADE".format(", ".join(table.name for table in tables))))


@pytest.fixture
def district(clean_db):
    """The district organisation (``ckanext.maemoh.organization``) that owns computed layers."""
    return factories.Organization(name=tk.config["ckanext.maemoh.organization"], agency_type="government")


@pytest.fixture
def clean_risk():
    """No risk, forecast or calibration run records or debounce gates in
    Redis; no spatial units cached; no fitted forecast model kept."""
    _forget_runs()


def _forget_runs():
    from ckanext.maemoh.forecasting import runs as forecast_runs
    from ckanext.maemoh.risk import runs as risk_runs

    redis_ = risk_runs.connection()
    for pattern in ("maemoh:risk:*", "maemoh:forecast:*", "maemoh:calibration:*"):
        for key in redis_.scan_iter(pattern):
            redis_.delete(key)
    risk_runs.spatial_units.cache_clear()
    forecast_runs.model_path().unlink(missing_ok=True)


@pytest.fixture
def portal(district):
    """Fresh air and fire data, the air risk layer, the inventory and its
    guidance, and the residents' snapshot of them."""
    return _build_portal(district)


@pytest.fixture(scope="module")
def shared_portal():
    """:func:`portal` built once for a module whose tests only read it, on a
    site cleaned as ``clean_db``, ``clean_index``, ``clean_queues`` and
    ``clean_risk`` clean it (about 12 s saved per test). Its tests must not
    use those fixtures, nor write."""
    from ckan.cli.db import _run_migrations
    from ckan.lib import jobs, search
    from ckan.tests import helpers as ckan_helpers

    _load_plugins(False)
    _forget_redis_state()
    factories.fake.unique.clear()
    ckan_helpers.reset_db()
    for plugin in MIGRATED:
        _run_migrations(plugin, "head", True)
    _empty_own_tables()
    search.clear_all()
    for queue in jobs.get_all_queues():
        queue.empty()
    _forget_runs()
    return _build_portal(factories.Organization(name=tk.config["ckanext.maemoh.organization"],
                                                agency_type="government"))


def _build_portal(district):
    from ckanext.maemoh.demo import ghg as demo_ghg
    from ckanext.maemoh.ghg import runs as ghg_runs
    from ckanext.maemoh.residents import snapshot
    from ckanext.maemoh.risk import runs as risk_runs
    from ckanext.maemoh.tests.helpers import NOW, harvest

    harvest(district, NOW, "air4thai", "firms")
    risk_runs.execute("air")
    list(demo_ghg.load(district["name"]))
    ghg_runs.execute(2024)
    snapshot.refresh()
    return district


@pytest.fixture
def demo_data():
    """The folder of real boundaries and stations the repository ships."""
    from ckanext.maemoh.tests.helpers import DEMO_DATA

    return DEMO_DATA


@pytest.fixture
def demo_secrets(monkeypatch):
    """The demo sources' keys, as deploy/configure-ckan.sh merges them into var/ckan.ini."""
    from ckanext.maemoh.tests.helpers import DEMO_SOURCES

    secrets = configparser.ConfigParser()
    secrets.read(DEMO_SOURCES.parent / "secrets.ini", encoding="utf-8")
    for key, value in secrets["app:main"].items():
        monkeypatch.setitem(tk.config, key, value)


@pytest.fixture
def organization(clean_db):
    """An organisation to own test datasets (CKAN forbids unowned ones)."""
    return factories.Organization(agency_type="government")


@pytest.fixture
def create_dataset(organization):
    """Create a dataset through the Action API from ``valid_dataset``."""
    from ckanext.maemoh.tests.helpers import valid_dataset

    def create(**fields):
        data = valid_dataset(owner_org=organization["id"], **fields)
        return helpers.call_action(
            "package_create", context={"user": factories.Sysadmin()["name"]}, **data)
    return create


# Harvesting without the queues (one test also runs the real queues).


