"""Inputs and outputs of the operators: pairs and ids from lists or files, rows and failures to files.

Files are CSV or JSON Lines (``.csv``, ``.jsonl``/``.ndjson``, optionally ``.gz``) at any location Airflow's
``ObjectStoragePath`` opens: a local path, ``file://``, ``s3://conn_id@bucket/key``, ``gs://``... Everything
streams: a file is read row by row (twice for writes: once to validate every row before anything is sent, once
to send), and output rows are written as they arrive, so memory stays flat however large the file.
This module never talks to HubSpot; the operators hand what it yields to the hook.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from airflow_provider_hubassoc._compat import ObjectStoragePath
from airflow_provider_hubassoc.exceptions import HubSpotInputError

FORMATS = ("csv", "jsonl")
#: separator of several labels in one CSV cell ("Billing contact;Decision maker")
LABEL_SEPARATOR = ";"


def file_format(path: str, explicit: str | None = None) -> str:
    """``csv`` or ``jsonl``: the explicit choice, else from the file name (``.csv``, ``.jsonl``, ``.ndjson``)."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise HubSpotInputError(f"file format must be one of {FORMATS}, got {explicit!r}", field="file_format")
        return explicit
    name = str(path).lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise HubSpotInputError(
        f"cannot tell the format of {path!r} from its name; use .csv, .jsonl or .ndjson or pass file_format",
        field="file_format",
    )


@contextmanager
def open_text(path: str, mode: str, *, gz: bool | None = None) -> Iterator[IO[str]]:
    """Open ``path`` (any ObjectStoragePath location) as text for ``"r"`` or ``"w"``; gzip (by default: a name
    ending in ``.gz``) is decompressed or compressed on the fly."""
    target = ObjectStoragePath(path)
    if mode == "w":
        target.parent.mkdir(parents=True, exist_ok=True)
    gz = str(path).endswith(".gz") if gz is None else gz
    with target.open(mode + "b") as raw:
        binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode=mode + "b") if gz else raw
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()
            if binary is not raw:
                binary.close()


def iter_file_records(path: str, fmt: str | None = None) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(row number, record)`` of each data row; row numbers are 1-based and skip the CSV header line."""
    fmt = file_format(path, fmt)
    with open_text(path, "r") as handle:
        if fmt == "csv":
            reader = csv.DictReader(handle)
            for number, record in enumerate(reader, start=1):
                yield number, record
            return
        number = 0
        for line in handle:
            if not line.strip():
                continue
            number += 1
            try:
                record = json.loads(line)
            except ValueError as error:
                raise HubSpotInputError(f"{path} row {number}: not valid JSON ({error})", position=number) from None
            if not isinstance(record, Mapping):
                raise HubSpotInputError(f"{path} row {number}: expected a JSON object, got {record!r}",
                                        position=number)
            yield number, record


def shard_of(from_id: int, shard_count: int) -> int:
    """The shard of a pair: by its from id, so every write to one record (and so to one pair) stays in one
    shard and in order. CRC-32 spreads ids evenly whatever their pattern, and is the same in every process."""
    return zlib.crc32(str(from_id).encode()) % shard_count


def check_object_types(from_object_type: Any, to_object_type: Any) -> None:
    """Parse-time check of an operator's or sensor's object types (normalised by the hook when used)."""
    for name, value in (("from_object_type", from_object_type), ("to_object_type", to_object_type)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be an object type such as 'contacts' or '2-123', got {value!r}")


def check_shard(shard_index: int | None, shard_count: int | None) -> None:
    if shard_index is None and shard_count is None:
        return
    if isinstance(shard_count, bool) or not isinstance(shard_count, int) or shard_count < 1:
        raise ValueError(f"shard_count must be a positive integer, got {shard_count!r}")
    if isinstance(shard_index, bool) or not isinstance(shard_index, int) or not 0 <= shard_index < shard_count:
        raise ValueError(f"shard_index must be an integer from 0 to shard_count - 1 ({shard_count - 1}), "
                         f"got {shard_index!r}")


def parse_id(value: Any, where: str, field_name: str) -> int:
    """A record id: a positive int or a string of digits; else an error naming the row and field."""
    if isinstance(value, str):
        value = value.strip()
        number = int(value) if value.isascii() and value.isdigit() else None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        number = None
    if number is None or number < 1:
        raise HubSpotInputError(f"{where}: field {field_name!r}: expected a positive integer id, got {value!r}",
                                field=field_name)
    return number


def parse_labels(value: Any, where: str, field_name: str) -> tuple[str | int, ...]:
    """Per-row labels: a label text, internal name or type id, a list of them, or ``a;b`` in one cell."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(LABEL_SEPARATOR)]
        return tuple(int(part) if part.isdigit() else part for part in parts if part)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, (list, tuple)):
        labels: list[str | int] = []
        for item in value:
            labels.extend(parse_labels(item, where, field_name))
        return tuple(labels)
    raise HubSpotInputError(f"{where}: field {field_name!r}: expected a label, a type id or a list, got {value!r}",
                            field=field_name)


@dataclass(frozen=True)
class SourcePair:
    """One validated pair and where it came from (``row``: file row number or list position, 1-based; ``None``
    for a pair that is in HubSpot but not in the input, such as an extra pair a reconcile archives)."""

    row: int | None
    from_id: int
    to_id: int
    labels: tuple[str | int, ...]
    source: Any

    def hook_input(self) -> tuple[int, int, tuple[str | int, ...]]:
        return (self.from_id, self.to_id, self.labels)


class PairSource:
    """Pairs from a list (or JSON text of one) or a CSV/JSONL file, validated, optionally one shard of them.

    Iterate it as often as needed (a file is re-read each time). It is sized once :meth:`validate` ran, so the
    hook's progress log shows done/total and an ETA. While a pass runs, the last rows handed out are kept in a
    bounded window so a failure the hook reports by position can be tied back to its file row.

    :param column_names: ``(from, to, labels)`` field names in the file or in list items that are mappings.
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
    ) -> None:
        if (pairs is None) == (path is None):
            raise HubSpotInputError("give the pairs either as a list (pairs=) or as a file (input_path=)",
                                    field="pairs")
        self.pairs = parse_json_list(pairs, "pairs") if pairs is not None else None
        self.path = path
        self.fmt = file_format(path, fmt) if path is not None else None
        self.columns = (from_column, to_column, label_column)
        self.shard = (shard_index, shard_count) if shard_count else None
        self.window_size = window
        self._window: OrderedDict[int, SourcePair] = OrderedDict()
        self._count: int | None = None

    @property
    def name(self) -> str:
        return self.path if self.path is not None else "pairs"

    def _records(self) -> Iterator[tuple[int, Any]]:
        if self.path is not None:
            yield from iter_file_records(self.path, self.fmt)
        else:
            yield from enumerate(self.pairs or [], start=1)

    def _parse(self, row: int, record: Any) -> SourcePair:
        where = f"{self.name} row {row}"
        from_column, to_column, label_column = self.columns
        if isinstance(record, Mapping):
            for column in (from_column, to_column):
                if column not in record:
                    raise HubSpotInputError(f"{where}: missing field {column!r} (fields: {sorted(record)})",
                                            field=column)
            labels = parse_labels(record.get(label_column), where, label_column) if label_column else ()
            return SourcePair(row, parse_id(record[from_column], where, from_column),
                              parse_id(record[to_column], where, to_column), labels, record)
        if isinstance(record, (list, tuple)) and len(record) in (2, 3):
            labels = parse_labels(record[2], where, "labels") if len(record) == 3 else ()
            return SourcePair(row, parse_id(record[0], where, "from_id"), parse_id(record[1], where, "to_id"),
                              labels, list(record))
        raise HubSpotInputError(f"{where}: expected [from_id, to_id(, labels)] or an object with fields "
                                f"{from_column!r} and {to_column!r}, got {record!r}")

    def __iter__(self) -> Iterator[SourcePair]:
        """Validated pairs of this shard, in file order; the window of recent pairs is refilled as they go."""
        self._window.clear()
        for row, record in self._records():
            pair = self._parse(row, record)
            if self.shard is not None and shard_of(pair.from_id, self.shard[1]) != self.shard[0]:
                continue
            yield pair

    def hook_inputs(self) -> Iterator[tuple[int, int, tuple[str | int, ...]]]:
        """What the hook takes; position ``n`` of this stream is remembered for :meth:`origin`."""
        for position, pair in enumerate(self):
            self._window[position] = pair
            while len(self._window) > self.window_size:
                self._window.popitem(last=False)
            yield pair.hook_input()

    def forget_before(self, position: int) -> None:
        """Drop remembered pairs before ``position`` (their failures were reported already)."""
        while self._window and next(iter(self._window)) < position:
            self._window.popitem(last=False)

    def origin(self, position: int | None) -> SourcePair | None:
        return self._window.get(position) if position is not None else None

    def validate(self) -> tuple[int, set[str | int]]:
        """Read every row once before anything is sent: bad rows raise with their row number and field.
        Returns ``(pairs in this shard, distinct per-row labels)`` and makes the source sized."""
        count, labels = 0, set()
        for pair in self:
            count += 1
            labels.update(pair.labels)
        self._count = count
        return count, labels

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


def parse_json_list(value: Any, field_name: str) -> list[Any]:
    """A list argument that may arrive as JSON text (a rendered template) or any sequence (an XCom value)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise HubSpotInputError(f"{field_name} must be a list or JSON text of one, got {value[:80]!r}",
                                    field=field_name) from None
    if isinstance(value, Mapping) or not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise HubSpotInputError(f"{field_name} must be a list, got {type(value).__name__}", field=field_name)
    return list(value)


def parse_ids(value: Any, field_name: str) -> list[int]:
    """Record ids from one id, a list, ``"1,2,3"`` or JSON text of a list; errors name the position."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        text = str(value).strip()
        if text.startswith("["):
            value = parse_json_list(text, field_name)
        else:
            value = [part for part in text.split(",") if part.strip()]
    items = parse_json_list(value, field_name)
    return [parse_id(item, f"{field_name}[{position}]", field_name) for position, item in enumerate(items)]


def iter_ids_from_file(path: str, column: str, fmt: str | None = None) -> Iterator[int]:
    for row, record in iter_file_records(path, fmt):
        if column not in record:
            raise HubSpotInputError(f"{path} row {row}: missing field {column!r} (fields: {sorted(record)})",
                                    field=column)
        yield parse_id(record[column], f"{path} row {row}", column)


class RowWriter:
    """Streams dict rows to a CSV or JSONL file; written to ``<path>.partial`` and renamed when complete, so
    a failed task never leaves a half file where a finished one is expected.

    CSV cells holding lists are joined with ``;``.
    """

    def __init__(self, path: str, columns: Sequence[str], fmt: str | None = None) -> None:
        self.path = path
        self.fmt = file_format(path, fmt)
        self.columns = list(columns)
        self.partial = f"{path}.partial"
        self.count = 0
        self._context: Any = None
        self._handle: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> RowWriter:
        self._context = open_text(self.partial, "w", gz=self.path.endswith(".gz"))
        self._handle = self._context.__enter__()
        if self.fmt == "csv":
            self._csv = csv.DictWriter(self._handle, fieldnames=self.columns, extrasaction="ignore")
            self._csv.writeheader()
        return self

    def write(self, row: Mapping[str, Any]) -> None:
        assert self._handle is not None
        if self._csv is not None:
            self._csv.writerow({k: LABEL_SEPARATOR.join(map(str, v)) if isinstance(v, (list, tuple)) else v
                                for k, v in row.items()})
        else:
            self._handle.write(json.dumps(row, separators=(",", ":"), default=str) + "\n")
        self.count += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._context.__exit__(exc_type, exc, tb)
        if exc_type is None:
            ObjectStoragePath(self.partial).rename(ObjectStoragePath(self.path))
