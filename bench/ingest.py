"""Benchmark: ingesting synthetic observations into the DataStore, three ways.

1. ours:  ckanext.maemoh.datastore_tables.bulk_upsert (COPY + merge)
2. api:   datastore_upsert through the HTTP Action API, batches of 1 000
3. copy:  raw PostgreSQL COPY of the same rows into a plain table (the
          physical anchor: nothing can be faster on this machine)

Each way runs in a child process of its own, so its peak memory (ru_maxrss)
is its own. Needs the portal of `make run` (var/ckan.ini, serving on
ckan.site_url) and a sysadmin API token:

    .venv/bin/ckan -c var/ckan.ini user token add admin bench   # prints a token
    .venv/bin/python bench/ingest.py --token <token> [--rows 1000000]
"""
import argparse
import datetime
import itertools
import multiprocessing
import resource
import time

import requests

STATIONS = [f"bench-{n:03d}" for n in range(50)]
VARIABLES = ["pm25", "pm10", "o3", "co", "no2", "so2"]
START = datetime.datetime(2025, 1, 1)


def rows(count):
    """``count`` synthetic hourly observations, all distinct keys."""
    hours = itertools.count()
    produced = 0
    for hour in hours:
        moment = START + datetime.timedelta(hours=hour)
        for station in STATIONS:
            for variable in VARIABLES:
                if produced == count:
                    return
                produced += 1
                yield {"station_id": station, "network": "bench", "variable": variable,
                       "time_utc": moment, "averaging_period": "PT1H",
                       "value": round(20 + (hour % 24) * 1.5 + produced % 7, 1),
                       "unit": "ug/m3", "quality": "unchecked",
                       "raw_ref": f"bench/{produced}"}


def _ckan_app(ini):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    return make_app(load_config(ini))


def _resource(ini, name):
    """A fresh dataset + Observations table for one run; returns its id."""
    import ckan.plugins.toolkit as tk
    from ckanext.maemoh.harvest import datasets
    from ckanext.maemoh.store import catalog
    from ckanext.maemoh.store import datastore_tables

    context = catalog.site_context()
    record = datasets.source_dataset(
        name, title={"en": f"Benchmark {name}"}, notes={"en": "Synthetic observations (bench/ingest.py)."},
        owner_org=tk.config["ckanext.maemoh.organization"], theme="air", frequency="hour",
        data_source="bench/ingest.py", licence="notspecified")
    try:
        tk.get_action("dataset_purge")(dict(context), {"id": record["name"]})
    except tk.ObjectNotFound:
        pass
    dataset = tk.get_action("package_create")(dict(context), record)
    return datastore_tables.ensure_table(context, dataset["id"],
                                         datastore_tables.OBSERVATIONS)


def run_ours(ini, count, out):
    app = _ckan_app(ini)
    with app._wsgi_app.test_request_context():
        from ckanext.maemoh.store import catalog
        from ckanext.maemoh.store import datastore_tables
        resource_id = _resource(ini, "bench-ours")
        started = time.perf_counter()
        result = datastore_tables.bulk_upsert(catalog.site_context(), resource_id,
                                              datastore_tables.OBSERVATIONS, rows(count))
        elapsed = time.perf_counter() - started
    assert result.inserted == count, result
    out.put(("ours", elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_api(ini, count, token, out):
    app = _ckan_app(ini)
    import ckan.plugins.toolkit as tk
    with app._wsgi_app.test_request_context():
        resource_id = _resource(ini, "bench-api")
        url = tk.config["ckan.site_url"].rstrip("/") + "/api/3/action/datastore_upsert"
    session = requests.Session()
    started = time.perf_counter()
    batch = []
    for row in rows(count):
        batch.append(dict(row, time_utc=row["time_utc"].isoformat()))
        if len(batch) == 1000:
            _post(session, url, token, resource_id, batch)
            batch = []
    if batch:
        _post(session, url, token, resource_id, batch)
    elapsed = time.perf_counter() - started
    out.put(("api", elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _post(session, url, token, resource_id, records):
    response = session.post(url, json={"resource_id": resource_id, "records": records,
                                       "method": "upsert", "force": True},
                            headers={"Authorization": token}, timeout=600)
    response.raise_for_status()


def run_copy(ini, count, out):
    app = _ckan_app(ini)
    with app._wsgi_app.test_request_context():
        import sqlalchemy as sa
        from ckanext.datastore.backend.postgres import get_write_engine
        from ckanext.maemoh.store.datastore_tables import OBSERVATIONS, CsvStream
        engine = get_write_engine()
        columns = OBSERVATIONS.columns
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS bench_raw_copy"))
            connection.execute(sa.text(
                "CREATE TABLE bench_raw_copy (station_id text, network text, variable text, "
                "time_utc timestamp, averaging_period text, value float8, unit text, "
                "quality text, raw_ref text)"))
        started = time.perf_counter()
        with engine.begin() as connection:
            cursor = connection.connection.cursor()
            cursor.copy_expert(f"COPY bench_raw_copy ({', '.join(columns)}) FROM STDIN "
                               "WITH (FORMAT csv)", CsvStream(rows(count), columns))
        elapsed = time.perf_counter() - started
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE bench_raw_copy"))
    out.put(("copy", elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", default="var/ckan.ini")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--token", required=True, help="a sysadmin API token")
    parser.add_argument("--skip-api", action="store_true",
                        help="skip the slow Action API way")
    args = parser.parse_args()
    out = multiprocessing.Queue()
    ways = [("copy", run_copy, ()), ("ours", run_ours, ())]
    if not args.skip_api:
        ways.append(("api", run_api, (args.token,)))
    results = {}
    for name, target, extra in ways:
        process = multiprocessing.Process(target=target, args=(args.ini, args.rows, *extra, out))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"{name}: failed with exit code {process.exitcode}")
        way, elapsed, peak_kb = out.get()
        results[way] = (elapsed, peak_kb)
    print(f"{args.rows:,} observations")
    print(f"{'way':6} {'seconds':>9} {'rows/s':>12} {'peak MiB':>9}")
    for way, (elapsed, peak_kb) in results.items():
        print(f"{way:6} {elapsed:9.1f} {args.rows / elapsed:12,.0f} {peak_kb / 1024:9.0f}")
    if "copy" in results and "ours" in results:
        print(f"ours / raw COPY: {results['copy'][0] / results['ours'][0]:.0%} of COPY's rate")
    if "api" in results and "ours" in results:
        print(f"ours / Action API: {results['api'][0] / results['ours'][0]:.1f}x faster")


if __name__ == "__main__":
    main()
