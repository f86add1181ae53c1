"""Units: source spellings to UCUM codes, and conversions between UCUM codes.

The one module for unit conversions. Mass concentration and mixing ratio are
not converted into each other (that needs temperature and pressure the
sources do not give).
"""


class UnknownUnit(ValueError):
    """A unit spelling or a conversion we do not know."""


# Source spellings (lower-cased, spaces removed) -> UCUM code.
SPELLINGS = {
    "ug/m3": "ug/m3", "µg/m3": "ug/m3", "μg/m3": "ug/m3", "µg/m³": "ug/m3",
    "μg/m³": "ug/m3", "ug/m³": "ug/m3", "microgramspercubicmeter": "ug/m3",
    "mg/m3": "mg/m3", "mg/m³": "mg/m3",
    "ppb": "[ppb]", "[ppb]": "[ppb]", "ppm": "[ppm]", "[ppm]": "[ppm]",
    "c": "Cel", "°c": "Cel", "cel": "Cel", "degc": "Cel", "degreecelsius": "Cel",
    "k": "K", "kelvin": "K",
    "%": "%", "percent": "%", "%rh": "%",
    "m/s": "m/s", "km/h": "km/h", "kph": "km/h",
    "deg": "deg", "°": "deg", "degree": "deg",
    "mm": "mm", "hpa": "hPa", "mbar": "hPa",
    "ph": "[pH]", "[ph]": "[pH]", "mg/l": "mg/L",
    "mw": "MW", "w": "W",
    "t": "t", "ton": "t", "tonne": "t", "tons": "t", "ตัน": "t",
    "kg": "kg", "กก.": "kg",
    "kwh": "kW.h", "kw.h": "kW.h", "หน่วย": "kW.h", "กิโลวัตต์ชั่วโมง": "kW.h",
    "mwh": "MW.h", "mw.h": "MW.h", "gwh": "GW.h", "gw.h": "GW.h",
    "mpn/100ml": "{MPN}/dL", "{mpn}/dl": "{MPN}/dL", "mpn/dl": "{MPN}/dL",
    "us/cm": "uS/cm", "µs/cm": "uS/cm", "μs/cm": "uS/cm", "ms/cm": "mS/cm",
    "มก./ล.": "mg/L", "มก./ลิตร": "mg/L", "มิลลิกรัมต่อลิตร": "mg/L",
    "มคก./ลบ.ม.": "ug/m3", "ไมโครกรัมต่อลูกบาศก์เมตร": "ug/m3", "มก./ลบ.ม.": "mg/m3",
}

# (from, to) -> (factor, offset): to = from * factor + offset.
CONVERSIONS = {
    ("mg/m3", "ug/m3"): (1000.0, 0.0),
    ("ug/m3", "mg/m3"): (0.001, 0.0),
    ("[ppm]", "[ppb]"): (1000.0, 0.0),
    ("[ppb]", "[ppm]"): (0.001, 0.0),
    ("K", "Cel"): (1.0, -273.15),
    ("Cel", "K"): (1.0, 273.15),
    ("km/h", "m/s"): (1 / 3.6, 0.0),
    ("m/s", "km/h"): (3.6, 0.0),
    ("W", "MW"): (1e-6, 0.0),
    ("MW", "W"): (1e6, 0.0),
    ("kg", "t"): (0.001, 0.0),
    ("t", "kg"): (1000.0, 0.0),
    ("kW.h", "MW.h"): (0.001, 0.0),
    ("MW.h", "kW.h"): (1000.0, 0.0),
    ("GW.h", "MW.h"): (1000.0, 0.0),
    ("mS/cm", "uS/cm"): (1000.0, 0.0),
}


def ucum(spelling):
    """The UCUM code of a unit as a source spells it ("µg/m³" -> "ug/m3")."""
    key = "".join(str(spelling).split()).lower()
    try:
        return SPELLINGS[key]
    except KeyError:
        raise UnknownUnit(f"unknown unit {spelling!r}") from None


def convert(value, from_unit, to_unit):
    """``value`` in UCUM ``from_unit`` expressed in UCUM ``to_unit``."""
    if from_unit == to_unit:
        return value
    try:
        factor, offset = CONVERSIONS[(from_unit, to_unit)]
    except KeyError:
        raise UnknownUnit(f"no conversion from {from_unit} to {to_unit}") from None
    return value * factor + offset
