"""What every HubSpot operator shares: the connection, the hook, ``on_kill``, failure files and failure policy."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from airflow_provider_hubassoc._compat import AirflowFailException, BaseOperator, Context, DateTimeTrigger
from airflow_provider_hubassoc._inputs import SECRET_SETTINGS, checked_hook_params  # noqa: F401 - old home
from airflow_provider_hubassoc.hooks._ratelimit import next_daily_reset
from airflow_provider_hubassoc.hooks._settings import task_overrides as hook_overrides
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators._checkpoint import (
    Checkpoint,
    CheckpointStore,
    add_counts,
    default_checkpoint_base,
    input_fingerprint,
)
from airflow_provider_hubassoc.operators._files import PairSource, RowWriter, SourcePair
from airflow_provider_hubassoc.operators._lineage import openlineage_facets

if TYPE_CHECKING:
    from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError
    from airflow_provider_hubassoc.hooks.models import BatchResult, InputFailure

FAILURE_COLUMNS = ("row", "from_id", "to_id", "labels", "status", "category", "sub_category", "message", "operation")
#: failures returned in the XCom summary (all of them go to the failures file)
FAILURE_SAMPLE = 10


class RowOrigin(Protocol):
    """Where a hook input position came from (a :class:`PairSource`, or a list of planned pairs)."""

    def origin(self, position: int | None) -> SourcePair | None: ...


class HubSpotBaseOperator(BaseOperator):
    """Base of the HubSpot operators: one hook per task run, cancelled by ``on_kill``.

    :param hubspot_conn_id: Airflow connection of type ``hubspot``.
    :param api_version: overrides the connection's version for this task: a dated version such as ``2026-09`` (the
        default), or the retiring ``v4`` (see the README, "HubSpot API versions").
    :param hook_params: per-task overrides of connection extras, e.g. ``{"max_concurrency": 8}`` (the shards of a
        mapped backfill share the app's rate limit by themselves: no need to divide ``requests_per_10_seconds``).
    :param portal_id: the HubSpot account (portal) id named in asset URIs
        (``hubspot://<portal_id>/associations/<from>/<to>``); default the ``hubspot_conn_id``.
    """

    ui_color = "#ff7a59"  # HubSpot orange

    def __init__(
        self,
        *,
        hubspot_conn_id: str = HubSpotAssociationsHook.default_conn_name,
        api_version: str | None = None,
        hook_params: dict[str, Any] | None = None,
        portal_id: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.portal_id = str(portal_id) if portal_id is not None else None
        self.hubspot_conn_id = hubspot_conn_id
        self.api_version = api_version
        self.hook_params = checked_hook_params(hook_params)

    @cached_property
    def hook(self) -> HubSpotAssociationsHook:
        return HubSpotAssociationsHook(self.hubspot_conn_id, **hook_overrides(self.hook_params, self.api_version))

    @property
    def portal(self) -> str:
        """The HubSpot account named in asset URIs."""
        return self.portal_id or self.hubspot_conn_id

    def lineage_uris(self) -> tuple[list[str], list[str]]:
        """``(inputs, outputs)`` as asset URIs (see :mod:`._lineage`), from the rendered arguments."""
        return [], []

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage input and output datasets; called by the OpenLineage provider only when it is installed."""
        inputs, outputs = self.lineage_uris()
        return openlineage_facets(
            inputs, outputs, sql=getattr(self, "sql", None), sql_conn_id=getattr(self, "sql_conn_id", None)
        )

    def on_kill(self) -> None:
        """Stop sending: chunks in flight finish and are counted, nothing after them is sent."""
        if "hook" in self.__dict__:
            self.log.warning("Task killed: stopping HubSpot work after the requests in flight")
            self.hook.cancel()


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
        return {"failed": self.count, "failures_path": self.path, "failures_sample": self.sample}

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
        ti = context.get("ti") if context else None
        if ti is not None:
            ti.xcom_push(key="summary", value=summary)
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
        raise AirflowFailException(f"{'; '.join(reasons)}{first_text}{where}. Done: {summary_line(summary)}")


def summary_line(summary: dict[str, Any]) -> str:
    keys = ("total", "succeeded", "failed", "skipped", "not_sent", "requests")
    return ", ".join(f"{key}={summary[key]}" for key in keys if key in summary)


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


class ResumableOperator(HubSpotBaseOperator):
    """A long operator that keeps a checkpoint (see :mod:`._checkpoint`) and outlasts a spent daily budget.

    :param checkpoint_path: base location of checkpoints (any ``ObjectStoragePath`` URL); default
        ``[hubspot] checkpoint_path`` or ``$AIRFLOW_HOME/hubspot_checkpoints``. Use shared storage when retries
        may run on another worker.
    :param resume: resume from this task run's checkpoint (default); ``False`` discards it and starts over.
    :param wait_for_daily_reset: when HubSpot's daily request budget is spent, defer (no worker slot held) until
        it resets at midnight in the account's time zone (connection extra ``account_time_zone``) and resume;
        ``False`` (default): fail with what was done and when the budget resets.
    """

    def __init__(
        self,
        *,
        checkpoint_path: str | None = None,
        resume: bool = True,
        wait_for_daily_reset: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.checkpoint_path = checkpoint_path
        self.resume = resume
        self.wait_for_daily_reset = wait_for_daily_reset
        self._after_reset = False

    def _checkpoint_store(self, context: Context) -> CheckpointStore | None:
        """Where this task run's checkpoint lives; ``None`` outside a task instance."""
        if not context or context.get("ti") is None:
            return None
        return CheckpointStore.for_context(self.checkpoint_path or default_checkpoint_base(), context)

    def _open_checkpoint(
        self, context: Context, *, path: str | None, items: Any, options: dict[str, Any]
    ) -> Checkpoint | None:
        """This task run's checkpoint (resumed, or fresh); ``None`` when run outside a task instance."""
        store = self._checkpoint_store(context)
        if store is None:
            self.log.info("No task instance in the context: running without a checkpoint")
            return None
        fingerprint = input_fingerprint(path=path, items=items, options={"operator": type(self).__name__, **options})
        return Checkpoint(store, fingerprint, resume=self.resume or self._after_reset, log=self.log)

    def chunk_saver(
        self,
        checkpoint: Checkpoint | None,
        report: FailureReport,
        *,
        offset: int,
        base: dict[str, int],
        counts: Callable[[BatchResult], dict[str, int]] = result_counts,
        source: PairSource | None = None,
        output: RowWriter | None = None,
    ) -> Callable[[int, int, BatchResult], None]:
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

    def daily_budget_spent(
        self, context: Context, error: HubSpotDailyLimitError, summary: dict[str, Any], checkpoint: Checkpoint | None
    ) -> NoReturn:
        """Stop cleanly: the checkpoint is saved (per chunk), the summary goes to XCom and the log; then defer
        until HubSpot's daily reset (``wait_for_daily_reset``) or fail saying when it resets and how to resume."""
        zone = self.hook.settings.account_time_zone
        reset_at = next_daily_reset(zone)
        reason = error.message.rstrip(". ")
        summary.update(stopped="daily_budget", daily_reset_at=reset_at.isoformat())
        ti = context.get("ti") if context else None
        if ti is not None:
            ti.xcom_push(key="summary", value=summary)
        self.log.warning(
            "HubSpot's daily request budget is spent: %s. Done so far: %s. It resets at %s (midnight %s)",
            reason,
            summary_line(summary),
            reset_at.isoformat(),
            zone,
        )
        if self.wait_for_daily_reset and checkpoint is not None:
            self.log.info(
                "Deferring until %s, then resuming from checkpoint %s", reset_at.isoformat(), checkpoint.store
            )
            self.defer(trigger=DateTimeTrigger(moment=reset_at), method_name="execute_after_daily_reset")
        where = (
            f"Progress is saved in the checkpoint {checkpoint.store}: clear or re-run this task after the "
            f"reset and it resumes where it stopped (resume=True), or set wait_for_daily_reset=True to "
            f"wait for the reset without holding a worker slot."
            if checkpoint is not None
            else "No checkpoint was kept (an export to XCom, or no task instance): a re-run starts over."
        )
        raise AirflowFailException(
            f"HubSpot's daily request budget is spent ({reason}). Done so far: {summary_line(summary)}. "
            f"HubSpot resets the budget at midnight in the account's time zone {zone} ({reset_at.isoformat()}; "
            f"connection extra account_time_zone). {where}"
        )

    def execute_after_daily_reset(self, context: Context, event: Any = None) -> Any:
        """Back from the deferral: HubSpot's daily budget has reset; resume from the checkpoint."""
        self.log.info("HubSpot's daily reset has passed: resuming from the checkpoint")
        self.hook.daily_budget_reset()
        self._after_reset = True
        return self.execute(context)
