"""CSV and JSON Lines files on any location Airflow's ``ObjectStoragePath`` opens, read and written as rows.

Files are CSV or JSON Lines (``.csv``, ``.jsonl``/``.ndjson``, optionally ``.gz``) at a local path, ``file://``,
``s3://conn_id@bucket/key``, ``gs://``... Reading streams row by row, naming the row, line and column of any
fault; output rows are written as they arrive to ``<path>.partial``, renamed into place when complete.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import IO, Any

from airflow_provider_hubassoc._compat import ObjectStoragePath
from airflow_provider_hubassoc._inputs import named_error
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._validation import shown

FORMATS = ("csv", "jsonl")
#: separator of several labels in one CSV cell ("Billing contact;Decision maker")
LABEL_SEPARATOR = ";"
#: input files are read as UTF-8 by default; a byte-order mark (Excel's "CSV UTF-8") is skipped
DEFAULT_ENCODING = "utf-8"
#: bytes of lines read from an input file at a time
_READ_BLOCK = 1 << 16


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
def open_text(path: str, mode: str, *, gz: bool | None = None) -> Iterator[io.TextIOWrapper]:
    """Open ``path`` (any ObjectStoragePath location) as text for ``"r"`` or ``"w"``; gzip (by default: a name
    ending in ``.gz``) is decompressed or compressed on the fly."""
    target = ObjectStoragePath(path)
    if mode == "w":
        target.parent.mkdir(parents=True, exist_ok=True)
    gz = str(path).endswith(".gz") if gz is None else gz
    with target.open(mode + "b") as raw:
        binary: gzip.GzipFile | IO[bytes] = gzip.GzipFile(fileobj=raw, mode=mode + "b") if gz else raw
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()
            if binary is not raw:
                binary.close()


def check_encoding(encoding: Any) -> str:
    """Parse-time check of an ``encoding`` argument: a codec Python knows (``utf-8``, ``cp1252``, ``latin-1``)."""
    try:
        return codecs.lookup(encoding).name if isinstance(encoding, str) else codecs.lookup("").name
    except LookupError:
        raise HubSpotInputError(
            f"unknown encoding {encoding!r}; use a Python codec name such as 'utf-8' or 'cp1252'", field="encoding"
        ) from None


def iter_lines(path: str, encoding: str = DEFAULT_ENCODING) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each physical line of a file (gzip when the name ends in ``.gz``).

    A byte that is not valid in ``encoding`` is reported with its line; a UTF-8 byte-order mark is skipped. A ``.gz`` that is not gzip (or is truncated) is reported naming the file.
    """
    codec = codecs.lookup(encoding)
    name = "utf-8-sig" if codec.name == "utf-8" else codec.name  # Excel's "CSV UTF-8" starts with a BOM
    decoder = codecs.getincrementaldecoder(name)(errors="strict")
    number, pending = 0, ""
    with ObjectStoragePath(path).open("rb") as raw:
        binary: gzip.GzipFile | IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if str(path).endswith(".gz") else raw
        try:
            # byte lines split on b"\n"; the text is re-split on "\n" so multi-byte encodings (UTF-16) work too;
            # a run of lines is decoded at once (line by line only to name a bad byte's line)
            for block in _line_runs(binary, gz=binary is not raw):
                state = decoder.getstate()
                try:
                    pending += decoder.decode(b"".join(block))
                except UnicodeDecodeError:  # again line by line from the same state, to name the line
                    decoder.setstate(state)
                    for line in block:
                        try:
                            pending += decoder.decode(line)
                        except UnicodeDecodeError as error:
                            raise named_error(
                                f"{path} line {number + 1}: not valid {encoding} (byte "
                                f"{line[error.start : error.start + 1]!r} at column {error.start + 1}); pass "
                                "encoding= with the file's encoding, e.g. 'cp1252'",
                                position=number + 1,
                                field="encoding",
                            ) from None
                        number, pending = yield from _complete_lines(number, pending)
                    continue
                number, pending = yield from _complete_lines(number, pending)
            pending += decoder.decode(b"", final=True)
            if pending:
                yield number + 1, pending
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise HubSpotInputError(
                f"{path}: not a readable gzip file after line {number} ({error}); a .gz name must hold gzip data",
                field="input_path",
            ) from None
        finally:
            if binary is not raw:
                binary.close()


def _line_runs(binary: gzip.GzipFile | IO[bytes], *, gz: bool) -> Iterator[list[bytes]]:
    """Runs of byte lines: about 64 KiB at a time; from gzip one line at a time, so a torn file (its writer killed)
    still gives every line before the tear. ``readline(s)``, not iteration: Airflow 2.10's file wrapper has no
    ``__iter__``."""
    if gz:
        for line in iter(binary.readline, b""):
            yield [line]
    else:
        yield from iter(lambda: binary.readlines(_READ_BLOCK), [])


def _complete_lines(number: int, text: str) -> Generator[tuple[int, str], None, tuple[int, str]]:
    """Yield ``(line number, line)`` of each complete line of ``text``; return the last number and the rest."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        number += 1
        yield number, text[start : end + 1]
        start = end + 1
    return number, text[start:]


class _LineTap:
    """Feeds lines to ``csv.reader`` and remembers the raw text of the record being read (for errors)."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self.lines, self.last_line = lines, 0
        self.record: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        self.last_line, text = next(self.lines)
        self.record.append(text)
        return text


def _cell_lengths(text: str) -> list[int]:
    """Length of each cell of one CSV record (default dialect), for naming the cell that broke a limit."""
    lengths, current, quoted = [], 0, False
    for char in text.rstrip("\r\n"):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            lengths.append(current)
            current = 0
        else:
            current += 1
    return [*lengths, current]


def _jsonl_records(path: str, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The records of a JSON Lines file, numbered by line (blank lines skipped but counted)."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise HubSpotInputError(f"{path} row {number}: not valid JSON ({error})", position=number) from None
        if not isinstance(record, Mapping):
            raise HubSpotInputError(
                f"{path} row {number}: expected a JSON object, got {shown(record)}", position=number
            )
        yield number, record


def _csv_header(path: str, cells: list[str], required: Sequence[str]) -> list[str]:
    """The column names of a CSV header line: each once, the ``required`` ones present."""
    header = [name.strip() for name in cells]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise named_error(
            f"{path}: column {repeated[0]!r} appears twice in the header (columns: {header})", field=repeated[0]
        )
    missing = [name for name in required if name not in header]
    if missing:
        raise named_error(f"{path}: no column {missing[0]!r} in the header (columns: {header})", field=missing[0])
    return header


def _csv_error(path: str, error: csv.Error, tap: _LineTap, header: list[str] | None, row: int) -> HubSpotInputError:
    """What ``csv`` refused, naming the row, line and (for a cell over the size limit) the column."""
    where = f"{path} row {row + 1} (line {tap.last_line})" if header is not None else f"{path} header"
    text = "".join(tap.record)
    limit = csv.field_size_limit()
    wide = [i for i, n in enumerate(_cell_lengths(text)) if n > limit]
    if wide and header is not None:
        column = header[wide[0]] if wide[0] < len(header) else f"#{wide[0] + 1}"
        return HubSpotInputError(
            f"{where}: column {column!r}: cell longer than {limit} characters", position=row + 1, field=column
        )
    return HubSpotInputError(f"{where}: not valid CSV ({error})", position=row + 1)


def iter_file_records(
    path: str,
    fmt: str | None = None,
    *,
    required: Sequence[str] = (),
    encoding: str = DEFAULT_ENCODING,
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(row number, record)`` of each data row. CSV rows are numbered from 1 after the header line; JSON Lines
    rows are the file's line numbers (blank lines are skipped but counted). ``required``: CSV header columns
    that must be there (checked before the first row is handed out)."""
    fmt = file_format(path, fmt)
    lines = iter_lines(path, encoding)
    if fmt == "jsonl":
        yield from _jsonl_records(path, lines)
        return
    tap = _LineTap(lines)
    reader = csv.reader(tap)
    header: list[str] | None = None
    row = 0
    while True:
        tap.record = []
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _csv_error(path, error, tap, header, row) from None
        if header is None:
            header = _csv_header(path, cells, required)
            continue
        if not cells:  # a blank line
            continue
        row += 1
        if len(cells) > len(header):  # e.g. an unquoted "1,000": never silently drop a cell
            raise named_error(
                f"{path} row {row} (line {tap.last_line}): {len(cells)} cells but the header has "
                f"{len(header)} columns {header}; quote cells that contain commas",
                position=row,
            )
        yield row, dict(zip(header, cells, strict=False))  # a short row: missing cells are absent
    if header is None and required:
        raise HubSpotInputError(
            f"{path}: the file is empty (no header line with columns {list(required)})", field=required[0]
        )


class RowWriter:
    """Streams dict rows to a CSV or JSONL file; written to ``<path>.partial`` and renamed when complete, so
    a failed task never leaves a half file where a finished one is expected.

    CSV cells holding lists are joined with ``;``. ``keep``: a resumed run keeps the first ``keep`` rows of the
    file an earlier attempt left (its ``.partial``, else the renamed file) and appends after them;
    :attr:`kept` says how many were found (fewer when that attempt's writes never reached the store).
    """

    def __init__(self, path: str, columns: Sequence[str], fmt: str | None = None, *, keep: int = 0) -> None:
        self.path = path
        self.fmt = file_format(path, fmt)
        self.columns = list(columns)
        self.partial = f"{path}.partial"
        self.keep = keep
        self.kept = 0
        self.count = 0
        self._aside: ObjectStoragePath | None = None
        self._context: Any = None
        self._handle: io.TextIOWrapper | None = None
        self._csv: Any = None

    def __enter__(self) -> RowWriter:
        if self.keep and self._aside is None:
            self.set_aside()
        self._context = open_text(self.partial, "w", gz=self.path.endswith(".gz"))
        self._handle = self._context.__enter__()
        if self.fmt == "csv":
            self._csv = csv.DictWriter(self._handle, fieldnames=self.columns, extrasaction="ignore")
            self._csv.writeheader()
        if self._aside is not None:
            try:
                for _number, record in islice(iter_file_records(str(self._aside), self.fmt), self.keep):
                    self.write(record)
            except (EOFError, OSError, HubSpotInputError):  # the last rows of a killed write may be torn
                pass
            finally:
                self._aside.unlink()
            self.kept = self.count
        return self

    def set_aside(self) -> int:
        """Move an earlier attempt's file (its ``.partial``, else the renamed file) out of the way; it is copied
        back row by row up to ``keep`` on enter. Returns how many of those ``keep`` rows it holds."""
        aside = ObjectStoragePath(f"{self.path}.resume" + (".gz" if self.path.endswith(".gz") else ""))
        if self.keep and self._aside is None:
            if aside.exists():  # an attempt killed while copying it back: it still holds every row
                self._aside = aside
            for name in (self.partial, self.path):
                if self._aside is None and ObjectStoragePath(name).exists():
                    ObjectStoragePath(name).rename(aside)
                    self._aside = aside
        if self._aside is None:
            return 0
        try:
            return sum(1 for _ in islice(iter_file_records(str(self._aside), self.fmt), self.keep))
        except (EOFError, OSError, HubSpotInputError):
            return 0

    def flush(self) -> None:
        """Push written rows to the file (local files: to the OS, so they survive a killed process)."""
        assert self._handle is not None
        self._handle.flush()
        self._handle.buffer.flush()

    def write(self, row: Mapping[str, Any]) -> None:
        assert self._handle is not None
        if self._csv is not None:
            self._csv.writerow(
                {k: LABEL_SEPARATOR.join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in row.items()}
            )
        else:
            self._handle.write(json.dumps(row, separators=(",", ":"), default=str) + "\n")
        self.count += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._context.__exit__(exc_type, exc, tb)
        if exc_type is None:
            ObjectStoragePath(self.partial).rename(ObjectStoragePath(self.path))
