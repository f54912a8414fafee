"""One pair of records at a time (HubSpot's *basic* API: ``.../objects/{from}/{id}/associations/...``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotError, HubSpotInputError
from airflow_provider_hubassoc.hooks import _shapes as shapes
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.hooks._writes import (
    _Outcome,
    _Pair,
    archive_payload,
    create_payload,
    send_rederived,
    union_types,
    write_batch,
)
from airflow_provider_hubassoc.hooks.api._context import (
    ApiContext,
    PageBound,
    ReadDeadline,
    association_path,
    next_after,
    row_from_multi,
)
from airflow_provider_hubassoc.hooks.api._inputs import label_tuple, positive_int
from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.api.batch import BatchApi
    from airflow_provider_hubassoc.hooks.api.labels import LabelsApi

Types = tuple[AssociationType, ...]


class RecordsApi:
    """Associate, label, unlink and list the associations of single records, v4 and dated versions."""

    def __init__(self, ctx: ApiContext, labels: LabelsApi, batch: BatchApi) -> None:
        self.ctx = ctx
        self.labels = labels
        self.batch = batch

    def _ids(self, from_id: int | str, to_id: int | str) -> tuple[int, int]:
        return positive_int(from_id, None, "from_id"), positive_int(to_id, None, "to_id")

    def _types_of(self, version: str, f: str, t: str, fid: int, tid: int) -> Types:
        return self.batch.existing_types(version, f, t, [(fid, tid)]).get((fid, tid), ())

    def associate(
        self,
        from_type: str,
        from_id: int | str,
        to_type: str,
        to_id: int | str,
        labels: str | int | Iterable[str | int],
        api_version: str | None,
    ) -> AssociationRow:
        """``PUT`` with the pair's current labels read first and sent too; without labels the default type."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        fid, tid = self._ids(from_id, to_id)
        wanted = self.labels.resolve(version, f, t, label_tuple(labels, None), None)
        if not wanted:
            self.associate_default(f, fid, t, tid, version)
            return AssociationRow(f, fid, t, tid, self._types_of(version, f, t, fid, tid))
        existing: list[Types] = []

        def refresh() -> None:  # the pair's current types; again after a lost answer (see _writes)
            existing[:] = [self._types_of(version, f, t, fid, tid)]

        def build() -> list[dict[str, Any]]:
            return [x.spec() for x in union_types(existing[0], wanted) if x.category is not None]

        refresh()
        path = association_path(version, f"objects/{f}/{fid}/associations/{t}/{tid}")
        send_rederived(self.ctx.transport, "PUT", path, build, refresh)
        return AssociationRow(f, fid, t, tid, union_types(existing[0], wanted))

    def detect_label_write_semantics(
        self,
        from_type: str,
        from_id: int | str,
        to_type: str,
        to_id: int | str,
        label_a: str | int,
        label_b: str | int,
        api_version: str | None,
    ) -> str:
        """Write ``label_a``, then create with ``label_b`` only, read back, restore the pair and check it."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        fid, tid = self._ids(from_id, to_id)
        a, b = (self.labels.resolve(version, f, t, [label], None)[0] for label in (label_a, label_b))
        if a.key == b.key or "HUBSPOT_DEFINED" in (a.category, b.category):
            raise HubSpotInputError("needs two different user-defined labels (not Primary/unlabeled)", field="labels")
        original = self._types_of(version, f, t, fid, tid)
        self._create_once(version, f, t, fid, tid, (a,), keep_current=True)
        self._create_once(version, f, t, fid, tid, (b,), keep_current=False)
        semantics = "merge" if a.key in {x.key for x in self._types_of(version, f, t, fid, tid)} else "replace"
        self._restore(version, f, t, fid, tid, original)
        restored = {x.key for x in self._types_of(version, f, t, fid, tid)}
        if restored != {o.key for o in original}:
            raise HubSpotError(
                f"label write semantics: {semantics}, but {plural_name(f)} {fid} -> {plural_name(t)} {tid} was not "
                f"restored: it had types {sorted(map(str, (o.key for o in original)))}, has {sorted(map(str, restored))}"
            )
        self.ctx.log.info("label write semantics of this account's batch/create: %s", semantics)
        return semantics

    def _create_once(
        self, version: str, f: str, t: str, fid: int, tid: int, types: Types, *, keep_current: bool
    ) -> None:
        """One ``batch/create`` of one pair (with its current types read first when ``keep_current``)."""
        create = association_path(version, f"associations/{f}/{t}/batch/create")
        outcome = _Outcome()
        key = (fid, tid)
        reader = (
            (lambda part, counter: self.batch.existing_types(version, f, t, [key], counter)) if keep_current else None
        )
        pair = [_Pair(0, fid, tid, (), types)]
        write_batch(self.ctx.transport, outcome, "POST", create, pair, create_payload, f, t, current=reader)
        if outcome.failures:
            raise HubSpotError(f"label write semantics: the create was refused: {outcome.failures[0].message}")

    def _restore(self, version: str, f: str, t: str, fid: int, tid: int, original: Types) -> None:
        """Put back exactly the types the pair had (archive the pair if it had none)."""
        if original:
            self._create_once(version, f, t, fid, tid, original, keep_current=False)
            extra = [x for x in self._types_of(version, f, t, fid, tid) if x.key not in {o.key for o in original}]
            if extra:
                path = association_path(version, f"associations/{f}/{t}/batch/labels/archive")
                self.ctx.send("POST", path, json=create_payload([_Pair(0, fid, tid, (), tuple(extra))]))
        else:
            path = association_path(version, f"associations/{f}/{t}/batch/archive")
            self.ctx.send("POST", path, json=archive_payload([_Pair(0, fid, tid)]))

    def associate_default(
        self, from_type: str, from_id: int | str, to_type: str, to_id: int | str, api_version: str | None
    ) -> None:
        """``PUT .../associations/default/{t}/{id}``: the unlabeled type; other labels stay."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        fid, tid = self._ids(from_id, to_id)
        self.ctx.send("PUT", association_path(version, f"objects/{f}/{fid}/associations/default/{t}/{tid}"))

    def remove_association(
        self, from_type: str, from_id: int | str, to_type: str, to_id: int | str, api_version: str | None
    ) -> None:
        """``DELETE``: every association (all labels) between two records."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        fid, tid = self._ids(from_id, to_id)
        self.ctx.send("DELETE", association_path(version, f"objects/{f}/{fid}/associations/{t}/{tid}"))

    def iter_record_associations(
        self, from_type: str, from_id: int | str, to_type: str, page_size: int, api_version: str | None
    ) -> Iterator[AssociationRow]:
        """``GET`` page by page until HubSpot sends no cursor; a cursor seen twice, or more pages than
        ``max_pages_per_record``, raises :class:`HubSpotPagingError` (:class:`PageBound`); past
        ``read_deadline_seconds``, :class:`HubSpotReadDeadlineError` (:class:`ReadDeadline`)."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        fid = positive_int(from_id, None, "from_id")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 500:
            raise HubSpotInputError("page_size must be between 1 and 500", field="page_size")
        path = association_path(version, f"objects/{f}/{fid}/associations/{t}")
        after: str | None = None
        bound = PageBound("GET", path, self.ctx.settings.max_pages_per_record)
        deadline = ReadDeadline(
            f"list {plural_name(f)} {fid} -> {plural_name(t)}", self.ctx.settings.read_deadline_seconds
        )
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if after:
                params["after"] = after
            deadline.check("GET", path)
            _status, body = self.ctx.send("GET", path, params=params, required=True, shape=shapes.record_page)
            deadline.answered(len(body["results"]))
            for item in body["results"]:  # the gate checked each row (``toObjectId``, type ids) and the paging
                yield row_from_multi(f, fid, t, item)
            after = next_after(body)
            if not after:
                return
            bound.follow(f"{plural_name(f)} {fid}", after)
