"""``ckan maemoh ...`` commands."""
import json
import signal

import click

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.maemoh.alerting import deliver as alert_delivery, evaluate as alert_evaluation
from ckanext.maemoh.alerting import status as alert_status, subscriptions as alert_subscriptions
from ckanext.maemoh.calibration import runs as calibration_runs
from ckanext.maemoh.forecasting import runs as forecast_runs
from ckanext.maemoh.ghg import runs as ghg_runs
from ckanext.maemoh.harvest import cadence, retention
from ckanext.maemoh.health import manifest, recovery
from ckanext.maemoh.reporting import store as report_store
from ckanext.maemoh.residents import snapshot as residents_snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.search import consistency
from ckanext.maemoh.store import catalog
from ckanext.maemoh.tables import loading as table_loading
from ckanext.maemoh.risk_jobs import dimensions

__all__ = ["maemoh"]


@click.group(short_help="Mae Moh City Data Platform commands.")
def maemoh():
    """Mae Moh City Data Platform commands."""


@maemoh.group(short_help="Harvests at each source's own cadence.")
def harvest():
    """Harvest sources with "every_minutes" in their configuration."""


@harvest.command("due")
def harvest_due():
    """Create a job for each source whose cadence has come round (run it
    every minute; `ckan harvester run` and the gather consumer do the rest)."""
    for name, job_id in cadence.queue_due():
        click.echo(f"queued a harvest of {name}: job {job_id}")


@maemoh.command("tick")
def tick():
    """What the scheduler does every minute, in one process: harvest the due
    sources (`harvest due`), start and finish harvest jobs (`ckan harvester
    run`), queue again the jobs whose worker died (`jobs recover`), queue
    the calibration of low-cost sensors (`calibration flush`) and the risk
    layers (`risk flush`) whose data changed, the forecast when
    due (`forecast flush`) and the residents' snapshot when out of date (`snapshot flush`) (whose
    refresh decides the warnings), delete warning sign-ups never confirmed and
    delivered messages past ckanext.maemoh.alerts.keep_days, empty the
    personal data of residents' reports past ckanext.maemoh.citizen.keep_days
    (rejected ones deleted), and once an hour
    delete harvest records older than ckanext.maemoh.harvest.keep_days
    (`harvest prune`). A step that fails (a service down) does not stop the
    others; the exit status is then 1."""
    failed = False
    steps = (harvest_due.callback, lambda: tk.get_action("harvest_jobs_run")(catalog.site_context(), {}),
             jobs_recover.callback, calibration_flush.callback, risk_flush.callback, forecast_flush.callback,
             snapshot_flush.callback,
             _prune_hourly, _prune_alerts, _prune_reports)
    for step in steps:
        try:
            step()
        except Exception as error:  # each step on its own: report, go on
            click.echo(f"error: {type(error).__name__}: {error}", err=True)
            model.Session.remove()  # the next step starts a transaction of its own
            failed = True
    if failed:
        raise SystemExit(1)


@maemoh.group(short_help="Background jobs interrupted by a dead worker or a service outage.")
def jobs():
    """The background jobs of this site's queues."""


@jobs.command("recover")
def jobs_recover():
    """Queue again the jobs whose worker died in the middle, or that failed
    while a service was down (run it every minute; see health/recovery.py)."""
    for queue, job_id, why, what in recovery.recover():
        click.echo(f"{queue} job {job_id}: {why}; {what}")


def _prune_alerts():
    signups, messages = alert_subscriptions.prune()
    if signups or messages:
        click.echo(f"deleted {signups} warning sign-ups never confirmed and {messages} old messages")


def _prune_reports():
    pruned = report_store.prune()
    if pruned:
        click.echo(f"emptied or deleted {pruned} residents' reports past ckanext.maemoh.citizen.keep_days")


def _prune_hourly():
    pruned = retention.prune_hourly()
    if pruned:
        click.echo(f"deleted {pruned['objects']} harvest objects and {pruned['jobs']} jobs past their keep_days")


@harvest.command("prune")
@click.option("--keep-days", type=int, help="default: ckanext.maemoh.harvest.keep_days")
def harvest_prune(keep_days):
    """Delete the harvest records older than the days kept (see harvest/retention.py)."""
    pruned = retention.prune(keep_days=keep_days)
    click.echo(f"deleted {pruned['objects']} harvest objects and {pruned['jobs']} jobs")


@maemoh.command("manifest")
@click.option("--compare", type=click.File(encoding="utf-8"),
              help="a manifest written before (e.g. by deploy/backup.sh): list the differences")
def manifest_command(compare):
    """Print what this site holds as JSON: the datasets search finds, the
    rows of each DataStore table, the digest of each stored file. With
    --compare, print how it differs from an earlier one; exit 1 if it does."""
    found = manifest.manifest()
    if compare is None:
        click.echo(json.dumps(found, indent=1, sort_keys=True))
        return
    lines = manifest.differences(json.load(compare), found)
    click.echo("\n".join(lines) if lines else
               f"the same: {len(found['datasets'])} datasets, {len(found['tables'])} DataStore tables "
               f"({sum(found['tables'].values())} rows), {len(found['files'])} files")
    if lines:
        raise SystemExit(1)


@maemoh.group(short_help="The search index against the database.")
def search():
    """The search index of this site."""


@search.command("check")
@click.option("--repair", is_flag=True, help="index the missing datasets and drop the extra documents")
def search_check(repair):
    """Compare the search index with the database; exit 1 when they differ
    and --repair was not asked for."""
    difference = consistency.compare()
    click.echo(f"{len(difference.missing)} datasets missing from the index, "
               f"{len(difference.extra)} documents of datasets not in the database")
    if repair and not difference.consistent:
        difference = consistency.repair(difference)
        click.echo("repaired: " + ("the index matches the database" if difference.consistent
                                   else f"{len(difference.missing)} still missing, {len(difference.extra)} extra"))
    if not difference.consistent:
        raise SystemExit(1)


@maemoh.group(short_help="Risk layers: run, follow, flush.")
def risk():
    """Risk layers computed from the published data."""


@risk.command("run")
@click.option("--dimension", "-d", "names", multiple=True,
              type=click.Choice(dimensions.NAMES),
              help="a dimension to compute (repeat for several; default: all)")
@click.option("--grid", help='"tambon" or "h3:R" (default: ckanext.maemoh.risk.grid)')
@click.option("--sync", is_flag=True, help="compute here and now instead of queueing jobs")
def risk_run(names, grid, sync):
    """Compute risk layers and publish them as risk-<dimension> datasets.

    Without --sync the runs are queued for the risk worker
    (`ckan jobs worker maemoh-risk`); follow them with `ckan maemoh risk status`.
    """
    try:
        risk_runs.parameters(grid)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--grid") from error
    names = names or dimensions.NAMES
    if not sync:
        for dimension in names:
            run = risk_runs.enqueue(dimension, grid, trigger="cli")
            click.echo(f"queued {dimension} ({run['grid']}): run {run['id']}")
        return
    failed = False
    for dimension in names:
        run = risk_runs.new_run(dimension, grid, trigger="cli", via="sync")
        with click.progressbar(length=len(risk_runs.STEPS), label=f"{dimension:<10}",
                               item_show_func=lambda step: step) as bar:
            try:
                run = risk_runs.run_job(run["id"], progress=lambda step: bar.update(1, step))
            except Exception as error:  # reported, and the other dimensions still run
                failed = True
                click.echo(f"\n{dimension}: failed: {type(error).__name__}: {error}", err=True)
                continue
        click.echo(f"{dimension}: {run['outcome']}"
                   + (f" {run['dataset']}" if run["dataset"] else f" ({run['error']})"))
    if failed:
        raise click.ClickException("some dimensions failed; earlier layers were left as they were")


@risk.command("status")
@click.option("--limit", default=20, show_default=True)
def risk_status(limit):
    """The newest risk runs, their state and error."""
    for run in risk_runs.runs(limit):
        when = run["finished_at"] or run["started_at"] or run["queued_at"]
        detail = run["dataset"] or run["error"] or ""
        click.echo(f"{when}  {run['state']:<8} {run['dimension']:<10} {run['grid']:<7} "
                   f"{run['trigger']:<12} {detail}")


@risk.command("flush")
def risk_flush():
    """Queue the dimensions with fresh data whose minimum interval has passed
    (run it every few minutes, e.g. from the harvest scheduler or cron)."""
    for run in risk_runs.flush():
        click.echo(f"queued {run['dimension']} ({run['grid']}): run {run['id']}")


@maemoh.group(short_help="Low-cost sensors corrected against reference stations: run, flush.")
def calibration():
    """The corrections of low-cost PM2.5 sensors (sensor-calibration)."""


@calibration.command("run")
@click.option("--sync", is_flag=True, help="compute here and now instead of queueing a job")
def calibration_run(sync):
    """Fit every low-cost sensor's correction against its reference station
    and publish it with the corrected PM2.5 in sensor-calibration. Without
    --sync the run is queued for the risk worker."""
    if not sync:
        click.echo(f"queued a calibration run: job {calibration_runs.enqueue(trigger='cli')['job_id']}")
        return
    outcome = calibration_runs.execute()
    if outcome["status"] != "published":
        raise click.ClickException(f"no calibration: {outcome['reason']}")
    for fit in outcome["fits"]:
        click.echo(calibration_runs.describe(fit))
    click.echo(f"published sensor-calibration: {outcome['corrected']} sensors corrected, "
               f"{outcome['without']} without a correction, {outcome['rows']} corrected hours written")


@calibration.command("flush")
def calibration_flush():
    """Queue a calibration run when fresh PM2.5 or humidity arrived (run by `tick`)."""
    queued = calibration_runs.flush()
    if queued:
        click.echo(f"queued a calibration run: job {queued['job_id']}")


@maemoh.group(short_help="The PM2.5 forecast: run, flush.")
def forecast():
    """The PM2.5 forecast for the next 72 hours (forecast-pm25)."""


@forecast.command("run")
@click.option("--sync", is_flag=True, help="compute here and now instead of queueing a job")
def forecast_run(sync):
    """Issue the forecast at the current hour and publish it as forecast-pm25
    (fitting the models first when they are due). Without --sync the run is
    queued for the risk worker (`ckan jobs worker maemoh-risk`)."""
    if not sync:
        click.echo(f"queued a forecast run: job {forecast_runs.enqueue(trigger='cli')['job_id']}")
        return
    with click.progressbar(length=len(forecast_runs.STEPS), label="forecast",
                           item_show_func=lambda step: step) as bar:
        try:
            outcome = forecast_runs.execute(progress=lambda step: bar.update(1, step))
        except (ValueError, tk.ValidationError) as error:
            raise click.ClickException(str(error)) from error
    if outcome["status"] != "published":
        raise click.ClickException(f"no forecast: {outcome['reason']}; the published one is left as it was")
    click.echo(f"published {outcome['dataset']} issued at {outcome['issued_at']}"
               + (" (models fitted)" if outcome["fitted"] else ""))


@forecast.command("flush")
def forecast_flush():
    """Queue a forecast run when fresh data arrived or the last run is
    ckanext.maemoh.forecast.every_minutes old (run by `tick`)."""
    queued = forecast_runs.flush()
    if queued:
        click.echo(f"queued a forecast run ({queued['trigger']}): job {queued['job_id']}")


@maemoh.group(short_help="The residents' snapshot: what their pages and public actions read.")
def snapshot():
    """The residents' snapshot (residents/snapshot.py)."""


@snapshot.command("refresh")
@click.option("--sync", is_flag=True, help="compute here and now instead of queueing a job")
def snapshot_refresh(sync):
    """Compute the residents' snapshot again (queued unless --sync)."""
    if sync:
        click.echo(f"snapshot computed at {residents_snapshot.refresh()['computed_at']}")
    elif residents_snapshot.request():
        click.echo("queued a refresh of the snapshot")
    else:
        click.echo("a refresh was queued less than a minute ago")


@snapshot.command("flush")
def snapshot_flush():
    """Queue a refresh of a snapshot that is out of date, missing or older
    than ckanext.maemoh.snapshot.max_age_minutes."""
    if residents_snapshot.flush():
        click.echo("queued a refresh of the snapshot")


@maemoh.group(short_help="Greenhouse-gas inventory, pathway and guidance.")
def ghg():
    """The district greenhouse-gas inventory (GPC), its pathway and guidance."""


@ghg.command("run")
@click.option("--year", type=int, help="inventory year, Common Era (default: the latest with activity data)")
@click.option("--sync", is_flag=True, help="compute here and now instead of queueing a job")
def ghg_run(year, sync):
    """Compute the inventory and publish it as ghg-inventory-<year>."""
    if not sync:
        job = ghg_runs.enqueue(year)
        click.echo(f"queued the inventory {year or '(latest year)'}: job {job['job_id']}")
        return
    try:
        dataset = ghg_runs.execute(year)
    except (ValueError, tk.ValidationError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"published {dataset['name']}")


@maemoh.command("xloader-token")
def xloader_token():
    """Print the API token ckanext-xloader's jobs act with: the configured
    ckanext.xloader.api_token while it is valid, else a new one of the site
    user (deploy/init-ckan.sh writes it into the configuration)."""
    click.echo(table_loading.loader_token(tk.config.get("ckanext.xloader.api_token")))


@maemoh.group(short_help="The warnings: run, status.")
def alerts():
    """Warnings to subscribers (e-mail, LINE, webhooks) and the CAP feed."""


@alerts.command("run")
@click.option("--forever", is_flag=True, help="keep delivering: the worker of `make run`")
def alerts_run(forever):
    """Decide the warnings from the current snapshot, then deliver what is
    due. With --forever, deliver whenever messages are queued, until stopped
    (evaluations then come with every snapshot refresh)."""
    if not forever:
        decided = alert_evaluation.evaluate()
        click.echo(f"transitions: {len(decided['transitions'])}, messages queued: {decided['queued']}")
        click.echo(f"delivered: {alert_delivery.deliver_due()}")
        return
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    alert_delivery.run_forever(stop=lambda: bool(stopping))


@alerts.command("status")
def alerts_status():
    """Subscriptions, open episodes and the outbox, as JSON (no personal data)."""
    click.echo(json.dumps(alert_status.status(), indent=2, ensure_ascii=False, default=str))
