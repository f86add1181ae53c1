"""Method records: what a computation used and how, as JSON."""
from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import platform
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ckanext.maemoh.writers.maps import thai_font
from ckanext.maemoh.writers.values import json_safe

#: libraries whose versions every method record names
RECORDED_LIBRARIES = ("numpy", "pandas", "geopandas", "shapely", "esda", "libpysal", "matplotlib", "scipy", "pyproj")


def library_versions(names: Iterable[str] = RECORDED_LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution, None when absent."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def method_record(
    *,
    job: str,
    inputs: Sequence[Mapping[str, Any]],
    parameters: Mapping[str, Any] | None = None,
    seed: int | None = None,
    run_time: _dt.datetime | None = None,
    components: Sequence[Mapping[str, Any]] = (),
    notes: Sequence[str] = (),
) -> dict:
    """What a run used and how, as a JSON-serialisable dict.

    ``inputs``: one mapping per input, e.g. ``{"dataset_id": ..., "resource_id":
    ..., "time_start": ..., "time_end": ...}`` (datetimes become ISO 8601).
    ``components``: e.g. ``HazardResult.record()`` of each dimension.
    ``run_time_utc`` defaults to now; ``seed`` is recorded as given (None when
    nothing random ran). Library versions: :data:`RECORDED_LIBRARIES`.
    """
    when = run_time or _dt.datetime.now(_dt.timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    record = {
        "job": job,
        "run_time_utc": when.astimezone(_dt.timezone.utc).isoformat(),
        "inputs": [dict(i) for i in inputs],
        "parameters": dict(parameters or {}),
        "components": [dict(c) for c in components],
        "seed": seed,
        "notes": list(notes),
        "python": platform.python_version(),
        "libraries": library_versions(),
        "thai_font": thai_font(),
    }
    record = json_safe(record)
    json.dumps(record, allow_nan=False)  # fail here, not at publication
    return record
