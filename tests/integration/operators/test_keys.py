"""Link and unlink by the warehouse's own keys (``from_id_property``/``to_id_property``) and the merge check
(``check_merged_records``), against the emulator over HTTP with records created through its Python API."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pytest
from operator_support import FakeTaskInstance, write_csv as write_rows
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
)

FAST = {"requests_per_10_seconds": 1_000_000, "max_concurrency": 1}


pytestmark = pytest.mark.usefixtures("fresh_limiters")


@pytest.fixture
def emulator(emulator):
    """The operators' emulator (conftest), where a company's ``external_company_id`` is a unique property."""
    emulator.declare_unique("companies", "external_company_id")
    return emulator


class TaskInstance(FakeTaskInstance):
    dag_id, task_id, run_id = "keys", "link", "manual__keys"


def write_csv(path: Path, rows: list[tuple[Any, Any]]) -> Path:
    return write_rows(path, ["email", "company"], rows)


def operator(cls: type, tmp_path: Path, source: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("hook_params", FAST)
    kwargs.setdefault("max_failures", None)
    return cls(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        input_path=str(source),
        from_id_column="email",
        to_id_column="company",
        failures_path=str(tmp_path / "failures.csv"),
        checkpoint_path=str(tmp_path / "checkpoints"),
        **kwargs,
    )


def by_key(cls: type, tmp_path: Path, source: Path, **kwargs: Any) -> Any:
    return operator(cls, tmp_path, source, from_id_property="email", to_id_property="external_company_id", **kwargs)


def seed(emulator: Any, people: int, companies: int) -> tuple[list[int], list[int]]:
    contacts = emulator.seed_records("contacts", [{"email": f"p{i}@example.com"} for i in range(people)])
    firms = emulator.seed_records("companies", [{"external_company_id": f"ext-{i}"} for i in range(companies)])
    return contacts, firms


def linked(emulator: Any, contact: int) -> set[int]:
    return set(emulator.associations("contacts", contact, "companies"))


def lookups(emulator: Any) -> int:
    return sum(emulator.counters().get("objects.batch.read", {}).values())


def failures(tmp_path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(open(tmp_path / "failures.csv")))


def test_link_by_email_and_external_id_end_to_end(emulator, tmp_path):
    contacts, firms = seed(emulator, 3, 2)
    source = write_csv(tmp_path / "pairs.csv", [("P0@Example.com", "ext-0"), ("p1@example.com", "ext-1")])
    summary = by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance().context())
    assert summary["succeeded"] == 2 and summary["failed"] == 0
    assert linked(emulator, contacts[0]) == {firms[0]} and linked(emulator, contacts[1]) == {firms[1]}


def test_unknown_keys_are_not_found_failures_with_row_and_key(emulator, tmp_path):
    contacts, _firms = seed(emulator, 2, 1)
    rows = [("p0@example.com", "ext-0"), ("nobody@example.com", "ext-0"), ("p1@example.com", "ext-404")]
    source = write_csv(tmp_path / "pairs.csv", rows)
    summary = by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance().context())
    assert summary["succeeded"] == 1 and summary["failed"] == 2
    found = {(row["row"], row["from_id"], row["to_id"], row["category"]) for row in failures(tmp_path)}
    assert found == {("2", "nobody@example.com", "ext-0", "NOT_FOUND"), ("3", "p1@example.com", "ext-404", "NOT_FOUND")}
    assert linked(emulator, contacts[1]) == set()


def test_each_distinct_key_is_resolved_once_100_a_request(emulator, tmp_path):
    seed(emulator, 250, 3)
    rows = [(f"p{i % 250}@example.com", f"ext-{i % 3}") for i in range(1000)]
    source = write_csv(tmp_path / "pairs.csv", rows)
    summary = by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance().context())
    assert summary["succeeded"] == 750 and summary["skipped"] == 250
    assert lookups(emulator) == math.ceil(250 / 100) + math.ceil(3 / 100)


def test_a_property_that_is_not_unique_fails_before_any_write(emulator, tmp_path):
    seed(emulator, 1, 0)
    emulator.seed_records("companies", [{"domain": "a.example"}])
    source = write_csv(tmp_path / "pairs.csv", [("p0@example.com", "a.example")])
    op = operator(
        HubSpotCreateAssociationsOperator, tmp_path, source, from_id_property="email", to_id_property="domain"
    )
    with pytest.raises(AirflowFailException, match=r"to_id_property='domain'.*not unique in HubSpot"):
        op.execute(TaskInstance().context())
    assert "batch.create" not in emulator.counters()


def test_bad_key_cells_fail_naming_the_row_before_any_request(emulator, tmp_path):
    source = write_csv(tmp_path / "pairs.csv", [("p0@example.com", "ext-0"), ("", "ext-0")])
    with pytest.raises(AirflowFailException, match=r"row 2: field 'email'"):
        by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance().context())
    assert lookups(emulator) == 0


def test_a_resumed_run_does_not_resolve_again(emulator, tmp_path):
    seed(emulator, 500, 1)
    source = write_csv(tmp_path / "pairs.csv", [(f"p{i}@example.com", "ext-0") for i in range(500)])
    emulator.configure(daily_limit=3)  # three look-ups, then the daily budget is spent
    with pytest.raises(AirflowFailException, match="daily request budget"):
        by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance().context())
    first = lookups(emulator)
    emulator.configure(daily_limit=None)
    emulator.refill_daily_budget()
    reset_shared_limiters()
    before = lookups(emulator)
    summary = by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance().context())
    assert summary["succeeded"] == 500
    # 500 emails: 5 requests in all; the first run's answered ones (3) are not asked again, plus one for ext-0
    assert first >= 3
    assert lookups(emulator) - before == 5 - 3 + 1


def test_merged_ids_fail_with_the_surviving_id(emulator, tmp_path):
    contacts, firms = seed(emulator, 3, 1)
    survivor = emulator.merge("contacts", contacts[0], contacts[1])
    source = write_csv(tmp_path / "pairs.csv", [(contacts[1], firms[0]), (contacts[2], firms[0])])
    op = operator(HubSpotCreateAssociationsOperator, tmp_path, source, check_merged_records=True)
    summary = op.execute(TaskInstance().context())
    assert summary["succeeded"] == 1 and summary["failed"] == 1
    (row,) = failures(tmp_path)
    assert row["category"] == "MERGED" and row["sub_category"] == str(survivor) and str(survivor) in row["message"]
    assert linked(emulator, contacts[2]) == {firms[0]}
    assert lookups(emulator) == 2  # each side's distinct ids read once


def test_unlink_by_key(emulator, tmp_path):
    contacts, firms = seed(emulator, 2, 1)
    source = write_csv(tmp_path / "pairs.csv", [("p0@example.com", "ext-0"), ("p1@example.com", "ext-0")])
    by_key(HubSpotCreateAssociationsOperator, tmp_path, source).execute(TaskInstance("link").context())
    assert linked(emulator, contacts[0]) == {firms[0]}
    gone = write_csv(tmp_path / "gone.csv", [("p0@example.com", "ext-0")])
    summary = by_key(HubSpotArchiveAssociationsOperator, tmp_path, gone).execute(TaskInstance("unlink").context())
    assert summary["succeeded"] == 1
    assert linked(emulator, contacts[0]) == set() and linked(emulator, contacts[1]) == {firms[0]}


@pytest.mark.parametrize("kind", ["html", "wrong_shape", "truncated"])
def test_hostile_lookup_answers_fail_named_and_nothing_is_written(emulator, tmp_path, kind):
    seed(emulator, 1, 1)
    emulator.hostile(kind, "objects.batch.read")
    source = write_csv(tmp_path / "pairs.csv", [("p0@example.com", "ext-0")])
    op = by_key(HubSpotCreateAssociationsOperator, tmp_path, source, hook_params={**FAST, "max_retries": 1})
    with pytest.raises(Exception, match="answer not as documented"):
        op.execute(TaskInstance().context())
    assert "batch.create" not in emulator.counters()


def test_reconcile_by_key_creates_and_prunes(emulator, tmp_path):
    from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator

    contacts, firms = seed(emulator, 2, 2)
    emulator.associate("contacts", contacts[0], "companies", firms[1])  # not desired: pruned
    rows = [("p0@example.com", "ext-0"), ("p1@example.com", "ext-1"), ("ghost@example.com", "ext-0")]
    source = write_csv(tmp_path / "desired.csv", rows)
    summary = by_key(HubSpotSyncAssociationsOperator, tmp_path, source, prune=True).execute(TaskInstance().context())
    assert summary["created"] == 2 and summary["archived"] == 1 and summary["failed"] == 1
    assert linked(emulator, contacts[0]) == {firms[0]} and linked(emulator, contacts[1]) == {firms[1]}
    assert [row["category"] for row in failures(tmp_path)] == ["NOT_FOUND"]


def test_a_from_key_with_shards_is_refused_when_the_dag_is_parsed() -> None:
    """Shards are cut by the from record's id; a from key has none until resolved, so the two are not combined."""
    with pytest.raises(ValueError, match="from_id_property cannot be combined with shard_count"):
        HubSpotCreateAssociationsOperator(
            task_id="link",
            from_object_type="contacts",
            to_object_type="companies",
            pairs=[("a@example.com", 1)],
            from_id_property="email",
            shard_index=0,
            shard_count=2,
        )
