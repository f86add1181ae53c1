"""Job functions for the tests; a module of its own so that a worker process
can import them by their dotted name."""
import ckan.plugins.toolkit as tk


def add_tag(dataset_id, tag):
    """Tag a dataset, as the site user."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_id})
    tk.get_action("package_patch")(
        dict(context), {"id": dataset_id, "tags": dataset["tags"] + [{"name": tag}]})


def fails(kind):
    """Fail as a job does when Redis cannot be reached (``outage``) or on a bug (``bug``)."""
    import redis

    if kind == "outage":
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    raise ValueError("a bug")


def pause(seconds):
    """Keep a worker busy for ``seconds``; the name of the worker that ran it."""
    import time

    import rq

    time.sleep(seconds)
    return rq.get_current_job().worker_name
