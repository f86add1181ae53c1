"""Thai Air Quality Index (AQI) of the Pollution Control Department (PCD).

Everything here is data plus a few small functions; no pollutant has its own
code path.

* ``SCHEMES`` holds both breakpoint tables: ``TH-2023`` (in force from
  1 June 2023, PM2.5 revised) and ``TH-2018`` (before, same table except the
  PM2.5 column). ``scheme_for(date)`` picks one by the observation's date in
  Asia/Bangkok; store the scheme name with every computed AQI.
* ``sub_index(variable, concentration, scheme)`` interpolates one pollutant.
* ``aqi(concentrations, date)`` gives the overall AQI: the highest sub-index.
* ``BANDS`` and ``band_of(value)`` give the five bands with their colours,
  Thai and English names, advice and accessible label and icon.

Units are the canonical units of ``harvesters/variables.py``: PM2.5 and PM10
``ug/m3``, O3, NO2 and SO2 ``[ppb]``, CO ``[ppm]``.

Documented choices
------------------
Truncation
    The concentration is first truncated (rounded toward zero) to the
    precision of the table, as PCD does: 0.1 µg/m³ for PM2.5 under TH-2023,
    0.1 ppm for CO, whole units for everything else (PM2.5 under TH-2018
    included). So 15.05 µg/m³ of PM2.5 counts as 15.0 (band 1, AQI 25) and
    25.99 as 25.9. After truncation every value falls inside exactly one row,
    so the gaps between one row's upper end and the next row's lower end
    (15.0 | 15.1) never need a rule of their own. Floats are read through
    their shortest decimal text (``repr``): the float 15.1 is stored in
    binary as 15.09999999999999964…, which truncated naively would be 15.0
    (band 1); read as "15.1" it gives AQI 26 as it should.
Rounding
    The interpolated index is computed exactly (fractions, no float error)
    and rounded to the nearest integer; ties (x.5) go up, as the index is
    non-negative ("round half up", not Python's banker's rounding).
Above 200
    PCD publishes only the start of the top row (e.g. PM2.5 ≥ 75.1 → 201).
    Here the index keeps rising without a cap: the top row starts at 201 at
    its lower concentration and continues with the slope of the row below it
    (101–200). For PM2.5 under TH-2023 that is 99 / (75.0 − 37.6) AQI per
    µg/m³, so 112.5 µg/m³ → 300. A capped value would hide how bad a haze
    episode is; an uncapped, continuous, monotonic rule keeps the ranking of
    days and stations. The band stays 5 however high the value.
Dominant pollutant
    The pollutant with the highest sub-index; on a tie, the first in table
    order (pm25, pm10, o3, co, no2, so2).
"""
import datetime
import math
import numbers
from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType

# Thailand keeps UTC+7 all year (no daylight saving), so a fixed offset is
# exact and needs no tz database.
BANGKOK = datetime.timezone(datetime.timedelta(hours=7), "Asia/Bangkok")
TH_2023_START = datetime.date(2023, 6, 1)
# Decimal context wide enough for any float (< 1.8e308) at 0.1 precision.
_WIDE = Context(prec=400, Emax=999, Emin=-999)

# AQI range of each table row; None: open-ended (see "Above 200").
AQI_ROWS = ((0, 25), (26, 50), (51, 100), (101, 200), (201, None))


@dataclass(frozen=True)
class Breakpoint:
    """One row for one pollutant: concentrations [c_lo, c_hi] ↦ AQI [i_lo, i_hi].

    ``c_hi``/``i_hi`` are None in the open top row.
    """
    c_lo: Decimal
    c_hi: Decimal | None
    i_lo: int
    i_hi: int | None


@dataclass(frozen=True)
class Pollutant:
    variable: str               # code of harvesters/variables.py
    unit: str                   # canonical unit (UCUM)
    averaging_period: str       # ISO 8601 duration the table applies to
    step: Decimal               # precision of the table; truncate to it
    breakpoints: tuple          # of Breakpoint, ascending, AQI_ROWS order


@dataclass(frozen=True)
class Scheme:
    name: str
    valid_from: datetime.date | None    # first Bangkok date it applies to
    pollutants: MappingProxyType        # variable code -> Pollutant


def _pollutant(variable, unit, period, step, *rows):
    """A Pollutant from its concentration rows as "lo-hi" text; the last ">=lo"."""
    if len(rows) != len(AQI_ROWS):
        raise ValueError(f"{variable}: {len(rows)} rows, expected {len(AQI_ROWS)}")
    points = []
    for text, (i_lo, i_hi) in zip(rows, AQI_ROWS):
        if text.startswith(">="):
            c_lo, c_hi = Decimal(text[2:]), None
        else:
            lo, hi = text.split("-")
            c_lo, c_hi = Decimal(lo), Decimal(hi)
        if (c_hi is None) != (i_hi is None):
            raise ValueError(f"{variable}: open row must be the last one")
        points.append(Breakpoint(c_lo, c_hi, i_lo, i_hi))
    return Pollutant(variable, unit, period, Decimal(step), tuple(points))


# The PCD tables (reference: sources-and-standards.md, section 2).
_COMMON = (
    _pollutant("pm10", "ug/m3", "PT24H", "1",
               "0-50", "51-80", "81-120", "121-180", ">=181"),
    _pollutant("o3", "[ppb]", "PT8H", "1",
               "0-35", "36-50", "51-70", "71-120", ">=121"),
    _pollutant("co", "[ppm]", "PT8H", "0.1",
               "0-4.4", "4.5-6.4", "6.5-9.0", "9.1-30.0", ">=30.1"),
    _pollutant("no2", "[ppb]", "PT1H", "1",
               "0-60", "61-106", "107-170", "171-340", ">=341"),
    _pollutant("so2", "[ppb]", "PT1H", "1",
               "0-100", "101-200", "201-300", "301-400", ">=401"),
)
_PM25 = {
    "TH-2018": _pollutant("pm25", "ug/m3", "PT24H", "1",
                          "0-25", "26-37", "38-50", "51-90", ">=91"),
    "TH-2023": _pollutant("pm25", "ug/m3", "PT24H", "0.1",
                          "0-15.0", "15.1-25.0", "25.1-37.5", "37.6-75.0", ">=75.1"),
}
_VALID_FROM = {"TH-2018": None, "TH-2023": TH_2023_START}

SCHEMES = MappingProxyType({
    name: Scheme(name, _VALID_FROM[name], MappingProxyType(
        {p.variable: p for p in (_PM25[name],) + _COMMON}))
    for name in ("TH-2018", "TH-2023")
})
VARIABLE_ORDER = tuple(SCHEMES["TH-2023"].pollutants)   # pm25, pm10, o3, co, no2, so2


def scheme_for(date):
    """Name of the scheme in force on ``date``: "TH-2018" before 2023-06-01, else "TH-2023".

    ``date`` is a ``datetime.date`` (taken as the Bangkok calendar date) or a
    timezone-aware ``datetime`` (converted to Asia/Bangkok first, so
    2023-05-31T17:00Z is already 1 June in Bangkok). A naive ``datetime`` is
    refused with ValueError: its date is ambiguous. Pass the time stamp of
    the observation, i.e. the end of its averaging period.
    """
    if isinstance(date, datetime.datetime):
        if date.tzinfo is None or date.utcoffset() is None:
            raise ValueError(f"naive datetime {date.isoformat()}: give a timezone "
                             "or pass a Bangkok date")
        day = date.astimezone(BANGKOK).date()
    elif isinstance(date, datetime.date):
        day = date
    else:
        raise TypeError(f"expected a date or datetime, got {type(date).__name__}")
    return "TH-2023" if day >= TH_2023_START else "TH-2018"


def _pollutant_of(variable, scheme):
    try:
        table = SCHEMES[scheme]
    except KeyError:
        raise KeyError(f"unknown AQI scheme {scheme!r}; known: {', '.join(SCHEMES)}") from None
    try:
        return table.pollutants[variable]
    except KeyError:
        raise KeyError(f"unknown AQI variable {variable!r}; known: "
                       f"{', '.join(table.pollutants)}") from None


def _decimal(variable, concentration):
    """``concentration`` as a finite, non-negative Decimal, else ValueError."""
    if concentration is None:
        raise ValueError(f"{variable}: concentration is missing (None)")
    if isinstance(concentration, bool):
        raise ValueError(f"{variable}: concentration must be a number, not {concentration!r}")
    try:
        if isinstance(concentration, Decimal):
            value = concentration
        elif isinstance(concentration, numbers.Integral):
            value = Decimal(int(concentration))
        elif isinstance(concentration, numbers.Real):
            value = Decimal(repr(float(concentration)))
        else:
            raise TypeError
    except (TypeError, ValueError, InvalidOperation):
        raise ValueError(f"{variable}: concentration must be a number, "
                         f"not {concentration!r}") from None
    if not value.is_finite():
        raise ValueError(f"{variable}: concentration is not a finite number ({concentration!r})")
    if value < 0:
        raise ValueError(f"{variable}: concentration cannot be negative ({concentration!r})")
    return value


def truncate(variable, concentration, scheme):
    """``concentration`` truncated to the table precision of ``variable`` (a Decimal)."""
    pollutant = _pollutant_of(variable, scheme)
    value = _decimal(variable, concentration)
    return value.quantize(pollutant.step, rounding=ROUND_DOWN, context=_WIDE)


def sub_index(variable, concentration, scheme):
    """The AQI sub-index (int) of one pollutant's concentration under ``scheme``.

    ``concentration`` is in the canonical unit of ``variable`` and must
    already be averaged over the pollutant's period (see ``aqi`` for the
    check). It is truncated to the table's precision, then interpolated
    linearly inside its row, ``I = (I_hi − I_lo)/(C_hi − C_lo)·(C − C_lo) + I_lo``,
    and rounded half up. Above the top row's start the index continues with
    the slope of the 101–200 row (see the module docstring).

    ValueError: negative, NaN, infinite, None or non-numeric concentration.
    KeyError: unknown variable (the message names it) or unknown scheme.
    """
    pollutant = _pollutant_of(variable, scheme)
    c = Fraction(truncate(variable, concentration, scheme))
    points = pollutant.breakpoints
    for below, point in zip((None,) + points, points):
        if point.c_hi is None:          # open top row: slope of the row below
            slope = Fraction(below.i_hi - below.i_lo) / Fraction(below.c_hi - below.c_lo)
            break
        if c <= point.c_hi:
            slope = Fraction(point.i_hi - point.i_lo) / Fraction(point.c_hi - point.c_lo)
            break
    exact = slope * (c - Fraction(point.c_lo)) + point.i_lo
    return math.floor(exact + Fraction(1, 2))     # round half up (exact >= 0)


@dataclass(frozen=True)
class AQIResult:
    """An overall AQI: ``value`` (int), the ``dominant`` variable, its
    ``band`` (1–5, see ``BANDS``), the ``scheme`` used (store it with the
    value) and every pollutant's sub-index (read-only mapping)."""
    value: int
    dominant: str
    band: int
    scheme: str
    sub_indices: MappingProxyType


def aqi(concentrations, date):
    """The overall Thai AQI of several pollutants measured at one place and time.

    ``concentrations`` maps a variable code to ``(value, averaging_period)``,
    e.g. ``{"pm25": (31.2, "PT24H"), "o3": (40, "PT8H")}``; ``date`` picks the
    scheme (see ``scheme_for``). The AQI is the highest sub-index; ties for
    the dominant pollutant go to the first in table order.

    Why the averaging period is required: the breakpoints only mean
    something for the period they were set for (PM 24 h "PT24H", O3 and CO
    8 h "PT8H", NO2 and SO2 1 h "PT1H"). An hourly PM2.5 reading of 80 µg/m³
    is not a 24-hour mean of 80, and putting it through the 24-hour table
    would raise a false alarm (or, the other way round, hide one). So a value
    whose period differs from the table's is refused with ValueError rather
    than silently indexed; average it first.

    ValueError: empty input, wrong averaging period, bad concentration.
    KeyError: unknown variable.
    """
    if not concentrations:
        raise ValueError("no concentrations given: the AQI needs at least one pollutant")
    scheme = scheme_for(date)
    indices = {}
    for variable in sorted(concentrations, key=_table_order):
        try:
            value, period = concentrations[variable]
        except (TypeError, ValueError):
            raise ValueError(f"{variable}: expected (value, averaging_period), "
                             f"got {concentrations[variable]!r}") from None
        expected = _pollutant_of(variable, scheme).averaging_period
        if period != expected:
            raise ValueError(f"{variable}: averaging period {period!r} does not match "
                             f"the AQI table's {expected!r}; average the data first")
        indices[variable] = sub_index(variable, value, scheme)
    dominant = max(indices, key=lambda v: (indices[v], -VARIABLE_ORDER.index(v)))
    value = indices[dominant]
    return AQIResult(value, dominant, band_of(value), scheme, MappingProxyType(indices))


def _table_order(variable):
    return (VARIABLE_ORDER.index(variable) if variable in VARIABLE_ORDER else len(VARIABLE_ORDER),
            str(variable))


# ---------------------------------------------------------------------------
# Bands: colours, names and advice (Thai first, then English)

@dataclass(frozen=True)
class Band:
    number: int
    aqi_min: int
    aqi_max: int | None             # None: no upper end
    rgb: tuple
    hex: str
    text_hex: str                   # readable text colour on ``hex`` (WCAG AA)
    name_th: str
    name_en: str
    advice_general_th: str
    advice_general_en: str
    advice_sensitive_th: str
    advice_sensitive_en: str
    label_th: str                   # text that says what the colour says
    label_en: str
    icon: str                       # Font Awesome 6 (free) icon name


SENSITIVE_GROUPS_TH = ("เด็ก ผู้สูงอายุ หญิงตั้งครรภ์ และผู้ที่มีโรคประจำตัว "
                       "เช่น โรคหัวใจ โรคปอด หรือโรคหอบหืด")
SENSITIVE_GROUPS_EN = ("children, older people, pregnant women and people with "
                       "heart or lung conditions such as asthma")


def _band(number, rgb, text_hex, name_th, name_en, general, sensitive, icon):
    lo, hi = AQI_ROWS[number - 1]
    return Band(
        number, lo, hi, rgb, "#{:02X}{:02X}{:02X}".format(*rgb), text_hex,
        name_th, name_en, general[0], general[1], sensitive[0], sensitive[1],
        f"ระดับ {number} จาก 5: {name_th}", f"Level {number} of 5: {name_en}", icon)


BANDS = MappingProxyType({b.number: b for b in (
    _band(1, (0, 191, 243), "#000000", "คุณภาพอากาศดีมาก", "Very good",
          ("อากาศดีมาก เหมาะกับการทำกิจกรรมกลางแจ้งและการท่องเที่ยว",
           "The air is very clean. A great time for outdoor activities and travel."),
          ("อากาศดีมาก ทำกิจกรรมกลางแจ้งและท่องเที่ยวได้ตามสบาย",
           "The air is very clean. Enjoy outdoor activities and travel."),
          "face-grin-beam"),
    _band(2, (0, 166, 81), "#000000", "คุณภาพอากาศดี", "Good",
          ("อากาศดี ทำกิจกรรมกลางแจ้งได้ตามปกติ",
           "The air is good. Carry on with outdoor activities as usual."),
          ("อากาศดี ทำกิจกรรมกลางแจ้งได้ตามปกติ",
           "The air is good. Carry on with outdoor activities as usual."),
          "face-smile"),
    _band(3, (253, 192, 78), "#000000", "ปานกลาง", "Moderate",
          ("ทำกิจกรรมกลางแจ้งได้ตามปกติ",
           "You can carry on with outdoor activities as usual."),
          ("หากมีอาการ เช่น ไอ หายใจลำบาก หรือระคายเคืองตา "
           "ควรลดเวลาทำกิจกรรมกลางแจ้ง",
           "If you have symptoms such as a cough, difficulty breathing or sore "
           "eyes, spend less time outdoors."),
          "face-meh"),
    _band(4, (242, 101, 34), "#000000", "เริ่มมีผลกระทบต่อสุขภาพ", "Starting to affect health",
          ("ควรสังเกตอาการของตนเอง ลดเวลาทำกิจกรรมกลางแจ้ง "
           "หรือใช้อุปกรณ์ป้องกันตนเอง เช่น หน้ากากกันฝุ่น",
           "Keep an eye on how you feel. Spend less time outdoors, or wear "
           "protection such as a dust mask."),
          ("ลดเวลาทำกิจกรรมกลางแจ้งและใช้อุปกรณ์ป้องกันตนเอง "
           "หากมีอาการ เช่น ไอ หายใจลำบาก หรือระคายเคืองตา ควรไปพบแพทย์",
           "Spend less time outdoors and wear protection. If you have symptoms "
           "such as a cough, difficulty breathing or sore eyes, please see a doctor."),
          "face-frown"),
    _band(5, (205, 0, 0), "#FFFFFF", "มีผลกระทบต่อสุขภาพ", "Affects health",
          ("ทุกคนควรงดกิจกรรมกลางแจ้งและหลีกเลี่ยงพื้นที่ที่มีมลพิษสูง "
           "หากจำเป็นต้องออกนอกอาคารให้ใช้อุปกรณ์ป้องกันตนเอง "
           "และหากมีอาการผิดปกติควรไปพบแพทย์",
           "Everyone should avoid outdoor activities and polluted places. Wear "
           "protection if you must go out, and see a doctor if you feel unwell."),
          ("ควรอยู่ในอาคารและงดกิจกรรมกลางแจ้ง "
           "หากจำเป็นต้องออกนอกอาคารให้ใช้อุปกรณ์ป้องกันตนเอง "
           "และหากมีอาการผิดปกติควรรีบไปพบแพทย์",
           "Stay indoors and avoid outdoor activities. Wear protection if you "
           "must go out, and see a doctor soon if you feel unwell."),
          "mask-face"),
)})


def band_of(aqi_value):
    """The band (1–5) of an AQI value: 0–25 → 1, 26–50 → 2, 51–100 → 3,
    101–200 → 4, 201 and above → 5.

    Values are compared with each band's upper end, so a non-integer such as
    25.5 (which ``sub_index`` never returns) falls in band 2.
    ValueError: negative, NaN, None or non-numeric value.
    """
    if (aqi_value is None or isinstance(aqi_value, bool)
            or not isinstance(aqi_value, (numbers.Real, Decimal))):
        raise ValueError(f"AQI must be a number, not {aqi_value!r}")
    if aqi_value != aqi_value or aqi_value < 0:     # NaN or negative
        raise ValueError(f"AQI must be a non-negative number, not {aqi_value!r}")
    for band in BANDS.values():
        if band.aqi_max is None or aqi_value <= band.aqi_max:
            return band.number
    raise AssertionError("unreachable: the top band has no upper end")
