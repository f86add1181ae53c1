"""Template helpers (``h.maemoh_*``), and CKAN's ``h.render_datetime``
chained to write dates in the Buddhist Era in Thai."""
import datetime as dt
import json

import ckan.plugins.toolkit as tk

from ckanext.maemoh import thai_dates
from ckanext.maemoh.residents import home
from ckanext.maemoh.search import query
from ckanext.maemoh.tables import validation as table_validation
from ckanext.maemoh.reference import vocabularies


def maemoh_choices(field):
    """Scheming choices of the vocabulary named by the field's ``vocabulary``."""
    return vocabularies.scheming_choices(field["vocabulary"])


def maemoh_translated_value(data, field_name, lang):
    """The ``lang`` text of a translated field in form data: from its
    per-language input after a failed submit, else from the stored object."""
    submitted = data.get(f"{field_name}-{lang}")
    if submitted is not None:
        return submitted
    value = data.get(field_name) or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ""
    return value.get(lang, "") if isinstance(value, dict) else ""


def maemoh_label(vocabulary, code):
    """The label of ``code`` in the page's language (Thai unless English)."""
    lang = "en" if tk.h.lang() == "en" else "th"
    return vocabularies.label(vocabulary, code, lang)


def maemoh_labels(vocabulary, codes):
    """The labels of comma-separated ``codes``, joined with commas."""
    return ", ".join(maemoh_label(vocabulary, code) for code in str(codes or "").split(",") if code)


def maemoh_number(value):
    """A figure for residents: thousands separated, no false precision."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}".rstrip("0").rstrip(".")


def maemoh_validation(resource):
    """The validation report of a table resource for its page: ``{"status",
    "current", "report"}``, or None when the resource is not a checked table."""
    if not table_validation.file_format(resource):
        return None
    report = table_validation.report_of(resource)
    return {"status": resource.get(table_validation.STATUS_FIELD), "report": report,
            "current": bool(report) and report.get("source") == table_validation.source_of(resource)}


def maemoh_without_validation(resource):
    """The resource without its validation fields (shown by their own section)."""
    hidden = (table_validation.STATUS_FIELD, table_validation.REPORT_FIELD)
    return {key: value for key, value in resource.items() if key not in hidden}


def maemoh_search_suggestion(text):
    """A respelling of a search that found nothing ("did you mean"), or None."""
    return query.suggestion(text)


def maemoh_home_summary():
    """What the home page shows, in the page's language (residents/home.py)."""
    return home.home_summary("en" if tk.h.lang() == "en" else "th")


@tk.chained_helper
def render_datetime(next_helper, datetime_, date_format=None, with_hours=False, with_seconds=False):
    """CKAN's, except in the Thai interface without an explicit
    ``date_format`` (those are machine formats): the Buddhist Era in
    Asia/Bangkok time, "5 ธันวาคม 2569 เวลา 14:00 น." (thai_dates.py)."""
    if date_format or tk.h.lang() != "th":
        return next_helper(datetime_, date_format=date_format, with_hours=with_hours,
                           with_seconds=with_seconds)
    if isinstance(datetime_, str):
        try:
            datetime_ = tk.h.date_str_to_datetime(datetime_)
        except (TypeError, ValueError):
            return ""
    if not isinstance(datetime_, dt.datetime):
        return ""
    return thai_dates.thai_date(datetime_, with_hours=with_hours, with_seconds=with_seconds)
