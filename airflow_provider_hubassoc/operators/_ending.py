"""How a long operator's task ends when it does not finish: the same summary whatever stopped it.

The daily-budget stop, a failure policy, retries exhausted, a bad answer, a paging or size bound, a deadline or a
cancel: each pushes one summary to XCom (key ``summary``: what was done, refused, not sent, the failures file, the
checkpoint a retry resumes from, ``stopped=<reason>``) and logs one line saying so. The original exception is then
raised again, of the same type (Airflow's retry rules stay as they were), with that line added as a note.

Counts that may miss chunks in flight say so: ``counts_exact=False`` and ``in_flight_unknown`` (inputs sent whose
answer was not seen; ``None`` when even that is unknown, after a kill that left no account of itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc._compat import Context, TaskDeferred
from airflow_provider_hubassoc.exceptions import HubSpotCancelledError, HubSpotRateLimitError
from airflow_provider_hubassoc.operators._files import SizedStream

if TYPE_CHECKING:
    from airflow_provider_hubassoc.operators._checkpoint import Checkpoint

#: the counts a summary line shows, in this order, when the summary has them
_LINE_KEYS = (
    "total",
    "succeeded",
    "failed",
    "not_found",
    "merged",
    "merged_remapped",
    "skipped",
    "not_sent",
    "requests",
    "created",
    "labels_removed",
    "archived",
    "records",
    "read",
    "associations",
)
_USERINFO = re.compile(r"(://[^/@:]*):[^/@]*@")
#: set on an exception whose summary was pushed already (the budget stop, the failure policy)
_SUMMARISED = "_hubassoc_summarised"


def summary_line(summary: dict[str, Any]) -> str:
    """The counts of a summary on one line; counts that may miss chunks in flight are marked as lower bounds."""
    line = ", ".join(f"{key}={summary[key]}" for key in _LINE_KEYS if key in summary)
    if summary.get("counts_exact") is False:
        unknown = summary.get("in_flight_unknown")
        line += (
            f" (lower bounds: counts_exact=False, in_flight_unknown={'unknown' if unknown is None else unknown} "
            "input(s) sent whose answer was not seen)"
        )
    return line


def push_summary(context: Context, summary: dict[str, Any]) -> None:
    """The summary to XCom under ``summary`` before the task fails, so what was done is on record."""
    ti = context.get("ti") if context else None
    if ti is not None:
        ti.xcom_push(key="summary", value=summary)


def without_secret(path: Any) -> Any:
    """A location as shown in a summary: a password in a URL (``s3://user:pass@bucket``) never shown."""
    return _USERINFO.sub(r"\1:***@", path) if isinstance(path, str) else path


def mark_summarised(error: BaseException) -> BaseException:
    """Note that ``error``'s summary is on record (the budget stop, the policy): the ending leaves it alone."""
    setattr(error, _SUMMARISED, True)
    return error


class CountedStream(SizedStream):
    """A :class:`SizedStream` that counts the inputs the hook took from it: taken minus those accounted is what
    was sent (or about to be) without an answer seen when a call stops on an error."""

    def __init__(self, items: Iterable[Any], length: int) -> None:
        super().__init__(items, length)
        self.taken = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.taken += 1
            yield item


def unseen(stream: CountedStream, error: BaseException) -> int:
    """Inputs of a stopped call past what its error accounts for (``result``, and ``in_flight`` drained): sent,
    their answer not seen. None after a 429 (HubSpot refused them: nothing was applied)."""
    if isinstance(error, HubSpotRateLimitError):
        return 0
    parts = (getattr(error, "result", None), getattr(error, "in_flight", None))
    accounted: int = sum(part.total for part in parts if part is not None)
    return max(0, stream.taken - accounted)


def checkpoint_fields(checkpoint: Checkpoint | None, summary: dict[str, Any]) -> dict[str, Any]:
    """Where a retry resumes from (``None``: nothing saved, a retry starts over), and whether the counts carried
    from earlier attempts are exact (an attempt killed with chunks in flight left lower bounds)."""
    saved = checkpoint is not None and checkpoint.store.location.exists()
    fields: dict[str, Any] = {"checkpoint": without_secret(str(checkpoint.store)) if checkpoint and saved else None}
    if summary.get("counts_exact") is False:
        return fields
    earlier = checkpoint.extra.get("in_flight_unknown", 0) if checkpoint is not None and checkpoint.resumed else 0
    fields.update(counts_exact=earlier == 0, in_flight_unknown=earlier)
    return fields


def lower_bounds(summary: dict[str, Any], unknown: int | None) -> None:
    """Mark the summary's counts as lower bounds by ``unknown`` more inputs (``None``: by an unknown number)."""
    before = summary.get("in_flight_unknown", 0)
    if unknown is None or before is None:
        summary.update(counts_exact=False, in_flight_unknown=None)
    elif unknown or before:
        summary.update(counts_exact=False, in_flight_unknown=before + unknown)


def stop_reason(error: BaseException) -> str:
    """``stopped=`` of a summary: ``cancelled`` (``on_kill``, or ``max_failures`` exceeded), else the error type."""
    if isinstance(error, HubSpotCancelledError):
        return "cancelled"
    return f"error:{type(error).__name__}"


@dataclass
class Ending:
    """What the ending of a task needs to know: its summary (filled as the work goes) and its checkpoint."""

    summary: dict[str, Any] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None


@contextmanager
def summary_on_failure(operator: Any, context: Context, summary: dict[str, Any]) -> Iterator[Ending]:
    """Whatever exception ends the block (not a deferral), the summary goes to XCom and one line to the log
    before it propagates unchanged; the job functions fill the counts on their way out."""
    ending = Ending(summary)
    try:
        yield ending
    except TaskDeferred:  # Airflow 2: an exception; not an ending (the task resumes after the trigger)
        raise
    except Exception as error:
        if not getattr(error, _SUMMARISED, False):
            end_with_summary(operator, context, error, ending)
        raise


def end_with_summary(operator: Any, context: Context, error: BaseException, ending: Ending) -> None:
    """Push and log the summary of a task that ``error`` ends; the line is also added to the error as a note."""
    summary, checkpoint = ending.summary, ending.checkpoint
    if checkpoint is not None and "resumed_from" not in summary and not any(k in summary for k in _LINE_KEYS):
        # stopped before any count was kept (label look-ups, the plan's reads): the checkpoint's counts stand
        summary.update(checkpoint.counts, failed=len(checkpoint.failures), resumed_from=checkpoint.position)
    summary.setdefault("stopped", stop_reason(error))
    summary.update(checkpoint_fields(checkpoint, summary))
    push_summary(context, summary)
    where = (
        f"a retry resumes from the checkpoint {summary['checkpoint']}"
        if summary.get("checkpoint")
        else "no checkpoint was saved: a retry starts over"
    )
    failures = f"; failed rows in {without_secret(summary['failures_path'])}" if summary.get("failures_path") else ""
    line = f"Stopped ({summary['stopped']}). Done so far: {summary_line(summary)}{failures}; {where}"
    operator.log.error("%s", line)
    mark_summarised(error)
    if hasattr(error, "add_note"):  # Python 3.11+: shown under the message in the task's traceback
        error.add_note(line)
