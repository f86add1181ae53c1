"""CKAN as a WSGI application for gunicorn (deploy/web/gunicorn.conf.py):
the configuration file named by CKAN_INI, loaded as the `ckan` command
loads it (its logging settings too). With MAEMOH_WEB_NODE set, every
response names the web node that made it (header X-Maemoh-Node), so an
operator (or a test) behind nginx's upstream sees which node answered."""
import os

from ckan.cli import load_config
from ckan.config.middleware import make_app

NODE_HEADER = "X-Maemoh-Node"


def naming_node(app, node):
    """``app`` whose responses carry the header ``X-Maemoh-Node: node``."""
    def named(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, (NODE_HEADER, node)], exc_info)
        return app(environ, start)
    return named


application = make_app(load_config(os.environ["CKAN_INI"]))
if os.environ.get("MAEMOH_WEB_NODE"):
    application = naming_node(application, os.environ["MAEMOH_WEB_NODE"])
