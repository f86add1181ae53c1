"""The variables sensor data may carry: canonical unit and plausible range.

One place for each: adapters convert every value to the canonical unit
(``units.convert``) and ``model.normalise`` rejects what falls outside the
plausible range. Codes are those of the schema's ``variable`` vocabulary.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    code: str
    unit: str            # canonical UCUM unit
    minimum: float       # below: impossible (concentrations cannot be negative)
    maximum: float       # above: impossible for this place (instrument fault)


VARIABLES = {v.code: v for v in (
    Variable("pm25", "ug/m3", 0, 1000),
    Variable("pm10", "ug/m3", 0, 2000),
    Variable("o3", "[ppb]", 0, 1000),
    Variable("co", "[ppm]", 0, 100),
    Variable("no2", "[ppb]", 0, 2000),
    Variable("so2", "[ppb]", 0, 5000),
    Variable("temperature", "Cel", -20, 55),
    Variable("relative-humidity", "%", 0, 100),
    Variable("wind-speed", "m/s", 0, 75),
    Variable("wind-direction", "deg", 0, 360),
    Variable("rainfall", "mm", 0, 500),
    Variable("pressure", "hPa", 850, 1100),
    Variable("water-ph", "[pH]", 0, 14),
    Variable("dissolved-oxygen", "mg/L", 0, 25),
    Variable("bod", "mg/L", 0, 1000),
    Variable("total-coliform", "{MPN}/dL", 0, 1e9),
    Variable("fecal-coliform", "{MPN}/dL", 0, 1e9),
    Variable("ammonia-nitrogen", "mg/L", 0, 500),
    Variable("nitrate-nitrogen", "mg/L", 0, 500),
    Variable("conductivity", "uS/cm", 0, 100000),
    Variable("manganese", "mg/L", 0, 1000),
    Variable("arsenic", "mg/L", 0, 100),
    Variable("lead", "mg/L", 0, 100),
    Variable("mercury", "mg/L", 0, 10),
    Variable("copper", "mg/L", 0, 1000),
    Variable("zinc", "mg/L", 0, 1000),
    Variable("fire-radiative-power", "MW", 0, 20000),
    Variable("waste-mass", "t", 0, 100000),
    Variable("waste-landfilled", "t", 0, 100000),
    Variable("electricity-use", "MW.h", 0, 1000000),
)}


def variable(code):
    """The :class:`Variable` of ``code``; KeyError names unknown codes."""
    try:
        return VARIABLES[code]
    except KeyError:
        raise KeyError(f"unknown variable {code!r}") from None
