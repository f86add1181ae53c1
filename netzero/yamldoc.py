"""The YAML documents experts edit (GPC mapping, scenarios, guidance rules):
read one, and check that it has its top-level keys."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


def read(path: str | Path | None, default: Any) -> Any:
    """The parsed document at ``path``, or the packaged ``default`` file."""
    text = Path(path).read_text(encoding="utf-8") if path else default.read_text(encoding="utf-8")
    return yaml.safe_load(text)


def require(doc: Mapping[str, Any], keys: Iterable[str], what: str) -> None:
    """ValueError naming the first of ``keys`` that ``doc`` (``what``) lacks."""
    for key in keys:
        if key not in doc:
            raise ValueError(f"{what} lacks {key!r}")
