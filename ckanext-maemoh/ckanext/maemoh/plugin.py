"""The CKAN plugin of the Mae Moh City Data Platform: a thin face.

The classes only declare interfaces and hand each call to the package of
its capability:

* the face itself: ``cli.py`` (``ckan maemoh ...``), ``logic/`` (actions,
  auth, navl schemas, validators), ``helpers.py``, ``views.py`` (which
  blueprints), ``config_declaration.yaml``, ``clock.py`` (the one "now");
* ``reference/``: places, vocabularies and the reference datasets' names;
* ``store/``: idempotent catalogue writes, bulk DataStore loads, publishing;
* ``harvest/``: the harvester plugins around the pure adapters of
  ``harvesters/`` (sources, ownership, secrets, redaction, upstream catalogues);
* ``tables/``: agencies' uploaded tables (validation reports, xloader);
* ``search/``: index shaping, query weighting, suggestions, facets, relevance;
* ``trust/``: trusted publishers and their page;
* ``risk/``: risk runs, their inputs and publishing, the risk-map view;
* ``ghg/``: the greenhouse-gas inventory job and its guidance;
* ``residents/``: the residents' pages, their data and map layers;
* ``health/``: health and metrics for monitors, and 503 pages while a
  service is down;
* ``alerting/``: warnings decided from the snapshot (episodes, the outbox,
  CAP messages), subscriptions and their pages, delivery by e-mail, LINE
  and webhooks, around the pure ``alerts/``;
* ``demo/``: the demo, imported by ``cli.py`` only.

The harvesters are plugins of their own (``harvest/plugins.py``), and so are
the risk-map view of risk layers (:class:`RiskMapViewPlugin`,
``maemoh_risk_map``) and the PDF view of uploaded PDFs
(:class:`PdfViewPlugin`, ``maemoh_pdf_view``). Templates are in
``templates/``, translations in ``i18n/``.
"""
import logging
from collections import OrderedDict

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckanext.xloader.interfaces import IXloader

from ckanext.maemoh import clock
from ckanext.maemoh.alerting import evaluate as alert_evaluation
from ckanext.maemoh.calibration import runs as calibration_runs
from ckanext.maemoh.harvest import redaction
from ckanext.maemoh.harvest.base import observations_changed_signal
from ckanext.maemoh.health import outages
from ckanext.maemoh.risk import map_view as risk_map
from ckanext.maemoh.residents import http_cache, snapshot
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.forecasting import runs as forecast_runs
from ckanext.maemoh.search import facets, index, query
from ckanext.maemoh.store import publish as store_publish, published, replica
from ckanext.maemoh.tables import loading as table_loading
from ckanext.maemoh.tables import validation as table_validation
from ckanext.maemoh.tables import xloader_thai
from ckanext.maemoh.logic import action
from ckanext.maemoh.harvesters import egress

log = logging.getLogger(__name__)


@tk.blanket.actions(action.get_actions)
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.validators
class MaeMohPlugin(DefaultTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.ISignal)
    p.implements(p.IForkObserver)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(IXloader, inherit=True)

    # IConfigurer

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "ckanext-maemoh")

    # IConfigurable

    def configure(self, config):
        clock.configure(config)
        egress.allow_hosts(tk.aslist(config.get(egress.OPTION)))
        xloader_thai.install()
        replica.install()

    # IMiddleware: a service down answers 503 in Thai and English (health/outages.py);
    # the snapshot's pages carry ETag and Cache-Control (residents/http_cache.py)

    def make_middleware(self, app, config):
        if not hasattr(app, "register_error_handler"):
            return app
        app.wsgi_app = http_cache.SnapshotCaching(app.wsgi_app)
        return outages.register(app)

    # IFacets

    def dataset_facets(self, facets_dict, package_type):
        return OrderedDict(facets.facet_titles(facets.request_lang()))

    # IPackageController

    def before_dataset_index(self, pkg_dict):
        return index.shape_for_index(pkg_dict)

    def before_dataset_search(self, search_params):
        return query.weigh_fields(search_params)

    def after_dataset_search(self, search_results, search_params):
        facets.label_facet_items(
            search_results.get("search_facets", {}), facets.request_lang())
        for result in search_results.get("results", []):
            if result.get("type") == "harvest":
                redaction.redact(result)
            for resource in result.get("resources", []):
                self.before_resource_show(resource)
        return search_results

    def after_dataset_show(self, context, pkg_dict):
        if pkg_dict.get("type") == "harvest" and not _may_edit(context, pkg_dict):
            redaction.redact(pkg_dict)
        return pkg_dict

    # IResourceController: the address of a published run's file
    # (store/published.py); validation reports of tables (tables/validation.py);
    # a new land-cover raster requests the green layer (risk/runs.py)

    def before_resource_show(self, resource_dict):
        if resource_dict.get("url_type") == published.URL_TYPE:
            resource_dict["url"] = published.absolute(resource_dict["url"])
        return resource_dict

    def before_resource_create(self, context, resource):
        table_validation.check_upload(resource)

    def before_resource_update(self, context, current, resource):
        table_validation.check_upload(resource)

    def after_resource_create(self, context, resource):
        if table_validation.needs_check(resource):
            table_validation.enqueue(resource["id"])
        risk_runs.on_resource_changed(resource)

    def after_resource_update(self, context, resource):
        if not context.get("maemoh_validation") and table_validation.needs_check(resource):
            table_validation.enqueue(resource["id"])
        risk_runs.on_resource_changed(resource)

    # IXloader: uploaded and linked tables into the DataStore (tables/loading.py)

    def can_upload(self, resource_id):
        return table_loading.can_upload(resource_id)

    def after_upload(self, context, resource_dict, dataset_dict):
        table_loading.after_upload(resource_dict)

    # ISignal

    def get_signal_subscriptions(self):
        return {observations_changed_signal(): [calibration_runs.on_observations_changed,
                                                 risk_runs.on_observations_changed, forecast_runs.on_observations_changed,
                                                 snapshot.on_data_changed],
                store_publish.published_signal(): [risk_runs.on_published, snapshot.on_data_changed],
                snapshot.refreshed_signal(): [alert_evaluation.on_snapshot_refreshed]}

    # IForkObserver: risk workers load what their jobs need once, before they fork

    def before_fork(self):
        if risk_runs.is_risk_worker():
            try:
                risk_runs.warm_up()
            except Exception:  # e.g. a broken numba cache: the worker lives, and the job compiles
                # what it needs itself or fails with the error, in the failed-job registry
                log.exception("risk worker warm-up failed; its jobs will compile what they need")


def _may_edit(context, pkg_dict):
    try:
        tk.check_access("package_update", dict(context), {"id": pkg_dict["id"]})
    except tk.NotAuthorized:
        return False
    return True


class RiskMapViewPlugin(p.SingletonPlugin):
    """The risk-map view (``maemoh_risk_map``) of the GeoJSON of risk layers,
    and the compact data it draws (``/maemoh/risk-map/<resource id>.json``).
    Its templates, assets and options come with the ``maemoh`` plugin."""
    p.implements(p.IResourceView)
    p.implements(p.IBlueprint)

    # IResourceView

    def info(self):
        return {"name": risk_map.VIEW_TYPE, "title": risk_map.VIEW_TITLE, "icon": "map",
                "iframed": True, "always_available": False, "preview_enabled": False,
                "default_title": risk_map.VIEW_TITLE}

    def can_view(self, data_dict):
        return risk_map.can_view(data_dict["resource"], data_dict.get("package"))

    def setup_template_variables(self, context, data_dict):
        return {"risk_map": risk_map.template_variables(data_dict["resource"], data_dict["package"])}

    def view_template(self, context, data_dict):
        return "maemoh/risk_map_view.html"

    def form_template(self, context, data_dict):
        return None

    # IBlueprint

    def get_blueprint(self):
        return [risk_map.risk_map_data]


class PdfViewPlugin(p.SingletonPlugin):
    """The PDF view (``maemoh_pdf_view``): an uploaded PDF in the browser's own
    viewer, with a download link where it has none. Only uploads, served by
    the site itself: a linked PDF could be any page. Its template comes with
    the ``maemoh`` plugin."""
    p.implements(p.IResourceView, inherit=True)

    def info(self):
        return {"name": "maemoh_pdf_view", "title": "PDF", "icon": "file-pdf", "iframed": False,
                "always_available": False, "default_title": "PDF"}

    def can_view(self, data_dict):
        resource = data_dict["resource"]
        return (resource.get("format") or "").lower() == "pdf" and resource.get("url_type") == "upload"

    def view_template(self, context, data_dict):
        return "maemoh/pdf_view.html"
