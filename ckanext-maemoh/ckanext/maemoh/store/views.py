"""``/maemoh/published/<dataset>/<run>/<file>``: the files of a computed
dataset's publication runs (:mod:`.published`), to whoever may see the
dataset. A run's file never changes, so it is cached as immutable."""
import mimetypes

from flask import Blueprint, send_file

import ckan.plugins.toolkit as tk

from ckanext.maemoh.store import published

published_files = Blueprint("maemoh_published", __name__)

YEAR_S = 365 * 24 * 3600


@published_files.route("/maemoh/published/<dataset>/<run>/<filename>")
def published_file(dataset, run, filename):
    try:
        tk.check_access("package_show", {"user": tk.current_user.name if tk.current_user else ""},
                        {"id": dataset})
        path = published.path(dataset, run, filename)
    except (tk.ObjectNotFound, tk.NotAuthorized, published.NotPublished):
        return tk.abort(404, tk._("File not found"))
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if filename.endswith(".geojson"):
        mimetype = "application/geo+json"
    response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=YEAR_S)
    response.headers["Cache-Control"] = f"public, max-age={YEAR_S}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
