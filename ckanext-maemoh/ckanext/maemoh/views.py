"""The blueprints of the ``maemoh`` plugin, found here by
``tk.blanket.blueprints``: the residents' pages and the sysadmins' page of
trusted publishers. (The risk-map view's data has its own plugin.)"""
from ckanext.maemoh.residents.views import residents_pages
from ckanext.maemoh.trust.views import trust_admin

__all__ = ["residents_pages", "trust_admin"]
