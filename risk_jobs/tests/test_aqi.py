"""Thai AQI: every breakpoint of both schemes, the 2023 switch, bad input, bands.

The expected tables below are copied by hand from the reference
(sources-and-standards.md, section 2), not read from the module, so a typo in
``aqi.SCHEMES`` shows up as a failure rather than being tested against itself.
"""
import datetime
import math
from decimal import Decimal

import pytest

from ckanext.maemoh.harvesters.variables import VARIABLES
from ckanext.maemoh.risk_jobs import aqi

AQI_ROWS = [(0, 25), (26, 50), (51, 100), (101, 200), (201, None)]
# variable: (averaging period, table step, rows as (lo, hi); hi None = open)
COMMON = {
    "pm10": ("PT24H", "1", [("0", "50"), ("51", "80"), ("81", "120"), ("121", "180"), ("181", None)]),
    "o3": ("PT8H", "1", [("0", "35"), ("36", "50"), ("51", "70"), ("71", "120"), ("121", None)]),
    "co": ("PT8H", "0.1", [("0", "4.4"), ("4.5", "6.4"), ("6.5", "9.0"), ("9.1", "30.0"), ("30.1", None)]),
    "no2": ("PT1H", "1", [("0", "60"), ("61", "106"), ("107", "170"), ("171", "340"), ("341", None)]),
    "so2": ("PT1H", "1", [("0", "100"), ("101", "200"), ("201", "300"), ("301", "400"), ("401", None)]),
}
EXPECTED = {
    "TH-2018": {"pm25": ("PT24H", "1", [("0", "25"), ("26", "37"), ("38", "50"),
                                        ("51", "90"), ("91", None)]), **COMMON},
    "TH-2023": {"pm25": ("PT24H", "0.1", [("0", "15.0"), ("15.1", "25.0"), ("25.1", "37.5"),
                                          ("37.6", "75.0"), ("75.1", None)]), **COMMON},
}
BKK = datetime.timezone(datetime.timedelta(hours=7))
UTC = datetime.timezone.utc


def _cases():
    """(scheme, variable, concentration, expected AQI) at and around every breakpoint."""
    for scheme, table in EXPECTED.items():
        for variable, (_, step, rows) in table.items():
            step = Decimal(step)
            for n, ((lo, hi), (i_lo, i_hi)) in enumerate(zip(rows, AQI_ROWS)):
                lo = Decimal(lo)
                yield scheme, variable, lo, i_lo, "lower bound"
                if hi is None:
                    continue
                hi = Decimal(hi)
                yield scheme, variable, hi, i_hi, "upper bound"
                # Between this row's end and the next row's start: truncated down.
                yield scheme, variable, hi + step / 2, i_hi, "upper bound + half a step"
                # One table step above: the next band starts.
                yield scheme, variable, hi + step, AQI_ROWS[n + 1][0], "upper bound + one step"


CASES = list(_cases())


def test_schemes_match_the_reference_table():
    assert set(aqi.SCHEMES) == {"TH-2018", "TH-2023"}
    for scheme, table in EXPECTED.items():
        pollutants = aqi.SCHEMES[scheme].pollutants
        assert set(pollutants) == set(table)
        for variable, (period, step, rows) in table.items():
            p = pollutants[variable]
            assert p.averaging_period == period
            assert p.step == Decimal(step)
            got = [(b.c_lo, b.c_hi, b.i_lo, b.i_hi) for b in p.breakpoints]
            want = [(Decimal(lo), None if hi is None else Decimal(hi), i_lo, i_hi)
                    for (lo, hi), (i_lo, i_hi) in zip(rows, AQI_ROWS)]
            assert got == want, (scheme, variable)


def test_units_are_the_canonical_units_of_the_harvesters():
    for scheme in aqi.SCHEMES.values():
        for variable, p in scheme.pollutants.items():
            assert p.unit == VARIABLES[variable].unit


@pytest.mark.parametrize("scheme,variable,concentration,expected,where", CASES,
                         ids=[f"{s}-{v}-{c}-{w.replace(' ', '')}" for s, v, c, _, w in CASES])
def test_every_breakpoint(scheme, variable, concentration, expected, where):
    # As Decimal, as float and (where integral) as int: the same answer.
    assert aqi.sub_index(variable, concentration, scheme) == expected
    assert aqi.sub_index(variable, float(concentration), scheme) == expected
    if concentration == int(concentration):
        assert aqi.sub_index(variable, int(concentration), scheme) == expected
    # The band follows: the row whose AQI range holds the value.
    rows = [n for n, (lo, hi) in enumerate(AQI_ROWS, 1) if lo <= expected <= (hi or expected)]
    assert [aqi.band_of(expected)] == rows


def test_cases_cover_every_breakpoint():
    # 5 pollutants + PM2.5, 2 schemes, 4 closed rows × 4 cases + 1 open row
    assert len(CASES) == 2 * 6 * (4 * 4 + 1)


@pytest.mark.parametrize("scheme,variable", [(s, v) for s in EXPECTED for v in EXPECTED[s]])
def test_sub_index_never_decreases(scheme, variable):
    _, step, rows = EXPECTED[scheme][variable]
    step = Decimal(step)
    top = Decimal(rows[-1][0]) * 2
    values = [aqi.sub_index(variable, step * k, scheme) for k in range(int(top / step) + 1)]
    assert values == sorted(values)
    assert values[0] == 0


def test_interpolation_inside_a_band_and_rounding():
    # TH-2023 PM2.5 row 3: 51 + 49/12.4 * (30 - 25.1) = 70.36 -> 70
    assert aqi.sub_index("pm25", 30, "TH-2023") == 70
    # O3 row 2: 26 + 24/14 * (43 - 36) = 38 exactly
    assert aqi.sub_index("o3", 43, "TH-2023") == 38
    # SO2 row 2: 150.9 truncates to 150; 26 + 24/99 * 49 = 37.88 -> 38
    assert aqi.sub_index("so2", 150.9, "TH-2023") == 38
    # Ties go up: NO2 row 1, 25/60 * 6 = 2.5 -> 3 (banker's rounding: 2),
    # 25/60 * 30 = 12.5 -> 13 (banker's: 12), 25/60 * 42 = 17.5 -> 18.
    assert aqi.sub_index("no2", 6, "TH-2023") == 3
    assert aqi.sub_index("no2", 30, "TH-2023") == 13
    assert aqi.sub_index("no2", 42, "TH-2023") == 18


def test_huge_and_tiny_values_stay_exact():
    assert aqi.sub_index("pm25", 1e-9, "TH-2023") == 0
    assert aqi.sub_index("so2", 1e300, "TH-2023") > 10 ** 299
    assert aqi.band_of(aqi.sub_index("co", 1e300, "TH-2023")) == 5


def test_truncation_not_rounding():
    assert aqi.sub_index("pm25", 15.05, "TH-2023") == 25      # 15.0, not 15.1
    assert aqi.sub_index("pm25", 15.09999, "TH-2023") == 25
    assert aqi.sub_index("pm25", 25.99, "TH-2018") == 25      # whole µg/m³ in 2018
    assert aqi.sub_index("co", 4.49, "TH-2023") == 25
    assert aqi.sub_index("pm10", 50.999, "TH-2023") == 25
    # Floats are read as their shortest text, not their binary expansion.
    assert Decimal(15.1) < Decimal("15.1")
    assert aqi.truncate("pm25", 15.1, "TH-2023") == Decimal("15.1")
    assert aqi.truncate("co", 0.3, "TH-2023") == Decimal("0.3")


def test_above_200_extends_the_slope_of_the_101_200_row_without_cap():
    # TH-2023 PM2.5: 201 at 75.1, slope 99 / 37.4 per µg/m³; 112.5 -> 300.
    assert aqi.sub_index("pm25", 75.1, "TH-2023") == 201
    assert aqi.sub_index("pm25", 112.5, "TH-2023") == 300
    assert aqi.sub_index("pm25", 500, "TH-2023") == math.floor(201 + 99 / 37.4 * 424.9 + 0.5)
    # TH-2018 PM2.5: slope 99 / 39 from 91.
    assert aqi.sub_index("pm25", 130, "TH-2018") == 300
    # SO2: slope 99 / 99 = 1 per ppb from 401.
    assert aqi.sub_index("so2", 1000, "TH-2023") == 800
    assert aqi.band_of(aqi.sub_index("so2", 1000, "TH-2023")) == 5


# -- scheme switch ---------------------------------------------------------

@pytest.mark.parametrize("when,scheme", [
    (datetime.date(2023, 5, 31), "TH-2018"),
    (datetime.date(2023, 6, 1), "TH-2023"),
    (datetime.date(2019, 1, 1), "TH-2018"),
    (datetime.date(2026, 3, 10), "TH-2023"),
    (datetime.datetime(2023, 5, 31, 23, 59, tzinfo=BKK), "TH-2018"),
    (datetime.datetime(2023, 6, 1, 0, 0, tzinfo=BKK), "TH-2023"),
    # 17:00 UTC on 31 May is midnight of 1 June in Bangkok.
    (datetime.datetime(2023, 5, 31, 16, 59, tzinfo=UTC), "TH-2018"),
    (datetime.datetime(2023, 5, 31, 17, 0, tzinfo=UTC), "TH-2023"),
])
def test_scheme_for(when, scheme):
    assert aqi.scheme_for(when) == scheme


def test_scheme_for_refuses_naive_datetimes_and_other_types():
    with pytest.raises(ValueError, match="naive"):
        aqi.scheme_for(datetime.datetime(2023, 6, 1, 12))
    with pytest.raises(TypeError):
        aqi.scheme_for("2023-06-01")


def test_pm25_30_changes_band_at_the_switch():
    reading = {"pm25": (30, "PT24H")}
    before = aqi.aqi(reading, datetime.date(2023, 5, 31))
    after = aqi.aqi(reading, datetime.date(2023, 6, 1))
    assert (before.scheme, before.value, before.band) == ("TH-2018", 35, 2)
    assert (after.scheme, after.value, after.band) == ("TH-2023", 70, 3)


# -- overall AQI -----------------------------------------------------------

def test_dominant_pollutant_and_result():
    result = aqi.aqi({
        "pm25": (20.0, "PT24H"),     # 26 + 24/9.9*4.9 = 37.9 -> 38
        "pm10": (100, "PT24H"),      # 51 + 49/39*19 = 74.9 -> 75
        "o3": (40, "PT8H"),          # 26 + 24/14*4 = 32.9 -> 33
        "co": (1.0, "PT8H"),         # 25/4.4 = 5.7 -> 6
        "no2": (20, "PT1H"),         # 25/60*20 = 8.3 -> 8
        "so2": (5, "PT1H"),          # 25/100*5 = 1.25 -> 1
    }, datetime.datetime(2026, 3, 10, 7, 0, tzinfo=UTC))
    assert result == aqi.AQIResult(75, "pm10", 3, "TH-2023", result.sub_indices)
    assert dict(result.sub_indices) == {"pm25": 38, "pm10": 75, "o3": 33, "co": 6, "no2": 8, "so2": 1}
    with pytest.raises(TypeError):
        result.sub_indices["pm25"] = 0           # read-only
    with pytest.raises(AttributeError):
        result.value = 0                         # frozen


def test_dominant_tie_goes_to_table_order():
    # pm10 50 and so2 100 both give 25; pm10 comes first in the table.
    result = aqi.aqi({"so2": (100, "PT1H"), "pm10": (50, "PT24H")}, datetime.date(2024, 1, 1))
    assert (result.value, result.dominant) == (25, "pm10")


def test_single_pollutant():
    result = aqi.aqi({"o3": (121, "PT8H")}, datetime.date(2024, 1, 1))
    assert (result.value, result.dominant, result.band) == (201, "o3", 5)


# -- bad input -------------------------------------------------------------

@pytest.mark.parametrize("bad,message", [
    (-0.1, "negative"), (-1, "negative"), (float("nan"), "finite"), (float("inf"), "finite"),
    (None, "missing"), ("12", "number"), (True, "number"), (Decimal("NaN"), "finite"),
])
def test_sub_index_bad_concentration(bad, message):
    with pytest.raises(ValueError, match=message):
        aqi.sub_index("pm25", bad, "TH-2023")


def test_sub_index_unknown_variable_and_scheme():
    with pytest.raises(KeyError, match="temperature"):
        aqi.sub_index("temperature", 20, "TH-2023")
    with pytest.raises(KeyError, match="TH-1999"):
        aqi.sub_index("pm25", 20, "TH-1999")


@pytest.mark.parametrize("reading,error,message", [
    ({"pm25": (-3, "PT24H")}, ValueError, "negative"),
    ({"pm25": (float("nan"), "PT24H")}, ValueError, "finite"),
    ({"pm25": (None, "PT24H")}, ValueError, "missing"),
    ({"pm25": (30, "PT1H")}, ValueError, "averaging period 'PT1H'.*'PT24H'"),
    ({"o3": (40, "PT1H")}, ValueError, "PT8H"),
    ({"no2": (40, "PT24H")}, ValueError, "PT1H"),
    ({"co": (1.0, None)}, ValueError, "averaging period"),
    ({"pm25": 30}, ValueError, "expected \\(value, averaging_period\\)"),
    ({"benzene": (1, "PT24H")}, KeyError, "benzene"),
    ({}, ValueError, "no concentrations"),
])
def test_aqi_bad_input(reading, error, message):
    with pytest.raises(error, match=message):
        aqi.aqi(reading, datetime.date(2024, 1, 1))


def test_one_bad_value_refuses_the_whole_aqi():
    with pytest.raises(ValueError, match="so2"):
        aqi.aqi({"pm25": (30, "PT24H"), "so2": (-1, "PT1H")}, datetime.date(2024, 1, 1))


# -- bands -----------------------------------------------------------------

@pytest.mark.parametrize("value,band", [
    (0, 1), (25, 1), (26, 2), (50, 2), (51, 3), (100, 3), (101, 4), (200, 4),
    (201, 5), (500, 5), (25.5, 2), (Decimal("200"), 4),
])
def test_band_of_edges(value, band):
    assert aqi.band_of(value) == band


@pytest.mark.parametrize("bad", [-1, float("nan"), None, "50", True])
def test_band_of_bad_input(bad):
    with pytest.raises(ValueError):
        aqi.band_of(bad)


def test_bands_have_colours_names_advice_and_accessible_labels():
    reference = {
        1: ((0, 191, 243), "คุณภาพอากาศดีมาก", "Very good"),
        2: ((0, 166, 81), "คุณภาพอากาศดี", "Good"),
        3: ((253, 192, 78), "ปานกลาง", "Moderate"),
        4: ((242, 101, 34), "เริ่มมีผลกระทบต่อสุขภาพ", "Starting to affect health"),
        5: ((205, 0, 0), "มีผลกระทบต่อสุขภาพ", "Affects health"),
    }
    assert list(aqi.BANDS) == [1, 2, 3, 4, 5]
    icons = set()
    for number, band in aqi.BANDS.items():
        rgb, name_th, name_en = reference[number]
        assert band.number == number
        assert (band.aqi_min, band.aqi_max) == AQI_ROWS[number - 1]
        assert band.rgb == rgb
        assert band.hex == "#%02X%02X%02X" % rgb
        assert (band.name_th, band.name_en) == (name_th, name_en)
        for text in (band.name_th, band.name_en, band.advice_general_th, band.advice_general_en,
                     band.advice_sensitive_th, band.advice_sensitive_en,
                     band.label_th, band.label_en, band.icon):
            assert isinstance(text, str) and text.strip(), (number, text)
        # Thai texts are in Thai script, English ones are not.
        for text in (band.name_th, band.advice_general_th, band.advice_sensitive_th, band.label_th):
            assert any("\u0e00" <= ch <= "\u0e7f" for ch in text), text
        for text in (band.name_en, band.advice_general_en, band.advice_sensitive_en, band.label_en):
            assert not any("\u0e00" <= ch <= "\u0e7f" for ch in text), text
        assert str(number) in band.label_en and name_en in band.label_en
        assert str(number) in band.label_th and name_th in band.label_th
        icons.add(band.icon)
    assert len(icons) == 5                          # one icon per band


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = map(channel, rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_text_colour_is_readable_on_band_colour(number):
    band = aqi.BANDS[number]
    text = tuple(int(band.text_hex[i:i + 2], 16) for i in (1, 3, 5))
    light, dark = sorted((_luminance(band.rgb), _luminance(text)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5     # WCAG 2 AA, normal text


def test_sensitive_groups_are_named_in_both_languages():
    assert aqi.SENSITIVE_GROUPS_TH.strip() and aqi.SENSITIVE_GROUPS_EN.strip()
