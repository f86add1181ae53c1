"""Interrupted work runs again by itself: a job that failed while a service
was down is queued again once every service answers (a bug's failure is
not), at most three times, as is a job a worker took but never started; a
process under deploy/supervise.sh is started again when it dies; the
systemd units are valid."""
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from rq.intermediate_queue import IntermediateQueue

import ckan.plugins.toolkit as tk
from ckan.lib import jobs as jobs_lib

from ckanext.maemoh.health import recovery
from ckanext.maemoh.tests import jobs

REPO = pathlib.Path(__file__).resolve().parents[4]


def burst():
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    subprocess.run([ckan, "-c", tk.config["__file__"], "jobs", "worker", "--burst"],
                   capture_output=True, timeout=300, check=True)


@pytest.mark.usefixtures("clean_queues")
def test_a_job_failed_by_an_outage_runs_again_and_a_bug_does_not():
    outage = tk.enqueue_job(jobs.fails, ["outage"])
    bug = tk.enqueue_job(jobs.fails, ["bug"])
    burst()
    again = recovery.recover()
    assert again == [("default", outage.id, recovery.SERVICE_DOWN, "queued again")]
    for _ in range(recovery.MAX_RECOVERIES - 1):
        burst()
        assert recovery.recover() == [("default", outage.id, recovery.SERVICE_DOWN, "queued again")]
    burst()
    assert recovery.recover() == []  # three times at most
    outage.refresh()
    bug.refresh()
    assert (outage.get_status(), bug.get_status()) == ("failed", "failed")
    assert outage.meta["recovered"] == recovery.MAX_RECOVERIES


@pytest.mark.usefixtures("clean_queues")
def test_a_job_a_worker_took_but_never_started_is_queued_again():
    job = tk.enqueue_job(jobs.fails, ["bug"])
    queue = jobs_lib.get_queue()
    taken = IntermediateQueue(queue.key, connection=queue.connection)
    queue.connection.lmove(queue.key, taken.key)  # what a worker does first, then it died
    assert recovery.recover() == []  # first seen: a live worker may be about to start it
    # two minutes pass, on RQ's clock (the wall clock, which it stamps with)
    queue.connection.set(taken.get_first_seen_key(job.id), time.time() - 120)
    assert recovery.recover() == [("default", job.id, recovery.NEVER_STARTED, "queued again")]
    assert queue.job_ids == [job.id] and taken.get_job_ids() == []


def sleepers(pid):
    """The supervised ``sleep 300`` processes of ``pid``."""
    found = subprocess.run(["pgrep", "-P", str(pid), "-f", "sleep 300"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def wait_for_child(pid, other_than=()):
    for _ in range(100):
        found = [c for c in sleepers(pid) if c not in other_than]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no child")


def test_a_supervised_process_is_started_again_when_it_dies():
    supervisor = subprocess.Popen([str(REPO / "deploy" / "supervise.sh"), "sleeper", "sleep", "300"],
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first = wait_for_child(supervisor.pid)
        os.kill(first, signal.SIGKILL)
        second = wait_for_child(supervisor.pid, other_than=(first,))
        assert second != first
    finally:
        supervisor.terminate()
        assert supervisor.wait(10) == 0
    assert "supervise: sleeper exited with status 137; starting it again in 1s" in supervisor.stderr.read()
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)


def test_the_systemd_units_are_valid_and_restart_their_process():
    units = sorted(str(p) for p in (REPO / "deploy" / "systemd").glob("maemoh*.*") if p.suffix != ".example")
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True)
    assert (checked.returncode, checked.stderr) == (0, "")
    wanted = (REPO / "deploy" / "systemd" / "maemoh.target").read_text()
    for unit in units:
        if unit.endswith(".service") and "tick" not in unit:
            assert "Restart=always" in pathlib.Path(unit).read_text(), unit
            started = pathlib.Path(unit).name.replace("@.", "@1.")  # a template: its first instance
            assert started in wanted, f"maemoh.target does not start {started}"
