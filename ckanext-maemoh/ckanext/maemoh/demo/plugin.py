"""The ``maemoh_demo`` plugin: the demo's command, ``ckan maemoh load-demo``.

`make run` and the tests enable it (deploy/ckan-options.ini); a production
site leaves it out, and nothing outside this package imports the demo.
"""
import ckan.plugins as p

from ckanext.maemoh import cli
from ckanext.maemoh.demo.cli import load_demo


class MaeMohDemoPlugin(p.SingletonPlugin):
    p.implements(p.IClick)

    def get_commands(self):
        cli.maemoh.add_command(load_demo)
        return []
