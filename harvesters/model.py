"""The canonical records every source adapter produces.

- :class:`Observation`: one value of one variable at one station and time,
  in the variable's canonical unit, time in UTC.
- :class:`Reject`: a value that must never be shown as a number (sentinel,
  not a number, negative, impossible, unknown unit), with the reason.
- :class:`Station`: what the catalogue needs to describe a station. No
  personal data: adapters must not put any here.
- :class:`FireDetection`: one satellite fire detection (a point event).
- :class:`CitizenReport`: one complaint a resident filed on a citizen
  platform (Traffy Fondue), in our categories and statuses. Community data:
  shown labelled, never mixed into official products.
- :class:`Batch`: what an adapter returns for one payload.

:func:`normalise` is the one place that turns a raw source value into an
Observation or a Reject.
"""
import datetime
import math
import re
import zoneinfo
from dataclasses import dataclass, field

from ckanext.maemoh.harvesters import units
from ckanext.maemoh.harvesters.variables import variable as lookup_variable

BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")

# Source values that mean "no data", whatever the variable.
MISSING_TEXTS = {"", "n/a", "na", "-", "--", "null", "none", "nan"}
SENTINEL_NUMBERS = {-999.0, -9999.0, -99.0}
# -1 means "no data" at Air4Thai and others, but only where a value cannot
# be negative; a temperature of -1 °C is real.
SENTINEL_IF_NON_NEGATIVE = -1.0

# An ISO 8601 duration such as PT1H, P1D, P1M.
ISO_DURATION = re.compile(
    r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")

# Quality flags.
UNCHECKED = "unchecked"   # the source says nothing about quality
VALID = "valid"           # the source marks the value as good
SUSPECT = "suspect"       # the source flags the value; shown with a warning
QUALITY_FLAGS = (UNCHECKED, VALID, SUSPECT)

# What citizen reports are about, and where they stand (ours, whatever the platform says).
REPORT_CATEGORIES = ("smoke-burning", "dust", "ash", "odour", "water-colour",
                     "waste-dumping", "other")
REPORT_STATUSES = ("new", "in-progress", "done", "rejected")
#: the longest text a CitizenReport keeps, in characters
REPORT_TEXT_LENGTH = 500


@dataclass(frozen=True)
class Observation:
    station_id: str
    network: str
    variable: str
    value: float
    unit: str                # canonical UCUM unit of the variable
    averaging_period: str    # ISO 8601 duration (PT1H, PT24H) or "instant"
    time: datetime.datetime  # UTC, timezone-aware; the time the source gives
    quality: str             # one of QUALITY_FLAGS
    raw_ref: str             # where in the raw payload the value came from


@dataclass(frozen=True)
class Reject:
    station_id: str
    network: str
    variable: str
    raw_value: str
    time: datetime.datetime | None
    reason: str
    raw_ref: str


@dataclass(frozen=True)
class Station:
    station_id: str
    network: str
    name_th: str
    name_en: str
    latitude: float
    longitude: float
    variables: tuple = ()          # variable codes it measures
    timezone: str = "Asia/Bangkok"
    elevation_m: float | None = None
    operator: str = ""
    instrument_class: str = ""     # "reference", "low-cost", or "" when the source does not say
    attribution: str = ""
    licence: str = ""
    first_observation: datetime.datetime | None = None
    last_observation: datetime.datetime | None = None


@dataclass(frozen=True)
class FireDetection:
    source: str                 # FIRMS source, e.g. VIIRS_SNPP_NRT
    latitude: float
    longitude: float
    time: datetime.datetime     # UTC, timezone-aware
    brightness_k: float
    frp_mw: float
    confidence: str             # low | nominal | high (one scale for VIIRS and MODIS)
    confidence_raw: str         # as the source gave it (l/n/h or 0-100)
    satellite: str
    instrument: str
    daynight: str
    raw_ref: str


@dataclass(frozen=True)
class CitizenReport:
    source: str                  # the platform, e.g. "traffy"
    report_id: str               # the platform's id of the report
    category: str                # one of REPORT_CATEGORIES
    source_categories: tuple     # the platform's own category names, as given
    text: str                    # what the resident wrote, stripped, at most REPORT_TEXT_LENGTH
    time: datetime.datetime      # UTC, timezone-aware; when the report was filed
    longitude: float
    latitude: float
    status: str                  # one of REPORT_STATUSES
    photo_url: str | None = None
    place_text: str | None = None  # the platform's address or place names

    def __post_init__(self):
        if self.category not in REPORT_CATEGORIES:
            raise ValueError(f"unknown report category {self.category!r}")
        if self.status not in REPORT_STATUSES:
            raise ValueError(f"unknown report status {self.status!r}")
        if self.time.tzinfo is None or self.time.utcoffset():
            raise ValueError(f"{self.report_id}: the time must be UTC, not {self.time}")
        if len(self.text) > REPORT_TEXT_LENGTH:
            raise ValueError(f"{self.report_id}: text longer than {REPORT_TEXT_LENGTH} characters")


@dataclass
class Batch:
    stations: list = field(default_factory=list)
    observations: list = field(default_factory=list)
    rejects: list = field(default_factory=list)
    detections: list = field(default_factory=list)
    reports: list = field(default_factory=list)

    def extend(self, other):
        self.stations += other.stations
        self.observations += other.observations
        self.rejects += other.rejects
        self.detections += other.detections
        self.reports += other.reports
        return self


def add_unique(batch, kept, record, raw_value):
    """Add an Observation or Reject to ``batch``; an observation repeating
    the (variable, time, averaging period) of one in ``kept`` (a dict the
    caller keeps per station) becomes a Reject naming the one kept."""
    if isinstance(record, Reject):
        batch.rejects.append(record)
        return
    first = kept.setdefault((record.variable, record.time, record.averaging_period), record)
    if first is record:
        batch.observations.append(record)
    else:
        batch.rejects.append(Reject(record.station_id, record.network, record.variable,
                                    _text(raw_value), record.time,
                                    f"duplicate of {first.raw_ref}", record.raw_ref))


def to_utc(moment, zone=BANGKOK):
    """A timezone-aware UTC datetime from ``moment``; a naive ``moment`` is
    read in ``zone`` (the source's stated zone, Asia/Bangkok by default)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(datetime.timezone.utc)


def normalise(*, station_id, network, variable, raw_value, unit, averaging_period,
              time, raw_ref, quality=UNCHECKED):
    """An :class:`Observation` in the variable's canonical unit, or a
    :class:`Reject` saying why the raw value is not a number to show.

    ``unit`` is the source's spelling or a UCUM code; ``time`` must be
    timezone-aware (use :func:`to_utc` on local times).
    """
    if time.tzinfo is None:
        raise ValueError(f"{raw_ref}: naive time {time}; give its time zone")

    def reject(reason):
        return Reject(station_id, network, variable, _text(raw_value),
                      time.astimezone(datetime.timezone.utc), reason, raw_ref)

    try:
        target = lookup_variable(variable)
    except KeyError as error:
        return reject(str(error.args[0]))
    if raw_value is None or (isinstance(raw_value, str)
                             and raw_value.strip().lower() in MISSING_TEXTS):
        return reject("no data")
    if isinstance(raw_value, bool):
        return reject("not a number")
    try:
        value = float(str(raw_value).strip()) if isinstance(raw_value, str) else float(raw_value)
    except (TypeError, ValueError, OverflowError):
        return reject("not a number")
    if not math.isfinite(value):
        return reject("not a number")
    if value in SENTINEL_NUMBERS:
        return reject(f"no-data sentinel {_text(raw_value)}")
    if value == SENTINEL_IF_NON_NEGATIVE and target.minimum >= 0:
        return reject("no-data sentinel -1")
    try:
        value = units.convert(value, units.ucum(unit), target.unit)
    except units.UnknownUnit as error:
        return reject(str(error))
    if value < target.minimum:
        return reject(f"impossible: {value:g} {target.unit} is below {target.minimum:g}")
    if value > target.maximum:
        return reject(f"impossible: {value:g} {target.unit} is above {target.maximum:g}")
    if quality not in QUALITY_FLAGS:
        raise ValueError(f"unknown quality flag {quality!r}")
    return Observation(station_id, network, variable, value, target.unit,
                       averaging_period, time.astimezone(datetime.timezone.utc),
                       quality, raw_ref)


def _text(raw_value):
    return "" if raw_value is None else str(raw_value)
