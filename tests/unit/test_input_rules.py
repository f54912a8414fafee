"""The documented input rules (docs/bad-input.md, "Bad input"): what is accepted, and how edge inputs behave.

The refusals are catalogued in ``test_hostile_inputs.py``; these tests pin the behaviours that are not errors:
a BOM, the ``encoding`` option, duplicates across chunks counted once, the empty-input rule, the sensor failing
fast on a record HubSpot cannot read and naming the records still short when it times out, the emulator's label
length answer.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.operators._files import DuplicateFinder, PairSource
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

# -- encodings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_line", [3, 9_000])  # in the first 64 KiB run of lines read, and in a later one
def test_a_bad_byte_is_named_by_its_line_however_far_into_the_file(tmp_path, bad_line):
    """Lines are decoded a run at a time; the line of a bad byte is still the one named, and a byte-order mark
    before it is still skipped (the header is read as ``from_id``, not as a missing column)."""
    path = tmp_path / "big.csv"
    rows = [f"{n},{n + 500}\n".encode() for n in range(1, 12_000)]
    rows[bad_line - 2] = b"7,5\xe9\n"
    path.write_bytes(b"\xef\xbb\xbffrom_id,to_id\n" + b"".join(rows))
    with pytest.raises(
        HubSpotInputError, match=rf"big\.csv line {bad_line}: not valid utf-8 \(byte b'\\xe9' at column 4"
    ):
        PairSource(path=str(path)).validate()


# -- duplicates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("run_size", [2, 3, 1000])
def test_duplicate_finder_is_exact_whether_or_not_it_spills_to_disk(run_size):
    keys = [(1, 2, 0), (3, 4, 0), (1, 2, 0), (1, 2, 1), (2**63 - 1, 1, 0), (3, 4, 0), (2**63 - 1, 1, 0), (1, 2, 0)]
    finder = DuplicateFinder(run_size=run_size)
    for position, key in enumerate(keys):
        finder.add(key, position)
    assert list(finder.positions()) == [2, 5, 6, 7]


def test_a_sharded_source_finds_duplicates_within_its_shard(tmp_path):
    path = tmp_path / "in.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["from_id", "to_id"])
        writer.writerows([[i, 100 + i] for i in range(1, 31)] * 2)
    shards = [PairSource(path=str(path), shard_index=i, shard_count=3) for i in range(3)]
    counts = [shard.validate()[0] for shard in shards]
    assert sum(counts) == 30 and sum(s.duplicates for s in shards) == 30
    assert all(s.rows == 60 for s in shards)
    assert sorted(pair[0] for s in shards for pair in s.hook_inputs()) == list(range(1, 31))


# -- empty input ---------------------------------------------------------------------------------------------


# -- the sensor ------------------------------------------------------------------------------------------------


def sensor(**kwargs: Any) -> HubSpotAssociationSensor:
    return HubSpotAssociationSensor(
        task_id="wait", from_object_type="contacts", to_object_type="companies", poke_interval=0.05, **kwargs
    )


# -- label lengths in the emulator -----------------------------------------------------------------------------


def test_a_path_is_named_not_a_partial_file(tmp_path: Path):
    """A bad row far into the file: the validation pass names it and the source yields nothing to send."""
    path = tmp_path / "late.csv"
    path.write_text("from_id,to_id\n" + "".join(f"{i},{i + 1}\n" for i in range(1, 500)) + "500,5e2\n")
    source = PairSource(path=str(path))
    with pytest.raises(Exception, match=r"late\.csv row 500: field 'to_id'"):
        source.validate()
