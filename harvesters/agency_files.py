"""Tables that agencies publish as CSV or XLSX files (monthly reports).

gather: the ``files`` (URLs, absolute or relative to the source URL), or the
links of the ``index`` page whose path ends in .csv or .xlsx. fetch: a CSV
file as text decoded with ``encoding`` (the Content-Type charset is not
trusted); an XLSX file, being binary, as JSON
``{"url": ..., "content_type": ..., "base64": ...}``. CSV or XLSX is told by
the link's suffix, else by the Content-Type.

parse: one row is one value; ``mapping`` names the columns (header = row 1).
Observations of network "agency" whose station_id is the place cell (a
station id or a tambon code); rows that cannot be read become Rejects with
raw_ref "name.csv#row 12" (rows numbered as a spreadsheet shows them). Blank
rows are skipped. Decisions:

- Variable names are looked up in ``variable_names``, else taken as a
  variable code (both case-insensitive); others are rejected as unknown.
- ``years: "be"``: the first stand-alone four-digit number of a text date is
  a Buddhist-Era year (CE = BE - 543; replaced before parsing, so 29/02/2567
  works). A year that does not fit the setting is rejected, not guessed.
  XLSX date cells go through the same rule: Thai Excel shows BE but stores CE,
  so such files need ``years: "ce"``.
- Values with thousands separators ("1,234.5") are read as numbers.
- Of rows with the same place, variable and time the first counts; the
  later ones are rejected as duplicates of it.
- ``latitude`` and ``longitude`` (WGS84 degrees; optional, both or neither)
  and ``place_name``: a place with coordinates is a point (a water sampling
  point, a landfill) and becomes a Station of the batch; its first row's
  coordinates and name count. These columns may be missing from a file and
  their cells empty (a place without a point); a row whose coordinates are
  not numbers on the globe is rejected.
"""
import base64
import codecs
import csv
import datetime
import html.parser
import io
import json
import re
import urllib.parse
import zipfile
import zlib
import zoneinfo

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from ckanext.maemoh.harvesters import http, model, units
from ckanext.maemoh.harvesters.base import Adapter, ConfigError
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.variables import VARIABLES

NETWORK = "agency"
SUFFIXES = {".csv": "csv", ".xlsx": "xlsx"}
# mapping keys and their defaults (None: required; "": unset).
MAPPING = {"time": None, "time_format": "iso", "timezone": "Asia/Bangkok", "place": None,
           "variable": "", "variable_code": "", "value": None, "unit": "", "unit_code": "",
           "averaging_period": "P1M", "latitude": "", "longitude": "", "place_name": ""}
COLUMNS = ("time", "place", "variable", "value", "unit", "latitude", "longitude", "place_name")
OPTIONAL_COLUMNS = ("latitude", "longitude", "place_name")
YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
BE_OFFSET = 543
# Years from here on are Buddhist-Era (2400 BE = 1857 CE).
FIRST_BE_YEAR = 2400


class AgencyFiles(Adapter):
    name = "agency-files"
    title = {"th": "ไฟล์ตารางของหน่วยงาน (CSV, XLSX)", "en": "Agency files (CSV, XLSX)"}
    config_help = (
        'JSON: {"files": ["report.csv", ...]} or {"index": "page.html"}, and '
        '"mapping": {"time": column, "time_format": "%m/%Y" or "iso", "timezone": '
        '"Asia/Bangkok", "place": column, "variable": column or "variable_code": code, '
        '"value": column, "unit": column or "unit_code": unit, "averaging_period": "P1M"}; '
        'optional "sheet", "encoding" ("utf-8", "cp874", "tis-620"), '
        '"variable_names": {"name in the file": code}, "years": "ce" or "be".')
    defaults = {"files": [], "index": "", "mapping": None, "sheet": "", "encoding": "utf-8",
                "variable_names": {}, "years": "ce"}
    timeout = 60

    def __init__(self, url, config, **kwargs):
        super().__init__(url, config, **kwargs)
        self._names = {name.strip().casefold(): code
                       for name, code in self.config["variable_names"].items()}

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        files, index = config["files"], config["index"]
        if not isinstance(files, list) or not all(isinstance(f, str) and f.strip() for f in files):
            raise ConfigError("files: must be a list of URLs")
        if not isinstance(index, str):
            raise ConfigError("index: must be a URL")
        if bool(files) == bool(index.strip()):
            raise ConfigError("files, index: give one of them")
        if config["years"] not in ("ce", "be"):
            raise ConfigError('years: must be "ce" or "be"')
        config["mapping"] = _mapping(config["mapping"], config["years"])
        if not isinstance(config["sheet"], str):
            raise ConfigError("sheet: must be a sheet name")
        try:
            codecs.lookup(config["encoding"])
        except (LookupError, TypeError):
            raise ConfigError(f"encoding: unknown encoding {config['encoding']!r}") from None
        names = config["variable_names"]
        if not isinstance(names, dict):
            raise ConfigError("variable_names: must be an object {name: variable code}")
        for name, code in names.items():
            if not isinstance(code, str) or code not in VARIABLES:
                raise ConfigError(f"variable_names.{name}: unknown variable {code!r}")
        return config

    def gather(self):
        if self.config["files"]:
            return list(dict.fromkeys(self._absolute(f) for f in self.config["files"]))
        index = self._absolute(self.config["index"])
        page = self._get(index)
        charset = page.encoding if "charset" in page.headers.get("Content-Type", "").lower() \
            else "utf-8"
        links = _Links(index)
        links.feed(page.content.decode(charset, errors="replace"))
        if not links.found:
            raise SourceError(f"GET {index}: no links to .csv or .xlsx files")
        return list(dict.fromkeys(links.found))

    def fetch(self, key):
        response = self._get(key)
        name, data = _file_name(key), response.content
        content_type = response.headers.get("Content-Type", "")
        if _kind(key, content_type) == "xlsx":
            if not data.startswith(b"PK"):
                raise SourceError(f"{name}: not an XLSX file (no ZIP signature)")
            return json.dumps({"url": key, "content_type": content_type,
                               "base64": base64.b64encode(data).decode("ascii")})
        encoding = self.config["encoding"]
        try:
            text = data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as error:
            raise SourceError(f"{name}: not {encoding} text ({error}); Thai files are "
                              'often "cp874" or "tis-620": set encoding') from None
        if text.lstrip()[:20].lower().startswith(("<!doctype", "<html")):
            raise SourceError(f"{name}: an HTML page, not a CSV file")
        return text

    def parse(self, key, raw):
        name = _file_name(key)
        rows = _xlsx_rows(raw, self.config["sheet"], name) if raw.startswith("{") \
            else _csv_rows(raw, name)
        if not rows:
            raise SourceError(f"{name}: empty file")
        columns = self._columns(rows[0], name)
        body = [(number, cells) for number, cells in enumerate(rows[1:], start=2)
                if any(_text(cell) for cell in cells)]
        if not body:
            raise SourceError(f"{name}: no data rows")
        batch, first, points = model.Batch(), {}, {}
        for number, cells in body:
            result = self._row(cells, columns, f"{name}#row {number}")
            if isinstance(result, tuple):
                result, point = result
                points.setdefault(result.station_id, point).add(result.variable)
            if isinstance(result, model.Observation):
                same = (result.station_id, result.variable, result.time)
                if same in first:
                    result = model.Reject(result.station_id, NETWORK, result.variable,
                                          _text(cells[columns["value"]]), result.time,
                                          f"duplicate of row {first[same]}", result.raw_ref)
                else:
                    first[same] = number
            (batch.observations if isinstance(result, model.Observation)
             else batch.rejects).append(result)
        batch.stations = [point.station(place) for place, point in points.items()]
        return batch

    def _columns(self, header, name):
        """Mapped role -> index in the row; SourceError names a missing column."""
        names = [_text(cell) for cell in header]
        mapping, columns = self.config["mapping"], {}
        for role in COLUMNS:
            if mapping[role] and role in OPTIONAL_COLUMNS and mapping[role] not in names:
                continue
            if mapping[role]:
                if mapping[role] not in names:
                    raise SourceError(f"{name}: no column {mapping[role]!r} (mapping.{role}) "
                                      f"in the header {names}")
                columns[role] = names.index(mapping[role])
        return columns

    def _row(self, cells, columns, ref):
        mapping = self.config["mapping"]
        cell = {role: cells[i] if i < len(cells) else None for role, i in columns.items()}
        place = _text(cell["place"])
        raw_name = mapping["variable_code"] or _text(cell.get("variable"))
        code = mapping["variable_code"] or self._variable_code(raw_name)
        time, problem = _time(cell["time"], mapping, self.config["years"] == "be")

        def reject(reason):
            return model.Reject(place, NETWORK, code or raw_name, _text(cell["value"]),
                                time, reason, ref)

        missing = [mapping[role] for role, i in columns.items() if i >= len(cells) and role not in OPTIONAL_COLUMNS]
        if missing:
            return reject(f"missing cell(s): {', '.join(missing)}")
        if not place:
            return reject("missing place")
        if not code:
            return reject(f"unknown variable {raw_name!r}" if raw_name else "missing variable")
        if problem:
            return reject(problem)
        point = None
        if _text(cell.get("latitude")) or _text(cell.get("longitude")):
            point = _Point.read(cell.get("latitude"), cell.get("longitude"), _text(cell.get("place_name")))
            if point is None:
                return reject("latitude, longitude: not a point on the globe")
        result = model.normalise(
            station_id=place, network=NETWORK, variable=code, raw_value=_number(cell["value"]),
            unit=mapping["unit_code"] or _text(cell.get("unit")),
            averaging_period=mapping["averaging_period"], time=time, raw_ref=ref)
        return (result, point) if point and isinstance(result, model.Observation) else result

    def _variable_code(self, name):
        code = self._names.get(name.casefold(), name.casefold())
        return code if code in VARIABLES else None

    def _absolute(self, url):
        return urllib.parse.urljoin(self.url + "/", url.strip())

    def _get(self, url):
        return http.get(url, session=self.session, timeout=self.timeout, sleep=self.sleep)


class _Links(html.parser.HTMLParser):
    """The .csv and .xlsx links of a page, made absolute."""

    def __init__(self, base):
        super().__init__()
        self.base, self.found = base, []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            url = urllib.parse.urljoin(self.base, href.strip())
            if _suffix(url) in SUFFIXES:
                self.found.append(url)


class _Point:
    """A place's coordinates and name, and the variables measured there."""

    def __init__(self, latitude, longitude, name):
        self.latitude, self.longitude, self.name, self.variables = latitude, longitude, name, set()

    @classmethod
    def read(cls, latitude, longitude, name):
        lat, lon = _number(latitude), _number(longitude)
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        return cls(lat, lon, name)

    def add(self, variable):
        self.variables.add(variable)

    def station(self, place):
        return model.Station(station_id=place, network=NETWORK, name_th=self.name or place,
                             name_en=self.name or place, latitude=self.latitude,
                             longitude=self.longitude, variables=tuple(sorted(self.variables)))


def _mapping(mapping, years):
    if not isinstance(mapping, dict):
        raise ConfigError("mapping: must be an object")
    unknown = sorted(set(mapping) - set(MAPPING))
    if unknown:
        raise ConfigError(f"mapping: unknown key(s) {', '.join(unknown)}; "
                          f"known: {', '.join(MAPPING)}")
    merged = {**MAPPING, **mapping}
    for key, value in merged.items():
        if not isinstance(value, (str, type(None))):
            raise ConfigError(f"mapping.{key}: must be a string")
        if MAPPING[key] is None and not (value or "").strip():
            raise ConfigError(f"mapping.{key}: required")
        merged[key] = value.strip()
    if bool(merged["latitude"]) != bool(merged["longitude"]):
        raise ConfigError("mapping.latitude, mapping.longitude: give both or neither")
    for column, fixed in (("variable", "variable_code"), ("unit", "unit_code")):
        if bool(merged[column]) == bool(merged[fixed]):
            raise ConfigError(f"mapping.{column}, mapping.{fixed}: give one of them")
    if merged["variable_code"] and merged["variable_code"] not in VARIABLES:
        raise ConfigError(f"mapping.variable_code: unknown variable {merged['variable_code']!r}")
    if merged["unit_code"]:
        try:
            units.ucum(merged["unit_code"])
        except units.UnknownUnit as error:
            raise ConfigError(f"mapping.unit_code: {error}") from None
    fmt = merged["time_format"]
    if fmt != "iso" and "%" not in fmt:
        raise ConfigError('mapping.time_format: a strptime format such as "%d/%m/%Y", or "iso"')
    if years == "be" and fmt != "iso" and "%Y" not in fmt:
        raise ConfigError("mapping.time_format: Buddhist-Era years need a four-digit %Y")
    try:
        zoneinfo.ZoneInfo(merged["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"mapping.timezone: unknown time zone {merged['timezone']!r}") from None
    if merged["averaging_period"] != "instant" and not model.ISO_DURATION.fullmatch(merged["averaging_period"]):
        raise ConfigError('mapping.averaging_period: "instant" (grab samples) or an ISO 8601 duration such as P1M')
    return merged


def _csv_rows(text, name):
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        return list(reader)
    except csv.Error as error:
        raise SourceError(f"{name}: unreadable CSV at line {reader.line_num}: {error}") from None


def _xlsx_rows(raw, sheet, name):
    try:
        data = base64.b64decode(json.loads(raw)["base64"], validate=True)
    except (ValueError, TypeError, KeyError) as error:
        raise SourceError(f"{name}: unreadable XLSX payload: {error}") from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError, SyntaxError,
            InvalidFileException) as error:  # SyntaxError: malformed XML inside
        raise SourceError(f"{name}: unreadable XLSX file: {error}") from None
    if sheet and sheet not in book.sheetnames:
        raise SourceError(f"{name}: no sheet {sheet!r} (sheet); it has {book.sheetnames}")
    table = book[sheet] if sheet else book.worksheets[0]
    return [list(row) for row in table.iter_rows(values_only=True)]


def _time(cell, mapping, be):
    """(UTC time, None) or (None, the reason the cell is not a time)."""
    if isinstance(cell, datetime.date):
        moment = cell if isinstance(cell, datetime.datetime) \
            else datetime.datetime.combine(cell, datetime.time())
        if be:
            if moment.year < FIRST_BE_YEAR:
                return None, f"year {moment.year} is not a Buddhist-Era year"
            moment = moment.replace(year=moment.year - BE_OFFSET)
    else:
        text, fmt = _text(cell), mapping["time_format"]
        if not text:
            return None, "missing time"
        year = YEAR.search(text)
        if be and not year:
            return None, f"no four-digit year in {text!r}"
        if be and int(year[0]) < FIRST_BE_YEAR:
            return None, f"year {year[0]} is not a Buddhist-Era year"
        if be:
            text = text[:year.start()] + str(int(year[0]) - BE_OFFSET) + text[year.end():]
        try:
            moment = datetime.datetime.fromisoformat(text) if fmt == "iso" \
                else datetime.datetime.strptime(text, fmt)
        except ValueError:
            return None, f"bad time {_text(cell)!r} (expected {fmt})"
    if moment.year >= FIRST_BE_YEAR:
        return None, f'year {moment.year} looks Buddhist-Era: set years to "be"'
    return model.to_utc(moment, zoneinfo.ZoneInfo(mapping["timezone"])), None


def _number(cell):
    text = _text(cell)
    return text.replace(",", "") if THOUSANDS.fullmatch(text) else cell


def _text(cell):
    """A cell as stripped text; whole numbers without ".0" (520204.0 -> "520204")."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _file_name(url):
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]) or url


def _suffix(url):
    path = urllib.parse.urlsplit(url).path.lower()
    return path[path.rfind("."):] if "." in path else ""


def _kind(url, content_type):
    if _suffix(url) in SUFFIXES:
        return SUFFIXES[_suffix(url)]
    if "spreadsheetml" in content_type:
        return "xlsx"
    if "csv" in content_type or "text/plain" in content_type:
        return "csv"
    raise SourceError(f"{_file_name(url)}: neither a .csv nor a .xlsx link, "
                      f"and the Content-Type {content_type!r} does not tell")
