"""The CKAN plugin of the Mae Moh City Data Platform.

The class only declares interfaces: commands live in ``cli.py``, actions
and their auth in ``logic/action.py`` and ``logic/auth.py``, risk runs and
their triggers in ``risk_runs.py``, validators in ``logic/validators.py``,
helpers in ``helpers.py``, the residents' pages in ``views.py`` (data in
``residents.py`` and ``portal.py``), search shaping in ``search.py``,
masking of harvest source configurations in ``harvest/redaction.py``,
trusted publishers in ``trust.py`` (their page: ``trust_views.py``), harvest
ownership and source secrets in ``harvest/ownership.py`` and
``harvest/source_secrets.py``, the guard of outgoing requests in
``harvesters/egress.py`` (its allow-list set in ``configure``), options in
``config_declaration.yaml``, templates in ``templates/``, translations in
``i18n/``. The harvesters are plugins of their own
(``harvest/plugins.py``).
"""
from collections import OrderedDict

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.maemoh import risk_runs, search
from ckanext.maemoh.harvest import redaction
from ckanext.maemoh.harvest.base import observations_changed_signal
from ckanext.maemoh.logic import action
from ckanext.maemoh.harvesters import egress


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
    p.implements(p.ISignal)
    p.implements(p.IForkObserver)

    # IConfigurer

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "ckanext-maemoh")

    # IConfigurable

    def configure(self, config):
        egress.allow_hosts(tk.aslist(config.get(egress.OPTION)))

    # IFacets

    def dataset_facets(self, facets_dict, package_type):
        return OrderedDict(search.facet_titles(search.request_lang()))

    # IPackageController

    def before_dataset_index(self, pkg_dict):
        return search.shape_for_index(pkg_dict)

    def after_dataset_search(self, search_results, search_params):
        search.label_facet_items(
            search_results.get("search_facets", {}), search.request_lang())
        for result in search_results.get("results", []):
            if result.get("type") == "harvest":
                redaction.redact(result)
        return search_results

    def after_dataset_show(self, context, pkg_dict):
        if pkg_dict.get("type") == "harvest" and not _may_edit(context, pkg_dict):
            redaction.redact(pkg_dict)
        return pkg_dict


    # ISignal

    def get_signal_subscriptions(self):
        return {observations_changed_signal(): [risk_runs.on_observations_changed]}

    # IForkObserver

    def before_fork(self):
        if risk_runs.is_risk_worker():
            risk_runs.warm_up()


def _may_edit(context, pkg_dict):
    try:
        tk.check_access("package_update", dict(context), {"id": pkg_dict["id"]})
    except tk.NotAuthorized:
        return False
    return True
