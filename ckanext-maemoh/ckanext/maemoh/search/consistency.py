"""The search index against the database: which datasets Solr lacks, which
documents it holds for datasets the database no longer has, and the repair
(``ckan maemoh search check [--repair]``; after an outage of Solr or
PostgreSQL, or a restore)."""
import dataclasses

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import search
from ckan.lib.search import common as search_common

PAGE = 1000


@dataclasses.dataclass(frozen=True)
class Difference:
    missing: tuple   # ids of datasets not deleted in the database, absent from the index
    extra: tuple     # ids in the index of datasets deleted or absent in the database

    @property
    def consistent(self):
        return not self.missing and not self.extra


def compare():
    """The :class:`Difference` of this site's index and its database."""
    stored = {id_ for (id_,) in model.Session.query(model.Package.id).filter(
        model.Package.state != "deleted")}
    indexed = set(_indexed_ids())
    return Difference(tuple(sorted(stored - indexed)), tuple(sorted(indexed - stored)))


def repair(difference):
    """Index the missing datasets and drop the extra documents; the new difference."""
    for package_id in difference.extra:
        search.clear(package_id)
    if difference.missing:
        search.rebuild(package_ids=difference.missing, quiet=True)
    search.commit()
    return compare()


def _indexed_ids():
    """Every dataset id in the index of this site, page by page."""
    connection = search_common.make_connection()
    cursor = "*"
    while True:
        page = connection.search("*:*", fq=f'+site_id:"{tk.config["ckan.site_id"]}"', fl="id",
                                 sort="index_id asc", rows=PAGE, cursorMark=cursor)
        yield from (doc["id"] for doc in page.docs)
        if page.nextCursorMark in (None, cursor):
            return
        cursor = page.nextCursorMark
