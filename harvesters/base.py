"""What every source adapter offers the harvester glue.

An adapter is pure: it fetches with ``requests`` (through ``http.get``),
parses and normalises; it never imports CKAN. The glue calls, in this order:

1. ``Adapter.validate_config(config)`` when a harvest source is saved: the
   config with defaults filled in, or :class:`ConfigError` naming the key.
2. ``adapter.gather()`` -> keys: one unit of work each (a station, a file, a
   page), which becomes one harvest object.
3. ``adapter.fetch(key)`` -> the raw payload as text, kept verbatim in the
   harvest object (may bundle several HTTP answers as one JSON document).
4. ``adapter.parse(key, raw)`` -> :class:`~.model.Batch`. Pure and
   deterministic: the same raw text always gives the same batch.
"""
import datetime
import time


class ConfigError(ValueError):
    """A harvest source configuration error; the message names the key."""


#: the key of a source's configuration that says how often to harvest it,
#: in minutes; the harvester's, not the adapter's (``harvest/cadence.py``)
CADENCE_KEY = "every_minutes"
CADENCE_MINUTES = (5, 7 * 24 * 60)


def check_bbox(value):
    """``[west, south, east, north]`` as floats; ConfigError naming ``bbox``
    unless four numbers with west < east and south < north."""
    if not (isinstance(value, (list, tuple)) and len(value) == 4 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise ConfigError("bbox: must be four numbers [west, south, east, north]")
    west, south, east, north = (float(v) for v in value)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ConfigError("bbox: must be [west, south, east, north], west < east, south < north")
    return [west, south, east, north]


def check_whole(config, key, low, high):
    """ConfigError naming ``key`` unless ``config[key]`` is a whole number from ``low`` to ``high``."""
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}: a whole number from {low} to {high}")


def check_backfill_days(config, highest):
    """ConfigError unless ``backfill_days`` is 0 (none) or a whole number of
    days up to ``highest``."""
    value = config["backfill_days"]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
        raise ConfigError(f"backfill_days: 0 (none) or a whole number of days up to {highest}")


def split_cadence(config):
    """``(config without the cadence, minutes or None)``; ConfigError naming
    the key for a value that is not a whole number of minutes in range."""
    rest = {key: value for key, value in config.items() if key != CADENCE_KEY}
    if CADENCE_KEY not in config:
        return rest, None
    minutes, (lowest, highest) = config[CADENCE_KEY], CADENCE_MINUTES
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not lowest <= minutes <= highest:
        raise ConfigError(f"{CADENCE_KEY}: give a whole number of minutes from {lowest} to {highest}, "
                          f"not {minutes!r}")
    return rest, minutes


class Adapter:
    #: the harvest source type, e.g. "air4thai"
    name = ""
    #: Thai and English titles of the source type
    title = {"th": "", "en": ""}
    #: what the harvest source form says about the configuration
    config_help = ""
    #: configuration keys and their defaults (None: required)
    defaults = {}

    def __init__(self, url, config, *, session=None, sleep=time.sleep, now=None, backfill=False):
        self.url = url.rstrip("/")
        self.config = self.validate_config(config)
        self.session = session
        self.sleep = sleep
        self.now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        #: True when the key fetched was never harvested from this source:
        #: an adapter with a ``backfill_days`` option then fetches that much history
        self.backfill = backfill

    def history_days(self):
        """Days of history to fetch: ``backfill_days`` on a first harvest when
        it is longer, else ``days``."""
        days = self.config["days"]
        return max(days, self.config.get("backfill_days") or 0) if self.backfill else days

    @classmethod
    def validate_config(cls, config):
        """``config`` (a dict) with defaults filled in; ConfigError otherwise."""
        if not isinstance(config, dict):
            raise ConfigError("the configuration must be a JSON object")
        unknown = sorted(set(config) - set(cls.defaults))
        if unknown:
            raise ConfigError(f"unknown key(s): {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(cls.defaults))}")
        merged = {**cls.defaults, **config}
        missing = sorted(key for key, value in merged.items() if value is None)
        if missing:
            raise ConfigError(f"missing key(s): {', '.join(missing)}")
        return merged

    def gather(self):
        raise NotImplementedError

    def fetch(self, key):
        raise NotImplementedError

    def parse(self, key, raw):
        raise NotImplementedError
