"""Jobs whose worker died, or that failed while a service was down, are run again.

A worker killed in the middle of a job (``kill -9``, the machine's OOM
killer, a power cut) leaves the job in RQ's started registry until its
timeout runs out, or, when only the process doing the work (RQ's "work
horse") died, in the failed registry as "terminated unexpectedly"; a job a
worker took from the queue but never started stays in RQ's intermediate
queue. Every job of ours can run twice without harm (layers and
inventories publish a whole run at once, tables are replaced, observation
rows are keyed), so :func:`recover`, run by the scheduler every minute,
queues such a job again at once (a job in the intermediate queue once it
has been there a minute), and a job that failed because PostgreSQL, Solr or
Redis could not be reached (:data:`OUTAGES`) once every service answers;
at most :data:`MAX_RECOVERIES` times, then it stays failed (a risk run then
reads as failed). A worker is dead when RQ no longer lists it or, on this
machine, when its process is gone.
"""
import functools
import os
import socket

from rq.exceptions import NoSuchJobError
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.worker import Worker

from ckan.lib import jobs

from ckanext.maemoh.health import checks
from ckanext.maemoh.risk import runs as risk_runs

QUEUES = (jobs.DEFAULT_QUEUE_NAME, risk_runs.RISK_QUEUE)
MAX_RECOVERIES = 3
HORSE_DIED = "Work-horse terminated unexpectedly"
WORKER_DIED, SERVICE_DOWN = "its worker died", "a service was down"
NEVER_STARTED = "a worker took it but never started it"
#: what the traceback of a job says when a service could not be reached
OUTAGES = ("psycopg2.OperationalError", "sqlalchemy.exc.OperationalError", "redis.exceptions.ConnectionError",
           "redis.exceptions.TimeoutError", "SearchIndexError", "SolrError", "pysolr.SolrError",
           "requests.exceptions.ConnectionError")


def recover():
    """Queue again the jobs of :data:`QUEUES` whose worker died or that a
    service outage failed; ``[(queue, job id, why, what was done)]``."""
    done = []
    services_up = functools.cache(lambda: all(s["up"] for s in checks.service_states().values()))
    for name in QUEUES:
        queue = jobs.get_queue(name)
        started = StartedJobRegistry(queue=queue)
        for job in _jobs(started.get_job_ids(), queue):
            if not _worker_alive(job.worker_name, queue.connection):
                started.remove(job)
                done.append((name, job.id, WORKER_DIED, _again(queue, job)))
        taken = IntermediateQueue(queue.key, connection=queue.connection)
        for job in _jobs(taken.get_job_ids(), queue):
            # taken from the queue but never started; a minute leaves a live worker the time to start it
            if job.id not in started and not taken.set_first_seen(job.id) and taken.should_be_cleaned_up(job.id):
                taken.remove(job.id)
                done.append((name, job.id, NEVER_STARTED, _again(queue, job)))
        failed = FailedJobRegistry(queue=queue)
        for job in _jobs(failed.get_job_ids(), queue):
            why = _why(job.exc_info or "", services_up)
            if why and job.meta.get("recovered", 0) < MAX_RECOVERIES:
                failed.remove(job)
                done.append((name, job.id, why, _again(queue, job)))
    return done


def _why(trace, services_up):
    """Why a failed job may run again, or None."""
    if HORSE_DIED in trace:
        return WORKER_DIED
    if any(outage in trace for outage in OUTAGES) and services_up():
        return SERVICE_DOWN
    return None


def _again(queue, job):
    count = job.meta.get("recovered", 0)
    if count >= MAX_RECOVERIES:
        job.set_status(JobStatus.FAILED)
        FailedJobRegistry(queue=queue).add(job, exc_string=f"interrupted {count + 1} times; not run again")
        return "failed"
    job.meta["recovered"] = count + 1
    job.save_meta()
    queue.enqueue_job(job)
    return "queued again"


def _jobs(job_ids, queue):
    for job_id in job_ids:
        try:
            yield Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:  # expired since it was listed
            continue


def _worker_alive(name, connection):
    if not name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, connection=connection)
    if worker is None:
        return False
    if worker.hostname != socket.gethostname():
        return True  # another machine's: RQ forgets it once its heartbeat stops
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _state(worker.pid) != "Z"


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"
