"""Many pairs or records at a time (HubSpot's *batch* API: ``.../batch/read|create|archive|...``).

Inputs are streamed and chunked (1,000 ids a read, 2,000 pairs a labeled create, 1,000 otherwise), chunks run
with the connection's ``max_concurrency``; :mod:`._runner` counts them into the call's result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks import _answers as answers
from airflow_provider_hubassoc.hooks._batching import CREATE_LIMIT, DEFAULT_LIMIT, READ_LIMIT, Chunk, chunk_size_for
from airflow_provider_hubassoc.hooks._failures import as_int, failure, match_error, sub_category
from airflow_provider_hubassoc.hooks._json import batch_inputs, dumps
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.hooks._verify import SeenTypes, settling_chunks, verify_labels
from airflow_provider_hubassoc.hooks._writes import (
    PairTypes,
    WrittenPairs,
    _Outcome,
    _Pair,
    archive_payload,
    collapse,
    create_payload,
    default_payload,
    split,
    union_types,
    write_batch,
)
from airflow_provider_hubassoc.hooks.api._context import (
    NO_ASSOCIATIONS_FOUND,
    ApiContext,
    PageBound,
    ReadDeadline,
    association_path,
    next_after,
    row_from_multi,
)
from airflow_provider_hubassoc.hooks.api._inputs import (
    ReadInput,
    check_on_failure,
    label_tuple,
    parse_pair,
    read_input,
    validated,
)
from airflow_provider_hubassoc.hooks.api._merges import MergedInto, Merges
from airflow_provider_hubassoc.hooks.api._runner import Work, run_reads, run_writes
from airflow_provider_hubassoc.hooks.models import (
    AssociationRow,
    AssociationType,
    BatchResult,
    ChunkCallback,
    FailureCallback,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.api.labels import LabelsApi

#: the labels of a call: one label text, internal name or type id, or several
Labels = str | int | Iterable[str | int] | None


def one_request_per_chunk(
    ctx: ApiContext, path: str, payload: Callable[[list[_Pair]], Any], f: str, t: str
) -> Work[_Pair]:
    """Chunk work of the simple writes: collapse duplicates, send the chunk as one POST, map failures."""

    def work(chunk: Chunk[_Pair]) -> _Outcome:
        unique, skipped = collapse(chunk.items)
        outcome = _Outcome(skipped=skipped)
        write_batch(ctx.transport, outcome, "POST", path, unique, payload, f, t)
        return outcome

    return work


class BatchApi:
    """Batch read, create, archive and label archive of associations, v4 and dated versions."""

    def __init__(self, ctx: ApiContext, labels: LabelsApi) -> None:
        self.ctx = ctx
        self.labels = labels

    # -- reads ------------------------------------------------------------------------------------------------

    def iter_read_associations(
        self,
        from_type: str,
        to_type: str,
        ids: Iterable[int | str],
        chunk_size: int | None,
        on_failure: str,
        failure_callback: FailureCallback | None,
        chunk_callback: ChunkCallback | None,
        api_version: str | None,
        merged_into: MergedInto | None = None,
    ) -> Iterator[AssociationRow]:
        """``POST .../batch/read``, every per-input page followed; duplicates within a chunk read once. With
        ``merged_into``, ids answered under a merge survivor are read as it (:mod:`._merges`)."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        check_on_failure(on_failure)
        size = chunk_size_for(READ_LIMIT, chunk_size)
        result = BatchResult(f"read {plural_name(f)}->{plural_name(t)} associations")
        items = validated(ids, read_input)
        deadline = ReadDeadline(result.operation, self.ctx.settings.read_deadline_seconds)

        def work(chunk: Chunk[ReadInput]) -> _Outcome:
            unique: dict[int, ReadInput] = {}
            for item in chunk.items:
                unique.setdefault(item.id, item)
            outcome = _Outcome(skipped=len(chunk.items) - len(unique))
            merges = Merges(merged_into, f, t) if merged_into is not None else None
            self.batch_read(version, f, t, list(unique.values()), outcome, None, deadline, merges)
            return outcome

        yield from run_reads(self.ctx, result, ids, items, size, work, on_failure, failure_callback, chunk_callback)

    def batch_read(
        self,
        version: str,
        f: str,
        t: str,
        inputs: list[ReadInput],
        outcome: _Outcome,
        keep_to: Mapping[int, set[int]] | None,
        deadline: ReadDeadline | None = None,
        merges: Merges | None = None,
    ) -> None:
        """Batch-read ``inputs`` following every per-input cursor; rows go to ``outcome.rows`` (or, with
        ``keep_to``, only rows whose ``to_id`` is wanted for that ``from_id`` go to ``outcome.existing``, and a
        record's cursor is no longer followed once each of its wanted ``to_id`` was seen). A record's pages are
        bounded by :class:`PageBound`: a cursor it had before, or too many pages, raises; ``deadline`` bounds the
        wall time of the whole read call (every chunk), checked before each request; ``merges`` reads ids HubSpot
        answers under a merge survivor as it (:mod:`._merges`)."""
        path = association_path(version, f"associations/{f}/{t}/batch/read")
        queue: deque[tuple[int, str | None]] = deque((item.id, None) for item in inputs)
        bound = PageBound("POST", path, self.ctx.settings.max_pages_per_record)
        failed: set[int] = set()
        missing = {fid: set(tos) for fid, tos in keep_to.items()} if keep_to is not None else None
        while queue:
            batch = [queue.popleft() for _ in range(min(READ_LIMIT, len(queue)))]
            payload = batch_inputs(
                f'{{"id":"{i}","after":{dumps(a).decode()}}}' if a else f'{{"id":"{i}"}}' for i, a in batch
            )
            asked = {i for i, _a in batch}
            if deadline is not None:
                deadline.check("POST", path)
            shape = answers.batch_read(asked, merges.unasked if merges is not None else None)
            status, body = self.ctx.send("POST", path, json=payload, required=True, shape=shape)
            outcome.requests += 1
            if merges is not None:
                merges.check("POST", path, status, {i for i, a in batch if not a}, body)
            rows_before = len(outcome.rows)
            answered: set[int] = set()
            for item in body["results"]:  # the gate checked it: from ids asked, ``to`` lists
                from_id = int(item["from"]["id"])
                if merges is not None and from_id in answered:
                    continue  # two asked ids merged into one record: its rows once per asked id (relabel)
                answered.add(from_id)
                start = len(outcome.rows)
                try:
                    self._read_rows(f, t, from_id, item, outcome, keep_to, missing)
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise answers.row_error("POST", path, status, item) from None
                if merges is not None:
                    merges.relabel(outcome.rows, start, from_id)
                after = next_after(item)
                if after and missing is not None and not missing.get(from_id, True):
                    continue  # every wanted pair of this record is seen: its further pages cannot matter
                if after:
                    bound.follow(f"{plural_name(f)} {from_id}", after)
                    queue.append((from_id, after))
            self._read_failures(f, t, inputs, status, body, outcome, failed)
            if deadline is not None:
                deadline.answered(len(outcome.rows) - rows_before)

    @staticmethod
    def _read_rows(
        f: str,
        t: str,
        from_id: int,
        item: Mapping[str, Any],
        outcome: _Outcome,
        keep_to: Mapping[int, set[int]] | None,
        missing: dict[int, set[int]] | None,
    ) -> None:
        """One record's rows of a read page: all of them, or (``keep_to``) only the wanted pairs' types."""
        wanted = keep_to.get(from_id, ()) if keep_to is not None else None
        for to in item.get("to") or []:
            if wanted is None:
                outcome.rows.append(row_from_multi(f, from_id, t, to))
            elif as_int(to.get("toObjectId")) in wanted:  # only the pairs being written are parsed
                row = row_from_multi(f, from_id, t, to)
                outcome.existing[(from_id, row.to_id)] = row.types
                missing[from_id].discard(row.to_id)  # type: ignore[index]

    @staticmethod
    def _read_failures(
        f: str,
        t: str,
        inputs: list[ReadInput],
        status: int,
        body: Mapping[str, Any],
        outcome: _Outcome,
        failed: set[int],
    ) -> None:
        """A read page's errors as failures of the inputs they name (a record with none is not one)."""
        for error in body.get("errors") or []:
            if sub_category(error) == NO_ASSOCIATIONS_FOUND:
                continue
            matched: Sequence[tuple[int | None, int | None, int | None]] = match_error(
                error, [(item.position, item.id, None) for item in inputs], f, t
            )
            for position, from_id, _to in matched or [(None, None, None)]:
                if from_id is not None:
                    if from_id in failed:
                        continue
                    failed.add(from_id)
                outcome.failures.append(
                    failure(position, {"id": from_id} if from_id is not None else None, status, error)
                )

    def existing_types(
        self, version: str, f: str, t: str, pairs: Iterable[tuple[int, int]], counter: _Outcome | None = None
    ) -> dict[tuple[int, int], tuple[AssociationType, ...]]:
        """Current types of each pair, read with batch read of the from ids (every page); read errors are
        ignored here (a pair that cannot be read fails, and is reported, in the write that follows)."""
        keep: dict[int, set[int]] = {}
        for fid, tid in pairs:
            keep.setdefault(fid, set()).add(tid)
        outcome = _Outcome()
        self.batch_read(version, f, t, [ReadInput(-1, fid) for fid in keep], outcome, keep)
        if counter is not None:
            counter.requests += outcome.requests
        return outcome.existing

    # -- writes -----------------------------------------------------------------------------------------------

    def labeled_parser(
        self, version: str, f: str, t: str, labels: Labels
    ) -> tuple[tuple[AssociationType, ...], Callable[[Any, int], _Pair]]:
        """Resolve the call's common ``labels`` once; return them and a parser giving each input the union of
        those and its own labels (resolved, so an unknown label fails naming the input's position)."""
        common = label_tuple(labels, None) if labels is not None else ()
        common_types = self.labels.resolve(version, f, t, common, None)

        def parse(item: Any, position: int) -> _Pair:
            pair = parse_pair(item, position)
            if not pair.labels:  # the usual case: the call's labels only
                return _Pair(position, pair.from_id, pair.to_id, (), common_types)
            own = self.labels.resolve(version, f, t, pair.labels, position)
            return _Pair(position, pair.from_id, pair.to_id, pair.labels, union_types(common_types, own))

        return common_types, parse

    def create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        labels: Labels,
        on_failure: str,
        failure_callback: FailureCallback | None,
        chunk_callback: ChunkCallback | None,
        chunk_size: int | None,
        api_version: str | None,
    ) -> BatchResult:
        """``batch/associate/default`` for unlabeled pairs; ``batch/create`` for labeled ones, with their
        current types read first and sent too (``replace``), or the wanted ones only (``merge``)."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        check_on_failure(on_failure)
        common_types, parse = self.labeled_parser(version, f, t, labels)
        result = BatchResult(f"create {plural_name(f)}->{plural_name(t)} associations")
        items = validated(pairs, parse)
        # One chunk size per call: 2,000 when every pair gets labels (batch/create), else 1,000 (the default
        # endpoint's assumed maximum; labeled and unlabeled inputs may be mixed in one chunk).
        limit = CREATE_LIMIT if common_types else DEFAULT_LIMIT
        size = limit if chunk_size is None else chunk_size_for(CREATE_LIMIT, chunk_size)
        work = self._create_work(version, f, t)
        settling = settling_chunks(self.ctx.settings)
        return run_writes(
            self.ctx, result, pairs, items, size, work, on_failure, failure_callback, chunk_callback, settling
        )

    def _create_work(self, version: str, f: str, t: str) -> Callable[[Chunk[_Pair]], _Outcome]:
        """The work of one create chunk: plain pairs to the default endpoint, labeled ones to batch/create."""
        labeled_path = association_path(version, f"associations/{f}/{t}/batch/create")
        default_path = association_path(version, f"associations/{f}/{t}/batch/associate/default")
        merge = self.ctx.settings.label_write_semantics == "merge"
        transport = self.ctx.transport

        def current(part: list[_Pair], counter: _Outcome) -> PairTypes:
            return self.existing_types(version, f, t, [(p.from_id, p.to_id) for p in part], counter)

        written = None if merge else WrittenPairs(lambda: self.labels.cached(version, f, t))
        verify_rounds = self.ctx.settings.label_verify_rounds  # 0 under merge (settings)
        settle = self.ctx.settings.label_verify_settle_seconds

        def work(chunk: Chunk[_Pair]) -> _Outcome:
            unique, skipped = collapse(chunk.items)
            outcome = _Outcome(skipped=skipped)
            labeled = [p for p in unique if p.types]
            plain = [p for p in unique if not p.types]
            for part in split(plain, DEFAULT_LIMIT):
                write_batch(transport, outcome, "POST", default_path, part, default_payload, f, t)
            if merge:  # the account keeps other labels: send the wanted ones, replay as is (see _writes)
                for part in split(labeled, CREATE_LIMIT):
                    outcome.reads_skipped += len(part)
                    write_batch(transport, outcome, "POST", labeled_path, part, create_payload, f, t)
                return outcome
            seen = SeenTypes(lambda: self.labels.cached(version, f, t)) if verify_rounds else None
            reader = current if seen is None else lambda part, counter: seen.read(current(part, counter))
            answered = seen.answered if seen is not None else None
            for part in split(labeled, CREATE_LIMIT):
                write_batch(
                    transport,
                    outcome,
                    "POST",
                    labeled_path,
                    part,
                    create_payload,
                    f,
                    t,
                    current=reader,
                    written=written,
                    answered=answered,
                )
            if seen is not None and labeled:
                verify_labels(
                    outcome, labeled, seen, current, partial(repair, outcome), rounds=verify_rounds, settle=settle
                )
            return outcome

        def repair(outcome: _Outcome, pairs: list[_Pair], state: PairTypes) -> None:
            """Re-send the pairs over the state just read (a lost answer re-reads, as every labeled write)."""
            if written is not None:
                written.forget(pairs)
            for part in split(pairs, CREATE_LIMIT):
                write_batch(
                    transport, outcome, "POST", labeled_path, part, create_payload, f, t, current=lambda p, o: state
                )
            outcome.succeeded -= len(pairs)  # already counted by the first write

        return work

    def archive_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        on_failure: str,
        failure_callback: FailureCallback | None,
        chunk_callback: ChunkCallback | None,
        chunk_size: int | None,
        api_version: str | None,
    ) -> BatchResult:
        """``batch/archive``: every association between each pair; labels on inputs are ignored."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        check_on_failure(on_failure)
        result = BatchResult(f"archive {plural_name(f)}->{plural_name(t)} associations")
        items = validated(pairs, parse_pair)
        size = chunk_size_for(DEFAULT_LIMIT, chunk_size)
        path = association_path(version, f"associations/{f}/{t}/batch/archive")
        work = one_request_per_chunk(self.ctx, path, archive_payload, f, t)
        return run_writes(self.ctx, result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)

    def archive_association_labels(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        labels: Labels,
        on_failure: str,
        failure_callback: FailureCallback | None,
        chunk_callback: ChunkCallback | None,
        chunk_size: int | None,
        api_version: str | None,
    ) -> BatchResult:
        """``batch/labels/archive``: the call's and each input's labels; an input with none is an input error."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        check_on_failure(on_failure)
        _common_types, parse_labeled = self.labeled_parser(version, f, t, labels)
        result = BatchResult(f"archive {plural_name(f)}->{plural_name(t)} labels")

        def parse(item: Any, position: int) -> _Pair:
            pair = parse_labeled(item, position)
            if not pair.types:
                raise HubSpotInputError(
                    "no label to remove: pass labels= or give the input labels", position=position, field="labels"
                )
            return pair

        items = validated(pairs, parse)
        size = chunk_size_for(DEFAULT_LIMIT, chunk_size)
        path = association_path(version, f"associations/{f}/{t}/batch/labels/archive")
        work = one_request_per_chunk(self.ctx, path, create_payload, f, t)
        return run_writes(self.ctx, result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)
