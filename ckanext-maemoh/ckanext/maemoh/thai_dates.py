"""Dates as Thai readers write them: the Buddhist Era, Bangkok time.

Pure (no CKAN): helpers.py chains CKAN's ``h.render_datetime`` to
:func:`thai_date` when the interface is Thai.
"""
import datetime as dt
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
BUDDHIST_ERA_OFFSET = 543
MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
          "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")


def thai_date(when, with_hours=False, with_seconds=False):
    """``5 ธันวาคม 2569``; with hours ``5 ธันวาคม 2569 เวลา 14:00 น.`` (with
    seconds ``14:00:31``). The date and time are those of Asia/Bangkok; a
    naive ``when`` is UTC, as CKAN stores times."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    local = when.astimezone(BANGKOK)
    text = f"{local.day} {MONTHS[local.month - 1]} {local.year + BUDDHIST_ERA_OFFSET}"
    if with_seconds:
        return f"{text} เวลา {local:%H:%M:%S} น."
    if with_hours:
        return f"{text} เวลา {local:%H:%M} น."
    return text
