"""Actions of the platform (``/api/3/action/maemoh_*``)."""
import ckan.plugins.toolkit as tk

from ckanext.maemoh import ghg_runs, guidance_view, residents, risk_runs
from ckanext.maemoh.risk_jobs import pipeline

__all__ = ["maemoh_risk_run", "maemoh_risk_status", "maemoh_ghg_run", "maemoh_guidance",
           "maemoh_aqi_latest", "maemoh_risk_summary"]


def maemoh_risk_run(context, data_dict):
    """Queue risk runs; each publishes or updates a ``risk-<dimension>`` layer.

    :param dimension: a dimension (air, fire, water, heat, energy, ghg,
        composite) or a list of them; default: all
    :param grid: "tambon" or "h3:R" (5..10); default: the site's
        ``ckanext.maemoh.risk.grid``
    :returns: the queued runs (follow them with ``maemoh_risk_status``)
    """
    tk.check_access("maemoh_risk_run", context, data_dict)
    dimensions = data_dict.get("dimension") or list(pipeline.ALL_DIMENSIONS)
    if isinstance(dimensions, str):
        dimensions = [d.strip() for d in dimensions.split(",") if d.strip()]
    unknown = [d for d in dimensions if d not in pipeline.ALL_DIMENSIONS]
    if unknown:
        raise tk.ValidationError({"dimension": [
            tk._("Unknown dimension: {names}; use {known}").format(
                names=", ".join(map(str, unknown)), known=", ".join(pipeline.ALL_DIMENSIONS))]})
    try:
        risk_runs.parameters(data_dict.get("grid"))
    except ValueError as error:
        raise tk.ValidationError({"grid": [str(error)]})
    return [risk_runs.enqueue(d, data_dict.get("grid"), trigger="action", user=context.get("user"))
            for d in dict.fromkeys(dimensions)]


@tk.side_effect_free
def maemoh_risk_status(context, data_dict):
    """The newest risk runs first: queued, running, finished (published or
    "no data") and failed (with the error).

    :param limit: how many runs (default 50, at most 200)
    :param state: only runs in this state
    """
    tk.check_access("maemoh_risk_status", context, data_dict)
    try:
        limit = int(data_dict.get("limit", 50))
    except (TypeError, ValueError):
        raise tk.ValidationError({"limit": [tk._("Give a whole number")]})
    if not 1 <= limit <= risk_runs.KEEP_RUNS:
        raise tk.ValidationError({"limit": [tk._("Give 1 to {n}").format(n=risk_runs.KEEP_RUNS)]})
    state = data_dict.get("state")
    if state and state not in risk_runs.STATES:
        raise tk.ValidationError({"state": [tk._("One of: {states}").format(
            states=", ".join(risk_runs.STATES))]})
    return [run for run in risk_runs.runs(limit) if not state or run["state"] == state]


def maemoh_ghg_run(context, data_dict):
    """Queue a greenhouse-gas inventory run; it publishes ``ghg-inventory-<year>``.

    :param year: the inventory year, Common Era (default: the latest year
        with activity data)
    :returns: ``{"job_id", "year", "requested_by"}``
    """
    tk.check_access("maemoh_ghg_run", context, data_dict)
    year = data_dict.get("year")
    if year not in (None, ""):
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise tk.ValidationError({"year": [tk._("Give a whole number")]})
        if not 1990 <= year <= 2100:
            raise tk.ValidationError({"year": [tk._("Give a year of the Common Era, 1990 to 2100")]})
    return ghg_runs.enqueue(year or None, user=context.get("user"))


@tk.side_effect_free
def maemoh_guidance(context, data_dict):
    """The current guidance towards net zero, each recommendation with its evidence.

    :param tambon: a tambon code: its recommendations and the district-wide ones
    :param dimension: only this dimension (ghg, air, fire, ...)
    :param year: the inventory year (default: the latest published)
    :returns: ``{"inventory": name, "year", "recommendations": [{id, priority,
        dimension, tambon_code, text_th, text_en, evidence: [{label, value,
        unit, source, url}]}]}``
    """
    tk.check_access("maemoh_guidance", context, data_dict)
    return guidance_view.current(context, data_dict.get("tambon"), data_dict.get("dimension"),
                                 data_dict.get("year"))


@tk.side_effect_free
def maemoh_aqi_latest(context, data_dict):
    """The current air quality (Thai AQI) per station and per tambon, for
    residents; public data only.

    :param lang: "th" (default) or "en": the language of band names and advice
    :param tambon: a tambon code: only that tambon, and the stations in it or
        used by it
    :returns: ``{"stations": [...], "tambons": [...], "stale_after_hours": N}``;
        each item has ``aqi``, ``band`` (None without data), ``stale``,
        ``time_local`` and the band texts ``band_name``, ``band_label``,
        ``colour``, ``text_colour``, ``icon``, ``advice_general``,
        ``advice_sensitive`` ("no current data" when stale)
    """
    tk.check_access("maemoh_aqi_latest", context, data_dict)
    lang = data_dict.get("lang") or "th"
    if lang not in residents.LANGUAGES:
        raise tk.ValidationError({"lang": [tk._("One of: {languages}").format(
            languages=", ".join(residents.LANGUAGES))]})
    tambon = data_dict.get("tambon") or None
    _check_tambon(tambon)
    return residents.aqi_latest(lang, tambon)


@tk.side_effect_free
def maemoh_risk_summary(context, data_dict):
    """The risk per tambon of each published risk layer; public data only.

    :param tambon: only this tambon's rows
    :param dimension: only this dimension (air, fire, water, heat, energy,
        ghg, composite)
    :returns: ``{dimension: {"dataset", "computed_at", "temporal_start",
        "temporal_end", "tambons": [rows of the "Risk per tambon" table]}}``
    """
    tk.check_access("maemoh_risk_summary", context, data_dict)
    tambon = data_dict.get("tambon") or None
    _check_tambon(tambon)
    dimension = data_dict.get("dimension") or None
    if dimension is not None and dimension not in pipeline.ALL_DIMENSIONS:
        raise tk.ValidationError({"dimension": [
            tk._("Unknown dimension: {names}; use {known}").format(
                names=dimension, known=", ".join(pipeline.ALL_DIMENSIONS))]})
    return residents.risk_summary(tambon, dimension)


def _check_tambon(tambon):
    if tambon is not None and tambon not in residents.tambon_codes():
        raise tk.ValidationError({"tambon": [tk._("One of: {codes}").format(
            codes=", ".join(residents.tambon_codes()))]})
