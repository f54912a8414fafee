"""Durable checkpoints of the long operators, so a task killed in any way resumes where it stopped.

A checkpoint is one small JSON object at ``<base>/<dag_id>/<task_id>/<run_id>/map_index=<n>.json`` on any
``ObjectStoragePath`` location (a local directory, ``s3://``, ``gs://``...). It records a fingerprint of the
input (its content and the options that change what is sent), the finished prefix of the input (every chunk
before it is done and accounted), the counts so far and every failed row found so far, so a retry on another
worker rebuilds the failures file exactly. It is written after each chunk as a whole: locally to a temporary
file renamed over the old one (``os.replace``), on object stores as one whole-object write, so a reader never
sees a torn checkpoint. This module knows nothing of HubSpot; the operators decide what "done" means.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from typing import Any

from airflow_provider_hubassoc._compat import AirflowFailException, ObjectStoragePath, conf

#: checkpoint layout; a checkpoint of another version is refused like a different input
VERSION = 1
#: Airflow config option holding the base location (``[hubspot] checkpoint_path``)
CONFIG_SECTION, CONFIG_KEY = "hubspot", "checkpoint_path"
_LOCAL_PROTOCOLS = ("", "file", "local")


def default_checkpoint_base() -> str:
    """``[hubspot] checkpoint_path`` (env ``AIRFLOW__HUBSPOT__CHECKPOINT_PATH``) if set, else
    ``$AIRFLOW_HOME/hubspot_checkpoints``. Workers that can pick up each other's retries need a shared location
    (``s3://aws_default@bucket/hubspot_checkpoints``); a local directory only serves retries on the same host."""
    configured = conf.get(CONFIG_SECTION, CONFIG_KEY, fallback=None)
    if configured:
        return str(configured)
    home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return os.path.join(home, "hubspot_checkpoints")


def input_fingerprint(*, path: str | None, items: Any, options: Mapping[str, Any]) -> str:
    """SHA-256 over the options that change what is sent and the input's content (a file's bytes, streamed;
    a list as canonical JSON)."""
    digest = hashlib.sha256(json.dumps(dict(options), sort_keys=True, default=str).encode())
    if path is not None:
        with ObjectStoragePath(path).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    else:
        digest.update(json.dumps(items, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _part(value: Any) -> str:
    """A key part safe in any store's object names (run ids hold ``:`` and ``+``)."""
    return re.sub(r"[^A-Za-z0-9._=-]", "_", str(value))


class CheckpointMismatchError(AirflowFailException):
    """A checkpoint exists for this task run but for another input or options: resuming would be wrong."""


class CheckpointCorruptError(AirflowFailException):
    """A checkpoint that does not decode: named with its path and what to do."""


class CheckpointStore:
    """The checkpoint of one task instance: keyed by DAG, task, run and map index (mapped shards never share one)."""

    def __init__(self, base: str, *, dag_id: str, task_id: str, run_id: str, map_index: int | None) -> None:
        index = -1 if map_index is None else map_index
        self.location = (
            ObjectStoragePath(base) / _part(dag_id) / _part(task_id) / _part(run_id) / f"map_index={index}.json"
        )

    @classmethod
    def for_context(cls, base: str, context: Mapping[str, Any]) -> CheckpointStore:
        ti = context["ti"]
        return cls(
            base,
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_id=context.get("run_id") or ti.run_id,
            map_index=getattr(ti, "map_index", -1),
        )

    def __str__(self) -> str:
        return str(self.location)

    def beside(self, suffix: str) -> str:
        """A file kept next to the checkpoint (``map_index=<n>.<suffix>``), on the same storage: what a retry on
        another worker must find besides the checkpoint (an export's rows staged for a table)."""
        return str(self.location.parent / f"{self.location.stem}.{suffix}")

    @property
    def _local(self) -> bool:
        return self.location.protocol in _LOCAL_PROTOCOLS

    def load(self) -> dict[str, Any] | None:
        if not self.location.exists():
            return None
        try:
            state = json.loads(self.location.read_text())
        except ValueError as error:  # torn by a store that is not atomic, or edited: JSON that does not decode
            raise CheckpointCorruptError(
                f"the checkpoint at {self} is corrupt ({error}): delete it to start over, or run the task once "
                "with resume=False (which discards it)"
            ) from None
        if not isinstance(state, dict):
            raise CheckpointCorruptError(
                f"the checkpoint at {self} is corrupt (a JSON {type(state).__name__}, not an object): delete it "
                "to start over, or run the task once with resume=False (which discards it)"
            )
        return state

    def save(self, state: Mapping[str, Any]) -> None:
        data = json.dumps(state, separators=(",", ":"), default=str)
        if not self._local:  # object stores replace a whole object in one write: never torn
            self.location.parent.mkdir(parents=True, exist_ok=True)
            self.location.write_text(data)
            return
        target = self.location.path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".checkpoint-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            if os.path.exists(temp):
                os.remove(temp)
            raise

    def discard(self) -> None:
        if self.location.exists():
            self.location.unlink()


class Checkpoint:
    """One task run's checkpoint state: loaded (or started fresh) for an input fingerprint, saved per chunk.

    ``position`` is the finished prefix of the input, ``counts`` the summary counts of every attempt so far,
    ``failures`` every failed row found so far (they rebuild the failures file on resume), ``extra`` what an
    operator needs besides (the export's output rows).
    """

    def __init__(self, store: CheckpointStore, fingerprint: str, *, resume: bool, log: Any) -> None:
        self.store, self.log = store, log
        state = store.load() if resume else None
        if not resume:
            store.discard()
        if state is not None and (state.get("version") != VERSION or state.get("fingerprint") != fingerprint):
            raise CheckpointMismatchError(
                f"a checkpoint at {store} belongs to another input or other options than this run's (the input "
                f"file or list, a query's rows or their order, object types, labels, shards or chunk size "
                f"changed since it was written; a query without ORDER BY may answer in another order on a retry). "
                f"To resume, restore the original input; to start over, run the task with resume=False "
                f"(or delete the checkpoint)."
            )
        self.resumed = state is not None
        self.state: dict[str, Any] = state or {
            "version": VERSION,
            "fingerprint": fingerprint,
            "position": 0,
            "counts": {},
            "failures": [],
            "extra": {},
            "attempts": 0,
        }
        self.state["attempts"] += 1
        if self.resumed:
            log.info(
                "Resuming from checkpoint %s: input position %d done, %s",
                store,
                self.position,
                self.counts or "no counts yet",
            )

    @property
    def position(self) -> int:
        return int(self.state["position"])

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.state["counts"]
        return counts

    @property
    def failures(self) -> list[dict[str, Any]]:
        failures: list[dict[str, Any]] = self.state["failures"]
        return failures

    @property
    def extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = self.state["extra"]
        return extra

    def save(self, *, position: int, counts: Mapping[str, int], failures: list[dict[str, Any]], **extra: Any) -> None:
        self.state.update(position=position, counts=dict(counts), failures=failures)
        self.state["extra"].update(extra)
        self.store.save(self.state)

    def discard(self) -> None:
        self.store.discard()


def add_counts(base: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    """Counts of earlier attempts plus this attempt's."""
    keys = [*base, *(k for k in more if k not in base)]
    return {k: int(base.get(k, 0)) + int(more.get(k, 0)) for k in keys}
