"""Episodes, not noise: when an hourly condition becomes an episode, how it
changes, when it ends, and what each subscriber is sent about it.

A track is one ``(kind, key, threshold)``: e.g. the AQI band of one tambon
at or above 4. Its :class:`State` moves by :func:`step`, once per clock hour,
over readings (an hour, as an aware UTC datetime on the hour, to a level or
None for no data). An episode opens when the level holds at or above the
threshold for ``Rules.open_hours`` consecutive hours and closes when it stays
below for ``Rules.clear_hours`` consecutive hours; missing hours neither open
nor close it, so a value flapping around the threshold stays one episode.
:func:`decide` turns a state and what a subscriber was already sent into at
most one message: "Alert", "Update" or "Cancel" (the all-clear).
"""
import datetime as dt
from dataclasses import dataclass, fields

KINDS = ("aqi", "forecast", "fire", "risk", "station_stale", "harvest_failed")
HOUR = dt.timedelta(hours=1)
MAX_HOURS = 72


@dataclass(frozen=True)
class Rules:
    """How long a condition must hold to open an episode, and stay clear to
    close it, in consecutive clock hours (each 1 to 72)."""

    open_hours: int = 2
    clear_hours: int = 3

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HOURS:
                raise ValueError(f"{field.name}: a whole number of hours from 1 to {MAX_HOURS}, not {value!r}")


@dataclass(frozen=True)
class State:
    """The episode of one track: ``opened_at`` is the first hour of the run
    that opened it, ``closed_at`` the first hour of the clear run that closed
    it (both UTC); ``level`` the sustained level (lowest of the last
    ``open_hours`` readings) and ``peak`` the highest sustained level."""

    open: bool = False
    opened_at: dt.datetime | None = None
    level: int | None = None
    peak: int | None = None
    closed_at: dt.datetime | None = None

    def as_dict(self):
        """JSON-able: times as ISO 8601 strings."""
        return {"open": self.open, "opened_at": _iso(self.opened_at), "level": self.level,
                "peak": self.peak, "closed_at": _iso(self.closed_at)}

    @classmethod
    def from_dict(cls, data):
        """The state :meth:`as_dict` gave."""
        return cls(open=bool(data["open"]), opened_at=_time(data["opened_at"]), level=data["level"],
                   peak=data["peak"], closed_at=_time(data["closed_at"]))


@dataclass(frozen=True)
class Sent:
    """What one subscriber was sent in the current episode of its track:
    ``level`` of the last Alert or Update (None: nothing), and whether the
    all-clear went out."""

    level: int | None = None
    cancelled: bool = False


def step(state, readings, hour, threshold, rules):
    """``(new state, transition)`` at ``hour``: transition "open", "worsen",
    "ease", "close" or None. Idempotent: the same input again changes
    nothing and gives no transition."""
    hour = _on_the_hour(hour)
    held = _levels(readings, hour, rules.open_hours)
    holding = None not in held and min(held) >= threshold
    if not state.open:
        if not holding:
            return state, None
        start = hour - (rules.open_hours - 1) * HOUR
        while readings.get(start - HOUR) is not None and readings[start - HOUR] >= threshold:
            start -= HOUR
        level = min(held)
        return State(open=True, opened_at=start, level=level, peak=level), "open"
    clear = _levels(readings, hour, rules.clear_hours)
    if None not in clear and max(clear) < threshold:
        closed = hour - (rules.clear_hours - 1) * HOUR
        return State(False, state.opened_at, state.level, state.peak, closed), "close"
    if not holding or min(held) == state.level:
        return state, None
    level = min(held)
    moved = State(True, state.opened_at, level, max(level, state.peak), None)
    return moved, "worsen" if level > state.level else "ease"


def decide(state, sent, sent_today, daily_cap):
    """What to send one subscriber now: "Alert" (open, nothing sent yet),
    "Update" (open and at least one band above what was sent), "Cancel"
    (closed after an Alert, not yet cancelled) or None. Alert and Update are
    withheld once ``sent_today`` reaches ``daily_cap``; Cancel never is."""
    if state.open:
        if sent_today >= daily_cap:
            return None
        if sent.level is None:
            return "Alert"
        return "Update" if state.level > sent.level else None
    return "Cancel" if sent.level is not None and not sent.cancelled else None


def _levels(readings, hour, count):
    """The readings of ``hour`` and the ``count - 1`` hours before it (None where missing)."""
    return [readings.get(hour - k * HOUR) for k in range(count)]


def _on_the_hour(hour):
    if hour.tzinfo is None or (hour.minute, hour.second, hour.microsecond) != (0, 0, 0):
        raise ValueError(f"hour: a timezone-aware time on the hour, not {hour!r}")
    return hour.astimezone(dt.timezone.utc)


def _iso(moment):
    return None if moment is None else moment.isoformat()


def _time(text):
    return None if text is None else dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc)
