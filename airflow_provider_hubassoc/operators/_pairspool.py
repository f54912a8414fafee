"""The validated pairs of one input, spooled packed on disk by the validation pass, so the send pass reads them
back in big blocks instead of reading, parsing and validating the input file (or query spool) a second time.

Each pair is four signed 64-bit numbers (from id, to id, row number, index of its labels tuple): record ids are
at most ``2**63 - 1`` (:data:`~airflow_provider_hubassoc._inputs.MAX_RECORD_ID`), so they fit. The file is an
unnamed temporary file (removed when closed, and by the OS whatever ends the process); memory holds one block
being written or read, the distinct label tuples, and the send pass's window of recent pairs (for failures).
"""

from __future__ import annotations

import tempfile
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from typing import IO

#: numbers per pair: from id, to id, row, labels index
_WIDTH = 4
#: pairs per write and per read
_BLOCK = 8192

Labels = tuple[str | int, ...]
#: a block of pairs handed out: (first stream position, from ids, to ids, rows, labels indexes)
_Kept = tuple[int, array, array, array, array]


class PairSpool:
    """Validated pairs of one shard in input order (repeats included), written once, read back per send pass.

    :param window: how many of the last pairs handed out stay known by position (:meth:`origin`), at least.
    """

    def __init__(self, window: int) -> None:
        self.window = window
        self._file: IO[bytes] | None = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._buffer = array("q")
        self._labels: list[Labels] = [()]
        self._label_index: dict[Labels, int] = {(): 0}
        self._kept: deque[_Kept] = deque()
        self._kept_size = 0

    def add(self, from_id: int, to_id: int, row: int, labels: Labels) -> None:
        index = self._label_index.get(labels)
        if index is None:
            index = self._label_index[labels] = len(self._labels)
            self._labels.append(labels)
        self._buffer.extend((from_id, to_id, row, index))
        if len(self._buffer) >= _WIDTH * _BLOCK:
            self._flush()

    def _flush(self) -> None:
        assert self._file is not None
        self._buffer.tofile(self._file)
        self._buffer = array("q")

    def finish(self) -> None:
        """Every pair added: write out the last block."""
        self._flush()
        assert self._file is not None
        self._file.flush()

    def _blocks(self) -> Iterator[array]:
        assert self._file is not None
        self._file.seek(0)
        size = _WIDTH * _BLOCK * self._buffer.itemsize
        while data := self._file.read(size):
            block = array("q")
            block.frombytes(data)
            yield block

    def hook_inputs(self, repeats: array, skip: int) -> Iterator[tuple[int, int, Labels]]:
        """``(from id, to id, labels)`` of each pair, without those at the (sorted) spool positions ``repeats``
        and after the first ``skip`` of the rest; position ``n`` of this stream is remembered for :meth:`origin`.
        Blocks are cut with array slices, so a pair costs about one tuple."""
        self._kept.clear()
        self._kept_size = 0
        labels = self._labels
        index = seen = out = 0  # spool index of the block; pairs kept before it; pairs handed out before it
        for block in self._blocks():
            count = len(block) // _WIDTH
            columns = [block[i::_WIDTH] for i in range(_WIDTH)]
            low, high = bisect_left(repeats, index), bisect_left(repeats, index + count)
            if low < high:
                drop = {repeats[k] - index for k in range(low, high)}
                keep = [i for i in range(count) if i not in drop]
                columns = [array("q", [column[i] for i in keep]) for column in columns]
            index += count
            kept = len(columns[0])
            cut = min(max(skip - seen, 0), kept)
            seen += kept
            if cut:
                columns = [column[cut:] for column in columns]
            if not len(columns[0]):
                continue
            from_ids, to_ids, rows, label_indexes = columns
            self._remember((out, from_ids, to_ids, rows, label_indexes))
            out += len(from_ids)
            yield from zip(from_ids, to_ids, map(labels.__getitem__, label_indexes), strict=True)

    def _remember(self, kept: _Kept) -> None:
        self._kept.append(kept)
        self._kept_size += len(kept[1])
        while self._kept and self._kept_size - len(self._kept[0][1]) >= self.window:
            self._kept_size -= len(self._kept.popleft()[1])

    def forget_before(self, position: int) -> None:
        """Drop remembered blocks wholly before ``position`` (their failures were reported already)."""
        while self._kept and self._kept[0][0] + len(self._kept[0][1]) <= position:
            self._kept_size -= len(self._kept.popleft()[1])

    def origin(self, position: int) -> tuple[int, int, int, Labels] | None:
        """``(row, from id, to id, labels)`` of the pair handed out at ``position`` (of the last
        :meth:`hook_inputs`), while it is remembered."""
        for start, from_ids, to_ids, rows, label_indexes in self._kept:
            if start <= position < start + len(from_ids):
                i = position - start
                return rows[i], from_ids[i], to_ids[i], self._labels[label_indexes[i]]
        return None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._kept.clear()
        self._kept_size = 0
