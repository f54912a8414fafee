"""Inputs of the operators: pairs and ids from lists or files, validated, de-duplicated and sharded.

Everything streams: a file is read row by row once to validate every row before anything is sent; the pairs
it accepts are spooled packed on disk (:mod:`._pairspool`) and the send pass reads them from there, so memory
stays flat however large the file. Reading and writing the files themselves
(CSV/JSONL on any ``ObjectStoragePath``) is :mod:`._rowfiles`. This module never talks to HubSpot; the
operators hand what it yields to the hook.
"""

from __future__ import annotations

import heapq
import struct
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from airflow_provider_hubassoc._inputs import (  # noqa: F401 - shared rules, kept importable from here
    _MAX_ID_DIGITS,
    MAX_RECORD_ID,
    check_object_types,
    label_length_problem,
    named_error,
    parse_id,
    parse_ids,
    parse_json_list,
    record_id_problem,
    shown,
)
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.operators._pairspool import PairSpool
from airflow_provider_hubassoc.operators._rowfiles import (
    DEFAULT_ENCODING,
    LABEL_SEPARATOR,
    RowWriter as RowWriter,  # re-exported: an old import path
    check_encoding as check_encoding,
    file_format as file_format,
    iter_file_records,
)

#: the shard function, as error messages and the checkpoint fingerprint name it (a checkpoint written under
#: another function has another fingerprint, so it is refused rather than resumed against other rows)
SHARD_FUNCTION = "from_id % shard_count"


def shard_of(from_id: int, shard_count: int) -> int:
    """The shard of a pair: by its from id, so every write to one record (and so to one pair) stays in one
    shard and in order; one function for files, lists and queries.

    ``from_id % shard_count`` rather than the CRC-32 of earlier versions: a database computes it too, so a
    sharded query reads only its shard's rows (``MOD(from_id, n) = i`` pushed into the query) and a query that
    shards itself the natural way agrees with the operator. HubSpot's ids are positive and handed out in
    sequence, so the modulo spreads them evenly (ids chosen in strides of ``shard_count`` would not spread)."""
    return from_id % shard_count


def check_shard(shard_index: int | None, shard_count: int | None) -> None:
    if shard_index is None and shard_count is None:
        return
    if isinstance(shard_count, bool) or not isinstance(shard_count, int) or shard_count < 1:
        raise ValueError(f"shard_count must be a positive integer, got {shard_count!r}")
    if isinstance(shard_index, bool) or not isinstance(shard_index, int) or not 0 <= shard_index < shard_count:
        raise ValueError(
            f"shard_index must be an integer from 0 to shard_count - 1 ({shard_count - 1}), got {shard_index!r}"
        )


def parse_labels(value: Any, where: str, field_name: str) -> tuple[str | int, ...]:
    """Per-row labels: a label text, internal name or type id, a list of them, or ``a;b`` in one cell."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(LABEL_SEPARATOR)]
        for part in parts:
            too_long = label_length_problem(part)
            if too_long:
                raise HubSpotInputError(f"{where}: field {field_name!r}: {too_long}: {shown(part)}", field=field_name)
        return tuple(int(part) if part.isascii() and part.isdigit() else part for part in parts if part)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, (list, tuple)):
        labels: list[str | int] = []
        for item in value:
            labels.extend(parse_labels(item, where, field_name))
        return tuple(labels)
    raise HubSpotInputError(
        f"{where}: field {field_name!r}: expected a label, a type id or a list, got {shown(value)}", field=field_name
    )


#: a valid row as :meth:`PairSource._checked` yields it: ``(row, from id, to id, labels, record)``
_Fields = tuple[int, int, int, tuple[str | int, ...], Any]


@dataclass(slots=True)
class SourcePair:
    """One validated pair and where it came from (``row``: file row number or list position, 1-based; ``None``
    for a pair that is in HubSpot but not in the input, such as an extra pair a reconcile archives).

    Not changed once built; not frozen, as a frozen dataclass costs four times as much to build (one per row,
    each pass over the input)."""

    row: int | None
    from_id: int
    to_id: int
    labels: tuple[str | int, ...]
    source: Any

    def hook_input(self) -> tuple[int, int, tuple[str | int, ...]]:
        return (self.from_id, self.to_id, self.labels)


class DuplicateFinder:
    """Finds repeated keys in a stream with bounded memory, so duplicates are found across the whole input and
    not only inside one chunk.

    Each ``(key, position)`` is packed into 32 bytes; runs of ``run_size`` are sorted in memory and, when there
    is more than one run, spilled to a temporary file; the runs are then merged. Memory is one run (~75 B an
    entry) plus 8 bytes per duplicate found, however long the input. Keys are exact (no hashing): a pair is
    only ever skipped when it really repeats an earlier one.
    """

    RECORD = struct.Struct(">QQQQ")  # key (3 x 64 bit), position: byte order = numeric order

    def __init__(self, run_size: int = 50_000) -> None:
        self.run_size = run_size
        self._run: list[bytes] = []
        self._spool: IO[bytes] | None = None
        self._runs: list[tuple[int, int]] = []  # (offset, count) of each spilled run

    def add(self, key: tuple[int, int, int], position: int) -> None:
        self._run.append(self.RECORD.pack(*key, position))
        if len(self._run) >= self.run_size:
            self._spill()

    def _spill(self) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed in positions())
        self._run.sort()
        self._runs.append((self._spool.tell(), len(self._run)))
        self._spool.write(b"".join(self._run))
        self._run = []

    #: bytes of read buffers shared by all runs while merging (so memory does not grow with the number of runs)
    MERGE_BUFFER = 1 << 20

    def _read_run(self, offset: int, count: int) -> Iterator[bytes]:
        assert self._spool is not None
        size, done = self.RECORD.size, 0
        per_run = max(256, min(4096, self.MERGE_BUFFER // (size * max(1, len(self._runs)))))
        while done < count:
            self._spool.seek(offset + done * size)
            block = self._spool.read(min(count - done, per_run) * size)
            for start in range(0, len(block), size):
                yield block[start : start + size]
            done += len(block) // size

    def _merged(self) -> Iterator[bytes]:
        """Every entry added, packed, in (key, position) order; the spool is closed once they are all read."""
        try:
            if self._spool is None:
                self._run.sort()
                yield from self._run
            else:
                if self._run:
                    self._spill()
                yield from heapq.merge(*(self._read_run(o, n) for o, n in self._runs))
        finally:
            self._run = []
            if self._spool is not None:
                self._spool.close()
                self._spool = None

    def entries(self) -> Iterator[tuple[int, int, int, int]]:
        """``(*key, position)`` of every entry added, sorted (an external merge sort in bounded memory)."""
        for record in self._merged():
            yield self.RECORD.unpack(record)

    def positions(self) -> array:
        """Sorted positions of every entry whose key appeared at an earlier position."""
        repeats, previous = array("Q"), b""
        for record in self._merged():
            if record[:24] == previous:
                repeats.append(self.RECORD.unpack(record)[3])
            previous = record[:24]
        return array("Q", sorted(repeats))


def skip_positions(items: Iterable[Any], positions: array) -> Iterator[Any]:
    """``items`` without those at the (sorted) ``positions``."""
    skips = iter(positions)
    next_skip = next(skips, None)
    for index, item in enumerate(items):
        if index == next_skip:
            next_skip = next(skips, None)
            continue
        yield item


class PairSource:
    """Pairs from a list (or JSON text of one) or a CSV/JSONL file, validated, optionally one shard of them.

    Iterate it as often as needed (a file is re-read each time); :meth:`hook_inputs` reads the pairs
    :meth:`validate` spooled instead (:meth:`close` removes the spool). It is sized once :meth:`validate` ran, so
    the hook's progress log shows done/total and an ETA. While the send pass runs, the last pairs handed out are
    kept in a bounded window (``window``, in the spool) so a failure the hook reports by position can be tied
    back to its file row.

    :meth:`validate` also finds pairs that repeat an earlier row (same from id, to id and labels, anywhere in
    the input): :meth:`hook_inputs` leaves them out and :attr:`duplicates` counts them (reported as skipped).

    :param column_names: ``(from, to, labels)`` field names in the file or in list items that are mappings.
    :param name: what error messages call the input (default: the path, or ``pairs``).
    :param strict_shard: a row of another shard is an error, not skipped: the input should hold only this
        shard's rows (a query filtered by the shard function); a file or list holds every shard's rows by design.
    """

    def __init__(
        self,
        *,
        pairs: Any = None,
        path: str | None = None,
        fmt: str | None = None,
        from_column: str = "from_id",
        to_column: str = "to_id",
        label_column: str | None = None,
        shard_index: int | None = None,
        shard_count: int | None = None,
        window: int = 100_000,
        encoding: str = DEFAULT_ENCODING,
        name: str | None = None,
        strict_shard: bool = False,
    ) -> None:
        if (pairs is None) == (path is None):
            raise HubSpotInputError(
                "give the pairs either as a list (pairs=) or as a file (input_path=)", field="pairs"
            )
        self.pairs = parse_json_list(pairs, "pairs") if pairs is not None else None
        self.path = path
        self.fmt = file_format(path, fmt) if path is not None else None
        self.encoding = encoding
        self._name = name
        self.columns = (from_column, to_column, label_column)
        self.shard = (shard_index, shard_count) if shard_count else None
        self.strict_shard = strict_shard
        self.window_size = window
        self._count: int | None = None
        #: rows in the whole input (every shard), known after validate()
        self.rows = 0
        #: pairs of this shard that repeat an earlier one, known after validate()
        self.duplicates = 0
        self._repeats: array = array("Q")
        self._spooled: PairSpool | None = None

    @property
    def name(self) -> str:
        return self._name or (self.path if self.path is not None else "pairs")

    def _records(self) -> Iterator[tuple[int, Any]]:
        if self.path is not None:
            required = [c for c in self.columns if c is not None]
            yield from iter_file_records(self.path, self.fmt, required=required, encoding=self.encoding)
        else:
            yield from enumerate(self.pairs or [], start=1)

    def _parse(self, row: int, record: Any) -> SourcePair:
        """One row -> a :class:`SourcePair`, or an error naming the row and field. Runs for every row of both
        passes: the row's name is only written out for an error, and a file's rows (dicts) skip the ABC check."""
        from_column, to_column, label_column = self.columns
        if type(record) is dict or isinstance(record, Mapping):
            for column in (from_column, to_column, label_column):
                if column is not None and column not in record:
                    raise HubSpotInputError(
                        f"{self.name} row {row}: missing field {column!r} (fields: {sorted(record)})", field=column
                    )
            where = f"{self.name} row {row}" if label_column else ""
            labels = parse_labels(record.get(label_column), where, label_column) if label_column else ()
            from_id, _problem = record_id_problem(record[from_column])
            to_id, _problem = record_id_problem(record[to_column])
            if from_id is None or to_id is None:  # the same rule again, to raise its error naming row and field
                where = f"{self.name} row {row}"
                from_id = parse_id(record[from_column], where, from_column)
                to_id = parse_id(record[to_column], where, to_column)
            return SourcePair(row, from_id, to_id, labels, record)
        where = f"{self.name} row {row}"
        if isinstance(record, (list, tuple)) and len(record) in (2, 3):
            labels = parse_labels(record[2], where, "labels") if len(record) == 3 else ()
            return SourcePair(
                row, parse_id(record[0], where, "from_id"), parse_id(record[1], where, "to_id"), labels, list(record)
            )
        raise HubSpotInputError(
            f"{where}: expected [from_id, to_id(, labels)] or an object with fields "
            f"{from_column!r} and {to_column!r}, got {shown(record)}"
        )

    def _shard_pairs(self, records: Iterable[tuple[int, Any]] | None = None) -> Iterator[SourcePair]:
        for fields in self._checked(records):
            yield SourcePair(*fields)

    def _checked(self, records: Iterable[tuple[int, Any]] | None = None) -> Iterator[_Fields]:
        """``(row, from id, to id, labels, record)`` of each valid row of this shard, in input order; a bad row
        raises naming it. A file's row whose two id cells are plain digits (the usual CSV row, no label column)
        is taken here by the quick rule of :func:`record_id_problem`; any other row goes through :meth:`_parse`."""
        from_column, to_column, label_column = self.columns
        quick = label_column is None
        count = self.shard[1] if self.shard is not None else 0
        index = self.shard[0] if self.shard is not None else 0
        for row, record in self._records() if records is None else records:
            self.rows += 1
            from_cell = to_cell = None
            if quick and type(record) is dict:
                from_cell, to_cell = record.get(from_column), record.get(to_column)
            if (
                type(from_cell) is str
                and type(to_cell) is str
                and from_cell.isdigit()
                and to_cell.isdigit()
                and from_cell.isascii()
                and to_cell.isascii()
                and len(from_cell) <= _MAX_ID_DIGITS
                and len(to_cell) <= _MAX_ID_DIGITS
                and 0 < (from_id := int(from_cell)) <= MAX_RECORD_ID
                and 0 < (to_id := int(to_cell)) <= MAX_RECORD_ID
            ):
                labels: tuple[str | int, ...] = ()
            else:
                try:
                    pair = self._parse(row, record)
                except HubSpotInputError as error:
                    if error.position is None:  # the message names the row; the position lets callers find it
                        error.position = row
                    raise
                from_id, to_id, labels, record = pair.from_id, pair.to_id, pair.labels, pair.source
            if count and shard_of(from_id, count) != index:
                if self.strict_shard:
                    raise self._other_shard(row, from_id)
                continue
            yield row, from_id, to_id, labels, record

    def _other_shard(self, row: int, from_id: int) -> HubSpotInputError:
        """A row of another shard in an input that should hold only this shard's rows (a sharded query)."""
        index, count = self.shard  # type: ignore[misc]  # only called on a sharded source
        column = self.columns[0]
        error = HubSpotInputError(
            f"{self.name} row {row}: field {column!r}: from id {from_id} is in shard {from_id % count} of {count}, "
            f"not this task's shard {index}. The shard function is {SHARD_FUNCTION} ({from_id} % {count} = "
            f"{from_id % count}); a query that selects its own shard must filter on {column} % {count} = {index} "
            "(MOD() in SQL), or leave the filter to the operator",
            field=column,
        )
        error.position = row
        return error

    def __iter__(self) -> Iterator[SourcePair]:
        """Validated pairs of this shard, in file order (repeats included)."""
        self.rows = 0
        yield from self._shard_pairs()

    def hook_inputs(self, skip: int = 0) -> Iterator[tuple[int, int, tuple[str | int, ...]]]:
        """What the hook takes (repeats found by :meth:`validate` left out), after the first ``skip`` of them
        (done by an earlier attempt); position ``n`` of this stream is remembered for :meth:`origin`. The pairs
        come from the spool :meth:`validate` wrote (checked once, not read and parsed again)."""
        if self._spooled is None:
            raise RuntimeError("PairSource.hook_inputs() reads what validate() spooled: validate first")
        yield from self._spooled.hook_inputs(self._repeats, skip)

    def forget_before(self, position: int) -> None:
        """Drop remembered pairs before ``position`` (their failures were reported already)."""
        if self._spooled is not None:
            self._spooled.forget_before(position)

    def origin(self, position: int | None) -> SourcePair | None:
        found = self._spooled.origin(position) if position is not None and self._spooled is not None else None
        return SourcePair(*found, None) if found is not None else None

    def close(self) -> None:
        """Remove the spool of validated pairs (it is an unnamed temporary file: gone with the process too)."""
        if self._spooled is not None:
            self._spooled.close()
            self._spooled = None

    def validate(self, records: Iterable[tuple[int, Any]] | None = None) -> tuple[int, dict[str | int, int]]:
        """Read every row once before anything is sent: bad rows raise with their row number and field.
        Returns ``(pairs to send in this shard, {per-row label: first row using it})``, finds the repeated
        pairs and makes the source sized. ``records``: the file's ``(row, record)`` as they are being written
        (a query staged in its spool file), checked instead of reading the file once more."""
        count = 0
        labels: dict[str | int, int] = {}
        label_sets: dict[tuple[str | int, ...], int] = {(): 0}
        finder = DuplicateFinder()
        self.rows = 0
        self.close()
        spool = PairSpool(self.window_size)
        try:
            add, spooled = finder.add, spool.add
            for index, (row, from_id, to_id, row_labels, _record) in enumerate(self._checked(records)):
                if row_labels:
                    for label in row_labels:
                        labels.setdefault(label, row)
                    label_set = label_sets.setdefault(tuple(sorted(set(row_labels), key=str)), len(label_sets))
                else:
                    label_set = 0
                add((from_id, to_id, label_set), index)
                spooled(from_id, to_id, row, row_labels)
                count = index + 1
            spool.finish()
        except BaseException:
            spool.close()
            raise
        self._spooled = spool
        self._repeats = finder.positions()
        self.duplicates = len(self._repeats)
        self._count = count - self.duplicates
        return self._count, labels

    def __len__(self) -> int:
        if self._count is None:
            raise TypeError("PairSource has no length before validate()")
        return self._count


class SizedStream:
    """An iterable with a known length that is not a sequence: the hook streams it and shows done/total."""

    def __init__(self, items: Iterable[Any], length: int) -> None:
        self.items, self.length = items, length

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return self.length


def iter_ids_from_file(
    path: str, column: str, fmt: str | None = None, *, encoding: str = DEFAULT_ENCODING
) -> Iterator[int]:
    for row, record in iter_file_records(path, fmt, required=[column], encoding=encoding):
        if column not in record:
            raise HubSpotInputError(
                f"{path} row {row}: missing field {column!r} (fields: {sorted(record)})", field=column
            )
        yield parse_id(record[column], f"{path} row {row}", column)


def distinct_ids_from_file(
    path: str, column: str, fmt: str | None = None, *, encoding: str = DEFAULT_ENCODING
) -> tuple[SizedStream, int]:
    """Validate every id of a file (one pass) and stream each distinct id once, in file order, with flat
    memory; returns ``(stream, repeated ids left out)``."""
    finder = DuplicateFinder()
    count = 0
    for count, record_id in enumerate(iter_ids_from_file(path, column, fmt, encoding=encoding), start=1):
        finder.add((record_id, 0, 0), count - 1)
    repeats = finder.positions()
    stream = skip_positions(iter_ids_from_file(path, column, fmt, encoding=encoding), repeats)
    return SizedStream(stream, count - len(repeats)), len(repeats)
