"""The writes of a reconcile, phase by phase (create, remove labels, archive), with the job machinery of
:mod:`._job`: a checkpoint per chunk, the daily-budget stop, and counts that say when they may miss chunks in
flight (see :mod:`._ending`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_hubassoc._compat import AirflowException, Context
from airflow_provider_hubassoc.exceptions import HubSpotCancelledError, HubSpotDailyLimitError
from airflow_provider_hubassoc.operators._checkpoint import Checkpoint, add_counts
from airflow_provider_hubassoc.operators._ending import CountedStream, lower_bounds, unseen
from airflow_provider_hubassoc.operators._files import SizedStream, SourcePair
from airflow_provider_hubassoc.operators._job import (
    FailureReport,
    StreamOrigin,
    chunk_saver,
    result_counts,
    stop_for_daily_budget,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import BatchResult
    from airflow_provider_hubassoc.operators._base import ResumableOperator


class PlannedPhase(Protocol):
    """The changes of one kind a reconcile plans (see ``transfers/_reconcile.py``)."""

    count: int

    def pairs(self) -> Iterator[SourcePair]: ...


#: one hook call of a phase: ``(pairs, hook keyword arguments) -> result``
PhaseCall = Callable[[SizedStream, dict[str, Any]], "BatchResult"]


def _phase_counts(name: str, running: BatchResult) -> dict[str, int]:
    """A phase's counts for its checkpoint: what it has written so far, under the phase's name."""
    return {name: running.succeeded}


def write_phases(
    operator: ResumableOperator,
    context: Context,
    phases: Sequence[tuple[str, PlannedPhase, PhaseCall]],
    checkpoint: Checkpoint | None,
    report: FailureReport,
    summary: dict[str, Any],
    *,
    chunk_size: int | None,
) -> None:
    """Send each phase's changes through its hook call, in order; the summary gets each phase's count under its
    name (over every attempt), ``not_sent`` and the failures. The checkpoint counts what each phase wrote; it is
    discarded once every phase ran to its end. A kill ends with what was done; a spent budget stops.

    A resumed plan finds what an earlier attempt applied done, so chunks whose answers that attempt never saw
    are counted by nobody: the checkpoint is marked ``running`` while the writes go, and a resume after an
    attempt that left it so (a kill) or that stopped with answers unseen marks the counts as lower bounds."""
    done = {name: 0 for name, _p, _c in phases}
    base = checkpoint.counts if checkpoint is not None else {}
    summary.update(created=0, labels_removed=0, archived=0, not_sent=0, counts_exact=True, in_flight_unknown=0)
    if checkpoint is not None:
        if checkpoint.resumed:
            earlier = checkpoint.extra
            lower_bounds(summary, None if earlier.get("running") else int(earlier.get("in_flight_unknown", 0)))
        _mark(checkpoint, base, report, summary, running=True)
    with report:
        for index, (name, phase, call) in enumerate(phases):
            if not phase.count:
                continue
            later = sum(following.count for _n, following, _c in phases[index + 1 :])
            stream = StreamOrigin(phase.pairs())
            arguments = {
                "on_failure": "collect",
                "chunk_size": chunk_size,
                "chunk_callback": chunk_saver(
                    operator.hook,
                    checkpoint,
                    report,
                    offset=0,
                    base=add_counts(base, done),
                    counts=functools.partial(_phase_counts, name),
                ),
                "failure_callback": report.callback(stream, name),
            }
            counted = CountedStream(stream, phase.count)
            try:
                result = call(counted, arguments)
            except HubSpotCancelledError as error:
                done[name] = error.result.succeeded
                summary.update(add_counts(base, done))
                # this phase's unsent inputs and every later phase: nothing of them was sent
                summary["not_sent"] = phase.count - error.result.total + later
                _mark(checkpoint, add_counts(base, done), report, summary, running=False)
                if not report.stopped_early:
                    summary["stopped"] = "cancelled"
                    raise AirflowException(
                        f"cancelled during {name}: {error.message}; {summary['not_sent']} change(s) not sent"
                    ) from None
                break
            except Exception as error:  # the budget, retries exhausted, a bad answer, a bound
                _phase_stopped(error, name, phase.count, later, counted, done, base, checkpoint, report, summary)
                if isinstance(error, HubSpotDailyLimitError):
                    stop_for_daily_budget(operator, context, error, summary, checkpoint)
                raise
            done[name] = result.succeeded
        else:
            if checkpoint is not None:
                checkpoint.discard()  # every write phase ran to its end
    summary.update(add_counts(base, done), resumed=bool(checkpoint and checkpoint.resumed))
    summary.update(report.summary())


def _mark(
    checkpoint: Checkpoint | None,
    counts: dict[str, int],
    report: FailureReport,
    summary: dict[str, Any],
    *,
    running: bool,
) -> None:
    """Save the reconcile's checkpoint with whether writes are under way and the inputs sent unanswered so far."""
    if checkpoint is None:
        return
    report.flush()
    unknown = summary.get("in_flight_unknown", 0)
    checkpoint.save(
        position=checkpoint.position, counts=counts, failures=report.rows, running=running, in_flight_unknown=unknown
    )


def _phase_stopped(
    error: BaseException,
    name: str,
    count: int,
    later: int,
    stream: CountedStream,
    done: dict[str, int],
    base: dict[str, int],
    checkpoint: Checkpoint | None,
    report: FailureReport,
    summary: dict[str, Any],
) -> None:
    """Phase ``name`` (``count`` changes; ``later`` in the phases after it) stopped on ``error``: its counts."""
    running, in_flight = result_counts(getattr(error, "result", None)), result_counts(getattr(error, "in_flight", None))
    # Chunks still in flight when the call stopped were applied past the finished prefix: a resumed plan finds
    # their pairs done and never counts them, so they are counted here. Those whose answer never came (the
    # failed chunk itself) may be applied too: the counts are then lower bounds by that many.
    done[name] = running["succeeded"] + in_flight["succeeded"]
    unknown = unseen(stream, error) if getattr(error, "result", None) is not None else None
    lower_bounds(summary, unknown)
    _mark(checkpoint, add_counts(base, done), report, summary, running=False)
    summary.update(add_counts(base, done), resumed=bool(checkpoint and checkpoint.resumed), **report.summary())
    summary["not_sent"] = count - running["total"] - in_flight["total"] - (unknown or 0) + later
