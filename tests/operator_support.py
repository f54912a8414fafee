"""Helpers shared by the operator tests: a stand-in task instance for calling ``execute()`` directly, and the
CSV input files the operators read.

The limiter hygiene fixture (``fresh_limiters``) lives in ``transport_helpers``; the emulator without rate limits
(``emulator``) is a fixture of ``tests/integration/operators/conftest.py``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class FakeTaskInstance:
    """The parts of a task instance an operator uses: its key (dag, task, run, map index: where the checkpoint
    lives) and the XCom pushes besides the return value, kept in ``pushed``.

    A test module names its own key by subclassing (``dag_id, task_id, run_id = "keys", "link", "manual__keys"``),
    so its checkpoints stay its own; without a ``run_id`` each instance is a run of its own.
    """

    dag_id, task_id, run_id, map_index = "tests", "task", "", -1

    def __init__(self, run_id: str | None = None, map_index: int | None = None) -> None:
        self.run_id = run_id or type(self).run_id or f"run-{id(self)}"
        if map_index is not None:
            self.map_index = map_index
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def context(self, **extra: Any) -> dict[str, Any]:
        """The Airflow context ``execute()`` gets: this task instance and its run id, plus ``extra`` keys."""
        return {"ti": self, "run_id": self.run_id, **extra}


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> Path:
    """Write ``rows`` under ``header`` as an operator's ``input_path`` reads them (UTF-8, csv's own quoting)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
