"""``ckan maemoh ...`` commands."""
import click

from ckanext.maemoh import demo, places

__all__ = ["maemoh"]


@click.group(short_help="Mae Moh City Data Platform commands.")
def maemoh():
    """Mae Moh City Data Platform commands."""


@maemoh.command("load-demo")
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

    DATA_DIR holds the tambon and district boundaries and the Air4Thai
    station list; by default the real ones shipped in the package's data/.
    With --harvest-sources, also register those harvest sources and queue a
    harvest of each. Running the command twice changes nothing.
    """
    try:
        for line in demo.load(data_dir):
            click.echo(line)
        if harvest_sources:
            for line in demo.register_harvest_sources(harvest_sources, replay_url):
                click.echo(line)
    except demo.DemoDataError as error:
        raise click.ClickException(str(error)) from error
