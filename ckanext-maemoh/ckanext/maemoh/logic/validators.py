"""Validators of the platform's schema fields, registered under their names.

ckanext-scheming calls those marked ``scheming_validator`` with the field's
definition first. Errors are short sentences that name the problem; CKAN
reports them under the field's name.
"""
import datetime
import json
import math
import re
import reprlib
import urllib.parse
import zoneinfo

from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.validation import explain_validity

import ckan.plugins.toolkit as tk
from ckanext.scheming.validation import scheming_validator

from ckanext.maemoh.reference import places
from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.alerts import levels
from ckanext.maemoh.harvesters import egress, table_checks
from ckanext.maemoh.risk_jobs import dimensions, pipeline

__all__ = [
    "maemoh_translated_text", "maemoh_translated_output",
    "maemoh_geojson_geometry", "maemoh_places_from_spatial",
    "maemoh_not_before", "maemoh_ucum_unit", "maemoh_year_ce",
    "maemoh_required_for_data_type", "maemoh_timezone", "maemoh_h3_resolution",
    "maemoh_number", "maemoh_ignore_blank", "maemoh_count",
    "maemoh_year_common_era", "maemoh_tambon_code", "maemoh_dimension",
    "maemoh_dimensions", "maemoh_risk_grid", "maemoh_table_schema",
    "maemoh_tambon_codes", "maemoh_alert_level", "maemoh_webhook_url",
]

#: how deep each geometry type nests its positions in ``coordinates``
COORDINATE_DEPTH = {
    "Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
    "MultiPolygon": 3,
}
GEOMETRY_TYPES = set(COORDINATE_DEPTH)
MAX_GEOMETRY_DEPTH = 10  # nesting of objects and arrays; a MultiPolygon needs 5
MAX_TEXT = 200  # characters of a text parameter of an action
MAX_ITEMS = 20  # items of a list parameter of an action
YEARS = (1990, 2100)  # inventory years an action accepts
_DIGITS = re.compile(r"\s*[+-]?[0-9]{1,9}\s*")
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
    coordinates inside WGS84 bounds, closed polygon rings, and valid; at most
    ``ckanext.maemoh.spatial.max_bytes`` long (checked before parsing) and
    ``ckanext.maemoh.spatial.max_vertices`` positions."""
    if _is_empty(value):
        return value
    max_bytes = tk.config["ckanext.maemoh.spatial.max_bytes"]
    try:
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise tk.Invalid(_("The geometry is larger than {n} bytes").format(n=max_bytes))
        geometry = json.loads(text)
    except RecursionError:
        raise _too_deep()
    except ValueError as error:
        raise tk.Invalid(_("Not valid JSON: {error}").format(error=error))
    if _depth(geometry, MAX_GEOMETRY_DEPTH) > MAX_GEOMETRY_DEPTH:
        raise _too_deep()
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise tk.Invalid(_("Give a GeoJSON geometry object with a type"))
    kind = geometry["type"]
    if kind in ("Feature", "FeatureCollection"):
        raise tk.Invalid(_("Give the geometry itself, not a {kind}").format(kind=kind))
    if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:
        raise tk.Invalid(_("Unknown geometry type {kind}").format(kind=_shown(kind)))
    coordinates = geometry.get("coordinates")
    if _is_empty(coordinates):
        raise tk.Invalid(_("The geometry has no coordinates"))
    positions = _positions(coordinates, COORDINATE_DEPTH[kind])
    if not positions:
        raise tk.Invalid(_("Give the coordinates of a {kind} as GeoJSON nests them, each position "
                           "[longitude, latitude] in numbers").format(kind=kind))
    max_vertices = tk.config["ckanext.maemoh.spatial.max_vertices"]
    if len(positions) > max_vertices:
        raise tk.Invalid(_("The geometry has {count} positions, more than {n}").format(
            count=len(positions), n=max_vertices))
    for lon, lat in positions:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise tk.Invalid(_(
                "Coordinate [{lon}, {lat}] is outside WGS84 bounds "
                "(longitude first, EPSG:4326)").format(lon=lon, lat=lat))
    if kind in ("Polygon", "MultiPolygon"):
        _check_rings(geometry)
    try:
        geom = shape(geometry)
        reason = None if geom.is_valid else explain_validity(geom)
    except (ShapelyError, ValueError, TypeError, AttributeError) as error:
        reason = error
    if reason is not None:
        raise tk.Invalid(_("Not a valid geometry: {reason}").format(reason=reason))
    return json.dumps(geometry)


def _too_deep():
    return tk.Invalid(_("The geometry nests deeper than {n} levels").format(n=MAX_GEOMETRY_DEPTH))


def _depth(value, limit):
    """How deep arrays and objects nest in ``value`` (0 for a scalar),
    counted no further than ``limit`` + 1."""
    depth, level = 0, [value]
    while depth <= limit:
        containers = [v for v in level if isinstance(v, (list, dict))]
        if not containers:
            break
        depth += 1
        level = [item for v in containers for item in (v.values() if isinstance(v, dict) else v)]
    return depth


def _positions(coordinates, depth):
    """Every [lon, lat] position of ``coordinates`` nested ``depth`` arrays
    deep; [] if the nesting holds anything but non-empty arrays and positions
    of two or three finite numbers."""
    if depth == 0:
        if isinstance(coordinates, list) and len(coordinates) in (2, 3) and all(map(_is_finite, coordinates)):
            return [tuple(coordinates[:2])]
        return []
    if not isinstance(coordinates, list) or not coordinates:
        return []
    found = []
    for part in coordinates:
        inner = _positions(part, depth - 1)
        if not inner:
            return []
        found.extend(inner)
    return found


def _is_finite(number):
    return (isinstance(number, int) and not isinstance(number, bool)
            or isinstance(number, float) and math.isfinite(number))


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
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):
        raise tk.Invalid(_("{value} is not a number").format(value=value))
    return str(number)


# ------------------------------------------------- parameters of actions

def maemoh_ignore_blank(key, data, errors, context):
    """A parameter that is missing, null, "" or [] is not given: None, and
    its other validators skipped (unlike ``ignore_empty``, 0 and false are
    values). None, not dropped: navl would put back a dropped []."""
    if _is_empty(data.get(key, tk.missing)):
        data[key] = None
        raise tk.StopOnError


def maemoh_count(most):
    """How many: a whole number from 1 to ``most``, given as one or as its digits."""
    def validator(value):
        number = _whole_number(value)
        if number is None:
            raise tk.Invalid(_("Give a whole number"))
        if not 1 <= number <= most:
            raise tk.Invalid(_("Give 1 to {n}").format(n=most))
        return number
    return validator


def maemoh_year_common_era(value):
    """A year of the Common Era, 1990 to 2100, given as a whole number or its
    digits (not a fraction, NaN, infinity, a list or a long text)."""
    year = _whole_number(value)
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        raise tk.Invalid(_("Give a year of the Common Era, 1990 to 2100"))
    return year


def _whole_number(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def maemoh_tambon_code(value):
    """The code of one of Mae Moh's tambons (:func:`places.tambons`)."""
    codes = sorted(places.tambons())
    if value not in codes:
        raise tk.Invalid(_("One of: {codes}").format(codes=", ".join(codes)))
    return value


def maemoh_dimension(value):
    """A risk dimension (:data:`dimensions.NAMES`)."""
    return maemoh_dimensions([value])[0]


def maemoh_dimensions(value):
    """Risk dimensions: a name, names separated by commas or a list of
    names; the list of them, each once ([] for none)."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise tk.Invalid(_("Longer than {n} characters").format(n=MAX_TEXT))
        value = [name.strip() for name in value.split(",") if name.strip()]
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise tk.Invalid(_("Give a dimension, or a list of at most {n}").format(n=MAX_ITEMS))
    unknown = [name for name in value if name not in dimensions.NAMES]
    if unknown:
        raise tk.Invalid(_("Unknown dimension: {names}; use {known}").format(
            names=", ".join(map(_shown, unknown)), known=", ".join(dimensions.NAMES)))
    return list(dict.fromkeys(value))


def maemoh_risk_grid(value):
    """The grid of a risk run: "tambon" or "h3:R" (:class:`pipeline.Parameters`)."""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise tk.Invalid(_("Give \"tambon\" or \"h3:R\""))
    try:
        pipeline.Parameters(grid=value)
    except ValueError as error:
        raise tk.Invalid(str(error))
    return value


def _shown(value, width=40):
    """``value`` as a short text to quote in a message."""
    text = value if isinstance(value, str) else reprlib.repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def maemoh_table_schema(value):
    """A Table Schema (JSON text or object) Frictionless accepts, kept as JSON text."""
    if _is_empty(value):
        return value
    try:
        descriptor = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise tk.Invalid(tk._("Give the table schema as JSON (a Table Schema)")) from None
    problem = table_checks.schema_problem(descriptor)
    if problem:
        raise tk.Invalid(tk._("Not a usable table schema: {reason}").format(reason=problem))
    return json.dumps(descriptor, ensure_ascii=False)


def maemoh_tambon_codes(value):
    """Tambons: a code, codes separated by commas or a list of codes; the
    list of them, each once, at least one."""
    if isinstance(value, str):
        value = [code.strip() for code in value[:MAX_TEXT].split(",") if code.strip()]
    if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
        raise tk.Invalid(_("Give one tambon or more"))
    return list(dict.fromkeys(maemoh_tambon_code(code) for code in value))


def maemoh_alert_level(kind):
    """A subscriber's threshold for the event ``kind``: one of
    :data:`.levels.CHOICES` of it, as a whole number."""
    def validator(value):
        number = _whole_number(value)
        if number not in levels.CHOICES[kind]:
            raise tk.Invalid(_("One of: {levels}").format(levels=", ".join(map(str, levels.CHOICES[kind]))))
        return number
    return validator


def maemoh_webhook_url(value):
    """An http or https address of at most 2 000 characters, with a host.
    (Whether it may be reached is checked when it is called, by the
    harvesters' egress rules.)"""
    parts = urllib.parse.urlsplit(str(value))
    if len(str(value)) > 2000 or parts.scheme not in egress.SCHEMES or not parts.hostname:
        raise tk.Invalid(_("Give an http or https address"))
    return str(value)
