"""Benchmark: one district-wide episode warned to 10 000 subscribers.

Against the site of `make run` (var/ckan.ini), the real path:

1. 10 000 confirmed e-mail subscriptions (bench-N@bench.invalid), each on
   one tambon in turn, warned from AQI level 4.
2. The triggering data land: one temporary air station per tambon (a
   ``sensor-station`` dataset of the district organisation, at the
   tambon's centroid) gets 24 hours of PM2.5 at 150 µg/m³ (level 5)
   through the harvesters' own bulk upsert; the clock starts when it is
   committed.
3. What the default worker does on ``maemoh:observations_changed``: the
   residents' snapshot refresh job (warmed up as the worker is before it
   forks a job), whose ``maemoh:snapshot_refreshed`` signal runs the evaluation (levels, episodes, CAP messages, 10 000
   outbox rows in one transaction). The first bad hour opens the episode
   here (``open_hours`` = 1 for this run; the default 2 asks for a second
   hour). Target: every delivery recorded ≤ 5 s after the data landed.
4. Delivery by 2 worker processes (`deliver_due`, as `ckan maemoh alerts
   run --forever` does) to a local SMTP sink. Target: all 10 000 e-mails
   accepted ≤ 60 s.

Baselines in the same run: a bare INSERT of 10 000 outbox-sized rows into a
temporary table (what recording can cost at least), and 10 000 prepared
e-mails over one SMTP connection to the same sink (what sending can cost at
least). Peak memory (ru_maxrss) of this process and of the workers.

The run starts with no AQI episode open, and everything it adds is removed
at the end: the stations and their tables, the subscriptions (with their
outbox), the episodes and CAP messages it opened; the tracks and the last
day's readings are put back as they were and the snapshot is computed
again. While it runs, the demo's pages show the fake level 5. The site's
default worker and delivery worker must be stopped (the bench plays them):
`deploy/background.sh stop worker alerts`.

    .venv/bin/python bench/alerts.py [--subscribers 10000] [--workers 2]
"""
import argparse
import datetime as dt
import email.message
import logging
import multiprocessing
import os
import resource
import smtplib
import tempfile
import time

INI = "var/ckan.ini"
DOMAIN = "bench.invalid"
PM25 = 150.0


def _app(ini):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    return make_app(load_config(ini))


def _stations(now):
    """One temporary station per tambon, with 24 h of PM2.5 at level 5; their dataset names."""
    import ckan.plugins.toolkit as tk
    from ckanext.maemoh.harvest import datasets
    from ckanext.maemoh.harvesters.model import Station
    from ckanext.maemoh.risk import inputs as risk_inputs
    from ckanext.maemoh.store import catalog, datastore_tables

    context, names, loads = catalog.site_context(), [], []
    for row in risk_inputs.tambons().itertuples():
        point = row.geometry.representative_point()
        station = Station(f"bench-{row.tambon_code}", "sensorthings", f"bench {row.name_th}", f"bench {row.name_en}",
                          point.y, point.x, ("pm25",), operator="bench/alerts.py")
        record = datasets.station_dataset(station, ["pm25"], tk.config["ckanext.maemoh.organization"],
                                          {"pm25": "PT1H"})
        _purge(context, record["name"])
        dataset = tk.get_action("package_create")(dict(context), record)
        table = datastore_tables.ensure_table(context, dataset["id"], datastore_tables.OBSERVATIONS)
        rows = [{"station_id": station.station_id, "network": "sensorthings", "variable": "pm25",
                 "time_utc": (now - dt.timedelta(hours=k)).replace(tzinfo=None), "averaging_period": "PT1H",
                 "value": PM25, "unit": "ug/m3", "quality": "unchecked", "raw_ref": "bench/alerts.py"}
                for k in range(24)]
        names.append(dataset["name"])
        loads.append((table, rows))
    return names, loads


def _purge(context, name):
    import ckan.plugins.toolkit as tk
    try:
        tk.get_action("dataset_purge")(dict(context), {"id": name})
    except tk.ObjectNotFound:
        pass


def _subscribe(count, now):
    from ckanext.maemoh.alerting import model
    from ckanext.maemoh.residents import data as residents
    codes = residents.tambon_codes()
    with model.engine().begin() as conn:
        conn.execute(model.subscription.insert(), [
            {"id": f"bench-{k:06d}", "channel": "email", "address": f"bench-{k}@{DOMAIN}", "lang": "th",
             "tambons": [codes[k % len(codes)]], "thresholds": {"aqi": 4}, "status": "confirmed",
             "created_at": now, "confirmed_at": now} for k in range(count)])


def _recorded():
    import sqlalchemy as sa
    from ckanext.maemoh.alerting import model
    with model.engine().connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model.outbox).where(
            model.outbox.c.subscription_id.like("bench-%"))).scalar()


def deliver_worker(ini, smtp, out):
    """A delivery worker: `deliver_due` until nothing is due."""
    app = _app(ini)
    import ckan.plugins.toolkit as tk
    from ckanext.maemoh.alerting import deliver
    with app._wsgi_app.test_request_context():
        tk.config["smtp.server"] = smtp
        counts = deliver.deliver_due()
    out.put(("worker", counts, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def baseline_insert(count):
    """Seconds to INSERT ``count`` outbox-sized rows into a temporary table."""
    import sqlalchemy as sa
    from ckanext.maemoh.alerting import model
    payload = '{"subject": "' + "x" * 600 + '"}'
    with model.engine().begin() as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE bench_outbox (id text, subscription_id text, "
                             "payload jsonb, created_at timestamptz) ON COMMIT DROP"))
        started = time.perf_counter()
        conn.execute(sa.text("INSERT INTO bench_outbox VALUES (:id, :s, CAST(:p AS jsonb), now())"),
                     [{"id": f"{k:032d}", "s": f"bench-{k}", "p": payload} for k in range(count)])
        return time.perf_counter() - started


def baseline_smtp(host, port, count):
    """Seconds to send ``count`` prepared e-mails over one SMTP connection."""
    messages = []
    for k in range(count):
        message = email.message.EmailMessage()
        message["From"], message["To"] = "bench@" + DOMAIN, f"raw-{k}@{DOMAIN}"
        message["Subject"], message["Message-ID"] = "แจ้งเตือน", f"<raw-{k}@{DOMAIN}>"
        message.set_content("ฝุ่น PM2.5 " * 60)
        messages.append(message)
    started = time.perf_counter()
    with smtplib.SMTP(host, port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return time.perf_counter() - started


def _alive(pid_file):
    try:
        os.kill(int(open(pid_file).read()), 0)
    except (OSError, ValueError):
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=INI)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    if _alive("var/run/alerts.pid") or _alive("var/run/worker.pid"):
        raise SystemExit("the site's workers would take the bench's work: "
                         "deploy/background.sh stop worker alerts (start them again after)")
    app = _app(args.ini)
    import ckan.plugins.toolkit as tk
    import sqlalchemy as sa
    from ckanext.maemoh import clock
    from ckanext.maemoh.alerting import evaluate, model
    from ckanext.maemoh.alerts.sink import Sink
    from ckanext.maemoh.residents import snapshot
    from ckanext.maemoh.store import catalog, datastore_tables

    logging.getLogger("ckanext.maemoh.alerts.sink").setLevel(logging.WARNING)  # a line per message
    with app._wsgi_app.test_request_context(), tempfile.TemporaryDirectory() as mail_dir, \
            Sink(mail_dir) as sink:
        tk.config["ckanext.maemoh.alerts.open_hours"] = 1
        now = clock.now().replace(minute=0, second=0, microsecond=0)
        names, saved = [], _save_alert_state(now)
        try:
            _clear_aqi_tracks()
            _subscribe(args.subscribers, now)
            names, loads = _stations(now)
            started = time.perf_counter()
            for table, rows in loads:
                datastore_tables.bulk_upsert(catalog.site_context(), table, datastore_tables.OBSERVATIONS, rows)
            landed = time.perf_counter()
            with app._wsgi_app.test_request_context():  # what the worker's refresh job does, in two steps
                snapshot.refresh()
                refreshed = time.perf_counter()
                decided = evaluate.evaluate()
                evaluated = time.perf_counter()
            recorded = _recorded()
            record_seconds = time.perf_counter() - landed
            with model.engine().connect() as conn:
                opened = conn.execute(sa.select(sa.func.count(sa.distinct(model.outbox.c.episode_id))).where(
                    model.outbox.c.subscription_id.like("bench-%"))).scalar()

            out = multiprocessing.get_context("spawn").Queue()
            workers = [multiprocessing.get_context("spawn").Process(
                target=deliver_worker, args=(args.ini, f"{sink.host}:{sink.port}", out))
                for _ in range(args.workers)]
            sending = time.perf_counter()
            for worker in workers:
                worker.start()
            results = [out.get(timeout=600) for _ in workers]
            for worker in workers:
                worker.join()
            send_seconds = time.perf_counter() - sending
            accepted = len([m for m in sink.messages() if m["To"].endswith(DOMAIN)])
            raw_insert = baseline_insert(args.subscribers)
            raw_smtp = baseline_smtp(sink.host, sink.port, args.subscribers)
        finally:
            tk.config["ckanext.maemoh.alerts.open_hours"] = saved["open_hours"]
            with app._wsgi_app.test_request_context():
                _clean_up(names, saved, now)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"subscribers: {args.subscribers}, episodes warned of: {opened}, "
              f"outbox rows recorded: {recorded}")
        print(f"transitions of tracks in the evaluation: {len(decided['transitions'])}")
        print(f"data landed -> snapshot refreshed -> all deliveries recorded: {record_seconds:.2f} s "
              f"(target ≤ 5 s: {'PASS' if record_seconds <= 5 and recorded == args.subscribers else 'FAIL'}): "
              f"snapshot {refreshed - landed:.2f} s, evaluation {evaluated - refreshed:.2f} s; "
              f"the upsert itself took {landed - started:.2f} s")
        print(f"  baseline: bare INSERT of {args.subscribers} rows: {raw_insert:.2f} s")
        print(f"{args.workers} workers: {accepted} e-mails accepted by the sink in {send_seconds:.2f} s "
              f"(target ≤ 60 s: {'PASS' if send_seconds <= 60 and accepted == args.subscribers else 'FAIL'}); "
              f"per worker {[r[1] for r in results]}")
        print(f"  baseline: {args.subscribers} prepared e-mails over one SMTP connection: {raw_smtp:.2f} s")
        print(f"peak memory: this process {peak:.0f} MB, workers "
              f"{', '.join(f'{r[2] / 1024:.0f} MB' for r in results)}")


def _save_alert_state(now):
    """The warnings' tracks, episode ids and recent readings as they were
    before the run, to put back after it."""
    import ckan.plugins.toolkit as tk
    import sqlalchemy as sa
    from ckanext.maemoh.alerting import model
    with model.engine().connect() as conn:
        return {"tracks": [dict(r) for r in conn.execute(sa.select(model.track)).mappings()],
                "episodes": set(conn.execute(sa.select(model.episode.c.id)).scalars()),
                "readings": [dict(r) for r in conn.execute(sa.select(model.reading).where(
                    model.reading.c.hour >= now - dt.timedelta(hours=24))).mappings()],
                "open_hours": tk.config["ckanext.maemoh.alerts.open_hours"]}


def _clear_aqi_tracks():
    """Start the run with no AQI episode open (the site's own are put back after)."""
    from ckanext.maemoh.alerting import model
    with model.engine().begin() as conn:
        conn.execute(model.track.delete().where(model.track.c.kind == "aqi"))
        conn.execute(model.reading.delete().where(model.reading.c.kind == "aqi"))


def _clean_up(names, saved, now):
    """Remove what the run added, put the warnings' state back as it was,
    and compute the snapshot again."""
    from ckanext.maemoh.alerting import model
    from ckanext.maemoh.residents import snapshot
    from ckanext.maemoh.store import catalog
    context = catalog.site_context()
    for name in names:
        _purge(context, name)
    with model.engine().begin() as conn:
        conn.execute(model.subscription.delete().where(model.subscription.c.id.like("bench-%")))
        if saved["episodes"]:
            conn.execute(model.episode.delete().where(model.episode.c.id.notin_(saved["episodes"])))
        else:
            conn.execute(model.episode.delete())
        conn.execute(model.track.delete())
        conn.execute(model.reading.delete().where(model.reading.c.hour >= now - dt.timedelta(hours=24)))
        model.insert_many(conn, model.track, saved["tracks"])
        model.insert_many(conn, model.reading, saved["readings"])
    snapshot.refresh_job()


if __name__ == "__main__":
    main()
