"""The files of computed datasets, kept by publication run.

A run's files (a risk layer's GeoJSON, CSV, PNG and method record; an
inventory's) are written into a directory of their own, named by the run,
beside the runs before it, and that directory appears whole with one
rename. The dataset's resources are link resources (``url_type``
:data:`URL_TYPE`) to ``/maemoh/published/<dataset>/<run>/<file>``, and a
single ``package_update`` moves every one of them to the new run: a reader
sees the old run's files or the new run's, never a mix, and a publication
killed half way leaves only a directory no dataset names, which
:func:`prune` removes with the runs older than the ``keep`` newest.

Each file under a run never changes, so it is served as immutable.
"""
import hashlib
import os
import pathlib
import re
import shutil
import time

import ckan.plugins.toolkit as tk

URL_TYPE = "maemoh_published"
KEEP_OPTION = "ckanext.maemoh.published.keep_runs"
#: dataset names, run ids and file names of published runs
SEGMENT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
#: half-written runs older than this are removed by :func:`prune`
STALE_TEMP_S = 3600


class NotPublished(LookupError):
    """No such published file."""


def root():
    return pathlib.Path(tk.config["ckan.storage_path"]) / "maemoh" / "published"


def run_id(computed_at, files):
    """The run's name: its UTC time and a digest of its files' names and bytes."""
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return f"{computed_at:%Y%m%dT%H%M%SZ}-{digest.hexdigest()[:12]}".lower()


def write(dataset, run, files):
    """Write ``files`` ({file name: bytes}) as run ``run`` of ``dataset``;
    the run's directory. Written in a hidden directory first, flushed to
    disk, then renamed into place; an existing run of that name (the same
    bytes) is kept."""
    for segment in (dataset, run, *files):
        _check(segment)
    folder = root() / dataset
    final = folder / run
    if final.is_dir():
        return final
    temporary = folder / f".{run}.{os.getpid()}.tmp"
    temporary.mkdir(parents=True)
    try:
        for name, data in files.items():
            with open(temporary / name, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        os.rename(temporary, final)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)
        if not final.is_dir():
            raise
    _fsync_directory(folder)
    return final


def url(dataset, run, filename):
    """The stored ``url`` of a published file: relative, made absolute on show."""
    return f"{dataset}/{run}/{filename}"


def absolute(stored):
    """The address of a published file from its stored ``url``."""
    return tk.config["ckan.site_url"].rstrip("/") + "/maemoh/published/" + _relative(stored)


def parts(resource):
    """``(dataset, run, file name)`` of a published resource."""
    found = _relative(resource.get("url") or "").split("/")
    if resource.get("url_type") != URL_TYPE or len(found) != 3:
        raise NotPublished(resource.get("id"))
    return tuple(found)


def _relative(address):
    """``dataset/run/file`` from a stored, shown or dictized address (CKAN's
    dictization puts ``http://`` before an address without a scheme)."""
    if "/maemoh/published/" in address:
        return address.split("/maemoh/published/", 1)[1]
    return address.removeprefix("http://").lstrip("/")


def path(dataset, run, filename):
    """The file of a published run; :class:`NotPublished` when there is none."""
    for segment in (dataset, run, filename):
        if not SEGMENT.match(segment or ""):
            raise NotPublished(segment)
    found = root() / dataset / run / filename
    if not found.is_file():
        raise NotPublished(f"{dataset}/{run}/{filename}")
    return found


def prune(dataset, current, keep=None):
    """Remove the runs of ``dataset`` but ``current`` and the ``keep`` newest
    (by time written), and half-written runs older than an hour; the names removed."""
    keep = tk.config[KEEP_OPTION] if keep is None else keep
    folder = root() / dataset
    if not folder.is_dir():
        return []
    runs = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    doomed = [p for p in runs[keep:] if p.name != current]
    # the wall clock, not the platform's: file times are stamped with it
    doomed += [p for p in folder.iterdir()
               if p.name.startswith(".") and time.time() - p.stat().st_mtime > STALE_TEMP_S]
    for found in doomed:
        shutil.rmtree(found, ignore_errors=True)
    return sorted(p.name for p in doomed)


def _check(segment):
    if not SEGMENT.match(segment):
        raise ValueError(f"not a name a published file may have: {segment!r}")


def _fsync_directory(folder):
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
