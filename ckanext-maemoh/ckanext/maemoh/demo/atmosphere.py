"""Made-up air quality, weather and fires for the demo (DEMO DATA, MADE UP).

Nothing here is measured. This module GENERATES, deterministically, hourly
PM2.5/PM10 at the demo's stations, the district's weather and the regional
fire detections, with the structure the literature describes for the haze
season of upper northern Thailand, so that a PM2.5 forecaster trained on the
demo has something real to learn: seasonal biomass burning upwind, the
transport lag of its smoke, poor night-time mixing, and rain washout. The
demo's replay server (``deploy/demo/replay_sources.py``) serves these values
as Air4Thai, OpenAQ, DustBoy, SensorThings and NASA FIRMS payloads.

Pure numpy/pandas (no CKAN). Every random draw comes from a numpy
``Generator`` seeded by ``SEED`` and a text naming the stream (a block, a
place), so a value depends only on (place, hour): the same in every process
and whatever the request. Time runs in blocks of 366 days (8784 hours) from
``EPOCH`` (2024-01-01 00:00 Asia/Bangkok); every state recursion (AR(1)
processes, the rain Markov chain, the smoke burden) runs from the epoch and
carries its state from one block to the next (a block before the epoch starts
from a stationary draw). Blocks are computed with numpy and cached
(``functools.lru_cache``): one block of one place takes a few milliseconds.

An hour ``t`` is the END of its hour (as Air4Thai labels it); ``h`` is the
local (Asia/Bangkok) clock hour of ``t``, ``d`` its local day, ``m(d)`` a
monthly climatology interpolated linearly between mid-months (cyclically).
``afternoon(h) = (1 + cos(2 pi (h - 15) / 24)) / 2`` (1 at 15:00, 0 at 03:00).

1. Meteorology, one field for the district (the season regimes of Thai
   Meteorological Department climatology for Lampang):

   - regimes: NE monsoon Nov-Feb (dry, cool nights, winds from N/NE, weak
     mixing); hot dry season Mar-Apr (hot afternoons, winds turning S/SW via
     NW); SW monsoon May-Oct (rain, winds from SW).
   - rain days: a two-state Markov chain per day whose stationary wet
     probability ``p(m)`` is the month's rain days / days (Jan 1 ... Aug 20
     days) and whose lag-1 correlation is 0.35:
     ``P(wet | wet) = p + 0.35 (1 - p)``, ``P(wet | dry) = 0.65 p``.
     A wet day's amount is Gamma(shape 0.8) with the month's mean per rain
     day (monthly totals 5-210 mm); it falls as one shower of 1 + Poisson(1.5)
     hours (+ Poisson(1) in May-Oct) starting mostly at 13-20 h (80 %;
     otherwise any hour), split by a flat Dirichlet. ``rain(t)`` is mm in the
     hour ending at ``t``.
   - temperature: ``Tmin(d) = Tmin_m + a_d + 0.5 wet_d``, ``Tmax(d) = Tmax_m +
     a_d - 3 wet_d`` (monthly means 15-23.5 and 29-36.5 degC), ``a_d``
     AR(1) phi 0.7, sd 1.2 degC; ``T = Tmin + (Tmax - Tmin) afternoon(h) -
     1.5 (1 - exp(-rain/2))``.
   - relative humidity: ``RH = RHn_m - (RHn_m - RHa_m) afternoon(h) + 15
     wet_d afternoon(h) + 20 (1 - exp(-r/3))`` (night 78-93 %, afternoon
     30-70 %), clipped to 15-99 %; ``r`` is the rain memory below.
   - wind speed (m/s): ``ws = U_m exp(w_d) (0.35 + 1.3 afternoon(h)^1.5)
     exp(nu_t)``: calm nights (0.3-0.8 m/s), afternoon maximum (2-4 m/s);
     ``U_m`` 1.3 (Dec-Jan) to 2.3 (Jun-Jul), ``w_d`` AR(1) phi 0.6 sd 0.25,
     ``nu_t`` hourly AR(1) phi 0.8 sd 0.2; clipped to 0.1-9 m/s.
   - wind direction (degrees from north, where the wind comes FROM):
     ``wd_d = P_m + delta_d`` with the prevailing direction ``P_m`` (Jan 20,
     Feb 350, Mar 260, Apr 230, May-Sep 220-240, Oct 60, Nov 40, Dec 30;
     interpolated as a unit vector) and ``delta_d`` AR(1) phi 0.7, sd 45 deg;
     hourly ``wd = wd_d + omega_t``, ``omega_t`` AR(1) phi 0.8 sd 20 deg.
   - the station MM-WX-01 (and any other place asking for weather) adds its
     own small hourly AR(1) noise (0.3 degC, 1.5 %RH, 10 % wind speed,
     8 deg).

2. Fires (biomass burning: forest understorey and crop residues, January to
   April, peaking in March; e.g. the MODIS/VIIRS hotspot climatologies of
   northern Thailand, Myanmar and Laos):

   - activity: ``A_d = F_m exp(x_d) (0.3 if wet_d else 1)`` detections a day
     over the whole domain, ``F_m`` Jan 60, Feb 250, Mar 600, Apr 380, May
     40, Jun-Oct 1-4, Nov 8, Dec 20; ``x_d`` AR(1) phi 0.75 sd 0.7 (burning
     comes in multi-day episodes). ``N_d ~ Poisson(A_d)`` detections on UTC
     day ``d``.
   - places, within ``DOMAIN_KM`` (300 km) of the district centre
     (18.41 N, 99.84 E), by sector (bearing from the centre, von Mises):
     the forested hills W/NW towards Mae Hong Son and Myanmar (285 deg, 40 %),
     the hills N towards Phayao, Nan and Laos (10 deg, 28 %), the lowlands
     S/SE (160 deg, 12 %), anywhere (uniform in area, 18.8 %), and local
     burning within 25 km of the centre (1.2 %); uniform in area along a
     sector, at least 5 km out.
   - each detection: a source (VIIRS SNPP, NOAA-20, NOAA-21 27 % each, MODIS
     19 %), a day (75 %) or night overpass (the satellite's pass that day
     +-20 min), an FRP in MW (lognormal, median 5 VIIRS / 12 MODIS, night
     x 0.6, clipped to 0.3-95 MW), and uniforms for the CSV's brightness,
     scan, track and confidence fields (brightness follows the FRP).

3. PM2.5 (ug/m3) at a place (latitude, longitude):

       PM25 = site * W_t * exp(eta_t - 0.12^2/2)
              * [ (B_d + 150 tanh(C_T S_t / 150)) D(h) + L_m V_t ]

   - background ``B_d = B_m exp(b_d)``: B_m 11-15 in the wet season, 22-30
     in the dry season (the regional haze layer); ``b_d`` AR(1) phi 0.85,
     sd 0.15.
   - transported smoke ``S_t``, the upwind fire burden: every detection f
     adds ``FRP_f * K(r_f) * U_f`` at hour ``t_f + r_f / (6 km/h)`` (a lag of
     about 1 h at 5 km to 2 days at 300 km) with ``K(r) = exp(-max(r, 10) /
     120 km)`` (dilution over 25-300 km) and ``U = 0.1 + 0.9 ((1 + cos(beta
     - wd_d)) / 2)^4`` where ``beta`` is the fire's bearing from the place
     and ``wd_d`` the wind direction of the fire's day: a fire upwind counts
     fully, one downwind a tenth. The burden decays with a 24 h residence
     time: ``S_t = exp(-1/24) S_(t-1) + arrivals_t``; ``C_T = 0.09``
     ug/m3 per MW-equivalent, linear up to about 75 ug/m3 of smoke and
     softly bounded at 150 (the smoke layer deepens; it keeps the worst
     hours plausible). Position matters: each place has its own distances
     and bearings (nearby fires count most).
   - local accumulation ``L_m V_t``: local sources (cooking, traffic, the
     mine, small burns) ``L_m`` 3 (wet) to 6 (cool dry season) ug/m3 at the
     reference ventilation, ``V_t = min(1.5 / max(ws, 0.3), 5) (1 + 0.6 (1 -
     afternoon(h)))``: accumulation in calm air and under the shallow
     nocturnal boundary layer.
   - diurnal cycle ``D(h) = 1 + 0.15 cos(2 pi (h - 6) / 24)``: highest
     around 06:00, lowest in the late afternoon when mixing is deepest.
   - washout ``W_t = 1 - 0.6 (1 - exp(-r_t / 2))`` with the rain memory
     ``r_t = exp(-1/6) r_(t-1) + rain_t`` (mm): rain lowers PM2.5 by up to
     60 % and the effect fades over the next hours.
   - ``site``: 0.9-1.1 by place (a fixed draw); ``eta_t``: hourly AR(1)
     noise by place, phi 0.9, sd 0.12 (hours are autocorrelated).
   - result clipped to 2-500 ug/m3 and rounded to 0.1.

   Typical levels (monthly means of 2024-2025): wet season 13-16, mostly
   under 25; December-January 43-52; February-March 80-85 with episodes
   whose worst days average 120-140 (hours up to about 270); April 60.

4. PM10 = PM2.5 * (1.3 + 0.3 u_t), ``u_t`` uniform by place and hour.

5. What a low-cost optical sensor (DustBoy, PurpleAir, Clarity) reads of
   that PM2.5 (:func:`low_cost_pm25`): ``raw = 1.35 PM2.5 g(RH) + e_t``,
   ``g(RH) = 1 + 0.05 (RH/100)^2 / (1 - RH/100)`` with the place's RH
   (:func:`weather`, at most 99 %), ``e_t`` N(0, 1.5) by place and hour,
   clipped to 0-1000 and rounded to 0.1. So the sensor reads about 40 %
   high in dry air (1.35 x 1.03 at 50 % RH) and much more in humid hours
   (x 1.6 at 90 %, hygroscopic growth of the particles the sensor counts
   as dry mass): the bias and humidity effect reported for Plantower
   sensors (Barkjohn et al. 2021; Chiang Mai DustBoy evaluations). A
   correction linear in RH (the US EPA form) takes most of it, not all.

The public API (used by the demo, the forecasting benchmark and tests):
``STATIONS``, :func:`hourly`, :func:`fire_detections`, :func:`fires`,
:func:`pm25`, :func:`pm10`, :func:`low_cost_pm25`, :func:`weather`.
"""
import csv
import datetime
import functools
import hashlib
import math
import pathlib
import zoneinfo

import numpy as np
import pandas as pd

BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=BANGKOK)
EPOCH_DATE = EPOCH.date()
BLOCK_DAYS = 366
BLOCK_HOURS = BLOCK_DAYS * 24
SEED = 20240112  # one of the first seeds whose 2026-03-10 is a haze day with fires near (the CKAN tests)
CENTRE = (18.41, 99.84)  # latitude, longitude of the district centre
DOMAIN_KM = 300.0
KM_PER_DEGREE = 111.32
WEATHER_STATION = "MM-WX-01"

_DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
with open(_DATA / "air4thai_stations.csv", encoding="utf-8", newline="") as _file:
    STATIONS = {row["station_id"]: (float(row["lat"]), float(row["lon"]))
                for row in csv.DictReader(_file)}
STATIONS[WEATHER_STATION] = (18.4296, 99.9186)
AIR_STATIONS = tuple(s for s in STATIONS if s != WEATHER_STATION)
WEATHER_VARIABLES = ("temperature", "relative-humidity", "wind-speed", "wind-direction", "rainfall")
AIR_VARIABLES = ("pm25", "pm10")

# --- climatology (monthly, Jan..Dec) ----------------------------------------------------
RAIN_DAYS = (1, 1, 3, 6, 14, 15, 17, 20, 17, 10, 3, 1)
RAIN_MM = (5, 10, 25, 60, 160, 130, 150, 210, 200, 90, 25, 10)
TMIN = (15, 16, 19, 22, 23.5, 23.5, 23, 23, 23, 21.5, 18.5, 15.5)
TMAX = (30, 33, 35.5, 36.5, 34.5, 32.5, 31.5, 31, 31.5, 31, 30, 29)
RH_NIGHT = (88, 84, 78, 78, 88, 93, 93, 93, 93, 92, 90, 89)
RH_AFTERNOON = (42, 35, 30, 36, 55, 65, 68, 70, 68, 60, 52, 47)
WIND_SPEED = (1.3, 1.4, 1.7, 1.9, 2.0, 2.3, 2.3, 2.1, 1.7, 1.5, 1.4, 1.3)
WIND_FROM = (20, 350, 260, 230, 225, 235, 240, 240, 220, 60, 40, 30)
FIRES = (60, 250, 600, 380, 40, 4, 1.5, 1, 1.5, 3, 8, 20)
BACKGROUND = (28, 30, 30, 26, 15, 12, 11, 11, 12, 15, 22, 26)
LOCAL = (6, 6, 5, 4, 3, 3, 3, 3, 3, 3, 5, 6)

# fire sectors: (bearing from the centre, von Mises kappa, share); then uniform, local
SECTORS = ((285.0, 3.0, 0.40), (10.0, 5.0, 0.28), (160.0, 3.0, 0.12))
UNIFORM_SHARE, LOCAL_SHARE, LOCAL_KM, MIN_KM = 0.188, 0.012, 25.0, 5.0
# FIRMS source -> (share of detections, [(satellite, day pass, night pass in minutes UTC)])
SOURCES = {
    "VIIRS_SNPP_NRT": (0.27, [("N", 6 * 60 + 5, 18 * 60 + 10)]),
    "VIIRS_NOAA20_NRT": (0.27, [("N20", 5 * 60 + 15, 17 * 60 + 20)]),
    "VIIRS_NOAA21_NRT": (0.27, [("N21", 5 * 60 + 40, 17 * 60 + 45)]),
    "MODIS_NRT": (0.19, [("Terra", 3 * 60 + 30, 15 * 60 + 20), ("Aqua", 6 * 60 + 25, 18 * 60 + 30)]),
}
SOURCE_NAMES = tuple(SOURCES)
SATELLITES = [(source, name, day, night) for source, (_, passes) in SOURCES.items()
              for name, day, night in passes]

# transport and PM2.5
TRANSPORT_KMH = 6.0
DILUTION_KM = 120.0
RESIDENCE_H = 24.0
C_T = 0.09
SMOKE_MAX = 150.0
NOISE_PHI, NOISE_SD = 0.9, 0.12
RAIN_MEMORY_H = 6.0
SPILL = 80  # hours a block's smoke can arrive after its end


def _seed(*parts):
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _rng(*parts):
    return np.random.default_rng([SEED, _seed(*parts)])


def _monthly(table, dates):
    """A monthly climatology at each date (linear between mid-months, cyclic)."""
    position = (dates.day_of_year.to_numpy() - 15.5) / (365.25 / 12)
    values = np.asarray(table, dtype=float)
    return np.interp(position, np.arange(-1, 13), np.r_[values[-1], values, values[0]])


def _monthly_angle(table, dates):
    radians = np.radians(table)
    return np.degrees(np.arctan2(_monthly(np.sin(radians), dates),
                                 _monthly(np.cos(radians), dates))) % 360


def _ar1(innovations, phi, start):
    """x_t = phi x_(t-1) + e_t from x_(-1) = start."""
    out = np.empty(len(innovations))
    x = start
    for i, e in enumerate(innovations.tolist()):
        x = phi * x + e
        out[i] = x
    return out


def _afternoon(hours):
    return (1 + np.cos(2 * np.pi * (hours - 15) / 24)) / 2


def _dates(k):
    return pd.date_range(EPOCH_DATE + datetime.timedelta(days=k * BLOCK_DAYS), periods=BLOCK_DAYS,
                         freq="D")


# --- the district: weather, background and fire activity --------------------------------

@functools.lru_cache(maxsize=64)
def _district(k):
    """Block ``k``'s district-wide daily and hourly series and its end state."""
    rng = _rng("district", k)
    dates = _dates(k)
    month = dates.month.to_numpy() - 1
    n = BLOCK_DAYS
    if k > 0:
        state = _district(k - 1)["end"]
    else:
        init = _rng("district-init", k)
        state = {"wet": False, "a": init.normal(0, 1.2), "w": init.normal(0, 0.25),
                 "delta": init.normal(0, 45), "b": init.normal(0, 0.15), "x": init.normal(0, 0.7),
                 "omega": init.normal(0, 20), "nu": init.normal(0, 0.2), "r": 0.0}
    # daily: rain Markov chain and amounts
    p = _monthly(np.array(RAIN_DAYS) / np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]),
                 dates)
    p11, p01 = p + 0.35 * (1 - p), 0.65 * p
    u = rng.random(n)
    wet = np.empty(n, dtype=bool)
    previous = state["wet"]
    for i in range(n):
        previous = bool(u[i] < (p11[i] if previous else p01[i]))
        wet[i] = previous
    per_wet_day = _monthly(np.array(RAIN_MM) / np.array(RAIN_DAYS), dates)
    amount = np.where(wet, rng.gamma(0.8, per_wet_day / 0.8), 0.0)
    # daily AR(1) anomalies
    a = _ar1(rng.normal(0, 1.2 * math.sqrt(1 - 0.7 ** 2), n), 0.7, state["a"])
    w = _ar1(rng.normal(0, 0.25 * math.sqrt(1 - 0.6 ** 2), n), 0.6, state["w"])
    delta = _ar1(rng.normal(0, 45 * math.sqrt(1 - 0.7 ** 2), n), 0.7, state["delta"])
    b = _ar1(rng.normal(0, 0.15 * math.sqrt(1 - 0.85 ** 2), n), 0.85, state["b"])
    x = _ar1(rng.normal(0, 0.7 * math.sqrt(1 - 0.75 ** 2), n), 0.75, state["x"])
    wd_day = (_monthly_angle(WIND_FROM, dates) + delta) % 360
    activity = _monthly(FIRES, dates) * np.exp(x) * np.where(wet, 0.3, 1.0)
    # hourly rain: one shower per wet day
    rain = np.zeros(BLOCK_HOURS + 48)
    hours = np.arange(24)
    evening = np.exp(-0.5 * ((hours - 16.5) / 2.5) ** 2)
    evening /= evening.sum()
    wet_season = (month >= 4) & (month <= 9)
    for day in np.flatnonzero(wet):
        start = rng.choice(24, p=evening) if rng.random() < 0.8 else rng.integers(24)
        length = 1 + rng.poisson(1.5) + (rng.poisson(1.0) if wet_season[day] else 0)
        shares = rng.dirichlet(np.ones(length))
        first = day * 24 + start
        rain[first:first + length] += amount[day] * shares
    spill, rain = rain[BLOCK_HOURS:], rain[:BLOCK_HOURS]
    if k > 0:
        rain[:len(state["spill"])] += state["spill"]
    memory = _ar1(rain, math.exp(-1 / RAIN_MEMORY_H), state["r"])
    # hourly weather
    h = np.tile(hours, n)
    aft = _afternoon(h)
    day_of = np.repeat(np.arange(n), 24)
    tmin = (_monthly(TMIN, dates) + a + 0.5 * wet)[day_of]
    tmax = (_monthly(TMAX, dates) + a - 3 * wet)[day_of]
    temperature = tmin + (tmax - tmin) * aft - 1.5 * (1 - np.exp(-rain / 2))
    rh_night, rh_aft = _monthly(RH_NIGHT, dates)[day_of], _monthly(RH_AFTERNOON, dates)[day_of]
    humidity = (rh_night - (rh_night - rh_aft) * aft + 15 * wet[day_of] * aft
                + 20 * (1 - np.exp(-memory / 3)))
    nu = _ar1(rng.normal(0, 0.2 * math.sqrt(1 - 0.8 ** 2), BLOCK_HOURS), 0.8, state["nu"])
    omega = _ar1(rng.normal(0, 20 * math.sqrt(1 - 0.8 ** 2), BLOCK_HOURS), 0.8, state["omega"])
    speed = (_monthly(WIND_SPEED, dates) * np.exp(w))[day_of] * (0.35 + 1.3 * aft ** 1.5) * np.exp(nu)
    direction = (wd_day[day_of] + omega) % 360
    end = {"wet": bool(wet[-1]), "a": a[-1], "w": w[-1], "delta": delta[-1], "b": b[-1],
           "x": x[-1], "omega": omega[-1], "nu": nu[-1], "r": memory[-1], "spill": spill}
    return {
        "wet": wet, "wd_day": wd_day, "activity": activity,
        "background": _monthly(BACKGROUND, dates) * np.exp(b), "local": _monthly(LOCAL, dates),
        "temperature": np.clip(temperature, -5, 50), "relative-humidity": np.clip(humidity, 15, 99),
        "wind-speed": np.clip(speed, 0.1, 9.0), "wind-direction": direction, "rainfall": rain,
        "rain_memory": memory, "end": end,
    }


# --- fires --------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _fire_block(k):
    """Every detection of the UTC days of block ``k``, sorted by day then time."""
    rng = _rng("fires", k)
    activity = _district(k)["activity"]
    counts = rng.poisson(activity)
    total = int(counts.sum())
    day = np.repeat(np.arange(BLOCK_DAYS), counts) + k * BLOCK_DAYS
    # where: sector, bearing and distance from the centre
    shares = np.array([s for _, _, s in SECTORS] + [UNIFORM_SHARE, LOCAL_SHARE])
    kind = rng.choice(len(shares), size=total, p=shares / shares.sum())
    bearing = rng.uniform(0, 360, total)
    for number, (centre, kappa, _) in enumerate(SECTORS):
        chosen = kind == number
        bearing[chosen] = (centre + np.degrees(rng.vonmises(0, kappa, chosen.sum()))) % 360
    local = kind == len(SECTORS) + 1
    low = np.where(local, 0.0, MIN_KM)
    high = np.where(local, LOCAL_KM, DOMAIN_KM)
    distance = np.sqrt(low ** 2 + (high ** 2 - low ** 2) * rng.random(total))
    latitude = CENTRE[0] + distance * np.cos(np.radians(bearing)) / KM_PER_DEGREE
    longitude = CENTRE[1] + distance * np.sin(np.radians(bearing)) / (
        KM_PER_DEGREE * math.cos(math.radians(CENTRE[0])))
    # which satellite, day or night, when
    source_share = np.array([SOURCES[s][0] for s in SOURCE_NAMES])
    source = rng.choice(len(SOURCE_NAMES), size=total, p=source_share)
    pick = rng.random(total)
    satellite = np.array([next(i for i, row in enumerate(SATELLITES) if row[0] == name)
                          for name in SOURCE_NAMES])[source]
    satellite = satellite + ((source == SOURCE_NAMES.index("MODIS_NRT")) & (pick < 0.5))
    daytime = rng.random(total) < 0.75
    offsets = rng.integers(-20, 20, size=(BLOCK_DAYS, len(SATELLITES), 2))
    passes = np.array([[day_pass, night_pass] for _, _, day_pass, night_pass in SATELLITES])
    minute = passes[satellite, np.where(daytime, 0, 1)] + offsets[day - k * BLOCK_DAYS, satellite,
                                                                  np.where(daytime, 0, 1)]
    # how strong
    viirs = source != SOURCE_NAMES.index("MODIS_NRT")
    z = rng.normal(0, 1, total)
    sigma = np.where(viirs, 0.9, 0.8)
    frp = np.exp(np.log(np.where(viirs, 5.0, 12.0)) + sigma * z) * np.where(daytime, 1.0, 0.6)
    frp = np.clip(frp, 0.3, 95.0)
    fields = rng.random((5, total))
    strength = 1 / (1 + np.exp(-1.7 * z))
    order = np.lexsort((minute, day))
    table = {
        "day": day, "minute": minute, "latitude": latitude, "longitude": longitude, "frp": frp,
        "source": source, "satellite": satellite, "daytime": daytime,
        "u_bright": 0.6 * strength + 0.4 * fields[0], "u_scan": fields[1], "u_track": fields[2],
        "u_bright2": fields[3], "u_confidence": fields[4],
    }
    table = {name: values[order] for name, values in table.items()}
    # the hour (index from EPOCH) whose end follows the detection
    table["hour"] = -(-(table["day"] * 1440 + table["minute"] + 7 * 60) // 60)
    table["starts"] = np.searchsorted(table["day"], np.arange(BLOCK_DAYS + 1) + k * BLOCK_DAYS)
    return table


def fire_table(day):
    """The detections of UTC ``day`` (a date) as a dict of numpy arrays (views):
    day, minute (after 00:00 UTC), latitude, longitude, frp, source (index in
    ``SOURCE_NAMES``), satellite (index in ``SATELLITES``), daytime, u_* (the
    uniforms of the CSV's other fields)."""
    index = (day - EPOCH_DATE).days
    k, i = divmod(index, BLOCK_DAYS)
    table = _fire_block(k)
    first, last = table["starts"][i], table["starts"][i + 1]
    return {name: values[first:last] for name, values in table.items() if name != "starts"}


def fire_time(day, minute):
    return datetime.datetime.combine(day, datetime.time(int(minute) // 60, int(minute) % 60), UTC)


def fires(day):
    """[(time_utc, latitude, longitude, frp_mw, FIRMS source name)] on UTC ``day``."""
    table = fire_table(day)
    return [(fire_time(day, m), float(lat), float(lon), float(frp), SOURCE_NAMES[s])
            for m, lat, lon, frp, s in zip(table["minute"], table["latitude"], table["longitude"],
                                           table["frp"], table["source"])]


# --- a place: smoke, PM2.5, PM10, local weather -------------------------------------------

def _position(place, position):
    if position is not None:
        return (float(position[0]), float(position[1]))
    return STATIONS.get(str(place), CENTRE)


@functools.lru_cache(maxsize=256)
def _smoke(latitude, longitude, k):
    """(burden of block ``k`` at a point, arrivals spilling into block k + 1)."""
    table, district = _fire_block(k), _district(k)
    dy = (table["latitude"] - latitude) * KM_PER_DEGREE
    dx = (table["longitude"] - longitude) * KM_PER_DEGREE * math.cos(math.radians(latitude))
    distance = np.hypot(dx, dy)
    bearing = np.degrees(np.arctan2(dx, dy))
    wind_from = district["wd_day"][table["day"] - k * BLOCK_DAYS]
    upwind = 0.1 + 0.9 * ((1 + np.cos(np.radians(bearing - wind_from))) / 2) ** 4
    weight = table["frp"] * np.exp(-np.maximum(distance, 10) / DILUTION_KM) * upwind
    arrival = table["hour"] - k * BLOCK_HOURS + np.rint(distance / TRANSPORT_KMH).astype(int)
    arrivals = np.bincount(arrival, weights=weight, minlength=BLOCK_HOURS + SPILL)
    if k > 0:
        previous_burden, previous_spill = _smoke(latitude, longitude, k - 1)
        arrivals[:len(previous_spill)] += previous_spill
        start = previous_burden[-1]
    else:
        start = 0.0
    burden = _ar1(arrivals[:BLOCK_HOURS], math.exp(-1 / RESIDENCE_H), start)
    return burden, arrivals[BLOCK_HOURS:]


@functools.lru_cache(maxsize=256)
def _place(place, latitude, longitude, k):
    """PM2.5 and PM10 of block ``k`` at a place (rounded to 0.1)."""
    rng = _rng("place", place, k)
    district = _district(k)
    start = _place(place, latitude, longitude, k - 1)["eta_end"] if k > 0 else \
        _rng("place-init", place, k).normal(0, NOISE_SD)
    eta = _ar1(rng.normal(0, NOISE_SD * math.sqrt(1 - NOISE_PHI ** 2), BLOCK_HOURS), NOISE_PHI, start)
    burden, _ = _smoke(latitude, longitude, k)
    h = np.tile(np.arange(24), BLOCK_DAYS)
    day_of = np.repeat(np.arange(BLOCK_DAYS), 24)
    diurnal = 1 + 0.15 * np.cos(2 * np.pi * (h - 6) / 24)
    ventilation = np.minimum(1.5 / np.maximum(district["wind-speed"], 0.3), 5) * (
        1 + 0.6 * (1 - _afternoon(h)))
    washout = 1 - 0.6 * (1 - np.exp(-district["rain_memory"] / 2))
    site = 0.9 + 0.2 * _rng("site", place).random()
    pm25 = site * washout * np.exp(eta - NOISE_SD ** 2 / 2) * (
        (district["background"][day_of] + SMOKE_MAX * np.tanh(C_T * burden / SMOKE_MAX)) * diurnal
        + district["local"][day_of] * ventilation)
    pm25 = np.round(np.clip(pm25, 2, 500), 1)
    pm10 = np.round(pm25 * (1.3 + 0.3 * rng.random(BLOCK_HOURS)), 1)
    return {"pm25": pm25, "pm10": pm10, "eta_end": eta[-1]}


@functools.lru_cache(maxsize=64)
def _weather(place, k):
    """The district's weather with the place's own small noise (rounded as served)."""
    rng = _rng("weather", place, k)
    district = _district(k)
    sds = {"temperature": 0.3, "relative-humidity": 1.5, "wind-speed": 0.1, "wind-direction": 8.0}
    if k > 0:
        start = _weather(place, k - 1)["end"]
    else:
        init = _rng("weather-init", place, k)
        start = {name: init.normal(0, sd) for name, sd in sds.items()}
    noise = {name: _ar1(rng.normal(0, sd * math.sqrt(1 - 0.8 ** 2), BLOCK_HOURS), 0.8, start[name])
             for name, sd in sds.items()}
    direction = np.round((district["wind-direction"] + noise["wind-direction"]) % 360) % 360
    return {
        "temperature": np.round(district["temperature"] + noise["temperature"], 1),
        "relative-humidity": np.round(np.clip(district["relative-humidity"]
                                              + noise["relative-humidity"], 15, 99), 1),
        "wind-speed": np.round(np.maximum(district["wind-speed"] * np.exp(noise["wind-speed"]), 0.1), 1),
        "wind-direction": direction,
        "rainfall": np.round(district["rainfall"], 1),
        "end": {name: values[-1] for name, values in noise.items()},
    }


# --- reading them -------------------------------------------------------------------------

def _index(t):
    """The hour index (from EPOCH) of the hour ending at ``t`` (floored to the hour)."""
    return math.floor((t - EPOCH).total_seconds() / 3600)


def _value(block, index, name):
    k, j = divmod(index, BLOCK_HOURS)
    return block(k)[name][j]


def pm25(place, t, position=None):
    """PM2.5 (ug/m3, 0.1) at ``place`` in the hour ending at ``t``; ``position``
    (latitude, longitude) for a place not in ``STATIONS`` (default: the centre)."""
    latitude, longitude = _position(place, position)
    return float(_value(lambda k: _place(str(place), latitude, longitude, k), _index(t), "pm25"))


def pm10(place, t, position=None):
    latitude, longitude = _position(place, position)
    return float(_value(lambda k: _place(str(place), latitude, longitude, k), _index(t), "pm10"))


LOW_COST_GAIN = 1.35
LOW_COST_KAPPA = 0.05
LOW_COST_NOISE_SD = 1.5


def low_cost_pm25(place, t, position=None):
    """What a low-cost sensor at ``place`` reads of :func:`pm25` in the hour
    ending at ``t`` (ug/m3, 0.1; section 5 of the module docstring)."""
    rh = min(weather(place, t)["relative-humidity"], 99.0) / 100
    k, j = divmod(_index(t), BLOCK_HOURS)
    noise = _low_cost_noise(str(place), k)[j]
    raw = LOW_COST_GAIN * pm25(place, t, position) * (1 + LOW_COST_KAPPA * rh ** 2 / (1 - rh)) + noise
    return float(np.round(np.clip(raw, 0, 1000), 1))


@functools.lru_cache(maxsize=64)
def _low_cost_noise(place, k):
    return _rng("low-cost", place, k).normal(0, LOW_COST_NOISE_SD, BLOCK_HOURS)


def weather(place, t):
    """{variable: value} of the hour ending at ``t`` at ``place``: temperature
    (degC), relative-humidity (%), wind-speed (m/s), wind-direction (degrees
    from north, where it blows from), rainfall (mm in the hour)."""
    k, j = divmod(_index(t), BLOCK_HOURS)
    block = _weather(str(place), k)
    return {name: float(block[name][j]) for name in WEATHER_VARIABLES}


def _span(series, first, last):
    """``series(k)[first:last]`` over hour indices, across blocks."""
    parts = []
    index = first
    while index < last:
        k, j = divmod(index, BLOCK_HOURS)
        stop = min(BLOCK_HOURS, j + last - index)
        parts.append(series(k)[j:stop])
        index += stop - j
    return np.concatenate(parts) if parts else np.empty(0)


def _timestamp(moment):
    moment = pd.Timestamp(moment)
    return moment.tz_localize(UTC) if moment.tzinfo is None else moment.tz_convert(UTC)


def hourly(start, end, stations=None):
    """Long table ``station_id, variable, time_utc, value`` of the hours ending
    in (``start``, ``end``]: pm25 and pm10 at the Air4Thai stations, the five
    weather variables at MM-WX-01 (``stations``: a subset of ``STATIONS``)."""
    start, end = _timestamp(start), _timestamp(end)
    first = _index(start.to_pydatetime()) + 1
    last = _index(end.to_pydatetime()) + 1
    times = pd.DatetimeIndex(EPOCH.astimezone(UTC) + pd.to_timedelta(np.arange(first, last), "h"))
    frames = []
    for station in (STATIONS if stations is None else stations):
        if station not in STATIONS:
            raise KeyError(f"unknown station {station!r}")
        if station == WEATHER_STATION:
            values = {name: _span(lambda k: _weather(station, k)[name], first, last)
                      for name in WEATHER_VARIABLES}
        else:
            latitude, longitude = STATIONS[station]
            values = {name: _span(lambda k: _place(station, latitude, longitude, k)[name], first, last)
                      for name in AIR_VARIABLES}
        for name, series in values.items():
            frames.append(pd.DataFrame({"station_id": station, "variable": name,
                                        "time_utc": times, "value": series}))
    if not frames or last <= first:
        return pd.DataFrame({"station_id": pd.Series(dtype=str), "variable": pd.Series(dtype=str),
                             "time_utc": pd.Series(dtype="datetime64[ns, UTC]"),
                             "value": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def fire_detections(start, end):
    """Every detection of the wide domain with ``start < time_utc <= end``:
    ``time_utc, latitude, longitude, frp_mw``."""
    start, end = _timestamp(start), _timestamp(end)
    first = (start.date() - EPOCH_DATE).days
    last = (end.date() - EPOCH_DATE).days
    frames = []
    for k in range(first // BLOCK_DAYS, last // BLOCK_DAYS + 1):
        table = _fire_block(k)
        times = (pd.Timestamp(EPOCH_DATE, tz=UTC) + pd.to_timedelta(table["day"], "D")
                 + pd.to_timedelta(table["minute"], "min"))
        frame = pd.DataFrame({"time_utc": times, "latitude": table["latitude"],
                              "longitude": table["longitude"], "frp_mw": table["frp"]})
        frames.append(frame[(frame["time_utc"] > start) & (frame["time_utc"] <= end)])
    return pd.concat(frames, ignore_index=True)
