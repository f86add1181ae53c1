"""Helpers the CKAN-layer tests share (fixtures are in conftest.py): valid
datasets of each type, harvest sources run without the queues, the demo's
replay server, the suite's one "now", and a real xloader site and worker."""
import contextlib
import importlib.util
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.harvest import queue
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

from ckanext.maemoh import clock
from ckanext.maemoh.harvesters.replay import ReplayServer

if not (os.environ.get(clock.ENVIRONMENT) or tk.config.get(clock.OPTION)):
    raise RuntimeError("tests/helpers.py needs the frozen clock of test.ini: import it once CKAN's "
                       "configuration is loaded (in a test module or inside a fixture)")

DEMO_DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
DEMO_SOURCES = pathlib.Path(__file__).resolve().parents[4] / "deploy" / "demo" / "harvest_sources.json"
BBOX = [99.62, 18.19, 100.06, 18.63]
NOW = clock.now().replace(minute=0, second=0, microsecond=0)  # frozen by test.ini; the hour, as the sources report


def _replay_sources():
    """The demo's replay server module (deploy/demo/replay_sources.py)."""
    spec = importlib.util.spec_from_file_location("replay_sources", DEMO_SOURCES.parent / "replay_sources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay_handler(now=None):
    """The demo replay server's handler, serving data as of ``now`` (None:
    as of the platform clock at each request)."""
    return _replay_sources().make_handler(now=clock.now if now is None else lambda: now)


@contextlib.contextmanager
def demo_replay_server():
    """The demo's replay server, serving data as of the platform clock."""
    with ReplayServer(replay_handler()) as server:
        yield server


# The fields of each dataset type beyond those all types share.
@contextlib.contextmanager
def harvested_demo(cli, demo_data):
    """`ckan maemoh load-demo` with the demo's harvest sources, then one job
    of each from the replay server, which keeps serving; the jobs by source."""
    from ckan.cli.cli import ckan as ckan_command

    with demo_replay_server() as server:
        result = cli.invoke(ckan_command, [
            "maemoh", "load-demo", str(demo_data), "--harvest-sources", str(DEMO_SOURCES),
            "--replay-url", server.url])
        assert result.exit_code == 0, result.output
        yield {source["name"]: run_harvest(helpers.call_action("harvest_source_show", id=source["name"])["id"])
               for source in json.loads(DEMO_SOURCES.read_text())}


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
    "forecast": {"forecast_variable": "pm25", "input_datasets": ["air4thai-station-38t"]},
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


def create_source(organization, url, source_type, config, name=None):
    name = name or f"{source_type}-source"
    return helpers.call_action(
        "harvest_source_create", context={"user": factories.Sysadmin()["name"]},
        name=name, title=name, url=url,
        source_type=source_type, config=json.dumps(config), owner_org=organization["id"])


def run_harvest(source_id):
    """One job of the source: gather, then fetch and import each object, as
    ckanext-harvest's tests do without the queues (tests/lib.py); the job."""
    job = HarvestJob(source=HarvestSource.get(source_id), status="Running")
    job.save()
    return run_harvest_job(job)


def run_harvest_job(job):
    """Run an existing job as the gather and fetch consumers would; the job."""
    job.status = "Running"
    job.save()
    harvester = next(h for h in plugins.PluginImplementations(IHarvester)
                     if h.info()["name"] == job.source.type)
    for object_id in queue.gather_stage(harvester, job) or []:
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
    tk.get_action("harvest_jobs_run")({"ignore_auth": True}, {"source_id": job.source.id})
    return job


def report(job):
    """``{guid: (report_status, [error messages])}`` of the job's objects."""
    return {o.guid: (o.report_status, [e.message for e in o.errors]) for o in job.objects}


def risk_worker(ckan_config, now=None, options=None):
    """The risk queue's jobs in a real worker; its clock at ``now`` (default:
    the suite's); ``options``: configuration options of its own."""
    from ckanext.maemoh.risk import runs as risk_runs

    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    env = dict(os.environ, **({clock.ENVIRONMENT: now.isoformat()} if now else {}))
    with tempfile.NamedTemporaryFile("w", suffix=".ini", encoding="utf-8") as ini:
        logging_ = pathlib.Path(ckan_config["__file__"]).read_text(encoding="utf-8").partition("[loggers]")
        ini.write("[app:main]\nuse = config:" + ckan_config["__file__"] + "\n"
                  + "".join(f"{key} = {value}\n" for key, value in (options or {}).items())
                  + "".join(logging_[1:]))
        ini.flush()
        done = subprocess.run([ckan, "-c", ini.name, "jobs", "worker", "--burst", risk_runs.RISK_QUEUE],
                              capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def run_queue_here(queue):
    """Perform the jobs queued on ``queue`` in this process, in order (no
    worker process: for tests of what the jobs do; those of the worker itself
    use :func:`risk_worker`); the titles of the jobs performed."""
    from ckan.lib import jobs

    rq_queue, done = jobs.get_queue(queue), []
    while (job := rq_queue.dequeue_any([rq_queue], None, connection=rq_queue.connection)) is not None:
        job = job[0]
        job.perform()
        done.append(job.meta.get("title") or job.description)
    return done


def harvest(district, now, *kinds):
    """Harvest the demo replay server as of ``now``: its air stations, fire
    detections, weather station, low-cost DustBoy sensors, agency files
    (waste, electricity) and/or water quality."""
    demo = {source["name"]: source for source in json.loads(DEMO_SOURCES.read_text())}
    configs = {
        "air4thai": ("/air4thai", "air4thai", {"stations": ["38t", "39t", "40t"], "days": 9, "history": True}),
        "firms": ("/firms", "firms", {"map_key": {"secret": "test-firms"}, "sources": ["VIIRS_SNPP_NRT"],
                                      "bbox": BBOX, "days": 5}),
        "weather": ("/sensorthings/v1.1", "sensorthings", {"days": 9}),
        "dustboy": ("/dustboy", "dustboy", {"api_key": {"secret": "test-dustboy"}}),
        "agency": ("/agency", "agency-files", demo["demo-agency-files"]["config"]),
        "water": ("/pcd", "agency-files", demo["demo-water-quality"]["config"]),
    }
    with ReplayServer(replay_handler(now)) as server:
        for kind in kinds:
            path, source_type, config = configs[kind]
            try:
                source = helpers.call_action("harvest_source_show", id=f"{kind}-source")
            except tk.ObjectNotFound:
                source = create_source(district, server.url + path, source_type, config, f"{kind}-source")
            helpers.call_action("harvest_source_patch", context={"user": factories.Sysadmin()["name"]},
                                id=source["id"], url=server.url + path)
            run_harvest(source["id"])


TAMBONS_TH = ["บ้านดง", "นาสัก", "จางเหนือ", "แม่เมาะ", "สบป้าด"]


TAMBONS_EN = ["Ban Dong", "Na Sak", "Chang Nuea", "Mae Mo", "Sop Pat"]


TOKEN_OPTION = "ckanext.xloader.api_token"


HEADER = ("วันที่", "สถานี", "ค่า PM2.5", "หมายเหตุ")


THAI_ROWS = [("15/03/2568", "สบป้าด", "42.5", "ฝุ่นสูง “ระวัง”"),
             ("16/03/2568", "แม่เมาะ", "38.1", "ค่าตรวจวัด €5"),
             ("01/04/2568", "บ้านดง", "55", "ควันไฟป่า")]


def csv_text(rows, header=HEADER, sep=","):
    return "".join(sep.join(row) + "\r\n" for row in [header, *rows])


# Logging of a chained configuration: CKAN reads it from the file named, not the chain.
LOGGING = """
[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = plain
[logger_root]
level = INFO
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain
[formatter_plain]
format = %(levelname)s [%(name)s] %(message)s
"""


def derived_ini(path, options):
    """Write at ``path`` a configuration that is the tests' one plus
    ``options``; the path, as text."""
    path.write_text(f"[app:main]\nuse = config:{tk.config['__file__']}\n"
                    + "".join(f"{key} = {value}\n" for key, value in options.items()) + LOGGING)
    return str(path)


def xloader_worker(ini):
    """A real ``ckan jobs worker`` on the default queue until it is empty; its log."""
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    done = subprocess.run([ckan, "-c", ini, "jobs", "worker", "--burst"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


@contextlib.contextmanager
def xloader_site(reset_db, migrate_db_for, reset_queues):
    """A clean catalogue and queues, and a sysadmin whose API token xloader's
    jobs use (``ckanext.xloader.api_token``); yields ``(sysadmin, token)``."""
    plugins.load_all()
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")
    reset_queues()
    sysadmin = factories.Sysadmin()
    token = helpers.call_action("api_token_create", context={"user": sysadmin["name"]},
                                user=sysadmin["name"], name="xloader")["token"]
    before = tk.config.get(TOKEN_OPTION)
    tk.config[TOKEN_OPTION] = token
    try:
        yield sysadmin, token
    finally:
        tk.config[TOKEN_OPTION] = before
        plugins.unload_non_system_plugins()


def phone_photo(size=(2400, 1800)):
    """A JPEG as a phone takes it: EXIF with the camera and a GPS position."""
    from PIL import Image

    image = Image.new("RGB", size, (180, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (18.0, 17.0, 3.0), 3: "E", 4: (99.0, 39.0, 40.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()
