"""``ckan maemoh load-demo``, added to the ``maemoh`` commands by the
``maemoh_demo`` plugin (:mod:`.plugin`)."""
import click

import ckan.plugins.toolkit as tk

from ckanext.maemoh.demo import district as demo
from ckanext.maemoh.demo import ghg as demo_ghg
from ckanext.maemoh.reference import places


@click.command("load-demo")
@click.argument(
    "data_dir", required=False, default=str(places.DATA_DIR),
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
)
@click.option("--harvest-sources", type=click.Path(exists=True, dir_okay=False),
              help="JSON list of harvest sources to register (deploy/demo/harvest_sources.json)")
@click.option("--replay-url", default="http://127.0.0.1:8765",
              help="base URL the harvest sources point at (the demo's replay server)")
def load_demo(data_dir, harvest_sources, replay_url):
    """Create or update the demo organisation and datasets from DATA_DIR.

    DATA_DIR holds the tambon and district boundaries, the registered
    population and the Air4Thai station list; by default the real ones
    shipped in the package's data/. The greenhouse-gas factor tables and the
    illustrative activity data come from the package's data/ghg/.
    With --harvest-sources, also register those harvest sources and queue a
    harvest of each. Running the command twice changes nothing.
    """
    try:
        for line in demo.load(data_dir):
            click.echo(line)
        for line in demo_ghg.load(tk.config["ckanext.maemoh.organization"]):
            click.echo(line)
        if harvest_sources:
            for line in demo.register_harvest_sources(harvest_sources, replay_url):
                click.echo(line)
    except demo.DemoDataError as error:
        raise click.ClickException(str(error)) from error
