"""Merged records in the reconcile (desired pairs of merged-away ids planned under the survivor, no churn) and
the ``not_found``/``merged`` summary counts of link by key, against the emulator over HTTP with records created
and merged through its Python API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from operator_support import FakeTaskInstance, write_csv as write_rows
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)

FAST = {"requests_per_10_seconds": 1_000_000, "max_concurrency": 1}
#: endpoints a reconcile reads with; every other counter that grows is a write
READS = {"batch.read", "objects.batch.read", "labels.list"}


pytestmark = pytest.mark.usefixtures("fresh_limiters")


class TaskInstance(FakeTaskInstance):
    dag_id, task_id = "merges", "sync"


def records(emulator: Any, kind: str, n: int) -> list[int]:
    return [emulator.create_record(kind, {"name": f"{kind}-{i}"}) for i in range(n)]


def contacts(emulator: Any, n: int) -> list[int]:
    return [emulator.create_record("contacts", {"email": f"c{i}@example.com"}) for i in range(n)]


def linked(emulator: Any, contact: int) -> set[int]:
    return set(emulator.associations("contacts", contact, "companies"))


def calls(emulator: Any) -> dict[str, int]:
    return {name: sum(by_status.values()) for name, by_status in emulator.counters().items()}


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}


def writes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in grown(before, after).items() if name not in READS}


def sync(tmp_path: Path, pairs: list[tuple[int, int]], run_id: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("hook_params", FAST)
    op = HubSpotSyncAssociationsOperator(
        task_id="sync",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[list(pair) for pair in pairs],
        failures_path=str(tmp_path / f"failures-{run_id}.csv"),
        checkpoint_path=str(tmp_path / "checkpoints"),
        **kwargs,
    )
    return op.execute(TaskInstance(run_id).context())


def test_a_merged_away_from_id_is_planned_under_the_survivor_and_a_second_run_writes_nothing(emulator, tmp_path):
    c = contacts(emulator, 2)
    k = records(emulator, "companies", 4)
    emulator.associate("contacts", c[0], "companies", k[0])
    emulator.associate("contacts", c[1], "companies", k[1])
    survivor = emulator.merge("contacts", c[0], c[1])  # a new id; both pairs move to it
    emulator.associate("contacts", survivor, "companies", k[3])  # on the survivor, desired by no one: pruned
    desired = [(c[0], k[0]), (c[1], k[1]), (c[1], k[2])]  # the warehouse still names the old ids

    first = sync(tmp_path, desired, "first", prune=True)
    assert linked(emulator, survivor) == {k[0], k[1], k[2]}
    assert first["created"] == 1 and first["archived"] == 1 and first["failed"] == 0
    assert first["merged_remapped"] == 3 and first["plan"]["merged_remapped"] == 3
    assert first["plan"]["records"] == 1 and first["plan"]["unchanged"] == 2

    before = calls(emulator)
    second = sync(tmp_path, desired, "second", prune=True)
    assert writes(before, calls(emulator)) == {}
    assert second["plan"] == {
        "records": 1,
        "desired": 3,
        "create": 0,
        "remove_labels": 0,
        "archive": 0,
        "unchanged": 3,
        "merged_remapped": 3,
    }
    # the association read answers the old ids under the survivor; one objects read confirms the merge
    assert grown(before, calls(emulator)).get("objects.batch.read") == 1
    assert linked(emulator, survivor) == {k[0], k[1], k[2]}


def test_a_merged_away_to_id_is_not_created_again_nor_its_survivor_pruned(emulator, tmp_path):
    (c,) = contacts(emulator, 1)
    k = records(emulator, "companies", 3)
    emulator.associate("contacts", c, "companies", k[0])
    emulator.associate("contacts", c, "companies", k[2])
    survivor = emulator.merge("companies", k[0], k[1])  # the pair (c, k0) is now (c, survivor)
    desired = [(c, k[0])]  # names the old company id; k[2] is not desired

    before = calls(emulator)
    first = sync(tmp_path, desired, "first", prune=True, check_merged_records=True)
    assert linked(emulator, c) == {survivor}
    assert first["plan"]["unchanged"] == 1 and first["plan"]["create"] == 0 and first["archived"] == 1
    assert first["merged_remapped"] == 1
    assert writes(before, calls(emulator)) == {"batch.archive": 1}  # only the pair nobody desires

    before = calls(emulator)
    second = sync(tmp_path, desired, "second", prune=True, check_merged_records=True)
    assert writes(before, calls(emulator)) == {}
    assert second["plan"]["unchanged"] == 1 and second["merged_remapped"] == 1
    assert linked(emulator, c) == {survivor}


@pytest.fixture
def objects_reads(emulator):
    """The ids each objects ``batch/read`` asked for (observed on the emulator), for this test only."""
    asked: list[list[int]] = []

    def observe(request: Any, response: Any) -> None:
        if request.path.endswith("/batch/read") and "/objects/" in request.path:
            asked.append([int(item["id"]) for item in json.loads(request.body)["inputs"]])

    emulator.app.observers.append(observe)
    yield asked
    emulator.app.observers.remove(observe)


@pytest.mark.parametrize("prune", [True, False])
def test_a_merged_away_to_id_without_the_option_is_mapped_and_a_second_run_writes_nothing(
    emulator, tmp_path, objects_reads, prune
):
    c = contacts(emulator, 3)
    k = records(emulator, "companies", 4)
    emulator.associate("contacts", c[0], "companies", k[0])
    emulator.associate("contacts", c[0], "companies", k[2])
    emulator.associate("contacts", c[1], "companies", k[3])
    survivor = emulator.merge("companies", k[0], k[1])  # c0 now holds the survivor, which nobody names
    # c0 names the old id (the only candidate); c1 is in sync; c2 holds nothing yet (a first pair, never read)
    desired = [(c[0], k[0]), (c[0], k[2]), (c[1], k[3]), (c[2], k[3])]

    for run, created in (("first", {"batch.associate_default": 1}), ("second", {})):
        objects_reads.clear()
        before = calls(emulator)
        summary = sync(tmp_path, desired, run, prune=prune)
        assert writes(before, calls(emulator)) == created  # (c2, k3) once; never (c0, k0) nor an archive
        assert grown(before, calls(emulator)) == {"batch.read": 1, "objects.batch.read": 1, **created}
        assert objects_reads == [[k[0]]]  # only the candidate, not k2/k3 nor c2's first pair
        assert summary["merged_remapped"] == 1 and summary["plan"]["merged_remapped"] == 1
        assert summary["plan"]["create"] == len(created) and summary["plan"]["archive"] == 0
        assert linked(emulator, c[0]) == {survivor, k[2]} and linked(emulator, c[2]) == {k[3]}


def test_an_in_sync_reconcile_and_a_first_backfill_make_no_objects_read(emulator, tmp_path, objects_reads):
    c = contacts(emulator, 3)
    k = records(emulator, "companies", 3)
    desired = [(c[i], k[j]) for i in range(3) for j in range(3) if i != j]
    first = sync(tmp_path, desired, "backfill", prune=True)  # nothing held: nothing to check
    assert first["created"] == 6 and objects_reads == []
    second = sync(tmp_path, desired, "in-sync", prune=True)
    assert second["plan"]["unchanged"] == 6 and objects_reads == []
    assert "merged_remapped" not in first and "merged_remapped" not in second


@pytest.mark.parametrize("prune", [True, False])
def test_an_ordinary_move_costs_one_objects_read_and_moves_the_pair(emulator, tmp_path, objects_reads, prune):
    c = contacts(emulator, 2)
    k = records(emulator, "companies", 3)
    emulator.associate("contacts", c[0], "companies", k[0])
    emulator.associate("contacts", c[1], "companies", k[2])  # moved to k[1] by the input
    before = calls(emulator)
    summary = sync(tmp_path, [(c[0], k[0]), (c[1], k[1])], "only", prune=prune)
    assert summary["created"] == 1 and summary["archived"] == int(prune) and "merged_remapped" not in summary
    assert grown(before, calls(emulator))["objects.batch.read"] == 1 and objects_reads == [[k[1]]]
    assert linked(emulator, c[1]) == ({k[1]} if prune else {k[1], k[2]})
    objects_reads.clear()
    sync(tmp_path, [(c[0], k[0]), (c[1], k[1])], "in-sync", prune=prune, check_merged_records=True)
    assert objects_reads == []  # nothing to create: nothing to check, even with the option


def test_check_merged_records_maps_a_pair_never_made_under_the_survivor(emulator, tmp_path):
    (c,) = contacts(emulator, 1)
    k = records(emulator, "companies", 2)
    survivor = emulator.merge("companies", k[0], k[1])  # c was never associated with either
    summary = sync(tmp_path, [(c, k[1])], "checked", prune=True, check_merged_records=True)
    assert linked(emulator, c) == {survivor}
    assert summary["created"] == 1 and summary["failed"] == 0 and summary["merged_remapped"] == 1
    before = calls(emulator)
    sync(tmp_path, [(c, k[1])], "again", prune=True, check_merged_records=True)
    assert writes(before, calls(emulator)) == {}


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_sql_reconcile_with_a_merged_contact(emulator, tmp_path, warehouse):
    c = contacts(emulator, 3)
    k = records(emulator, "companies", 2)
    emulator.associate("contacts", c[0], "companies", k[0])
    survivor = emulator.merge("contacts", c[0], c[1])
    warehouse.run("CREATE TABLE desired (contact_id BIGINT, company_id BIGINT)")
    warehouse.load("desired", ("contact_id", "company_id"), [(c[0], k[0]), (c[1], k[1]), (c[2], k[1])])

    def run(run_id: str) -> dict[str, Any]:
        op = HubSpotSyncAssociationsOperator(
            task_id="sync",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT contact_id, company_id FROM desired",
            sql_conn_id=warehouse.conn_id,
            from_id_column="contact_id",
            to_id_column="company_id",
            prune=True,
            hook_params=FAST,
            checkpoint_path=str(tmp_path / "checkpoints"),
        )
        return op.execute(TaskInstance(run_id).context())

    first = run("first")
    assert linked(emulator, survivor) == {k[0], k[1]} and linked(emulator, c[2]) == {k[1]}
    assert first["created"] == 2 and first["archived"] == 0 and first["merged_remapped"] == 2
    before = calls(emulator)
    second = run("second")
    assert writes(before, calls(emulator)) == {} and second["plan"]["unchanged"] == 3


def write_csv(path: Path, rows: list[tuple[Any, Any]]) -> Path:
    return write_rows(path, ["contact", "company"], rows)


def link(tmp_path: Path, source: Path, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    op = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        input_path=str(source),
        from_id_column="contact",
        to_id_column="company",
        failures_path=str(tmp_path / "failures.csv"),
        max_failures=None,
        hook_params=FAST,
        **kwargs,
    )
    with pytest.MonkeyPatch.context() as patch:
        logged: list[str] = []
        patch.setattr(op.log, "info", lambda message, *args: logged.append(message % args))
        summary = op.execute(TaskInstance("link").context())
    return summary, [line for line in logged if line.startswith("Done: ")]


def test_link_by_key_counts_not_found_apart(emulator, tmp_path):
    contacts(emulator, 1)
    (k,) = records(emulator, "companies", 1)
    source = write_csv(tmp_path / "pairs.csv", [("c0@example.com", k), ("nobody@example.com", k)])
    summary, done = link(tmp_path, source, from_id_property="email")
    assert summary["succeeded"] == 1 and summary["failed"] == 1
    assert summary["not_found"] == 1 and summary["merged"] == 0
    assert "not_found=1" in done[0] and "merged=0" in done[0]


def test_link_with_check_merged_records_counts_merged_apart(emulator, tmp_path):
    c = contacts(emulator, 3)
    (k,) = records(emulator, "companies", 1)
    emulator.merge("contacts", c[0], c[1])
    source = write_csv(tmp_path / "pairs.csv", [(c[0], k), (c[1], k), (c[2], k)])
    summary, done = link(tmp_path, source, check_merged_records=True)
    assert summary["succeeded"] == 1 and summary["failed"] == 2
    assert summary["merged"] == 2 and summary["not_found"] == 0
    assert "merged=2" in done[0]


def test_link_by_ids_has_no_unresolved_counts(emulator, tmp_path):
    (c,) = contacts(emulator, 1)
    (k,) = records(emulator, "companies", 1)
    summary, _done = link(tmp_path, write_csv(tmp_path / "pairs.csv", [(c, k)]))
    assert summary["succeeded"] == 1 and "not_found" not in summary and "merged" not in summary


def test_reconcile_by_key_counts_not_found_apart(emulator, tmp_path):
    (c,) = contacts(emulator, 1)
    (k,) = records(emulator, "companies", 1)
    op = HubSpotSyncAssociationsOperator(
        task_id="sync",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[["c0@example.com", k], ["nobody@example.com", k]],
        from_id_property="email",
        max_failures=None,
        hook_params=FAST,
    )
    with pytest.MonkeyPatch.context() as patch:
        logged: list[str] = []
        patch.setattr(op.log, "info", lambda message, *args: logged.append(message % args))
        summary = op.execute(TaskInstance("by-key").context())
    assert summary["created"] == 1 and summary["failed"] == 1
    assert summary["not_found"] == 1 and summary["merged"] == 0
    assert any(line.startswith("Sync done") and "not_found=1" in line for line in logged)
    assert linked(emulator, c) == {k}


def test_check_merged_records_maps_a_from_id_whose_survivor_has_no_association(emulator, tmp_path):
    c = contacts(emulator, 2)
    (k,) = records(emulator, "companies", 1)
    survivor = emulator.merge("contacts", c[0], c[1])  # no associations: the read answers "none" for c[0]
    summary = sync(tmp_path, [(c[0], k)], "checked", check_merged_records=True)
    assert linked(emulator, survivor) == {k}
    assert summary["created"] == 1 and summary["failed"] == 0 and summary["merged_remapped"] == 1
    before = calls(emulator)
    sync(tmp_path, [(c[0], k)], "again", check_merged_records=True)
    assert writes(before, calls(emulator)) == {}
