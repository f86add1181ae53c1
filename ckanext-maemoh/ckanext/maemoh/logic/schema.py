"""The navl schemas of our actions (:mod:`.action`): what each parameter may be.

A parameter that is missing, null, "" or [] is not given (None: the action's
default applies). Validators are CKAN's and ours (:mod:`.validators`),
passed in by name (``validator_args``).
"""
import ckan.plugins.toolkit as tk

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
