"""gunicorn's settings for CKAN: the same file for `make run`
(deploy/web.sh) and production (deploy/systemd/maemoh-web.service).

Environment (defaults for 2 cores):
  CKAN_INI          the CKAN configuration file (required; deploy/web/wsgi.py)
  MAEMOH_WEB_BIND   where nginx reaches gunicorn: unix:/path or HOST:PORT
                    (127.0.0.1:8001)
  MAEMOH_WEB_NODE   this node's name, sent in the header X-Maemoh-Node
                    (deploy/web/wsgi.py); unset: no header
  WEB_WORKERS       worker processes (3)
  WEB_THREADS       threads per worker (4): a thread waits on PostgreSQL or
                    Solr while another renders
  WEB_TIMEOUT       seconds a worker may stay silent before it is replaced (120)
  WEB_MAX_REQUESTS  requests after which a worker is replaced by a fresh fork
                    (5000, jittered by 10 %; 0: never)
  WEB_PRELOAD       1 (default): load CKAN once in the master and fork the
                    workers from it, sharing its memory copy-on-write; 0: each
                    worker loads CKAN itself

With preload, no connection opened while CKAN loads may reach a worker:
the master closes its SQLAlchemy pools before forking (when_ready) and each
worker forgets the pools it inherited without touching their sockets
(post_fork, SQLAlchemy's recipe for forked processes). Redis clients
reconnect after a fork by themselves; pysolr opens a session per search.
gc.freeze() before the fork keeps the collector from writing to (and so
copying) the objects the workers share. Code changes need a restart, not a
reload (HUP): the master keeps the code it loaded.
"""
import gc
import os
import pathlib

wsgi_app = "wsgi:application"
pythonpath = str(pathlib.Path(__file__).resolve().parent)
bind = [os.environ.get("MAEMOH_WEB_BIND", "127.0.0.1:8001")]
workers = int(os.environ.get("WEB_WORKERS", 3))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = int(os.environ.get("WEB_TIMEOUT", 120))
# On TERM, a worker finishes its requests within 15 s (deploy/web.sh stop
# waits 20 s before it kills).
graceful_timeout = 15
# Longer than nginx keeps an idle upstream connection (60 s), so gunicorn
# never closes one that nginx is about to reuse.
keepalive = 65
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("WEB_PRELOAD", "1") == "1"
# Heartbeat files in memory: a slow disk never makes a worker look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# nginx logs every request; gunicorn logs its own events to stderr.
errorlog = "-"
# gunicorn's control socket defaults to one path per user, which two
# instances (a test's and `make run`'s) would share.
control_socket_disable = True


# The engines of the master, found once before the first fork.
engines = []


def when_ready(server):
    if not server.cfg.preload_app:
        return
    from sqlalchemy.engine import Engine
    # Every engine CKAN and its plugins created while loading: the
    # catalogue's, the DataStore's read and write ones, xloader's.
    engines.extend(found for found in gc.get_objects() if issubclass(type(found), Engine))
    for engine in engines:
        engine.dispose()
    gc.collect()
    gc.freeze()
    server.log.info("CKAN loaded; %d database engines closed before forking", len(engines))


def post_fork(server, worker):
    for engine in engines:
        engine.dispose(close=False)
