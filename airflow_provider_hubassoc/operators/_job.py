"""The job machinery of the long operators, in one place: what each ``execute`` calls instead of carrying it.

A job is one attempt at an operator's work: the checkpoint it continues (see :mod:`._checkpoint`), the
failures report and policy, the ``chunk_callback`` that saves the checkpoint once a chunk is accounted, the stop
when HubSpot's daily budget is spent (defer until the reset, or fail saying how to resume), and the summary it
returns to XCom. The operators say *what* to send; this module says what happens around it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from airflow_provider_hubassoc._compat import AirflowException, AirflowFailException, Context, DateTimeTrigger
from airflow_provider_hubassoc.exceptions import HubSpotCancelledError, HubSpotDailyLimitError
from airflow_provider_hubassoc.operators._checkpoint import Checkpoint, add_counts
from airflow_provider_hubassoc.operators._daily_reset import RESET_GRACE, daily_budget_retry_at
from airflow_provider_hubassoc.operators._ending import (
    CountedStream,
    checkpoint_fields,
    lower_bounds,
    mark_summarised,
    push_summary,
    summary_line,
)
from airflow_provider_hubassoc.operators._files import PairSource, SizedStream, SourcePair
from airflow_provider_hubassoc.operators._rowfiles import RowWriter

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
    from airflow_provider_hubassoc.hooks.models import BatchResult, InputFailure
    from airflow_provider_hubassoc.operators._base import ResumableOperator

FAILURE_COLUMNS = ("row", "from_id", "to_id", "labels", "status", "category", "sub_category", "message", "operation")
#: failures returned in the XCom summary (all of them go to the failures file)
FAILURE_SAMPLE = 10

#: the operators' ``chunk_callback``: ``(start, end)`` positions of a chunk just accounted, and the call's running
#: result (its counts are what a checkpoint saves)
ChunkCallback = Callable[[int, int, "BatchResult"], None]


class RowOrigin(Protocol):
    """Where a hook input position came from (a :class:`PairSource`, or a list of planned pairs)."""

    def origin(self, position: int | None) -> SourcePair | None: ...


class StreamOrigin:
    """Hook inputs from a stream of planned pairs; the last ``window`` are remembered so a failure reported by
    position maps back to its desired row (a :class:`RowOrigin`)."""

    def __init__(self, pairs: Iterable[SourcePair], window: int = 100_000) -> None:
        self.pairs, self.window = pairs, window
        self._seen: OrderedDict[int, SourcePair] = OrderedDict()

    def __iter__(self) -> Iterator[tuple[int, int, tuple[Any, ...]]]:
        for position, pair in enumerate(self.pairs):
            self._seen[position] = pair
            while len(self._seen) > self.window:
                self._seen.popitem(last=False)
            yield pair.hook_input()

    def origin(self, position: int | None) -> SourcePair | None:
        return self._seen.get(position) if position is not None else None


def check_failure_policy(max_failures: int | None, max_failure_ratio: float | None) -> None:
    """Argument checks at DAG parse time."""
    if max_failures is not None and (
        isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0
    ):
        raise ValueError(f"max_failures must be None or an integer >= 0, got {max_failures!r}")
    if max_failure_ratio is not None and (
        isinstance(max_failure_ratio, bool)
        or not isinstance(max_failure_ratio, (int, float))
        or not 0 <= max_failure_ratio <= 1
    ):
        raise ValueError(f"max_failure_ratio must be None or a number from 0 to 1, got {max_failure_ratio!r}")


#: failure reasons of rows whose key or id did not resolve, and their summary counts
UNRESOLVED = {"NOT_FOUND": "not_found", "MERGED": "merged"}


class FailureReport:
    """Collects the failed inputs of one task run: each goes to the failures file (with its source row and
    HubSpot's reason) as it is found; the count is checked against the policy as it grows.

    ``max_failures`` is checked while running: once exceeded, the hook is cancelled (no further chunk is sent,
    the task will fail anyway). ``max_failure_ratio`` can only be judged at the end.
    """

    def __init__(
        self,
        hook: HubSpotAssociationsHook,
        path: str | None,
        *,
        max_failures: int | None,
        max_failure_ratio: float | None,
        log: Any,
        previous: list[dict[str, Any]] | None = None,
    ) -> None:
        self.hook, self.path, self.log = hook, path, log
        self.max_failures, self.max_failure_ratio = max_failures, max_failure_ratio
        self.count = 0
        self.sample: list[dict[str, Any]] = []
        #: every failed row of this run (earlier attempts' first): what a checkpoint records
        self.rows: list[dict[str, Any]] = []
        self.stopped_early = False
        #: rows whose key or id did not resolve, by reason (``NOT_FOUND``, ``MERGED``); told in the summary when set
        self.unresolved: dict[str, int] | None = None
        self._previous = list(previous or [])
        self._stack = ExitStack()
        self._writer: RowWriter | None = None

    def __enter__(self) -> FailureReport:
        if self.path:
            self._writer = self._stack.enter_context(RowWriter(self.path, FAILURE_COLUMNS))
        # a resumed run: the file is rebuilt from the checkpoint's rows, then this attempt's are appended
        for row in self._previous:
            self.add(row)
        return self

    def flush(self) -> None:
        """Make the rows found so far durable in the failures file (before a checkpoint records them)."""
        if self._writer is not None:
            self._writer.flush()

    def __exit__(self, *exc: Any) -> None:
        # the file is completed (renamed into place) even when the task fails: it is the record of what failed
        self._stack.__exit__(None, None, None)

    def callback(self, source: RowOrigin | None, operation: str) -> Callable[[InputFailure], None]:
        """A ``failure_callback`` for one hook call whose inputs came from ``source`` (positions map to rows)."""

        def record(failure: InputFailure) -> None:
            origin = source.origin(failure.position) if source is not None else None
            given = failure.input if isinstance(failure.input, dict) else {}
            row = {
                "row": origin.row if origin is not None else None,
                "from_id": origin.from_id if origin is not None else given.get("from_id", given.get("id")),
                "to_id": origin.to_id if origin is not None else given.get("to_id"),
                "labels": list(origin.labels) if origin is not None else [],
                "status": failure.status,
                "category": failure.category,
                "sub_category": failure.sub_category,
                "message": failure.message,
                "operation": operation,
            }
            self.add(row)

        return record

    def add(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self.unresolved is not None and row.get("operation") == "resolve" and row.get("category") in UNRESOLVED:
            self.unresolved[UNRESOLVED[row["category"]]] += 1
        self.rows.append(row)
        if len(self.sample) < FAILURE_SAMPLE:
            self.sample.append(row)
        if self._writer is not None:
            self._writer.write(row)
        if self.max_failures is not None and self.count > self.max_failures and not self.stopped_early:
            self.stopped_early = True
            self.log.error(
                "%d failed input(s) exceed max_failures=%d: stopping after the requests in flight",
                self.count,
                self.max_failures,
            )
            self.hook.cancel()

    def summary(self) -> dict[str, Any]:
        """``failed`` (every reason) and, for pairs given by key or checked for merges, how many of them did not
        resolve: ``not_found`` and ``merged``."""
        return {
            "failed": self.count,
            **(self.unresolved or {}),
            "failures_path": self.path,
            "failures_sample": self.sample,
        }

    def enforce(self, total: int, context: Context, summary: dict[str, Any]) -> None:
        """Fail the task (no retry: the same rows would fail again) when the policy is exceeded; the summary
        is pushed to XCom under ``summary`` first, so what was done is on record."""
        reasons = []
        if self.max_failures is not None and self.count > self.max_failures:
            reasons.append(f"{self.count} failed > max_failures={self.max_failures}")
        if self.max_failure_ratio is not None and total and self.count / total > self.max_failure_ratio:
            reasons.append(f"{self.count}/{total} failed > max_failure_ratio={self.max_failure_ratio}")
        if not reasons:
            return
        summary.setdefault("stopped", "failure_policy")
        push_summary(context, summary)
        where = f"; failed rows and reasons in {self.path}" if self.path else " (set failures_path to keep them all)"
        first = self.sample[0] if self.sample else None
        first_text = (
            (
                f"; first: row {first['row']} {first['from_id']}->{first['to_id']}: "
                f"{first['category']} {first['message']}"
            )
            if first
            else ""
        )
        raise mark_summarised(
            AirflowFailException(f"{'; '.join(reasons)}{first_text}{where}. Done: {summary_line(summary)}")
        )


def result_counts(result: BatchResult | None) -> dict[str, int]:
    if result is None:  # no chunk was sent
        return {"total": 0, "succeeded": 0, "failed": 0, "skipped": 0, "requests": 0}
    return {
        "total": result.total,
        "succeeded": result.succeeded,
        "failed": result.failed,
        "skipped": result.skipped,
        "requests": result.requests,
    }


def chunk_saver(
    hook: HubSpotAssociationsHook,
    checkpoint: Checkpoint | None,
    report: FailureReport,
    *,
    offset: int,
    base: dict[str, int],
    counts: Callable[[BatchResult], dict[str, int]] = result_counts,
    source: PairSource | None = None,
    output: RowWriter | None = None,
) -> ChunkCallback:
    """A ``chunk_callback`` that saves the checkpoint once a chunk and its failures are accounted: the
    failures file (and output file) flushed first, so each agrees with what the checkpoint records.
    Positions are the hook call's plus ``offset``; counts are ``base`` plus ``counts(running result)``."""

    def done(_start: int, end: int, running: BatchResult) -> None:
        if source is not None:
            source.forget_before(end)
        if checkpoint is None:
            return
        report.flush()
        written = {}
        if output is not None:
            output.flush()
            written = {"output_rows": output.count}
        checkpoint.save(
            position=offset + end,
            counts=add_counts(base, counts(running)),
            failures=report.rows,
            **written,
        )

    return done


def stop_for_daily_budget(
    operator: ResumableOperator,
    context: Context,
    error: HubSpotDailyLimitError,
    summary: dict[str, Any],
    checkpoint: Checkpoint | None,
) -> NoReturn:
    """Stop cleanly: the checkpoint is saved (per chunk), the summary goes to XCom and the log; then defer
    until HubSpot's daily reset (``wait_for_daily_reset``) or fail saying when it resets and how to resume.
    Just after a reset that HubSpot has not yet applied, the deferral is short (:func:`daily_budget_retry_at`)."""
    zone = operator.hook.settings.account_time_zone
    reset_at, late = daily_budget_retry_at(zone, after_reset=operator._after_reset)
    reason = error.message.rstrip(". ")
    summary.update(stopped="daily_budget", daily_reset_at=reset_at.isoformat())
    summary.update(checkpoint_fields(checkpoint, summary))
    push_summary(context, summary)
    operator.log.warning(
        "HubSpot's daily request budget is spent: %s. Done so far: %s. It resets at %s (midnight %s)",
        reason,
        summary_line(summary),
        reset_at.isoformat(),
        zone,
    )
    if operator.wait_for_daily_reset and checkpoint is not None:
        if late:
            operator.log.warning(
                "The budget is still spent just after HubSpot's daily reset (a late reset): trying again at %s "
                "(short steps for %s after midnight %s, then the next midnight)",
                reset_at.isoformat(),
                RESET_GRACE,
                zone,
            )
        operator.log.info(
            "Deferring until %s, then resuming from checkpoint %s", reset_at.isoformat(), checkpoint.store
        )
        operator.defer(trigger=DateTimeTrigger(moment=reset_at), method_name="execute_after_daily_reset")
    where = (
        f"Progress is saved in the checkpoint {checkpoint.store}: clear or re-run this task after the "
        f"reset and it resumes where it stopped (resume=True), or set wait_for_daily_reset=True to "
        f"wait for the reset without holding a worker slot."
        if checkpoint is not None
        else "No checkpoint was kept (an export to XCom, or no task instance): a re-run starts over."
    )
    raise mark_summarised(
        AirflowFailException(
            f"HubSpot's daily request budget is spent ({reason}). Done so far: {summary_line(summary)}. "
            f"HubSpot resets the budget at midnight in the account's time zone {zone} ({reset_at.isoformat()}; "
            f"connection extra account_time_zone). {where}"
        )
    )


def count_pairs(
    summary: dict[str, Any], counts: dict[str, int], total: int, source: PairSource, start: int, report: FailureReport
) -> None:
    """The summary over every attempt; pairs repeating an earlier row were never sent: counted once, as
    skipped (``total`` and checkpoints count the pairs sent)."""
    summary.update(counts, not_sent=total - counts["total"], resumed_from=start, **report.summary())
    summary.update(total=counts["total"] + source.duplicates, skipped=counts["skipped"] + source.duplicates)


def pairs_stopped(
    summary: dict[str, Any],
    error: BaseException,
    stream: CountedStream,
    base: dict[str, int],
    total: int,
    source: PairSource,
    start: int,
    report: FailureReport,
) -> None:
    """The counts of a link/unlink stopped by ``error``: the finished prefix (what the checkpoint holds); inputs
    taken past it were sent or about to be, their outcome not counted (a retry sends them again)."""
    prefix = getattr(error, "result", None)
    count_pairs(summary, add_counts(base, result_counts(prefix)), total, source, start, report)
    past = stream.taken - (prefix.total if prefix is not None else 0)
    summary["not_sent"] -= past
    lower_bounds(summary, past if prefix is not None else None)


#: one hook call writing pairs: ``(pairs, failure report, chunk_callback) -> result``
PairCall = Callable[[SizedStream, FailureReport, ChunkCallback], "BatchResult"]


def write_pairs(
    operator: ResumableOperator,
    context: Context,
    call: PairCall,
    source: PairSource,
    total: int,
    checkpoint: Checkpoint | None,
    report: FailureReport,
    summary: dict[str, Any],
) -> dict[str, Any]:
    """Send the pairs of ``source`` not done yet (after the checkpoint's position) through one hook call; the
    checkpoint is saved per chunk and discarded once the whole input is done. A kill (cancel) ends with what
    was done; a spent daily budget stops (:func:`stop_for_daily_budget`); the failure policy is enforced last."""
    start = checkpoint.position if checkpoint is not None else 0
    base = checkpoint.counts if checkpoint is not None else {}
    cancelled = False
    with report:
        saver = chunk_saver(operator.hook, checkpoint, report, offset=start, base=base, source=source)
        stream = CountedStream(source.hook_inputs(start), total - start)
        try:
            result = call(stream, report, saver)
        except HubSpotCancelledError as error:
            result, cancelled = error.result, True
        except HubSpotDailyLimitError as error:
            running = result_counts(error.result)
            count_pairs(summary, add_counts(base, running), total, source, start, report)
            stop_for_daily_budget(operator, context, error, summary, checkpoint)
        except Exception as error:  # retries exhausted, a bad answer, a bound: the ending pushes the summary
            pairs_stopped(summary, error, stream, base, total, source, start, report)
            raise
    count_pairs(summary, add_counts(base, result_counts(result)), total, source, start, report)
    operator.log.info("Done: %s", summary_line(summary))
    if cancelled and not report.stopped_early:
        summary["stopped"] = "cancelled"  # the ending (``_ending.summary_on_failure``) pushes the summary
        raise AirflowException(f"cancelled; {summary_line(summary)}; the rest was not sent")
    if checkpoint is not None and not cancelled:
        checkpoint.discard()  # the whole input is done: a later run of this task starts over
    report.enforce(total, context, summary)
    return summary


def export_stopped(
    operator: ResumableOperator,
    context: Context,
    error: BaseException,
    checkpoint: Checkpoint | None,
    report: FailureReport,
    start: int,
    summary: dict[str, Any],
) -> None:
    """An export stopped by ``error``: the summary counts what the checkpoint holds (rows written, records read),
    since rows read past the last saved chunk are read again on resume; a spent budget then stops (else the
    caller raises ``error`` and the ending pushes the summary). Without a checkpoint (an export to XCom) the
    rows read are lost with the task: nothing is counted as exported."""
    saved = checkpoint.extra if checkpoint is not None else {}
    summary.update(
        associations=int(saved.get("output_rows", 0)),
        read=checkpoint.position if checkpoint is not None else 0,
        resumed_from=start,
        **report.summary(),
    )
    summary.pop("rows", None)
    if isinstance(error, HubSpotDailyLimitError):
        stop_for_daily_budget(operator, context, error, summary, checkpoint)


def finish_export(
    operator: ResumableOperator,
    context: Context,
    checkpoint: Checkpoint | None,
    report: FailureReport,
    summary: dict[str, Any],
    total: int,
    load: Callable[[dict[str, Any]], None] | None,
) -> dict[str, Any]:
    """After every read: the failure policy, then ``load`` (the file into a table); the checkpoint goes once
    nothing is left to resume (after the load has committed, when there is one)."""
    if checkpoint is not None and load is None:
        checkpoint.discard()
    summary.update(report.summary())
    try:
        report.enforce(total, context, summary)
    except AirflowFailException:
        if checkpoint is not None:  # too many failures: a re-run starts over, as without a table
            checkpoint.discard()
        raise
    if load is not None:
        load(summary)
        if checkpoint is not None:
            checkpoint.discard()
    operator.log.info(
        "Read %d association(s) of %d record(s); %d record(s) failed", summary["associations"], total, report.count
    )
    return summary
