"""The platform's one clock.

Every "now" of the CKAN layer (harvest adapters, the residents' pages and
actions, risk runs) comes from :func:`now`. ``ckanext.maemoh.clock.frozen_at``
stops it at one instant, so that a test suite or a reproducible demo gives the
same answer at any date and hour; the environment variable
``MAEMOH_FROZEN_AT`` overrides the option when the plugin is configured (to
run the suite at other instants), so a test may still move the clock by
setting the option.
"""
import datetime as dt
import os

import ckan.plugins.toolkit as tk

OPTION = "ckanext.maemoh.clock.frozen_at"
ENVIRONMENT = "MAEMOH_FROZEN_AT"


def configure(config):
    """Let ``MAEMOH_FROZEN_AT`` set the option (called by the plugin's ``configure``)."""
    if os.environ.get(ENVIRONMENT):
        config[OPTION] = os.environ[ENVIRONMENT]


def now():
    """The current time, timezone-aware in UTC (the frozen instant when set)."""
    frozen = tk.config.get(OPTION)
    if not frozen:
        return dt.datetime.now(dt.timezone.utc)
    return parse(frozen)


def wall():
    """The real time, never frozen: only for what another clock checks on
    arrival — a webhook's ``webhook-timestamp``, which receivers compare with
    their own time to refuse replays. Everything else reads :func:`now`."""
    return dt.datetime.now(dt.timezone.utc)


def parse(text):
    """An ISO 8601 time with its offset, as UTC; ValueError otherwise."""
    stamp = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        raise ValueError(f"{OPTION}: give the offset, e.g. 2026-03-10T07:00:00Z, not {text!r}")
    return stamp.astimezone(dt.timezone.utc)
