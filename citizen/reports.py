"""A resident's report: what is checked, what is kept privately, what is
published.

A report says what was seen (:data:`CATEGORIES`), where (a point), when,
and up to :data:`MAX_TEXT` characters. :func:`check` turns the form's
values into a :class:`Report` or raises :class:`Invalid` with an error per
field, before anything is stored. The exact point stays private; what is
published (:func:`public_record`, only once approved) places the report by
its H3 cell at resolution :data:`H3_RESOLUTION` (about 0.74 km², edge about
0.53 km) and its tambon, never closer.

Moderation (:func:`moderate`): a report is ``pending`` until an editor
approves it or rejects it with a reason; those are final.
"""
import datetime as dt
from dataclasses import dataclass, replace

import h3

CATEGORIES = ("smoke-burning", "dust", "ash", "odour", "water-colour", "waste-dumping", "other")
#: each category's name, Thai then English
CATEGORY_NAMES = {
    "smoke-burning": ("ควันหรือการเผาในที่โล่ง", "Smoke or open burning"),
    "dust": ("ฝุ่น", "Dust"),
    "ash": ("เถ้า", "Ash"),
    "odour": ("กลิ่น", "Odour"),
    "water-colour": ("สีของน้ำผิดปกติ", "Water colour"),
    "waste-dumping": ("การทิ้งขยะ", "Waste dumping"),
    "other": ("อื่น ๆ", "Other"),
}
STATUSES = ("pending", "approved", "rejected")
MAX_TEXT = 500
MAX_AGE = dt.timedelta(days=30)
CLOCK_SKEW = dt.timedelta(minutes=10)
H3_RESOLUTION = 8


class Invalid(ValueError):
    """Bad input: ``errors`` maps each field to its message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Report:
    category: str
    longitude: float
    latitude: float
    observed_at: dt.datetime        # aware, UTC
    text: str
    tambon_code: str
    status: str = "pending"
    reason: str = ""


def check(category, longitude, latitude, observed_at, text, now, tambon_of):
    """A :class:`Report` from the form's values, or :class:`Invalid`.

    ``tambon_of(longitude, latitude)`` gives the tambon code of a point, or
    None outside the district; ``observed_at`` is an aware datetime or ISO
    8601 text with its offset, not in the future and at most
    :data:`MAX_AGE` before ``now``."""
    errors = {}
    if category not in CATEGORIES:
        errors["category"] = f"one of {', '.join(CATEGORIES)}"
    point, tambon = _point(longitude, latitude, errors), None
    if point:
        tambon = tambon_of(*point)
        if tambon is None:
            errors["location"] = "a place in Mae Moh district"
    when = _time(observed_at, now, errors)
    text = " ".join(str(text or "").split())
    if len(text) > MAX_TEXT:
        errors["text"] = f"at most {MAX_TEXT} characters"
    if errors:
        raise Invalid(errors)
    return Report(category, point[0], point[1], when, text, tambon)


def _point(longitude, latitude, errors):
    try:
        point = float(longitude), float(latitude)
    except (TypeError, ValueError):
        errors["location"] = "a point: longitude and latitude in degrees (WGS 84)"
        return None
    if not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
        errors["location"] = "a point: longitude and latitude in degrees (WGS 84)"
        return None
    return point


def _time(value, now, errors):
    try:
        when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        errors["observed_at"] = "a time with its offset, e.g. 2026-03-10T14:00+07:00"
        return None
    when = when.astimezone(dt.timezone.utc)
    if when > now + CLOCK_SKEW:
        errors["observed_at"] = "not in the future"
    elif when < now - MAX_AGE:
        errors["observed_at"] = f"within the last {MAX_AGE.days} days"
    return when


def moderate(report, decision, reason=""):
    """The report approved or rejected (with a reason): see :func:`decided`."""
    status, reason = decided(report.status, decision, reason)
    return replace(report, status=status, reason=reason)


def decided(status, decision, reason=""):
    """``(status, reason)`` of a report that was ``status`` once an editor
    approved or rejected it; ValueError when it was already decided or a
    rejection gives no reason."""
    if status != "pending":
        raise ValueError(f"the report is already {status}")
    if decision not in ("approved", "rejected"):
        raise ValueError("decision: approved or rejected")
    reason = " ".join(str(reason or "").split())[:MAX_TEXT]
    if decision == "rejected" and not reason:
        raise ValueError("reason: say why the report is rejected")
    return decision, reason


def cell(longitude, latitude):
    """The H3 cell (resolution :data:`H3_RESOLUTION`) of a point."""
    return h3.latlng_to_cell(latitude, longitude, H3_RESOLUTION)


def public_record(report, report_id, photo_url=None):
    """What is published of an approved report: category, time, H3 cell,
    tambon, status and the photo when given; never the exact point, nor the
    resident's text (it may name people: editors read it, the public does not)."""
    if report.status != "approved":
        raise ValueError("only approved reports are published")
    return {"report_id": report_id, "category": report.category,
            "observed_at": report.observed_at.isoformat(), "h3_cell": cell(report.longitude, report.latitude),
            "h3_resolution": H3_RESOLUTION, "tambon_code": report.tambon_code,
            "status": report.status, "photo_url": photo_url}
