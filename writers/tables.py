"""CSV for people: UTF-8, and no cell a spreadsheet would run as a formula."""
from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd


#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))


def _neutral(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def formula_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each text cell, index label and column name that starts with a
    :data:`FORMULA_STARTS` character prefixed by ``'``, so spreadsheets show it as text.

    Only ``str`` values change: numbers stay numbers (a negative float stays
    ``-3.5``, even in an object column), while text that looks like a number
    (``"-3.5"``) is text and gets the prefix, as OWASP's rule says.
    """
    out = df.copy()
    for position, dtype in enumerate(df.dtypes):
        if _is_text(dtype):
            out.isetitem(position, df.iloc[:, position].map(_neutral))
    if _is_text(out.index.dtype) and not isinstance(out.index, pd.MultiIndex):
        out.index = out.index.map(_neutral)
    out.columns = out.columns.map(_neutral)
    return out


def to_csv(df: pd.DataFrame, index: bool | None = None) -> str:
    """CSV text for people: UTF-8, formula-safe (:func:`formula_safe`), missing values empty.

    Lines end in ``\\r\\n`` (RFC 4180): then Python's csv writer quotes a cell
    holding ``\\r`` on every 3.11 release (before 3.11.9 it did not with ``\\n``).
    A geometry column is left out (publish geometry as GeoJSON). The index is
    written when it is named (e.g. ``cell_id``) unless ``index`` says otherwise.
    """
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    if index is None:
        index = df.index.name is not None
    return formula_safe(df).to_csv(index=index, lineterminator="\r\n")
