"""Reports are checked field by field, moderated once, and published by
their H3 cell and tambon, never by their point."""
import datetime as dt

import h3
import pytest

from ckanext.maemoh.citizen import reports

NOW = dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.timezone.utc)
MAE_MO = (99.74, 18.28)


def _tambon_of(longitude, latitude):
    return "520204" if 99.6 < longitude < 100.1 and 18.1 < latitude < 18.7 else None


def _report(**given):
    values = {"category": "smoke-burning", "longitude": MAE_MO[0], "latitude": MAE_MO[1],
              "observed_at": "2026-03-10T13:30:00+07:00", "text": "  ควันไฟ  จากการเผาไร่ ", **given}
    return reports.check(now=NOW, tambon_of=_tambon_of, **values)


def test_a_good_report_is_kept_with_its_time_in_utc_and_its_text_tidied():
    report = _report()
    assert report.observed_at == dt.datetime(2026, 3, 10, 6, 30, tzinfo=dt.timezone.utc)
    assert report.text == "ควันไฟ จากการเผาไร่" and report.tambon_code == "520204"
    assert report.status == "pending"


@pytest.mark.parametrize("given, fields", [
    ({"category": "fireworks"}, {"category"}),
    ({"longitude": "east"}, {"location"}),
    ({"longitude": 100.9, "latitude": 13.7}, {"location"}),
    ({"latitude": 91}, {"location"}),
    ({"observed_at": "2026-03-10T13:30:00"}, {"observed_at"}),
    ({"observed_at": "2026-03-11T13:30:00+07:00"}, {"observed_at"}),
    ({"observed_at": "2025-12-01T13:30:00+07:00"}, {"observed_at"}),
    ({"text": "ก" * 501}, {"text"}),
    ({"category": "", "observed_at": "yesterday", "text": "x" * 600}, {"category", "observed_at", "text"}),
])
def test_each_bad_field_is_named(given, fields):
    with pytest.raises(reports.Invalid) as refused:
        _report(**given)
    assert set(refused.value.errors) == fields


def test_moderation_is_decided_once_and_a_rejection_says_why():
    report = _report()
    with pytest.raises(ValueError, match="reason"):
        reports.moderate(report, "rejected")
    rejected = reports.moderate(report, "rejected", "  a duplicate ")
    assert rejected.status == "rejected" and rejected.reason == "a duplicate"
    with pytest.raises(ValueError, match="already"):
        reports.moderate(rejected, "approved")
    with pytest.raises(ValueError, match="decision"):
        reports.moderate(report, "maybe")


def test_only_approved_reports_are_published_and_never_by_their_point():
    report = _report()
    with pytest.raises(ValueError, match="approved"):
        reports.public_record(report, "r1")
    record = reports.public_record(reports.moderate(report, "approved"), "r1", "https://x/photo.jpg")
    assert record["h3_cell"] == h3.latlng_to_cell(MAE_MO[1], MAE_MO[0], 8) and record["h3_resolution"] == 8
    assert record["tambon_code"] == "520204" and record["photo_url"] == "https://x/photo.jpg"
    shown = repr(record)
    assert str(MAE_MO[0]) not in shown and str(MAE_MO[1]) not in shown
    assert not {"longitude", "latitude", "text"} & set(record) and "ควันไฟ" not in shown
