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
def load_demo(data_dir):
    """Create or update the demo organisation and datasets from DATA_DIR.

    DATA_DIR holds the tambon and district boundaries and the Air4Thai
    station list; by default the real ones shipped in the package's data/.
    Running the command twice changes nothing.
    """
    try:
        for line in demo.load(data_dir):
            click.echo(line)
    except demo.DemoDataError as error:
        raise click.ClickException(str(error)) from error
