"""ckanext-dcat's ``dcat_rdf`` harvester, downloading through a guarded session.

Upstream's ``_get_content_and_type`` fetches with a plain ``requests``
session, and reads a local file when the source URL does not start with
``http``. This subclass overrides that method only and keeps its behaviour —
a HEAD first (a GET when the server refuses it), ``ckanext.dcat.max_file_size``
checked on the Content-Length and on what is read, the content type of the
answer unless the source names one, the ``update_session`` hook of
IDCATRDFHarvester plugins, a 404 on a later page raised for the caller — but
downloads through :class:`~ckanext.maemoh.harvesters.egress.GuardedSession`
(http and https only, no internal address unless allowed), with a timeout,
and an error status of the GET is an error too. The source type stays
``dcat_rdf``, so existing sources keep working.
"""
import requests

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.interfaces import IDCATRDFHarvester

from ckanext.maemoh.harvesters.egress import GuardedSession, Refused, check_scheme
from ckanext.maemoh.harvesters.http import excerpt

REQUEST_TIMEOUT = 60  # seconds, per request


class GuardedDCATRDFHarvester(DCATRDFHarvester):
    """``dcat_rdf`` with its downloads guarded (see the module)."""

    def _get_content_and_type(self, url, harvest_job, page=1, content_type=None):
        if page > 1:
            url = f"{url}{'&' if '?' in url else '?'}page={page}"
        try:
            check_scheme(url)
            with GuardedSession() as session:
                for harvester in p.PluginImplementations(IDCATRDFHarvester):
                    session = harvester.update_session(session)
                content, answer_type = self._download(session, url, harvest_job)
        except requests.exceptions.HTTPError as error:
            if page > 1 and error.response.status_code == 404:
                raise
            self._save_gather_error(
                f"Could not get content from {url}. Server responded with "
                f"{error.response.status_code} {excerpt(error.response.reason or '')}",
                harvest_job)
            return None, None
        except (Refused, requests.RequestException) as error:
            self._save_gather_error(
                f"Could not get content from {url}: {excerpt(str(error))}", harvest_job)
            return None, None
        if content is None:
            return None, None
        return content, content_type or answer_type

    def _download(self, session, url, harvest_job):
        """``(text, content type)``, or ``(None, None)`` with a gather error
        when the file is larger than ``ckanext.dcat.max_file_size`` MB."""
        max_size = 1024 * 1024 * tk.asint(
            tk.config.get("ckanext.dcat.max_file_size", self.DEFAULT_MAX_FILE_SIZE_MB))
        answer = session.head(url, timeout=REQUEST_TIMEOUT)
        if not answer.ok:  # some servers answer HEAD with 400 or 404
            answer = session.get(url, stream=True, timeout=REQUEST_TIMEOUT)
        answer.raise_for_status()
        declared = answer.headers.get("content-length")
        if declared and int(declared) > max_size:
            self._save_gather_error(f"Remote file is too big. Allowed file size: {max_size}, "
                                    f"Content-Length: {declared}.", harvest_job)
            return None, None
        if answer.request.method == "HEAD":
            answer = session.get(url, stream=True, timeout=REQUEST_TIMEOUT)
            answer.raise_for_status()
        content = b""
        for chunk in answer.iter_content(chunk_size=self.CHUNK_SIZE):
            content += chunk
            if len(content) >= max_size:
                self._save_gather_error("Remote file is too big.", harvest_job)
                return None, None
        answer_type = answer.headers.get("content-type")
        return content.decode("utf-8"), answer_type.split(";", 1)[0] if answer_type else None
