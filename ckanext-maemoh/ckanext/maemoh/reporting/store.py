"""What happens to a resident's report: received, followed by its private
link, decided by an editor of the district, deleted on request, and its
personal data emptied after ``ckanext.maemoh.citizen.keep_days``.

A report is checked whole (:func:`citizen.reports.check`, the photo by
:func:`citizen.photos.clean`) before anything is stored; then its photo is
stored through CKAN's uploader (object type :data:`UPLOAD_TYPE`) and its
row written. The private link's token is returned once and kept only as a
hash. Approval copies the public part to ``citizen-reports``
(:mod:`.publish`); deletion removes the row, the photo and the public row.
"""
import datetime as dt
import hashlib
import io
import logging
import os
import secrets
import uuid

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckan.lib import uploader

from ckanext.maemoh import clock, rate_limit
from ckanext.maemoh.citizen import photos, reports
from ckanext.maemoh.reporting import model, publish
from ckanext.maemoh.reference import places

log = logging.getLogger(__name__)

UPLOAD_TYPE = "maemoh-reports"
PUBLIC_FIELDS = ("id", "category", "observed_at", "tambon_code", "h3_cell", "status", "reason",
                 "created_at", "decided_at")


class NotFound(LookupError):
    """No report behind this link (never made, or deleted)."""


def check_rate(client):
    """Count a report from ``client`` (an address); RateLimited past the hourly allowance."""
    rate_limit.count("reports", client, tk.config["ckanext.maemoh.citizen.reports_per_hour"],
                     tk._("Too many reports from this address: please try again in an hour"))


def receive(data, photo=None, client="", now=None):
    """Store a report from the validated form ``data`` (category, longitude,
    latitude, observed_at, text) and the photo's bytes; ``{"id", "token"}``.
    ``tk.ValidationError`` naming the fields, with nothing stored."""
    now = now or clock.now()
    try:
        report = reports.check(data["category"], data["longitude"], data["latitude"], data["observed_at"],
                               data.get("text", ""), now, places.tambon_of)
    except reports.Invalid as error:
        raise tk.ValidationError({field: [message] for field, message in error.errors.items()}) from None
    cleaned = None
    if photo:
        try:
            cleaned = photos.clean(photo)
        except photos.Refused as error:
            raise tk.ValidationError({"photo": [str(error)]}) from None
    report_id, token = uuid.uuid4().hex, secrets.token_urlsafe(24)
    stored = _store_photo(report_id, cleaned) if cleaned else None
    row = {"id": report_id, "token_hash": _hash(token), "category": report.category,
           "observed_at": report.observed_at, "tambon_code": report.tambon_code,
           "h3_cell": reports.cell(report.longitude, report.latitude), "status": report.status,
           "photo": stored, "created_at": now, "longitude": report.longitude, "latitude": report.latitude,
           "text": report.text, "client": client or None}
    try:
        with model.engine().begin() as conn:
            conn.execute(model.report.insert().values(**row))
    except Exception:
        _remove_photo(stored)
        raise
    return {"id": report_id, "token": token}


def by_token(token):
    """The public part of the report behind a private link; NotFound."""
    with model.engine().connect() as conn:
        row = conn.execute(sa.select(model.report).where(
            model.report.c.token_hash == _hash(token))).mappings().first()
    if row is None:
        raise NotFound(token)
    return _public(row)


def delete(token):
    """Delete the report behind a private link: its row, photo and public
    row. NotFound when there is none."""
    with model.engine().begin() as conn:
        row = conn.execute(model.report.delete().where(model.report.c.token_hash == _hash(token))
                           .returning(model.report.c.id, model.report.c.photo, model.report.c.status,
                                      model.report.c.category)).first()
    if row is None:
        raise NotFound(token)
    _remove_photo(row.photo)
    if row.status == "approved":
        publish.withdraw(row.id, row.category)


def queue(status="pending", limit=100):
    """Reports for the moderators, newest first: the public part, the
    resident's words and the exact point (editors of the district only:
    the caller checks)."""
    with model.engine().connect() as conn:
        rows = conn.execute(sa.select(model.report).where(model.report.c.status == status)
                            .order_by(model.report.c.created_at.desc()).limit(limit)).mappings().all()
    return [dict(_public(row), text=row["text"], longitude=row["longitude"], latitude=row["latitude"],
                 has_photo=bool(row["photo"])) for row in rows]


def decide(report_id, decision, reason, user_id, now=None):
    """Approve or reject a pending report (a rejection needs a reason); the
    public part. ``tk.ValidationError`` for a decided report or a missing reason."""
    now = now or clock.now()
    with model.engine().begin() as conn:
        row = conn.execute(sa.select(model.report).where(model.report.c.id == report_id)
                           .with_for_update()).mappings().first()
        if row is None:
            raise tk.ObjectNotFound(tk._("No such report"))
        try:
            status, reason = reports.decided(row["status"], decision, reason)
        except ValueError as error:
            field = "reason" if str(error).startswith("reason") else "decision"
            raise tk.ValidationError({field: [str(error)]}) from None
        conn.execute(model.report.update().where(model.report.c.id == report_id).values(
            status=status, reason=reason, decided_at=now, decided_by=user_id))
        row = dict(row, status=status, reason=reason, decided_at=now)
    if status == "approved":
        publish.add(row)
    return _public(row)


def photo_path(report_id, approved_only=True):
    """The stored photo of a report (of an approved one unless
    ``approved_only`` is False), or None."""
    conditions = [model.report.c.id == report_id]
    if approved_only:
        conditions.append(model.report.c.status == "approved")
    with model.engine().connect() as conn:
        name = conn.execute(sa.select(model.report.c.photo).where(*conditions)).scalar()
    return os.path.join(uploads_dir(), name) if name else None


def prune(now=None):
    """Empty the personal data of reports older than ``keep_days`` (the
    exact point, the words, the address); rejected ones go whole, with their
    photo. The number of reports pruned."""
    now = now or clock.now()
    before = now - dt.timedelta(days=tk.config["ckanext.maemoh.citizen.keep_days"])
    old = model.report.c.created_at < before
    with model.engine().begin() as conn:
        gone = conn.execute(model.report.delete().where(old, model.report.c.status == "rejected")
                            .returning(model.report.c.photo)).scalars().all()
        emptied = conn.execute(model.report.update().where(old, model.report.c.purged_at.is_(None)).values(
            longitude=None, latitude=None, text=None, client=None, purged_at=now)).rowcount
    for name in gone:
        _remove_photo(name)
    return len(gone) + emptied


def _public(row):
    return {key: (row[key].isoformat() if isinstance(row[key], dt.datetime) else row[key])
            for key in PUBLIC_FIELDS}


def _hash(token):
    return hashlib.sha256(str(token).encode()).hexdigest()


def _uploads():
    return uploader.get_uploader(UPLOAD_TYPE)


def uploads_dir():
    """Where CKAN's uploader keeps the reports' photos."""
    return _uploads().storage_path


def _store_photo(report_id, photo):
    """Store the cleaned photo through CKAN's uploader; the stored name."""
    upload = _uploads()
    extension = ".png" if photo.media_type == "image/png" else ".jpg"
    data = {"photo": FileStorage(io.BytesIO(photo.content), filename=report_id + extension,
                                 content_type=photo.media_type)}
    upload.update_data_dict(data, "photo_url", "photo", "clear")
    upload.upload(max_size=photos.MAX_BYTES // (1024 * 1024))
    return data["photo_url"]


def _remove_photo(name):
    if name:
        try:
            os.remove(os.path.join(uploads_dir(), name))
        except FileNotFoundError:
            log.warning("report photo %s was already gone", name)
