"""Typed columns from the Rust side into pandas DataFrames (no CSV parsing).

A column arrives as ``(name, kind, data, mask, labels)`` (see
``python/src/columns.rs``): numbers as the raw bytes of a NumPy array, text as
a list of ``str``, categorical text as integer codes into ``labels``, and an
optional byte mask (0 where the row has no value, an empty CSV cell).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

_DTYPES = {"int": np.int64, "uint": np.uint64, "float": np.float64, "bool": np.bool_}


def _series(kind: str, data: Any, mask: Any, labels: Any) -> Any:
    present = None if mask is None else np.frombuffer(mask, dtype=np.uint8).astype(bool)
    if kind in _DTYPES:
        values = np.frombuffer(data, dtype=_DTYPES[kind])
        if present is None:
            return values.copy()
        if kind == "float":
            out = values.copy()
            out[~present] = np.nan
            return out
        # Integers and booleans with gaps: pandas' nullable arrays.
        if kind == "bool":
            return pd.arrays.BooleanArray(values.copy(), ~present)
        return pd.arrays.IntegerArray(values.copy(), ~present)
    if kind == "str":
        if present is None:
            return np.array(data, dtype=object)
        return np.array([v if p else None for v, p in zip(data, present)], dtype=object)
    if kind == "cat":
        codes = np.frombuffer(data, dtype=np.int32).copy()
        if present is not None:
            codes[~present] = -1
        cat = pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))
        # An absent row's placeholder label is not a value of the table.
        return cat if present is None else cat.remove_unused_categories()
    raise ValueError(f"unknown column kind {kind!r}")


def frame(columns: Sequence[tuple]) -> pd.DataFrame:
    """A DataFrame from typed columns, in their order."""
    data = {}
    for name, kind, payload, mask, labels in columns:
        data[name] = _series(kind, payload, mask, labels)
    if not data:
        return pd.DataFrame()
    return pd.DataFrame(data, copy=False)


def parameter_frame(df: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """Parameter columns (value labels, text) turned into numbers where every
    label is one, as a CSV reader would."""
    for p in parameters:
        if p in df.columns:
            try:
                df[p] = pd.to_numeric(df[p])
            except (ValueError, TypeError):
                pass
    return df
