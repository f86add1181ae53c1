"""CKAN as a WSGI application for gunicorn (deploy/web/gunicorn.conf.py):
the configuration file named by CKAN_INI, loaded as the `ckan` command
loads it (its logging settings too)."""
import os

from ckan.cli import load_config
from ckan.config.middleware import make_app

application = make_app(load_config(os.environ["CKAN_INI"]))
