"""Validators of the platform's schema fields, registered under their names.

ckanext-scheming calls those marked ``scheming_validator`` with the field's
definition first. Errors are short sentences that name the problem; CKAN
reports them under the field's name.
"""
import datetime
import json
import math
import zoneinfo

from shapely.geometry import shape
from shapely.validation import explain_validity

import ckan.plugins.toolkit as tk
from ckanext.scheming.validation import scheming_validator

from ckanext.maemoh import places, vocabularies

__all__ = [
    "maemoh_translated_text", "maemoh_translated_output",
    "maemoh_geojson_geometry", "maemoh_places_from_spatial",
    "maemoh_not_before", "maemoh_ucum_unit", "maemoh_year_ce",
    "maemoh_required_for_data_type", "maemoh_timezone", "maemoh_h3_resolution",
    "maemoh_number",
]

GEOMETRY_TYPES = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
    "MultiPolygon",
}
_ = tk._


def _is_empty(value):
    return value is tk.missing or value is None or value == "" or value == []


@scheming_validator
def maemoh_translated_text(field, schema):
    """A text in Thai and English, stored as ``{"th": ..., "en": ...}``.

    Accepts that object (or its JSON) from the API, or the form inputs
    ``<field>-th`` and ``<field>-en``. Also fills the core field it
    translates (``title`` for ``title_translated``) with the Thai text, or
    the English one when there is no Thai, so that CKAN's own pages, sorting
    and other extensions see one text.
    """
    core_field = field["field_name"].removesuffix("_translated")

    def validator(key, data, errors, context):
        value = data.get(key, tk.missing)
        if _is_empty(value):
            value = _take_form_inputs(key, data)
        elif isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = None
        if not isinstance(value, dict):
            errors[key].append(_(
                'Give an object of texts by language: {"th": "...", "en": "..."}'))
            raise tk.StopOnError
        unknown = sorted(set(value) - set(vocabularies.LANGUAGES))
        if unknown:
            errors[key].append(_("Unknown language {languages}: use th and en").format(
                languages=", ".join(unknown)))
            raise tk.StopOnError
        if any(not isinstance(text, str) for text in value.values()):
            errors[key].append(_("Each language's text must be a string"))
            raise tk.StopOnError
        texts = {lang: value[lang].strip() for lang in vocabularies.LANGUAGES
                 if value.get(lang, "").strip()}
        if not texts:
            if field.get("required"):
                errors[key].append(_("Give a Thai or an English text, or both"))
            data.pop(key, None)
            raise tk.StopOnError
        data[key] = json.dumps(texts, ensure_ascii=False)
        data[key[:-1] + (core_field,)] = texts.get("th") or texts["en"]

    return validator


def _take_form_inputs(key, data):
    """Collect (and remove) the per-language form inputs of ``key``."""
    extras = data.get(key[:-1] + ("__extras",), {})
    texts = {}
    for lang in vocabularies.LANGUAGES:
        name = f"{key[-1]}-{lang}"
        if name in extras:
            texts[lang] = extras.pop(name)
    return texts


def maemoh_translated_output(value):
    """Show a stored translated text as its ``{"th": ..., "en": ...}`` object."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def maemoh_geojson_geometry(value):
    """A GeoJSON geometry in EPSG:4326: parseable, of a geometry type, with
    coordinates inside WGS84 bounds, closed polygon rings, and valid."""
    if _is_empty(value):
        return value
    geometry = value
    if isinstance(value, str):
        try:
            geometry = json.loads(value)
        except ValueError as error:
            raise tk.Invalid(_("Not valid JSON: {error}").format(error=error))
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise tk.Invalid(_("Give a GeoJSON geometry object with a type"))
    kind = geometry["type"]
    if kind in ("Feature", "FeatureCollection"):
        raise tk.Invalid(_("Give the geometry itself, not a {kind}").format(kind=kind))
    if kind not in GEOMETRY_TYPES:
        raise tk.Invalid(_("Unknown geometry type {kind}").format(kind=kind))
    positions = _positions(geometry.get("coordinates"))
    if not positions:
        raise tk.Invalid(_("The geometry has no coordinates"))
    for lon, lat in positions:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise tk.Invalid(_(
                "Coordinate [{lon}, {lat}] is outside WGS84 bounds "
                "(longitude first, EPSG:4326)").format(lon=lon, lat=lat))
    if kind in ("Polygon", "MultiPolygon"):
        _check_rings(geometry)
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError) as error:
        raise tk.Invalid(_("Not a valid geometry: {reason}").format(reason=error))
    if not geom.is_valid:
        raise tk.Invalid(_("Not a valid geometry: {reason}").format(
            reason=explain_validity(geom)))
    return json.dumps(geometry)


def _positions(coordinates):
    """Every [lon, lat] position in nested GeoJSON coordinates; [] if the
    nesting holds anything but positions of two or three finite numbers."""
    if not isinstance(coordinates, list) or not coordinates:
        return []
    if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates):
        if len(coordinates) in (2, 3) and all(math.isfinite(c) for c in coordinates):
            return [tuple(coordinates[:2])]
        return []
    found = []
    for part in coordinates:
        inner = _positions(part)
        if not inner:
            return []
        found.extend(inner)
    return found


def _check_rings(geometry):
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise tk.Invalid(_(
                    "A polygon ring must be closed (first position repeated "
                    "last) and have at least 4 positions"))


def maemoh_places_from_spatial(key, data, errors, context):
    """When no place codes are given, derive them from ``spatial``."""
    if not _is_empty(data.get(key, tk.missing)):
        return
    spatial_key = key[:-1] + ("spatial",)
    spatial = data.get(spatial_key)
    if _is_empty(spatial) or errors.get(spatial_key):
        return
    data[key] = places.place_codes(json.loads(spatial))


def maemoh_not_before(start_field):
    """The date must not be before the date of ``start_field``."""
    def validator(key, data, errors, context):
        end = data.get(key)
        start = data.get(key[:-1] + (start_field,))
        if _is_empty(end) or _is_empty(start):
            return
        try:
            end_date, start_date = _as_date(end), _as_date(start)
        except ValueError:
            return  # the field's own date validator reports it
        if end_date < start_date:
            errors[key].append(_("{end} is before the start, {start}").format(
                end=end_date.isoformat(), start=start_date.isoformat()))
    return validator


def _as_date(value):
    """A date from a date, a datetime, an ISO date string or a year."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    if text.isdigit() and len(text) == 4:
        return datetime.date(int(text), 1, 1)
    return datetime.date.fromisoformat(text[:10])


def maemoh_ucum_unit(value):
    """A unit as a UCUM code from the platform's unit vocabulary."""
    if _is_empty(value) or value in vocabularies.codes("unit"):
        return value
    raise tk.Invalid(_(
        "{value} is not a UCUM unit code we know; use one of: {codes}").format(
            value=value, codes=" ".join(vocabularies.codes("unit"))))


def maemoh_year_ce(value):
    """A year, given in the Common or the Buddhist Era (CE + 543), stored CE."""
    if _is_empty(value):
        return value
    try:
        year = int(str(value).strip())
    except ValueError:
        raise tk.Invalid(_("Give a year, e.g. 2024 or 2567 (Buddhist Era)"))
    if year >= 2400:
        year -= 543
    if not 1900 <= year <= 2100:
        raise tk.Invalid(_("{year} is not a plausible year").format(year=value))
    return str(year)


def maemoh_required_for_data_type(*data_types):
    """Required when the GDC ``data_type`` is one of ``data_types``;
    otherwise optional."""
    def validator(key, data, errors, context):
        if not _is_empty(data.get(key, tk.missing)):
            return
        data_type = data.get(key[:-1] + ("data_type",))
        if data_type in data_types:
            errors[key].append(_("Required when the data type is {data_type}").format(
                data_type=data_type))
        data.pop(key, None)
        raise tk.StopOnError
    return validator


def maemoh_timezone(value):
    """An IANA time zone name, e.g. Asia/Bangkok."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise tk.Invalid(_("{value} is not a time zone name such as Asia/Bangkok").format(
            value=value))
    return value


def maemoh_h3_resolution(value):
    """An H3 grid resolution, 0 to 15."""
    if _is_empty(value):
        return value
    if not 0 <= int(value) <= 15:
        raise tk.Invalid(_("H3 resolutions run from 0 to 15"))
    return value


def maemoh_number(value):
    """A finite decimal number, e.g. an elevation in metres."""
    if _is_empty(value):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise tk.Invalid(_("{value} is not a number").format(value=value))
    return str(number)
