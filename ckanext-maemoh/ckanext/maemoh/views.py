"""The blueprints of the ``maemoh`` plugin, found here by
``tk.blanket.blueprints``: the residents' pages, the sysadmins' page of
trusted publishers, and health for monitors. (The risk-map view's data has
its own plugin.)"""
from ckanext.maemoh.health.views import health_pages
from ckanext.maemoh.residents.views import residents_pages
from ckanext.maemoh.trust.views import trust_admin

__all__ = ["health_pages", "residents_pages", "trust_admin"]
