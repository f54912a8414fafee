"""What every HubSpot operator shares: the connection, the hook, ``on_kill``, and (for the long ones) the
checkpoint and daily-budget hooks of :mod:`._job`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_hubassoc._compat import BaseOperator, Context
from airflow_provider_hubassoc._inputs import SECRET_SETTINGS, checked_hook_params  # noqa: F401 - old home
from airflow_provider_hubassoc.hooks._settings import task_overrides as hook_overrides
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators._checkpoint import (
    Checkpoint,
    CheckpointStore,
    default_checkpoint_base,
    input_fingerprint,
)
from airflow_provider_hubassoc.operators._job import (
    ChunkCallback,
    FailureReport,
    chunk_saver,
    result_counts,
    stop_for_daily_budget,
)
from airflow_provider_hubassoc.operators._lineage import openlineage_facets
from airflow_provider_hubassoc.operators._locations import check_writable_location

if TYPE_CHECKING:
    from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError
    from airflow_provider_hubassoc.hooks.models import BatchResult
    from airflow_provider_hubassoc.operators._files import PairSource
    from airflow_provider_hubassoc.operators._rowfiles import RowWriter


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


class ResumableOperator(HubSpotBaseOperator):
    """A long operator that keeps a checkpoint (see :mod:`._checkpoint`) and outlasts a spent daily budget.

    :param checkpoint_path: base location of checkpoints (any ``ObjectStoragePath`` URL); default
        ``[hubspot] checkpoint_path`` or ``$AIRFLOW_HOME/hubspot_checkpoints``. Use shared storage when retries
        may run on another worker.
    :param resume: resume from this task run's checkpoint (default); ``False`` discards it and starts over.
    :param wait_for_daily_reset: when HubSpot's daily request budget is spent, defer (no worker slot held) until
        it resets at midnight in the account's time zone (connection extra ``account_time_zone``) and resume;
        ``False`` (default): fail with what was done and when the budget resets. A resume that still finds the
        budget spent in the first 15 minutes after that midnight (HubSpot's reset running late) defers a minute
        at a time until then, never a whole extra day (:func:`._daily_reset.daily_budget_retry_at`).
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

    def check_locations(self, context: Context, *, checkpoint: bool, **files: str | None) -> None:
        """Every location this run writes, checked before HubSpot is touched (see :mod:`._locations`): the
        ``files`` by parameter name (``failures_path=...``), and the checkpoint base when one is kept."""
        for param, path in files.items():
            if path:
                check_writable_location(path, param, "file")
        if checkpoint and self._checkpoint_store(context) is not None:
            check_writable_location(self.checkpoint_path or default_checkpoint_base(), "checkpoint_path", "directory")

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
    ) -> ChunkCallback:
        """A ``chunk_callback`` saving this task's checkpoint per chunk (see :func:`._job.chunk_saver`)."""
        return chunk_saver(
            self.hook, checkpoint, report, offset=offset, base=base, counts=counts, source=source, output=output
        )

    def daily_budget_spent(
        self, context: Context, error: HubSpotDailyLimitError, summary: dict[str, Any], checkpoint: Checkpoint | None
    ) -> NoReturn:
        """Stop cleanly, then defer until HubSpot's daily reset or fail (see :func:`._job.stop_for_daily_budget`)."""
        stop_for_daily_budget(self, context, error, summary, checkpoint)

    def execute_after_daily_reset(self, context: Context, event: Any = None) -> Any:
        """Back from the deferral: HubSpot's daily budget has reset; resume from the checkpoint."""
        self.log.info("HubSpot's daily reset has passed: resuming from the checkpoint")
        self.hook.daily_budget_reset()
        self._after_reset = True
        return self.execute(context)
