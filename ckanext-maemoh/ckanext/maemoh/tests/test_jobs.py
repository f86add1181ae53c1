"""A job enqueued with the toolkit runs in a real worker process, via Redis."""
import os
import subprocess
import sys

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers
from ckanext.maemoh.tests.jobs import add_tag

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")


def _run_worker_until_queue_is_empty(ini):
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    done = subprocess.run(
        [ckan, "-c", ini, "jobs", "worker", "--burst"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr


def test_enqueued_job_runs_in_a_worker_and_changes_the_dataset(ckan_config, create_dataset):
    dataset = create_dataset()
    job = tk.enqueue_job(add_tag, [dataset["id"], "processed"], title="tag it")
    assert [j["id"] for j in helpers.call_action("job_list")] == [job.id]

    _run_worker_until_queue_is_empty(ckan_config["__file__"])

    tags = helpers.call_action("package_show", id=dataset["id"])["tags"]
    assert [t["name"] for t in tags] == ["processed"]
    assert helpers.call_action("job_list") == []
