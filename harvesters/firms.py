"""NASA FIRMS active fires: satellite fire detections around Mae Moh.

One key per FIRMS source (VIIRS_SNPP_NRT, ..., MODIS_NRT); the raw payload
is the CSV answer of the area API as sent. Source facts (reference §3):
``acq_date``/``acq_time`` are UTC and ``acq_time`` is HHMM that may lack its
leading zeros ("5" = 00:05, "712" = 07:12); brightness in K, ``frp`` in MW;
VIIRS confidence is l/n/h, MODIS 0-100.

Each row gives a :class:`~.model.FireDetection` or, when it is unusable
(missing or non-numeric field, position outside WGS84 or the bbox, FRP
negative or absurd, unreadable time), a :class:`~.model.Reject` for
``fire-radiative-power`` whose ``raw_value`` is the row and ``raw_ref`` is
"SOURCE/row N" (N counts data rows from 1). A header-only CSV is a valid
empty batch. An answer that is not CSV with the expected header (FIRMS
answers HTTP 200 with "Invalid MAP_KEY." or an HTML page) makes
:meth:`Firms.parse` raise ``ValueError`` and :meth:`Firms.fetch` raise
:class:`~.http.SourceError`. The MAP_KEY never appears in a message.
"""
import csv
import datetime
import io
import math
import re

from ckanext.maemoh.harvesters import http, model
from ckanext.maemoh.harvesters.base import Adapter, ConfigError

NETWORK = "firms"
VARIABLE = "fire-radiative-power"
SOURCES = ("VIIRS_SNPP_NRT", "VIIRS_NOAA20_NRT", "VIIRS_NOAA21_NRT", "MODIS_NRT")
# Columns read from each instrument family's CSV (others are kept in the raw only).
BRIGHTNESS_COLUMN = {"VIIRS": "bright_ti4", "MODIS": "brightness"}
COLUMNS = ("latitude", "longitude", "acq_date", "acq_time", "satellite",
           "instrument", "confidence", "frp", "daynight")
# Brightness temperatures outside this range (K) are instrument faults.
BRIGHTNESS_K = (150.0, 700.0)
VIIRS_CONFIDENCE = {"l": "low", "n": "nominal", "h": "high",
                    "low": "low", "nominal": "nominal", "high": "high"}
MAP_KEY = re.compile(r"[0-9A-Za-z]+")
MASK = "***"


class BadRow(ValueError):
    """A CSV row that gives no detection; the message says why."""


class Firms(Adapter):
    name = "firms"
    title = {"th": "จุดความร้อนจากดาวเทียม (NASA FIRMS)",
             "en": "Satellite fire detections (NASA FIRMS)"}
    config_help = ('URL: the FIRMS host, e.g. https://firms.modaps.eosdis.nasa.gov. '
                   'Configuration: {"map_key": "...", "sources": ["VIIRS_SNPP_NRT", ...], '
                   '"bbox": [west, south, east, north], "days": 1-5}')
    defaults = {"map_key": None, "sources": list(SOURCES),
                "bbox": [99.62, 18.19, 100.06, 18.63], "days": 2}
    timeout = 60  # seconds per request

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        if not isinstance(config["map_key"], str) or not MAP_KEY.fullmatch(config["map_key"]):
            raise ConfigError("map_key: a FIRMS MAP_KEY (letters and digits only)")
        sources = config["sources"]
        if (not isinstance(sources, list) or not sources
                or len(set(map(str, sources))) != len(sources)):
            raise ConfigError("sources: a non-empty list of distinct FIRMS source names")
        unknown = [str(s) for s in sources if s not in SOURCES]
        if unknown:
            raise ConfigError(f"sources: unknown {', '.join(unknown)}; "
                              f"known: {', '.join(SOURCES)}")
        _check_bbox(config["bbox"])
        days = config["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 5:
            raise ConfigError("days: a whole number of days from 1 to 5")
        return config

    def gather(self):
        return list(self.config["sources"])

    def fetch(self, key):
        area = ",".join(str(v) for v in self.config["bbox"])
        days, map_key = self.config["days"], self.config["map_key"]
        url = f"{self.url}/api/area/csv/{map_key}/{key}/{area}/{days}"
        try:
            response = http.get(url, session=self.session, sleep=self.sleep, timeout=self.timeout)
            text = response.content.decode("utf-8-sig", errors="replace")
            self.parse(key, text)
        except (http.SourceError, ValueError) as error:
            # from None: the chained error would carry the URL with the key.
            raise http.SourceError(self._mask(f"FIRMS {key}: {error}")) from None
        return text

    def parse(self, key, raw):
        family = "MODIS" if key.startswith("MODIS") else "VIIRS"
        try:
            rows = list(csv.reader(io.StringIO(raw)))
        except csv.Error as error:
            raise ValueError(f"{key}: unreadable CSV ({error})") from None
        header = [name.strip() for name in rows[0]] if rows else []
        needed = (BRIGHTNESS_COLUMN[family],) + COLUMNS
        missing = [name for name in needed if name not in header]
        if missing:
            first_line = raw.strip().splitlines()[0][:120] if raw.strip() else ""
            raise ValueError(f"{key}: not a FIRMS {family} CSV answer (no column "
                             f"{', '.join(missing)}): {first_line!r}")
        batch = model.Batch()
        for number, fields in enumerate((r for r in rows[1:] if r), start=1):
            record = self._row(key, family, header, fields, f"{key}/row {number}")
            if isinstance(record, model.FireDetection):
                batch.detections.append(record)
            else:
                batch.rejects.append(record)
        return batch

    def _row(self, key, family, header, fields, ref):
        time = None
        try:
            if len(fields) != len(header):
                raise BadRow(f"{len(fields)} fields where the header has {len(header)} "
                             "(truncated row?)")
            row = {name: value.strip() for name, value in zip(header, fields)}
            brightness_column = BRIGHTNESS_COLUMN[family]
            empty = [name for name in (brightness_column,) + COLUMNS if not row[name]]
            if empty:
                raise BadRow(f"missing {', '.join(empty)}")
            time = _acquired(row["acq_date"], row["acq_time"])
            latitude, longitude = _number(row, "latitude"), _number(row, "longitude")
            self._check_position(latitude, longitude)
            brightness = _number(row, brightness_column)
            if not BRIGHTNESS_K[0] <= brightness <= BRIGHTNESS_K[1]:
                raise BadRow(f"{brightness_column} {brightness:g} K outside "
                             f"{BRIGHTNESS_K[0]:g}-{BRIGHTNESS_K[1]:g} K")
            frp = model.normalise(station_id=key, network=NETWORK, variable=VARIABLE,
                                  raw_value=row["frp"], unit="MW", averaging_period="instant",
                                  time=time, raw_ref=ref)
            if isinstance(frp, model.Reject):
                raise BadRow(f"frp: {frp.reason}")
            confidence = _confidence(family, row["confidence"])
            if row["daynight"] not in ("D", "N"):
                raise BadRow(f"daynight {row['daynight']!r} is not D or N")
        except BadRow as problem:
            return model.Reject(key, NETWORK, VARIABLE, ",".join(fields), time, str(problem), ref)
        return model.FireDetection(
            source=key, latitude=latitude, longitude=longitude, time=time,
            brightness_k=brightness, frp_mw=frp.value, confidence=confidence,
            confidence_raw=row["confidence"], satellite=row["satellite"],
            instrument=row["instrument"], daynight=row["daynight"], raw_ref=ref)

    def _check_position(self, latitude, longitude):
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise BadRow(f"latitude/longitude {latitude},{longitude} outside WGS84")
        west, south, east, north = self.config["bbox"]
        if not (south <= latitude <= north and west <= longitude <= east):
            raise BadRow(f"latitude/longitude {latitude},{longitude} outside the bbox")

    def _mask(self, text):
        return text.replace(self.config["map_key"], MASK)


def _check_bbox(bbox):
    if (not isinstance(bbox, list) or len(bbox) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v) for v in bbox)):
        raise ConfigError("bbox: four numbers [west, south, east, north]")
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180):
        raise ConfigError("bbox: west and east must be longitudes with west < east")
    if not (-90 <= south < north <= 90):
        raise ConfigError("bbox: south and north must be latitudes with south < north")


def _number(row, column):
    try:
        value = float(row[column])
    except ValueError:
        raise BadRow(f"{column} {row[column]!r} is not a number") from None
    if not math.isfinite(value):
        raise BadRow(f"{column} {row[column]!r} is not a number")
    return value


def _acquired(date_text, hhmm):
    """UTC time of ``acq_date`` and ``acq_time`` (HHMM, leading zeros optional)."""
    if re.fullmatch(r"[0-9]{1,4}", hhmm):
        try:
            moment = datetime.datetime.strptime(f"{date_text} {hhmm.zfill(4)}", "%Y-%m-%d %H%M")
        except ValueError:
            pass
        else:
            return moment.replace(tzinfo=datetime.timezone.utc)
    raise BadRow(f"unreadable time {date_text!r} {hhmm!r}")


def _confidence(family, text):
    """low | nominal | high; MODIS 0-29 low, 30-79 nominal, 80-100 high."""
    if family == "VIIRS":
        if text.lower() not in VIIRS_CONFIDENCE:
            raise BadRow(f"confidence {text!r} is not l, n or h")
        return VIIRS_CONFIDENCE[text.lower()]
    if not re.fullmatch(r"[0-9]{1,3}", text) or int(text) > 100:
        raise BadRow(f"confidence {text!r} is not 0-100")
    value = int(text)
    return "low" if value < 30 else "nominal" if value < 80 else "high"
