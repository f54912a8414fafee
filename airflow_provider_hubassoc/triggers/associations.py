"""Deferred waiting on association state: the triggerer polls HubSpot so no worker slot is held."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_hubassoc._compat import BaseTrigger, TriggerEvent, aget_connection
from airflow_provider_hubassoc.exceptions import HubSpotError, HubSpotInputError
from airflow_provider_hubassoc.hooks._settings import task_overrides
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook


@dataclass(frozen=True)
class AssociationCheck:
    """The condition the sensor and the trigger both test: every record has at least ``min_count``
    associations to ``to_object_type`` (only those carrying ``label``, when given)."""

    from_object_type: str
    record_ids: tuple[int, ...]
    to_object_type: str
    label: str | int | None = None
    min_count: int = 1

    def counts(self, hook: HubSpotAssociationsHook) -> dict[str, int]:
        """Matching associations per record (every page of every record is read).

        :raises HubSpotInputError: HubSpot refused to read some records (a record that does not exist, an id
            that is not valid): waiting cannot fix that, so the check fails at once naming them.
        """
        wanted = None
        if self.label is not None:
            wanted = hook.get_label(self.from_object_type, self.to_object_type, self.label).key
        counts = {str(record): 0 for record in self.record_ids}
        refused: list[Any] = []
        rows = hook.iter_read_associations(
            self.from_object_type,
            self.to_object_type,
            self.record_ids,
            on_failure="collect",
            failure_callback=refused.append,
        )
        for row in rows:
            if wanted is None or any(t.key == wanted for t in row.types):
                counts[str(row.from_id)] += 1
        if refused:
            named = ", ".join(
                f"{f.input.get('id') if isinstance(f.input, dict) else '?'} ({f.category}: {f.message})"
                for f in refused[:10]
            )
            more = f" and {len(refused) - 10} more" if len(refused) > 10 else ""
            raise HubSpotInputError(
                f"HubSpot cannot read {len(refused)} {self.from_object_type} record(s), so "
                f"waiting cannot succeed: {named}{more}",
                field="record_ids",
            )
        return counts

    def short(self, counts: dict[str, int]) -> dict[str, int]:
        """Records still below ``min_count``."""
        return {record: n for record, n in counts.items() if n < self.min_count}

    def describe(self, counts: dict[str, int]) -> str:
        short = self.short(counts)
        what = f"{self.to_object_type} associations"
        if self.label is not None:
            what += f" with label {self.label!r}"
        ready = len(counts) - len(short)
        if not short:
            return f"all {len(counts)} record(s) have >= {self.min_count} {what}"
        waiting = ", ".join(f"{record} ({n} < {self.min_count})" for record, n in list(short.items())[:10])
        more = f" and {len(short) - 10} more" if len(short) > 10 else ""
        return f"{ready} of {len(counts)} record(s) ready; waiting for {self.from_object_type} {waiting}{more} {what}"

    def result(self, counts: dict[str, int]) -> dict[str, Any]:
        """The sensor's XCom value: ``{"counts": {record id: n}, "ready": bool}``."""
        return {"counts": counts, "ready": not self.short(counts)}

    def event(self, counts: dict[str, int], status: str) -> dict[str, Any]:
        return {"status": status, **self.result(counts), "message": self.describe(counts)}


class HubSpotAssociationTrigger(BaseTrigger):
    """Polls HubSpot until :class:`AssociationCheck` holds, or until ``deadline`` (epoch seconds) passes.

    Yields exactly one event: ``{"status": "success" | "timeout", "counts", "ready", "message"}``, or
    ``{"status": "error", "message"}`` on an error the hook's own retries did not overcome (with ``"final": true``
    when waiting or retrying cannot help: a record HubSpot cannot read, an unknown label). The connection is
    fetched asynchronously and each check runs in a worker thread, so the triggerer's event loop never blocks.
    """

    def __init__(
        self,
        *,
        from_object_type: str,
        record_ids: list[int],
        to_object_type: str,
        label: str | int | None = None,
        min_count: int = 1,
        hubspot_conn_id: str = HubSpotAssociationsHook.default_conn_name,
        api_version: str | None = None,
        poke_interval: float = 60.0,
        deadline: float | None = None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.check = AssociationCheck(
            from_object_type, tuple(int(i) for i in record_ids), to_object_type, label, min_count
        )
        self.hubspot_conn_id = hubspot_conn_id
        self.api_version = api_version
        self.hook_params = dict(hook_params or {})
        self.poke_interval = poke_interval
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "from_object_type": self.check.from_object_type,
                "record_ids": list(self.check.record_ids),
                "to_object_type": self.check.to_object_type,
                "label": self.check.label,
                "min_count": self.check.min_count,
                "hubspot_conn_id": self.hubspot_conn_id,
                "api_version": self.api_version,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
                "hook_params": self.hook_params,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook: HubSpotAssociationsHook | None = None
        try:
            connection = await aget_connection(self.hubspot_conn_id)
            overrides = task_overrides(self.hook_params, self.api_version)
            hook = HubSpotAssociationsHook.from_connection(connection, **overrides)
            while True:
                counts = await asyncio.to_thread(self.check.counts, hook)
                if not self.check.short(counts):
                    yield TriggerEvent(self.check.event(counts, "success"))
                    return
                if self.deadline is not None and time.time() >= self.deadline:
                    yield TriggerEvent(self.check.event(counts, "timeout"))
                    return
                self.log.info("%s", self.check.describe(counts))
                pause = self.poke_interval
                if self.deadline is not None:  # the last check falls on the deadline, not a poke interval later
                    pause = min(pause, max(0.0, self.deadline - time.time()))
                await asyncio.sleep(pause)
        except HubSpotInputError as error:  # a record HubSpot cannot read, an unknown label: retrying cannot help
            yield TriggerEvent({"status": "error", "message": str(error), "final": True})
        except HubSpotError as error:
            yield TriggerEvent({"status": "error", "message": str(error)})
        finally:
            if hook is not None:
                hook.close()
