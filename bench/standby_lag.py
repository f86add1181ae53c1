"""Benchmark: how far a streaming standby (deploy/postgres-standby.md) falls
behind while the primary writes, and how soon it catches up.

Against the running primary of `make services` (var/run/postgresql, PG_PORT):
a standby ``bench`` on a free port with its state in
var/test-artifacts/bench-standby/ (deploy/services/postgres-standby.sh),
then ROWS rows of observation shape written in BATCHES commits to a scratch
database ``bench_standby``, while the script's ``lag`` line is sampled.
Prints the copy-and-start time, the largest lag seen (bytes, seconds) and the
time from the last commit until the standby has replayed it. Everything it
made is removed at the end (standby, slot, database).

    .venv/bin/python bench/standby_lag.py [ROWS] [BATCHES]
"""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

import psycopg2

REPO = pathlib.Path(__file__).resolve().parents[1]
STATE = REPO / "var" / "test-artifacts" / "bench-standby"
PRIMARY = REPO / "var" / "run" / "postgresql"
PORT = os.environ.get("PG_PORT", "5432")
DATABASE = "bench_standby"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENV = dict(os.environ, MAEMOH_VAR=str(STATE), PG_PRIMARY_SOCKET=str(PRIMARY), PG_PORT=PORT,
           PG_STANDBY_NAME="bench", PG_STANDBY_PORT=str(free_port()))


def standby(*args):
    return subprocess.run([str(REPO / "deploy" / "services" / "postgres-standby.sh"), *args],
                          env=ENV, capture_output=True, text=True, timeout=300)


def lag():
    fields = dict(f.split("=", 1) for f in standby("lag").stdout.split()[1:])
    seconds = fields.get("lag_seconds", "unknown")
    return int(fields.get("lag_bytes", 0)), float(seconds) if seconds != "unknown" else 0.0


def primary(database="postgres"):
    connection = psycopg2.connect(host=str(PRIMARY), port=PORT, user="postgres", dbname=database)
    connection.autocommit = True
    return connection


def admin(statement):
    connection = primary()
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


def main(rows=200_000, batches=20):
    shutil.rmtree(STATE, ignore_errors=True)
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    began = time.monotonic()
    done = standby("start")
    assert done.returncode == 0, done.stderr
    print(f"copy and start: {time.monotonic() - began:.1f} s")
    worst, stop = [0, 0.0], threading.Event()

    def sample():
        while not stop.is_set():
            nbytes, seconds = lag()
            worst[0], worst[1] = max(worst[0], nbytes), max(worst[1], seconds)

    sampler = threading.Thread(target=sample)
    try:
        writer = primary(DATABASE)
        with writer.cursor() as cursor:  # autocommit: one commit per statement
            cursor.execute("CREATE TABLE obs (station_id text, time_utc timestamp, variable text, value float8,"
                           " PRIMARY KEY (station_id, time_utc, variable))")
            sampler.start()
            began = time.monotonic()
            per_batch = rows // batches
            for batch in range(batches):
                cursor.execute("INSERT INTO obs SELECT 's' || (n %% 50), timestamp '2026-01-01' + n * interval '1 minute',"
                               " 'pm25', n FROM generate_series(%s, %s) n",
                               (batch * per_batch, (batch + 1) * per_batch - 1))
            written = time.monotonic() - began
        writer.close()
        began = time.monotonic()
        while lag()[0]:
            time.sleep(0.01)
        caught_up = time.monotonic() - began
        stop.set()
        sampler.join()
        print(f"{rows} rows in {batches} commits: {written:.1f} s; largest lag {worst[0] / 1e6:.1f} MB, "
              f"{worst[1]:.3f} s; replayed {caught_up:.2f} s after the last commit")
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.join()
        standby("stop", "--forget")
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(STATE, ignore_errors=True)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
