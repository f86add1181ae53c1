"""The blueprints of the ``maemoh`` plugin, found here by
``tk.blanket.blueprints``: the residents' pages, the sysadmins' page of
trusted publishers, health for monitors, the warnings (sign-up, CAP feed, LINE's webhook), residents'
reports (the form, the private link, moderation), and the files of computed datasets. (The risk-map view's data has
its own plugin.)"""
from ckanext.maemoh.alerting.views import alerts_hooks, alerts_pages
from ckanext.maemoh.health.views import health_pages
from ckanext.maemoh.reporting.views import reports_pages
from ckanext.maemoh.residents.views import residents_pages
from ckanext.maemoh.store.views import published_files
from ckanext.maemoh.trust.views import trust_admin

__all__ = ["alerts_hooks", "alerts_pages", "health_pages", "published_files", "reports_pages", "residents_pages",
           "trust_admin"]
