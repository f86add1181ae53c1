"""Interrupted work runs again by itself: a job that failed while a service
was down is queued again once every service answers (a bug's failure is
not), at most three times; a process under deploy/supervise.sh is started
again when it dies."""
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

import ckan.plugins.toolkit as tk

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
