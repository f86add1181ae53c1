"""Several job workers per queue (deploy/background.sh start CONFIG
worker:2): two `ckan jobs worker` processes of the tests' configuration,
each with its pid file and log, take the jobs of the one default queue
between them; stop stops both."""
import os
import subprocess
import sys

import pytest
from rq.worker import Worker

import ckan.plugins.toolkit as tk
from ckan.lib import jobs as jobs_lib

from ckanext.maemoh.tests import jobs
from ckanext.maemoh.tests.processes import wait_for
from ckanext.maemoh.tests.web_stack import REPO, command_line

STATE = REPO / "var" / "test-artifacts" / "job-workers"
JOBS = 6


def background_sh(*args):
    env = dict(os.environ, MAEMOH_VAR=str(STATE), CKAN=os.path.join(os.path.dirname(sys.executable), "ckan"))
    done = subprocess.run([str(REPO / "deploy" / "background.sh"), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.usefixtures("clean_queues")
def test_two_workers_of_one_queue_both_take_its_jobs():
    queue = jobs_lib.get_queue()
    background_sh("start", tk.config["__file__"], "worker:2")
    pids = {name: (STATE / "run" / f"{name}.pid").read_text().strip() for name in ("worker", "worker-2")}
    running = {pid: command_line(pid) for pid in pids.values()}
    try:
        wait_for("two workers listening", lambda: len(Worker.all(queue=queue)) == 2, seconds=120)
        queued = [tk.enqueue_job(jobs.pause, [0.5]) for _ in range(JOBS)]
        wait_for("every job done", lambda: all(job.get_status(refresh=True) == "finished" for job in queued),
                 seconds=60, every=0.1)
        takers = {job.return_value() for job in queued}
        assert takers == {worker.name for worker in Worker.all(queue=queue)}, takers
    finally:
        stopped = background_sh("stop", "worker")
    assert "worker: stopped" in stopped and "worker-2: stopped" in stopped
    assert all(command_line(pid) != command for pid, command in running.items())
    assert (STATE / "log" / "worker-2.log").read_text().count("starts job") >= 1
