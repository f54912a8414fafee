"""The send pass reads the pairs the validation pass spooled: the input is read and checked once (no HubSpot)."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.operators import _pairspool
from airflow_provider_hubassoc.operators._files import PairSource, skip_positions


def _write(path, rows):
    path.write_text("from_id,to_id,labels\n" + "".join(f"{f},{t},{labels}\n" for f, t, labels in rows))
    return str(path)


def _rows(count):
    """Pairs with repeats (every 7th repeats the one before it) and per-row labels on every 5th."""
    rows = []
    for i in range(1, count + 1):
        if i % 7 == 0:
            rows.append(rows[-1])
        else:
            rows.append((i, 1000 + i % 13, "Billing;42" if i % 5 == 0 else ""))
    return rows


def _expected(source, path, skip=0):
    """What the send pass gave before the spool: the file read, parsed and checked again."""
    fresh = PairSource(path=path, label_column="labels", shard_index=source.shard[0], shard_count=source.shard[1])
    fresh.validate()
    return [p.hook_input() for p in skip_positions(fresh, fresh._repeats)][skip:]


@pytest.mark.parametrize("skip", [0, 1, 5, 9, 17, 40, 1000])
def test_the_send_pass_gives_what_reading_the_file_again_gave_across_blocks_repeats_and_a_resume(
    tmp_path, monkeypatch, skip
):
    monkeypatch.setattr(_pairspool, "_BLOCK", 4)  # many blocks, repeats at their edges
    path = _write(tmp_path / "pairs.csv", _rows(60))
    source = PairSource(path=path, label_column="labels", shard_index=1, shard_count=2)
    total, _labels = source.validate()
    assert source.duplicates > 0
    got = list(source.hook_inputs(skip))
    assert got == _expected(source, path, skip)
    assert len(got) == max(total - skip, 0)
    assert all(type(item) is tuple and type(item[0]) is int and type(item[2]) is tuple for item in got)


def test_the_file_is_not_read_again_after_validation(tmp_path):
    path = _write(tmp_path / "pairs.csv", [(1, 2, ""), (3, 4, "Billing"), (1, 2, "")])
    source = PairSource(path=path, label_column="labels")
    assert source.validate() == (2, {"Billing": 2})
    (tmp_path / "pairs.csv").write_text("from_id,to_id,labels\nnot an id,5,\n")  # a second read would fail
    assert list(source.hook_inputs()) == [(1, 2, ()), (3, 4, ("Billing",))]


def test_failures_map_back_to_their_rows_within_the_window_and_are_forgotten_after(tmp_path, monkeypatch):
    monkeypatch.setattr(_pairspool, "_BLOCK", 3)
    path = _write(tmp_path / "pairs.csv", [(i, i + 1, "x" if i == 4 else "") for i in range(1, 21)])
    source = PairSource(path=path, label_column="labels", window=5)
    source.validate()
    stream = source.hook_inputs(2)  # resumed after 2 pairs: position 0 is file row 3
    for _ in range(4):
        next(stream)
    origin = source.origin(1)
    assert (origin.row, origin.from_id, origin.to_id, origin.labels) == (4, 4, 5, ("x",))
    assert source.origin(None) is None
    assert source.origin(50) is None  # not handed out yet
    list(stream)
    assert source.origin(0) is None  # far behind the window
    assert source.origin(17).row == 20
    source.forget_before(18)
    assert source.origin(17) is None
    source.close()
    assert source.origin(17) is None


def test_a_list_input_is_spooled_too_and_a_bad_row_leaves_no_spool(tmp_path):
    source = PairSource(pairs=[[1, 2], [3, 4, ["A"]], [1, 2]])
    assert source.validate() == (2, {"A": 2})
    assert list(source.hook_inputs()) == [(1, 2, ()), (3, 4, ("A",))]
    bad = PairSource(pairs=[[1, 2], [0, 4]])
    with pytest.raises(Exception, match="row 2"):
        bad.validate()
    assert bad._spooled is None


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("0", "positive integer id"),
        ("9223372036854775808", "id range"),
        ("12345678901234567890", "id range"),
        ("+12", "digits 0-9 only"),
        ("١٢", "digits 0-9 only"),
        ("", "digits 0-9 only"),
    ],
)
def test_a_digit_cell_the_quick_rule_refuses_still_fails_naming_its_row_and_field(tmp_path, cell, problem):
    path = tmp_path / "pairs.csv"
    path.write_text(f"from_id,to_id\n1,2\n3,{cell}\n", encoding="utf-8")
    with pytest.raises(Exception, match=rf"row 2: field 'to_id'.*{problem}") as error:
        PairSource(path=str(path)).validate()
    assert error.value.position == 2


def test_ids_the_quick_rule_passes_on_are_taken_as_before(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("from_id,to_id\n 12 ,0034\n9223372036854775807,7\n", encoding="utf-8")
    source = PairSource(path=str(path))
    assert source.validate() == (2, {})
    assert list(source.hook_inputs()) == [(12, 34, ()), (2**63 - 1, 7, ())]
    assert [p.hook_input() for p in source] == [(12, 34, ()), (2**63 - 1, 7, ())]
