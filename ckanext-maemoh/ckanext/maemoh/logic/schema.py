"""The navl schemas of our actions (:mod:`.action`): what each parameter may be.

A parameter that is missing, null, "" or [] is not given (None: the action's
default applies). Validators are CKAN's and ours (:mod:`.validators`),
passed in by name (``validator_args``).
"""
import ckan.plugins.toolkit as tk

from ckanext.maemoh.alerts import levels
from ckanext.maemoh.risk import runs as risk_runs
from ckanext.maemoh.risk_jobs import air_now


@tk.validator_args
def maemoh_risk_run_schema(maemoh_ignore_blank, maemoh_dimensions, maemoh_risk_grid):
    return {"dimension": [maemoh_ignore_blank, maemoh_dimensions],
            "grid": [maemoh_ignore_blank, maemoh_risk_grid]}


@tk.validator_args
def maemoh_risk_status_schema(default, maemoh_count, maemoh_ignore_blank, one_of):
    return {"limit": [default(50), maemoh_count(risk_runs.KEEP_RUNS)],
            "state": [maemoh_ignore_blank, one_of(risk_runs.STATES)]}


@tk.validator_args
def maemoh_ghg_run_schema(maemoh_ignore_blank, maemoh_year_common_era):
    return {"year": [maemoh_ignore_blank, maemoh_year_common_era]}


@tk.validator_args
def maemoh_forecast_run_schema():
    return {}


@tk.validator_args
def maemoh_forecast_schema(default, one_of, maemoh_ignore_blank, maemoh_tambon_code, unicode_safe):
    return {"lang": [default("th"), one_of(air_now.LANGUAGES)],
            "tambon": [maemoh_ignore_blank, maemoh_tambon_code],
            "station": [maemoh_ignore_blank, unicode_safe]}


@tk.validator_args
def maemoh_guidance_schema(maemoh_ignore_blank, maemoh_tambon_code, maemoh_dimension, maemoh_year_common_era):
    return {"tambon": [maemoh_ignore_blank, maemoh_tambon_code],
            "dimension": [maemoh_ignore_blank, maemoh_dimension],
            "year": [maemoh_ignore_blank, maemoh_year_common_era]}


@tk.validator_args
def maemoh_aqi_latest_schema(default, one_of, maemoh_ignore_blank, maemoh_tambon_code):
    return {"lang": [default("th"), one_of(air_now.LANGUAGES)],
            "tambon": [maemoh_ignore_blank, maemoh_tambon_code]}


@tk.validator_args
def maemoh_risk_summary_schema(maemoh_ignore_blank, maemoh_tambon_code, maemoh_dimension):
    return {"tambon": [maemoh_ignore_blank, maemoh_tambon_code],
            "dimension": [maemoh_ignore_blank, maemoh_dimension]}


@tk.validator_args
def maemoh_resource_id_schema(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe]}


def _alert_levels(maemoh_ignore_blank, maemoh_alert_level, kinds):
    return {kind: [maemoh_ignore_blank, maemoh_alert_level(kind)] for kind in kinds}


@tk.validator_args
def maemoh_alert_signup_schema(not_empty, one_of, email_validator, unicode_safe, maemoh_ignore_blank,
                               maemoh_tambon_codes, maemoh_alert_level, ignore_missing):
    """The residents' sign-up form (alerting/subscriptions.py)."""
    return {"channel": [not_empty, one_of(["email", "line"])],
            "email": [maemoh_ignore_blank, unicode_safe, email_validator],
            "lang": [not_empty, one_of(air_now.LANGUAGES)],
            "tambons": [not_empty, maemoh_tambon_codes],
            "consent": [not_empty, one_of(["yes"])],
            "website": [ignore_missing, unicode_safe],
            **_alert_levels(maemoh_ignore_blank, maemoh_alert_level, levels.RESIDENT_KINDS)}


@tk.validator_args
def maemoh_alert_webhook_create_schema(not_empty, one_of, unicode_safe, maemoh_ignore_blank,
                                       maemoh_tambon_codes, maemoh_alert_level, maemoh_webhook_url):
    return {"organization": [not_empty, unicode_safe],
            "url": [not_empty, maemoh_webhook_url],
            "lang": [not_empty, one_of(air_now.LANGUAGES)],
            "tambons": [maemoh_ignore_blank, maemoh_tambon_codes],
            **_alert_levels(maemoh_ignore_blank, maemoh_alert_level, levels.CHOICES)}


@tk.validator_args
def maemoh_alert_organization_schema(not_empty, unicode_safe, default, maemoh_count):
    return {"organization": [not_empty, unicode_safe], "limit": [default(100), maemoh_count(1000)]}


@tk.validator_args
def maemoh_alert_webhook_delete_schema(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe]}


@tk.validator_args
def maemoh_alerts_status_schema():
    return {}


@tk.validator_args
def maemoh_citizen_report_create_schema(not_empty, ignore_missing, unicode_safe):
    """A resident's report (reporting/store.py checks the values whole:
    category, a point in the district, a time with its offset in the last
    30 days, at most 500 characters; the photo's content)."""
    return {"category": [not_empty, unicode_safe], "longitude": [not_empty], "latitude": [not_empty],
            "observed_at": [not_empty, unicode_safe], "text": [ignore_missing, unicode_safe],
            "photo": [ignore_missing]}


@tk.validator_args
def maemoh_citizen_report_token_schema(not_empty, unicode_safe):
    return {"token": [not_empty, unicode_safe]}


@tk.validator_args
def maemoh_citizen_report_list_schema(default, one_of, maemoh_count):
    return {"status": [default("pending"), one_of(["pending", "approved", "rejected"])],
            "limit": [default(100), maemoh_count(1000)]}


@tk.validator_args
def maemoh_citizen_report_decide_schema(not_empty, one_of, unicode_safe, ignore_missing):
    return {"id": [not_empty, unicode_safe], "decision": [not_empty, one_of(["approved", "rejected"])],
            "reason": [ignore_missing, unicode_safe]}
