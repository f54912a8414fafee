"""Moved to :mod:`airflow_provider_hubassoc._inputs` (the input rules the hook, operators and sensor share);
these names stay importable from here."""

from __future__ import annotations

from airflow_provider_hubassoc._inputs import (
    MAX_LABEL_NAME_LENGTH,
    MAX_LABEL_TEXT_LENGTH,
    MAX_RECORD_ID,
    label_length_problem,
    record_id_problem,
    shown,
)

__all__ = [
    "MAX_LABEL_NAME_LENGTH",
    "MAX_LABEL_TEXT_LENGTH",
    "MAX_RECORD_ID",
    "label_length_problem",
    "record_id_problem",
    "shown",
]
