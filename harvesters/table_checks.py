"""Validation of an agency's table file (pure: no ``ckan`` import).

:func:`check_table` runs Frictionless (the Frictionless Data validator, as
ckanext-validation does) on a CSV, TSV or XLSX file against a Table Schema —
the one attached to the resource, else one made from its DataStore data
dictionary, else the inferred one — and adds the checks Thai agency tables
need:

* ``implausible-year``: a year in a date or year column that is neither a
  Buddhist-Era year (BE = CE + 543) in [:data:`FIRST_BE_YEAR`, this year + 1]
  nor a Common-Era year in the same span (2568 and 2025 are both fine; 2658,
  1568 or 25680 are not);
* ``unknown-tambon``: a tambon code that is not one of the district's;
* ``missing-value``: an empty cell in a tambon or date column, or in a field
  the schema marks required;
* ``not-a-date``: a cell of a date or datetime field that is not a date as
  Thai tables write them (``15/03/2568``, ``2568-03-15``, ``2025-03-15``, with
  or without a time). Those fields are read as text by Frictionless, whose
  date parser knows neither the Buddhist Era nor day-first dates.

The report is a JSON-ready dict with every error in Thai and English.
"""
from __future__ import annotations

import datetime
import os
import re
import unicodedata

import frictionless
from frictionless import Check, Resource, Schema, errors

FIRST_BE_YEAR = 2500  # 1957 CE: older tables are not expected here
MAX_LISTED = 200
BE_OFFSET = 543
TAMBON_HEADERS = {"tambon_code", "tambon", "รหัสตำบล", "tambon code"}
DATE_HEADER = re.compile(r"(date|year|month|วันที่|ปี|พ\.ศ\.|เดือน)", re.IGNORECASE)
DATE_VALUE = re.compile(r"^\s*(?:(\d{4,5})(?:[/.-]\d{1,2}){0,2}|(?:\d{1,2}[/.-]){1,2}(\d{4,5}))(?:[\sT].*)?$")
THAI_LETTERS = re.compile("[\u0e01-\u0e5b]")
#: dictionary types of the DataStore -> Table Schema field types
DICTIONARY_TYPES = {"text": "string", "numeric": "number", "float8": "number", "float4": "number",
                    "int": "integer", "int4": "integer", "int8": "integer", "int2": "integer",
                    "bigint": "integer", "date": "date", "timestamp": "datetime", "time": "time",
                    "bool": "boolean", "boolean": "boolean"}
MESSAGES = {
    "blank-label": ("หัวคอลัมน์ที่ {field} ว่าง", "The header of column {field} is blank"),
    "duplicate-label": ("หัวคอลัมน์ \"{label}\" ซ้ำ", "The header \"{label}\" is duplicated"),
    "type-error": ("แถว {row} คอลัมน์ \"{label}\": \"{cell}\" ไม่ใช่ {expected}",
                   "Row {row}, column \"{label}\": \"{cell}\" is not {expected}"),
    "constraint-error": ("แถว {row} คอลัมน์ \"{label}\": {note}", "Row {row}, column \"{label}\": {note}"),
    "missing-cell": ("แถว {row} ขาดค่าในคอลัมน์ \"{label}\"", "Row {row} has no cell for column \"{label}\""),
    "missing-value": ("แถว {row} คอลัมน์ \"{label}\" ว่าง", "Row {row}, column \"{label}\" is empty"),
    "extra-cell": ("แถว {row} มีค่าเกินจำนวนคอลัมน์", "Row {row} has more cells than there are columns"),
    "blank-row": ("แถว {row} ว่างทั้งแถว", "Row {row} is blank"),
    "not-a-date": ("แถว {row} คอลัมน์ \"{label}\": \"{cell}\" ไม่ใช่วันที่",
                   "Row {row}, column \"{label}\": \"{cell}\" is not a date"),
    "implausible-year": ("แถว {row} คอลัมน์ \"{label}\": ปี {cell} ไม่อยู่ในช่วงที่เป็นไปได้ "
                         "(พ.ศ. {first_be}–{last_be} หรือ ค.ศ. {first_ce}–{last_ce})",
                         "Row {row}, column \"{label}\": the year in \"{cell}\" is not plausible "
                         "(BE {first_be}–{last_be} or CE {first_ce}–{last_ce})"),
    "unknown-tambon": ("แถว {row} คอลัมน์ \"{label}\": \"{cell}\" ไม่ใช่รหัสตำบลของอำเภอแม่เมาะ",
                       "Row {row}, column \"{label}\": \"{cell}\" is not a tambon code of Mae Moh"),
}
EXPECTED = {"integer": ("จำนวนเต็ม", "a whole number"), "number": ("ตัวเลข", "a number"),
            "date": ("วันที่", "a date"), "datetime": ("วันเวลา", "a date and time"),
            "boolean": ("ค่าจริง/เท็จ", "true or false")}


class ImplausibleYear(errors.CellError):
    type = "implausible-year"
    title = "Implausible year"
    description = "A year is neither a plausible Buddhist-Era nor Common-Era year."
    template = "The year in {cell} is not plausible"


class UnknownTambon(errors.CellError):
    type = "unknown-tambon"
    title = "Unknown tambon"
    description = "A tambon code is not one of the district's."
    template = "{cell} is not a tambon code of the district"


class NotADate(errors.CellError):
    type = "not-a-date"
    title = "Not a date"
    description = "A cell of a date column is not a date."
    template = "{cell} is not a date"


class MissingValue(errors.CellError):
    type = "missing-value"
    title = "Missing value"
    description = "A cell that must have a value is empty."
    template = "Column {fieldName} is empty"


class ThaiTableCheck(Check):
    """Years, tambon codes and required cells, row by row."""

    type = "maemoh-thai-table"
    Errors = [ImplausibleYear, UnknownTambon, MissingValue, NotADate]

    def __init__(self, tambon_codes, this_year, required=(), dates=()):
        super().__init__()
        self.tambon_codes = {str(c) for c in tambon_codes}
        self.this_year = this_year
        self.required = set(required)
        self.dates = set(dates)

    def validate_row(self, row):
        for name in row.field_names:
            cell = row[name]
            text = "" if cell is None else str(cell).strip()
            key = name.strip().lower()
            is_tambon = key in TAMBON_HEADERS
            is_date = name in self.dates or bool(DATE_HEADER.search(name))
            if not text:
                if is_tambon or is_date or name in self.required:
                    yield MissingValue.from_row(row, note="empty", field_name=name)
                continue
            if is_tambon and self.tambon_codes and text not in self.tambon_codes:
                yield UnknownTambon.from_row(row, note=text, field_name=name)
            if is_date and not isinstance(cell, (datetime.date, int, float)):
                match = DATE_VALUE.match(text)
                if match and not plausible_year(int(match.group(1) or match.group(2)), self.this_year):
                    yield ImplausibleYear.from_row(row, note=text, field_name=name)
                elif not match and name in self.dates:
                    yield NotADate.from_row(row, note=text, field_name=name)
            elif is_date and isinstance(cell, int) and not plausible_year(cell, self.this_year):
                yield ImplausibleYear.from_row(row, note=text, field_name=name)


def plausible_year(year: int, this_year: int) -> bool:
    """A Buddhist-Era or Common-Era year between 1957 CE and next year."""
    first_ce, last_ce = FIRST_BE_YEAR - BE_OFFSET, this_year + 1
    return first_ce <= year <= last_ce or first_ce + BE_OFFSET <= year <= last_ce + BE_OFFSET


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, else cp874
    (Windows Thai, a superset of TIS-620) when they read as Thai, else latin-1."""
    try:
        head.decode("utf-8")
        return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    return "cp874" if _reads_as_thai(head) else "latin-1"


def _reads_as_thai(head: bytes) -> bool:
    """Every byte defined in cp874, most Thai characters letters, and every
    combining mark (vowel above or below, tone mark) on a Thai character."""
    try:
        text = head.decode("cp874")
    except UnicodeDecodeError:
        return False
    thai = [c for c in text if THAI_LETTERS.match(c)]
    letters = [c for c in thai if unicodedata.category(c) == "Lo"]
    marks_on_thai = all(THAI_LETTERS.match(before) for before, c in zip(text, text[1:])
                        if unicodedata.category(c) == "Mn" and THAI_LETTERS.match(c))
    return bool(thai) and len(letters) >= 0.5 * len(thai) and marks_on_thai


def schema_problem(descriptor) -> str | None:
    """Why ``descriptor`` is not a Table Schema Frictionless accepts, or None."""
    if not isinstance(descriptor, dict):
        return "a Table Schema is a JSON object with a list of fields"
    try:
        Schema.from_descriptor(descriptor)
    except frictionless.FrictionlessException as error:
        reasons = "; ".join(r.message for r in error.reasons) if error.reasons else error.error.message
        return reasons
    return None


def schema_from_dictionary(fields) -> dict:
    """A Table Schema from DataStore fields ``[{"id", "type", "info"?}]``."""
    return {"fields": [{"name": f["id"], "type": DICTIONARY_TYPES.get(f.get("type", "text"), "any")}
                       for f in fields if not f["id"].startswith("_")]}


def check_table(path: str, *, file_format: str, schema: dict | None = None, tambon_codes=(),
                today: datetime.date) -> dict:
    """Validate the file at ``path`` (``file_format`` csv, tsv or xlsx); the report dict."""
    file_format = file_format.lower()
    options = {"format": "csv" if file_format == "tsv" else file_format}
    encoding = None
    if file_format in ("csv", "tsv"):
        with open(path, "rb") as file:
            encoding = detect_encoding(file.read(65536))
        options["encoding"] = encoding
        if file_format == "tsv":
            options["dialect"] = frictionless.Dialect(controls=[frictionless.formats.CsvControl(delimiter="\t")])
    fields = (schema or {}).get("fields", [])
    required = [f["name"] for f in fields if f.get("constraints", {}).get("required")]
    dates = [f["name"] for f in fields if f.get("type") in ("date", "datetime")]
    if dates:  # checked by ThaiTableCheck, which reads the Buddhist Era
        schema = dict(schema, fields=[dict(f, type="string", format="default") if f["name"] in dates else f
                                      for f in fields])
    check = ThaiTableCheck(tambon_codes, today.year, required, dates)
    try:
        if schema is not None:
            options["schema"] = Schema.from_descriptor(schema)
        resource = Resource(os.path.basename(path), basepath=os.path.dirname(path) or ".", **options)
        report = resource.validate(frictionless.Checklist(checks=[check]))
    except frictionless.FrictionlessException as error:
        return _report(False, [], {error.error.type: 1}, file_format, encoding, 0, today,
                       fatal=str(error.error.message))
    task = report.tasks[0] if report.tasks else None
    found = [_error(e, today.year) for e in (task.errors if task else report.errors)]
    counts: dict[str, int] = {}
    for item in found:
        counts[item["type"]] = counts.get(item["type"], 0) + 1
    rows = task.stats.get("rows", 0) if task and task.stats else 0
    return _report(report.valid, found[:MAX_LISTED], counts, file_format, encoding, rows, today)


def _report(valid, found, counts, file_format, encoding, rows, today, fatal=None):
    return {"valid": bool(valid and not fatal), "format": file_format, "encoding": encoding, "rows": rows,
            "errors": found, "error_counts": counts, "fatal": fatal, "checked_on": today.isoformat(),
            "frictionless": frictionless.__version__}


def _error(error, this_year) -> dict:
    label = getattr(error, "label", None) or getattr(error, "field_name", None) or ""
    field = getattr(error, "field_number", None)
    cell = getattr(error, "cell", None)
    values = {"row": getattr(error, "row_number", None), "field": field, "label": label,
              "cell": "" if cell is None else cell, "note": error.note,
              "expected": "", "first_be": FIRST_BE_YEAR, "last_be": this_year + 1 + BE_OFFSET,
              "first_ce": FIRST_BE_YEAR - BE_OFFSET, "last_ce": this_year + 1}
    if error.type == "type-error":
        kind = re.search(r'type is "(\w+)', error.note or "")
        values["expected"] = kind.group(1) if kind else "?"
    th, en = MESSAGES.get(error.type, ("{note}", "{note}"))
    expected = EXPECTED.get(values["expected"], (values["expected"], values["expected"]))
    return {"type": error.type, "row": values["row"], "field": field, "label": label,
            "cell": None if values["cell"] == "" or error.type == "missing-value" else values["cell"],
            "message_th": th.format(**{**values, "expected": expected[0]}),
            "message_en": en.format(**{**values, "expected": expected[1]})}
