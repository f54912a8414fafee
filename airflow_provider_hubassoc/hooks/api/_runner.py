"""The batch machinery every batch call shares: chunks run concurrently, counted into one result.

A batch call returns its :class:`BatchResult`; nothing is left on the hook. While it runs, a three-argument
``chunk_callback`` gets the running result with each finished chunk (the counts a checkpoint saves). When a
call stops on an error (a failed input in raise mode, a cancel, HubSpot's daily budget), the error carries
``result`` (the finished prefix) and ``in_flight`` (chunks that still finished after it: sent, not in the prefix).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_hubassoc.exceptions import HubSpotBatchError, HubSpotCancelledError, HubSpotError
from airflow_provider_hubassoc.hooks._batching import Chunk, ProgressLogger, iter_chunks, known_length, run_chunks
from airflow_provider_hubassoc.hooks._writes import _Outcome, _Pair
from airflow_provider_hubassoc.hooks.models import AssociationRow, BatchResult, ChunkCallback, FailureCallback

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.api._context import ApiContext
    from airflow_provider_hubassoc.hooks.api._inputs import ReadInput

T = TypeVar("T")
Work = Callable[[Chunk[T]], _Outcome]


def chunk_reporter(callback: ChunkCallback | None, result: BatchResult) -> Callable[[Chunk[Any]], None] | None:
    """Call ``callback(start, end)``, or ``callback(start, end, result)`` when it takes three arguments."""
    if callback is None:
        return None
    try:
        inspect.signature(callback).bind(0, 0, result)
        takes_result = True
    except (TypeError, ValueError):
        takes_result = False
    if takes_result:
        return lambda chunk: callback(chunk.start, chunk.end, result)  # type: ignore[call-arg]
    return lambda chunk: callback(chunk.start, chunk.end)  # type: ignore[call-arg]


def run_writes(
    ctx: ApiContext,
    result: BatchResult,
    raw: Iterable[Any],
    items: Iterable[_Pair],
    size: int,
    work: Work[_Pair],
    on_failure: str,
    failure_callback: FailureCallback | None,
    chunk_callback: ChunkCallback | None,
    settling: int = 0,
) -> BatchResult:
    """Run a batch write chunk by chunk; return its result (see the module docstring for errors).

    :param settling: chunks that may wait out a verify settle beside those sending (``run_chunks``)."""

    def keys(chunk: Chunk[_Pair]) -> Iterable[tuple[int, int]]:
        return {(p.from_id, p.to_id) for p in chunk.items}

    def count(
        chunk: Chunk[_Pair], outcome: _Outcome, into: BatchResult, report: FailureCallback | None
    ) -> HubSpotBatchError | None:
        into.total += len(chunk.items)
        into.succeeded += outcome.succeeded
        return account(into, outcome, on_failure, report)

    # A chunk still in flight when an earlier one raised (the daily budget spent) reached HubSpot, past the
    # finished prefix: it is counted apart, in the error's ``in_flight`` (no failure_callback, no
    # chunk_callback). A resumed link/unlink re-sends it from the prefix, so it is counted there; a resumed
    # reconcile plans it as already done, so reconcile adds these counts to its own.
    in_flight = BatchResult(result.operation)
    report = chunk_reporter(chunk_callback, result)
    error: HubSpotBatchError | None = None
    try:
        for chunk, outcome in _run_chunks(
            ctx,
            result,
            items,
            size,
            work,
            total=known_length(raw),
            keys=keys,
            ordered=report is not None,
            stop=lambda: error is not None or ctx.cancelled,  # noqa: B023 - reads the latest error on purpose
            on_drained=lambda chunk, outcome: count(chunk, outcome, in_flight, None),
            settling=settling,
        ):
            found = count(chunk, outcome, result, failure_callback)  # every chunk sent is counted
            error = error or found
            if report is not None:
                report(chunk)
        ctx.log.info("%s: %s", result.operation, {k: v for k, v in result.as_dict().items() if k != "failures"})
        if error is not None:
            raise error
        raise_if_cancelled(ctx, result)
    except HubSpotError as stopped:
        carry(stopped, result, in_flight)
        raise
    return result


def run_reads(
    ctx: ApiContext,
    result: BatchResult,
    raw: Iterable[Any],
    items: Iterable[ReadInput],
    size: int,
    work: Work[ReadInput],
    on_failure: str,
    failure_callback: FailureCallback | None,
    chunk_callback: ChunkCallback | None,
) -> Iterator[AssociationRow]:
    """Yield each read chunk's rows in input order; in raise mode, stop dispatching at the first failure,
    drain what is in flight, then raise."""
    report = chunk_reporter(chunk_callback, result)
    error: HubSpotBatchError | None = None
    try:
        for chunk, outcome in _run_chunks(
            ctx,
            result,
            items,
            size,
            work,
            total=known_length(raw),
            keys=None,
            ordered=report is not None,
            stop=lambda: error is not None or ctx.cancelled,  # noqa: B023 - reads the latest error on purpose
        ):
            yield from outcome.rows
            found = account(result, outcome, on_failure, failure_callback, rows_only=True, inputs=len(chunk.items))
            error = error or found
            if report is not None:
                report(chunk)
        if error is not None:
            raise error
        raise_if_cancelled(ctx, result)
    except HubSpotError as stopped:
        carry(stopped, result, None)
        raise


def _run_chunks(
    ctx: ApiContext,
    result: BatchResult,
    items: Iterable[T],
    size: int,
    work: Work[T],
    *,
    total: int | None,
    keys: Callable[[Chunk[T]], Iterable[Any]] | None,
    ordered: bool,
    stop: Callable[[], bool] | None = None,
    on_drained: Callable[[Chunk[T], _Outcome], object] | None = None,
    settling: int = 0,
) -> Iterator[tuple[Chunk[T], _Outcome]]:
    progress = ProgressLogger(ctx.log, result.operation, total)
    # Build the transport here, in the caller's thread, never racing in worker threads.
    _ = ctx.transport
    # ``chunk_callback`` runs once a chunk and its failures are accounted (a checkpoint then holds both).
    # With one (``ordered``), no finished chunk waits behind a slower one: a killed run redoes at most
    # max_concurrency chunks, plus ``settling`` (chunks sent and waiting to verify are not done yet).
    concurrency, limiter = ctx.settings.max_concurrency, ctx.transport.limiter
    return run_chunks(
        iter_chunks(items, size),
        work,
        max_concurrency=concurrency,
        keys=keys,
        progress=progress,
        max_in_flight=concurrency if ordered else None,
        stop=stop,
        on_drained=on_drained,
        concurrency=lambda: limiter.in_flight_target(concurrency),
        settling=settling,
    )


def account(
    result: BatchResult,
    outcome: _Outcome,
    on_failure: str,
    failure_callback: FailureCallback | None,
    *,
    rows_only: bool = False,
    inputs: int = 0,
) -> HubSpotBatchError | None:
    """Add one chunk's outcome to the call's result; return the error to raise when asked to and it failed
    (the caller stops dispatching, lets chunks already sent finish and be counted, then raises)."""
    result.requests += outcome.requests
    result.skipped += outcome.skipped
    result.reads_skipped += outcome.reads_skipped
    failed_inputs = len({f.position for f in outcome.failures if f.position is not None})
    result.failed += failed_inputs
    if rows_only:
        result.total += inputs
        result.succeeded += inputs - outcome.skipped - failed_inputs
    for input_failure in outcome.failures:
        result.add_failure(input_failure)
        if failure_callback is not None:
            failure_callback(input_failure)
    if on_failure == "raise" and outcome.failures:
        first = outcome.failures[0]
        where = f"input #{first.position}" if first.position is not None else "an input HubSpot did not name"
        return HubSpotBatchError(
            f"{result.operation}: input(s) failed; first: {where}: {first.category or ''} {first.message}",
            result=result,
        )
    return None


def raise_if_cancelled(ctx: ApiContext, result: BatchResult) -> None:
    if ctx.cancelled:
        raise HubSpotCancelledError(
            f"{result.operation}: cancelled after {result.total} input(s) "
            f"({result.succeeded} succeeded, {result.failed} failed); later inputs were not sent",
            result=result,
        )


def carry(error: HubSpotError, result: BatchResult, in_flight: BatchResult | None) -> None:
    """Put the stopped call's counts on the error (its own ``result`` first, when it has one)."""
    if error.result is None:
        error.result = result
    if error.in_flight is None:
        error.in_flight = in_flight
