"""The retiring v3 API (``/crm/v3/associations/...``): type names instead of labels, no paging of batch reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks import _shapes as shapes
from airflow_provider_hubassoc.hooks._batching import READ_LIMIT, Chunk, chunk_size_for
from airflow_provider_hubassoc.hooks._failures import as_int, failure, match_error, sub_category
from airflow_provider_hubassoc.hooks._object_types import HUBSPOT_DEFINED_TYPES, plural_name, singular_name
from airflow_provider_hubassoc.hooks._writes import _Outcome, _Pair
from airflow_provider_hubassoc.hooks.api._context import (
    NO_ASSOCIATIONS_FOUND,
    ApiContext,
    ReadDeadline,
    association_path,
    next_after,
)
from airflow_provider_hubassoc.hooks.api._inputs import ReadInput, check_on_failure, parse_pair, read_input, validated
from airflow_provider_hubassoc.hooks.api._runner import run_reads, run_writes
from airflow_provider_hubassoc.hooks.api.batch import one_request_per_chunk
from airflow_provider_hubassoc.hooks.models import (
    AssociationRow,
    AssociationType,
    BatchResult,
    ChunkCallback,
    FailureCallback,
)


class V3Api:
    """v3 types listing, batch create, archive and read."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def list_types(self, from_type: str, to_type: str) -> list[AssociationType]:
        """``GET /crm/v3/.../types``: ``type_id`` and ``name`` of each type."""
        _v, f, t = self.ctx.object_pair(from_type, to_type, "v3", allow_v3=True)
        path = association_path("v3", f"associations/{f}/{t}/types")
        _status, body = self.ctx.send("GET", path, required=True, shape=shapes.v3_types)
        return [AssociationType(None, as_int(item["id"]), None, item["name"]) for item in body["results"]]

    def write(
        self,
        action: str,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        association_type: str | None,
        on_failure: str,
        failure_callback: FailureCallback | None,
        chunk_callback: ChunkCallback | None,
        chunk_size: int | None,
        limit: int,
    ) -> BatchResult:
        """``batch/create`` or ``batch/archive`` with one v3 type name for every pair."""
        _v, f, t = self.ctx.object_pair(from_type, to_type, "v3", allow_v3=True)
        check_on_failure(on_failure)
        type_name = association_type or default_v3_type(f, t)
        result = BatchResult(f"v3 {action} {plural_name(f)}->{plural_name(t)} associations")
        items = validated(pairs, parse_pair)
        size = chunk_size_for(limit, chunk_size)
        path = association_path("v3", f"associations/{f}/{t}/batch/{action}")

        def payload(part: list[_Pair]) -> dict[str, Any]:
            return {
                "inputs": [
                    {"from": {"id": str(p.from_id)}, "to": {"id": str(p.to_id)}, "type": type_name} for p in part
                ]
            }

        work = one_request_per_chunk(self.ctx, path, payload, f, t)
        return run_writes(self.ctx, result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)

    def iter_read_associations(
        self,
        from_type: str,
        to_type: str,
        ids: Iterable[int | str],
        chunk_size: int | None,
        on_failure: str,
        failure_callback: FailureCallback | None,
        chunk_callback: ChunkCallback | None,
    ) -> Iterator[AssociationRow]:
        """``POST /crm/v3/.../batch/read``: the first page of each record only (v3 ignores ``after``)."""
        _v, f, t = self.ctx.object_pair(from_type, to_type, "v3", allow_v3=True)
        check_on_failure(on_failure)
        if t == "0-2":
            self.ctx.log.warning(
                "v3 reads towards companies return only each record's primary company; "
                "use iter_read_associations (v4) to get every company"
            )
        size = chunk_size_for(READ_LIMIT, chunk_size)
        path = association_path("v3", f"associations/{f}/{t}/batch/read")
        result = BatchResult(f"v3 read {plural_name(f)}->{plural_name(t)} associations")
        items = validated(ids, read_input)
        deadline = ReadDeadline(result.operation, self.ctx.settings.read_deadline_seconds)

        def work(chunk: Chunk[ReadInput]) -> _Outcome:
            unique: dict[int, ReadInput] = {}
            for item in chunk.items:
                unique.setdefault(item.id, item)
            outcome = _Outcome(skipped=len(chunk.items) - len(unique))
            shape = shapes.v3_batch_read(unique)
            inputs = {"inputs": [{"id": str(i)} for i in unique]}
            deadline.check("POST", path)
            status, body = self.ctx.send("POST", path, json=inputs, required=True, shape=shape)
            outcome.requests += 1
            self._read_page(f, t, list(unique.values()), status, body, outcome)
            deadline.answered(len(outcome.rows))
            return outcome

        yield from run_reads(self.ctx, result, ids, items, size, work, on_failure, failure_callback, chunk_callback)

    def _read_page(
        self, f: str, t: str, inputs: list[ReadInput], status: int, body: dict[str, Any], outcome: _Outcome
    ) -> None:
        """A v3 read answer's rows (one per pair, types by name) and failures; a second page is only warned of."""
        for item in body["results"]:  # the gate checked them: records asked for, integer ids
            from_id = int(item["from"]["id"])
            grouped: dict[int, list[AssociationType]] = {}
            for to in item.get("to") or []:
                grouped.setdefault(int(to["id"]), []).append(AssociationType(None, None, None, to.get("type")))
            for to_id, types in grouped.items():
                outcome.rows.append(AssociationRow(f, from_id, t, to_id, tuple(types)))
            if next_after(item):
                self.ctx.log.warning(
                    "v3 read of %s %s has more associations than one page; v3 cannot page "
                    "batch reads, use iter_read_associations (v4)",
                    plural_name(f),
                    from_id,
                )
        for error in body.get("errors") or []:
            if sub_category(error) == NO_ASSOCIATIONS_FOUND:
                continue
            matched: Sequence[tuple[int | None, int | None, int | None]] = match_error(
                error, [(x.position, x.id, None) for x in inputs], f, t
            )
            for position, fid, _tid in matched or [(None, None, None)]:
                outcome.failures.append(failure(position, {"id": fid} if fid else None, status, error))


def default_v3_type(f: str, t: str) -> str:
    """The v3 name of the unlabeled type: ``contact_to_company_unlabeled`` where a primary type owns the plain
    name, else ``deal_to_contact``."""
    from_name, to_name = singular_name(f), singular_name(t)
    if from_name is None or to_name is None:
        raise HubSpotInputError(
            "v3 type names of custom objects are account-specific: pass association_type (see v3_list_types)",
            field="association_type",
        )
    base = f"{from_name}_to_{to_name}"
    return f"{base}_unlabeled" if "primary" in HUBSPOT_DEFINED_TYPES.get((f, t), {}) else base
