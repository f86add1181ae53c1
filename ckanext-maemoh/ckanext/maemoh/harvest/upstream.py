"""Upstream harvesters mapped into our ``dataset`` schema.

- ``MaeMohCKANHarvester`` (source type ``ckan-maemoh``): ckanext-harvest's
  CKAN harvester, with the API key sent in a header of the source's choosing
  and each remote dataset mapped in ``modify_package_dict``.
- ``DCATHarvestMapping``: maps what ckanext-dcat's ``dcat_rdf`` harvester
  parsed, in ``before_create``/``before_update``.

Both read the object ``maemoh`` of the source's configuration: the defaults
of the fields our schema requires (``read_options``). A remote value wins when
it maps to one of our codes (code, Thai or English label, or a
ckanext-thai_gdc spelling); one that does not is logged and the default used.
Keys our schema does not know are dropped.
"""
import json
import logging
import re
from urllib.parse import urlsplit

from requests.exceptions import HTTPError, RequestException

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckanext.dcat.interfaces import IDCATRDFHarvester
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.harvesters.ckanharvester import CKANHarvester, ContentFetchError
from ckanext.scheming.helpers import scheming_get_dataset_schema

from ckanext.maemoh.reference import vocabularies
from ckanext.maemoh.harvest import ownership, source_secrets
from ckanext.maemoh.harvest.datasets import licence_id
from ckanext.maemoh.dcat import (
    EU_DATA_THEME, EU_FILE_TYPE, EU_FREQUENCY, EU_FREQUENCY_OF_INTERVAL, EU_LANGUAGE,
    EU_LANGUAGES, INSPIRE_THEME, UNCOUNTED_FREQUENCY_UNITS)
from ckanext.maemoh.harvesters.egress import GuardedSession, Refused
from ckanext.maemoh.harvesters.http import excerpt
from ckanext.maemoh.logic.validators import maemoh_geojson_geometry, maemoh_year_ce

log = logging.getLogger(__name__)

DATASET_TYPE = "dataset"
REQUEST_TIMEOUT = 60  # seconds, per request to a remote CKAN
THAI_SCRIPT = re.compile("[\u0e00-\u0e7f]")

# The ``maemoh`` options: defaults of required fields. ``theme`` has none (it
# must be given); ``data_language`` defaults to [language]; ``data_source``
# to the source's URL.
OPTION_DEFAULTS = {
    "language": "th",
    "quality_level": "official",
    "update_frequency_unit": "unknown",
    "data_type": "other",
    "objective": ["other"],
    "geo_coverage": "other",
    "data_category": "public",
}
# Coded options: option -> (vocabulary, several codes).
CODED_OPTIONS = {
    "theme": ("theme", True),
    "quality_level": ("quality_level", False),
    "update_frequency_unit": ("update_frequency_unit", False),
    "data_type": ("data_type", False),
    "objective": ("objective", True),
    "geo_coverage": ("geo_coverage", False),
    "data_category": ("data_category", False),
    "data_language": ("data_language", True),
}

# ckanext-thai_gdc choice values that are not spelt as our labels (compared
# without spaces or case), and the languages it lists that we call "other".
THAI_GDC_VALUES = {
    "update_frequency_unit": {"ไม่มีการปรับปรุงหลังจากการจัดเก็บข้อมูล": "never"},
    "geo_coverage": {"เทศบาล/อบต.": "municipality"},
    "data_category": {"ข้อมูลความลับทางราชการ": "official-secret"},
    "data_language": dict.fromkeys(
        "จีน มลายู พม่า ลาว เขมร ญี่ปุ่น เกาหลี ฝรั่งเศส เยอรมัน อารบิก".split(), "other"),
    "yes_no": {"True": "yes", "False": "no"},
}
# ckanext-thai_gdc bounding box fields (its "north_bound_longitude" is a
# latitude), used when the remote dataset has no ``spatial``.
THAI_GDC_BOUNDS = ("west_bound_longitude", "south_bound_longitude",
                   "east_bound_longitude", "north_bound_longitude")


# Options

def read_options(config):
    """The ``maemoh`` options of a source's parsed configuration with the
    defaults filled in; ValueError naming the key at the first problem."""
    options = config.get("maemoh")
    if not isinstance(options, dict):
        raise ValueError('maemoh: give an object of defaults, at least {"theme": ["air"]}')
    known = set(CODED_OPTIONS) | {"language", "data_source"}
    for key in options:
        if key not in known:
            raise ValueError(f"maemoh.{key}: unknown option; known: {', '.join(sorted(known))}")
    if options.get("language", "th") not in vocabularies.LANGUAGES:
        raise ValueError("maemoh.language: th or en, the language of the remote texts")
    if "theme" not in options:
        raise ValueError("maemoh.theme is required: a list of theme codes, e.g. [\"air\"]")
    data_source = options.get("data_source")
    if data_source is not None and not (isinstance(data_source, str) and data_source.strip()):
        raise ValueError("maemoh.data_source: give a text")
    resolved = {**OPTION_DEFAULTS, **options}
    resolved.setdefault("data_language", [resolved["language"]])
    for key, (vocabulary, several) in CODED_OPTIONS.items():
        _check_codes(f"maemoh.{key}", resolved[key], vocabulary, several)
    return resolved


def _check_codes(key, value, vocabulary, several):
    codes = vocabularies.codes(vocabulary)
    values = value if several else [value]
    if several and not (isinstance(value, list) and value):
        raise ValueError(f"{key}: give a list of {vocabulary} codes")
    for code in values:
        if code not in codes:
            raise ValueError(f"{key}: unknown {vocabulary} code {code!r}; "
                             f"use one of: {', '.join(codes)}")


# Remote values -> our fields

def code_of(vocabulary, value):
    """Our code of a remote value: a code, a Thai or English label or a
    ckanext-thai_gdc spelling (spaces and case ignored); None if none."""
    wanted = _folded(value)
    for term in vocabularies.terms(vocabulary):
        if wanted in (_folded(term["value"]), _folded(term["th"]), _folded(term["en"])):
            return term["value"]
    spellings = THAI_GDC_VALUES.get(vocabulary, {})
    return {_folded(text): code for text, code in spellings.items()}.get(wanted)


def _folded(text):
    return "".join(str(text).split()).casefold()


def _as_list(value):
    """A remote value as a list: a list, a JSON list in a text, or one value."""
    if value in (None, ""):
        return []
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return value if isinstance(value, list) else [value]


def texts(translated, text, language):
    """``{"th": ..., "en": ...}`` from a remote translated object, else from
    one text: Thai when written in Thai script, else in ``language``."""
    if isinstance(translated, str):
        try:
            translated = json.loads(translated)
        except ValueError:
            translated = None
    if isinstance(translated, dict):
        found = {lang: value.strip() for lang, value in translated.items()
                 if lang in vocabularies.LANGUAGES and isinstance(value, str) and value.strip()}
        if found:
            return found
    if isinstance(text, str) and text.strip():
        return {"th" if THAI_SCRIPT.search(text) else language: text.strip()}
    return {}


def _positive_integer(value):
    if not str(value).strip().isdigit() or int(value) < 1:
        raise tk.Invalid("not a positive integer")
    return str(int(value))


def _web_address(value):
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise tk.Invalid("not an http(s) address")
    return value


# Fields ``schema_dataset`` fills apart (title and notes: our validator does,
# from the translated texts).
FILLED_APART = ("title_translated", "title", "notes_translated", "notes", "license_id",
                "data_source")
# Free fields whose remote value is dropped when our validator refuses it.
CHECKED_FIELDS = {
    "spatial": maemoh_geojson_geometry,
    "first_year_of_data": maemoh_year_ce,
    "last_year_of_data": maemoh_year_ce,
    "update_frequency_interval": _positive_integer,
    "maintainer_email": lambda value: tk.get_validator("email_validator")(value, {}),
    "url": _web_address,
}


def schema_dataset(remote, options, source_url):
    """Our ``dataset`` from ``remote``: a flat dict of remote values under
    our field names (``title``/``notes`` or ``*_translated``, labels or
    codes, ``tags`` and ``resources`` as CKAN gives them)."""
    name = remote.get("name") or remote.get("id")
    title = texts(remote.get("title_translated"), remote.get("title"), options["language"])
    if not title:
        raise ValueError(f"Remote dataset {name}: no title in Thai or English")
    dataset = {"type": DATASET_TYPE, "title_translated": title}
    notes = texts(remote.get("notes_translated"), remote.get("notes"), options["language"])
    if notes:
        dataset["notes_translated"] = notes
    schema = scheming_get_dataset_schema(DATASET_TYPE)
    for field in schema["dataset_fields"]:
        key = field["field_name"]
        if key in FILLED_APART:
            continue
        if field.get("vocabulary"):
            _map_codes(dataset, field, remote.get(key), options, name)
        elif remote.get(key) not in (None, "", []):
            _take_checked(dataset, key, remote[key], name)
    dataset["license_id"] = licence_id(remote.get("license_id"), name)
    dataset["data_source"] = (remote.get("data_source") or options.get("data_source")
                              or source_url)
    dataset["tags"] = valid_tags(remote.get("tags"), name)
    resource_keys = [f["field_name"] for f in schema["resource_fields"]] + ["id", "uri"]
    dataset["resources"] = [{k: r[k] for k in resource_keys if r.get(k) not in (None, "")}
                            for r in remote.get("resources") or []]
    _data_type_or_default(dataset, schema, options, name)
    return dataset


def _map_codes(dataset, field, value, options, name):
    """A coded field: the remote values that map, else the option's default."""
    key, vocabulary = field["field_name"], field["vocabulary"]
    values = _as_list(value)
    codes = [code_of(vocabulary, v) for v in values]
    unmapped = [v for v, code in zip(values, codes) if code is None]
    if unmapped:
        log.warning("%s: %s %s not in our vocabulary, ignored", name, key, unmapped)
    codes = [code for code in codes if code]
    if "scheming_multiple_choice" in field.get("validators", ""):
        codes = [code for code in vocabularies.codes(vocabulary) if code in codes]
        if codes:
            dataset[key] = codes
    elif codes:
        dataset[key] = codes[0]
    if key not in dataset and key in options:
        dataset[key] = options[key]


def _take_checked(dataset, key, value, name):
    check = CHECKED_FIELDS.get(key)
    try:
        dataset[key] = check(value) if check else value
    except tk.Invalid as error:
        log.warning("%s: %s %r dropped: %s", name, key, value, error.error)


def _data_type_or_default(dataset, schema, options, name):
    """A data type whose required fields (``maemoh_required_for_data_type``
    in the schema) the remote does not fill falls back to the default."""
    data_type = dataset["data_type"]
    pattern = re.compile(r"maemoh_required_for_data_type\(([^)]*)\)")
    missing = [field["field_name"] for field in schema["dataset_fields"]
               if (match := pattern.search(field.get("validators", "")))
               and data_type in [t.strip() for t in match.group(1).split(",")]
               and not dataset.get(field["field_name"])]
    if missing and data_type != options["data_type"]:
        log.warning("%s: data type %s without %s: data type %s", name, data_type,
                    ", ".join(missing), options["data_type"])
        dataset["data_type"] = options["data_type"]


def valid_tags(tags, name):
    """The remote tags CKAN accepts, as ``[{"name": ...}]`` sorted by name
    (as package_show gives them); the others are logged."""
    kept = set()
    for tag in tags or []:
        text = str((tag.get("name") if isinstance(tag, dict) else tag) or "").strip()
        if not text:
            continue
        try:
            tk.get_validator("tag_length_validator")(text, {})
            tk.get_validator("tag_name_validator")(text, {})
        except tk.Invalid as error:
            log.warning("%s: tag %r dropped: %s", name, text, error.error)
            continue
        kept.add(text)
    return [{"name": text} for text in sorted(kept)]


# The CKAN harvester

def ckan_dataset(remote, options, portal_url):
    """Our dataset from a remote CKAN dataset as ckanext-harvest passes it to
    ``modify_package_dict`` (package_show shape); extras are read as fields
    (top-level keys win) and not kept."""
    fields = {extra["key"]: extra["value"] for extra in remote.get("extras") or []
              if isinstance(extra, dict) and "key" in extra}
    fields.update({key: value for key, value in remote.items()
                   if value not in (None, "", [])})
    if not fields.get("spatial") and all(fields.get(key) for key in THAI_GDC_BOUNDS):
        fields["spatial"] = _bbox(*(fields[key] for key in THAI_GDC_BOUNDS))
    dataset = schema_dataset(fields, options, portal_url)
    dataset.update({key: remote[key] for key in
                    ("id", "name", "owner_org", "private", "groups", "metadata_modified")
                    if key in remote})
    return dataset


def _bbox(west, south, east, north):
    try:
        west, south, east, north = (float(v) for v in (west, south, east, north))
    except ValueError:
        return None
    return json.dumps({"type": "Polygon", "coordinates": [[
        [west, south], [east, south], [east, north], [west, north], [west, south]]]})


class MaeMohCKANHarvester(CKANHarvester):
    """ckanext-harvest's CKAN harvester into our schema; config: ``maemoh``
    (see ``read_options``), ``api_key_header`` (default Authorization) and
    upstream's keys."""

    def info(self):
        return {
            "name": "ckan-maemoh",
            "title": "CKAN portal (mapped to Mae Moh schemas) / พอร์ทัล CKAN",
            "description": (
                "Harvests a CKAN portal, e.g. the national ckanext-thai_gdc catalogue, "
                "into the Mae Moh dataset schema / เก็บเกี่ยวชุดข้อมูลจากพอร์ทัล CKAN "
                "เข้าสู่โครงสร้างข้อมูลของแพลตฟอร์ม. Configuration: "
                '{"maemoh": {"theme": ["air"], ...}, "api_key": {"secret": "NAME"}, '
                '"api_key_header": "api-key"}, the key itself in the server configuration '
                "as ckanext.maemoh.secret.NAME"),
            "form_config_interface": "Text",
        }

    def validate_config(self, config):
        config = super().validate_config(config)
        parsed = json.loads(config or "{}")
        source_secrets.check(parsed)
        header = parsed.get("api_key_header", "Authorization")
        if not (isinstance(header, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", header)):
            raise ValueError("api_key_header: the name of an HTTP header, e.g. api-key")
        read_options(parsed)
        return config

    def _set_config(self, config_str):
        """Upstream's, with the secret references resolved (after its log line)."""
        super()._set_config(config_str)
        self.config = source_secrets.resolve(self.config)

    def _get_content(self, url):
        """Upstream's request, through a guarded session (``egress``: no
        internal address unless allowed), with the API key in the header
        that ``api_key_header`` names; an HTTP error status is an error too."""
        headers = {}
        if self.config.get("user_agent"):
            headers["User-Agent"] = str(self.config["user_agent"])
        if self.config.get("api_key"):
            headers[self.config.get("api_key_header", "Authorization")] = self.config["api_key"]
        try:
            with GuardedSession() as session:
                response = session.get(url, headers=headers, timeout=REQUEST_TIMEOUT)
            response.raise_for_status()
        except HTTPError as error:
            raise ContentFetchError(
                f"HTTP error: {error.response.status_code} {error.request.url}")
        except (Refused, RequestException) as error:
            raise ContentFetchError(f"Request error: {excerpt(str(error))}")
        return response.text

    def import_stage(self, harvest_object):
        self._source_id = harvest_object.harvest_source_id
        return super().import_stage(harvest_object)

    def _find_existing_package(self, package_dict):
        """The local dataset of the remote id, when this source created it; a
        remote id that is another dataset's is refused (ValidationError)."""
        existing = super()._find_existing_package(package_dict)
        if not ownership.created_by(existing["id"], self._source_id):
            raise tk.ValidationError({"id": [ownership.clash_message(existing, self._source_id)]})
        return existing

    def modify_package_dict(self, package_dict, harvest_object):
        return ckan_dataset(package_dict, read_options(self.config),
                            harvest_object.source.url.rstrip("/"))


# The DCAT RDF harvester

def dcat_dataset(parsed, options, catalogue_url):
    """Our dataset from one dataset ckanext-dcat parsed (``maemoh_dcat_ap``):
    extras are read as fields (top-level keys win); themes, frequency,
    languages and file types from their EU/INSPIRE URIs; keywords that are
    our theme labels (our catalogue writes them) as themes; the first contact
    point as maintainer. Of the extras only ``guid`` (how the harvester finds
    the dataset again) is kept."""
    extras = {extra["key"]: extra["value"] for extra in parsed.get("extras", [])}
    keywords = {tag["name"]: code_of("theme", tag["name"]) for tag in parsed.get("tags", [])}
    contact = (parsed.get("contact") or [{}])[0]
    fields = {
        **extras,
        **parsed,
        "maintainer": contact.get("name"),
        "maintainer_email": contact.get("email"),
        "theme": [code for code in keywords.values() if code]
                 + [_theme_of(uri) for uri in _as_list(parsed.get("theme"))],
        "tags": [keyword for keyword, code in keywords.items() if not code],
        "data_language": [_language_of(uri) for uri in _as_list(extras.get("language"))],
        "spatial": parsed.get("spatial") or extras.get("spatial_bbox"),
        "resources": [dict(r, format=_file_type(r.get("format"))) for r in parsed["resources"]],
        **_frequency_of(extras.get("frequency")),
    }
    dataset = schema_dataset(fields, options, catalogue_url)
    dataset.update(id=parsed["id"], name=parsed.get("name"), owner_org=parsed.get("owner_org"),
                   extras=[{"key": "guid", "value": extras["guid"]}])
    return dataset


def _theme_of(uri):
    """Our theme code of an EU data theme or INSPIRE theme URI that matches
    one theme of ours only (several share ENVI, ac or nz); else the URI."""
    for namespace, column in ((INSPIRE_THEME, "inspire"), (EU_DATA_THEME, "dcat_theme")):
        if uri.startswith(str(namespace)):
            matches = [t["value"] for t in vocabularies.terms("theme")
                       if t.get(column) == uri[len(namespace):]]
            return matches[0] if len(matches) == 1 else uri
    return uri


def _language_of(uri):
    """``th``/``en`` for their EU language URIs, ``other`` for any other EU
    language; other values as they are (codes or labels)."""
    if not uri.startswith(str(EU_LANGUAGE)):
        return uri
    code = uri[len(EU_LANGUAGE):]
    return next((ours for ours, eu in EU_LANGUAGES.items() if eu == code), "other")


def _frequency_of(uri):
    """``update_frequency_unit`` and ``_interval`` of an EU frequency URI:
    the reverse of the ``eu_frequency`` column and of
    ``EU_FREQUENCY_OF_INTERVAL`` (the smallest interval wins)."""
    if not uri:
        return {}
    table = {term["eu_frequency"]: (term["value"], 1)
             for term in reversed(vocabularies.terms("update_frequency_unit"))}
    for (unit, interval), code in sorted(EU_FREQUENCY_OF_INTERVAL.items(),
                                         key=lambda item: item[0][1]):
        table.setdefault(code, (unit, interval))
    found = table.get(uri[len(EU_FREQUENCY):]) if uri.startswith(str(EU_FREQUENCY)) else None
    if found is None:
        return {"update_frequency_unit": uri}  # logged and defaulted as unmapped
    unit, interval = found
    if unit in UNCOUNTED_FREQUENCY_UNITS:
        return {"update_frequency_unit": unit}
    return {"update_frequency_unit": unit, "update_frequency_interval": str(interval)}


def _file_type(uri):
    """The code of an EU file type URI (CSV), other formats unchanged."""
    if isinstance(uri, str) and uri.startswith(str(EU_FILE_TYPE)):
        return uri[len(EU_FILE_TYPE):]
    return uri


def _unchanged(dataset, existing):
    """True when the existing dataset holds every mapped value (extras by
    key: ckanext-harvest adds its own to package_show)."""
    extras = {extra["key"]: extra["value"] for extra in existing.get("extras", [])}
    return (_same({k: v for k, v in dataset.items() if k != "extras"}, existing)
            and all(extras.get(e["key"]) == e["value"] for e in dataset["extras"]))


def _same(new, old):
    """True when ``old`` holds every value of ``new`` (dicts by key, lists
    item by item, other values by their text)."""
    if isinstance(new, dict):
        return isinstance(old, dict) and all(_same(v, old.get(k)) for k, v in new.items())
    if isinstance(new, list):
        return (isinstance(old, list) and len(new) == len(old)
                and all(_same(n, o) for n, o in zip(new, old)))
    return new == old or (new is not None and old is not None and str(new) == str(old))


class DCATHarvestMapping(p.SingletonPlugin):
    """Maps every ``dcat_rdf`` harvest into our schema, with the ``maemoh``
    options of the source's configuration; an unchanged dataset is not
    updated."""
    p.implements(IDCATRDFHarvester, inherit=True)

    def before_download(self, url, harvest_job):
        try:
            read_options(json.loads(harvest_job.source.config or "{}"))
        except ValueError as error:
            return None, [f"Configuration: {error}"]
        return url, []

    def before_create(self, harvest_object, dataset_dict, temp_dict):
        dataset = self._map(harvest_object, dataset_dict)
        readable = dataset["title_translated"].get("en") or _identifier(dataset_dict)
        if readable:
            dataset["name"] = HarvesterBase._gen_new_name(readable)
        _replace(dataset_dict, dataset)

    def before_update(self, harvest_object, dataset_dict, temp_dict):
        """Map the update; an emptied dict makes the harvester skip it: when
        nothing changed, or when the guid is that of a dataset this source
        did not create (a harvest object error says so)."""
        dataset = self._map(harvest_object, dataset_dict)
        existing = tk.get_action("package_show")({"ignore_auth": True}, {"id": dataset["id"]})
        source_id = harvest_object.harvest_source_id
        if not ownership.created_by(existing["id"], source_id):
            ownership.save_error(harvest_object, ownership.clash_message(existing, source_id))
            _replace(dataset_dict, {})
            return
        if _unchanged(dataset, existing):
            # An emptied dict makes the harvester skip the update; it then
            # leaves the object without its dataset, so link it here.
            harvest_object.package_id = existing["id"]
            harvest_object.add()
            dataset = {}
        _replace(dataset_dict, dataset)

    @staticmethod
    def _map(harvest_object, dataset_dict):
        source = harvest_object.source
        options = read_options(json.loads(source.config or "{}"))
        return dcat_dataset(dataset_dict, options, source.url)


def _identifier(dataset_dict):
    return next((extra["value"] for extra in dataset_dict.get("extras", [])
                 if extra["key"] == "identifier"), None)


def _replace(target, values):
    """The harvester keeps its own dict: change it in place."""
    target.clear()
    target.update(values)
