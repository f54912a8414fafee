"""Write drills: bulk link, unlink, reconcile and label sync against the emulator over HTTP, under injected faults.

Each drill ends with the account's full state (the emulator's dump) compared with the desired set, HubSpot-defined
types (primary, unlabeled) included; the failures file must hold exactly the rows HubSpot refused, and the
summary counts must match. Faults: 429, 5xx (500/502/503), connections dropped before the write, writes applied
and then their connection dropped (``fault_drop_after``) or answered after the client's read timeout
(``fault_slow_after``), 200 instead of 201 (v3 create), and 1% of rows naming records that do not exist.

Sizes and speed (this file must stay fast in CI on 2 busy cores): every bulk-link run links 20,000 labeled pairs:
all faults together at chunk sizes 100 and 2,000 under replace and merge semantics, and each fault alone at chunk
size 100 (replace and merge) and 2,000 (replace; merge cannot lose a type to a stale payload, replace is the
hazard, and the combined runs cover merge at 2,000). The slow-after fault alone at chunk size 100 is drawn for 5% of
the 200 creates (each late answer costs a one-second read timeout), 25% elsewhere. What a fault can break is
per chunk, and each run asserts that its fault really happened. Unlink and reconcile run 4,000 pairs per case
for the same reason. Every run uses one connection at a time (``max_concurrency=1``) so the seeded fault draws replay
exactly; the emulator has no latency and no rate limit, Retry-After and the back-off base are hundredths of a
second, and the slow fault (1.1 s) outlasts a one-second read timeout (long enough that a loaded machine does
not time out on its own and shift the seeded draws).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from operator_support import FakeTaskInstance as FakeTI

from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

CONTACTS, COMPANIES = "0-1", "0-2"
PRIMARY, UNLABELED = 1, 279  # contact -> company, HubSpot-defined
COMPANY = 100_000  # contact i is linked to company COMPANY + i
OTHER_PRIMARY = 400_000  # some contacts already have a primary company elsewhere
RECORD_MAX = 1_000_000  # records 1..RECORD_MAX exist; a row naming a company above it is refused
MISSING = 5_000_000

FAULTS: dict[str, dict[str, Any]] = {
    "429": {"fault_429": 0.25},
    "5xx": {"fault_500": 0.1, "fault_502": 0.1, "fault_503": 0.1},
    "drop_before": {"fault_drop": 0.25},
    "drop_after": {"fault_drop_after": 0.4},
    "slow_after": {"fault_slow_after": 0.25},
    "rejected": {},
}
ALL_FAULTS = {
    "fault_429": 0.04,
    "fault_500": 0.02,
    "fault_502": 0.02,
    "fault_503": 0.02,
    "fault_drop": 0.04,
    "fault_drop_after": 0.08,
    "fault_slow_after": 0.01,
}
#: for drills with tens of write requests, not hundreds: more of the applied writes lose their answer
WRITE_FAULTS = {**ALL_FAULTS, "fault_drop_after": 0.25, "fault_slow_after": 0.05}
#: a few label writes only: higher shares so that each run meets faults
LABEL_FAULTS = {"fault_429": 0.1, "fault_503": 0.1, "fault_drop": 0.1, "fault_drop_after": 0.2, "fault_slow_after": 0.2}
#: what each fault looks like in the emulator's counters (status, or "dropped")
SEEN = {
    "any": ("429", "500", "502", "503", "dropped", "late"),
    "429": ("429",),
    "5xx": ("500", "502", "503"),
    "drop_before": ("dropped",),
    "drop_after": ("dropped after",),
    "slow_after": ("late",),
    "lost": ("dropped after", "late"),
    "rejected": ("207",),
}


@pytest.fixture
def emu(hubspot_emulator, hubspot_connection, monkeypatch):
    """The emulator without latency or rate limits; back-off waits of hundredths of a second."""
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)
    hubspot_emulator.configure(
        requests_per_10_seconds=None, daily_limit=None, retry_after=0.01, slow_seconds=1.1, auto_record_max=RECORD_MAX
    )
    return hubspot_emulator


HOOK = {"max_concurrency": 1, "requests_per_10_seconds": 10**6, "max_retries": 12, "read_timeout": 1.0}


def calm(emu) -> None:
    """No more faults (the state is then read through the emulator's Python API)."""
    emu.configure(**dict.fromkeys(ALL_FAULTS, 0.0), fault_endpoints=[])


def contact_companies(emu) -> dict[tuple[int, int], set[int]]:
    """Every contact -> company pair in the account with its type ids (the state dump, one direction)."""
    return {
        (a["fromObjectId"], a["toObjectId"]): {t["typeId"] for t in a["types"]}
        for a in emu.dump()["associations"]
        if a["fromObjectTypeId"] == CONTACTS and a["toObjectTypeId"] == COMPANIES
    }


def failed_rows(path: Path) -> set[tuple[int, int, int]]:
    with open(path, newline="") as handle:
        return {(int(r["row"]), int(r["from_id"]), int(r["to_id"])) for r in csv.DictReader(handle)}


def check_faults_happened(emu, kind: str) -> None:
    """A drill proves something only if its fault was injected: its status, drop or late answer is in the
    emulator's counters (``lost``: an applied write lost its answer, dropped or late)."""
    seen = {status for by_status in emu.counters().values() for status, n in by_status.items() if n}
    assert any(status == s or status.startswith(s + " ") for status in seen for s in SEEN[kind]), (kind, sorted(seen))


def seed_link_state(emu, n: int, other: int) -> tuple[dict[tuple[int, int], set[int]], set[int]]:
    """Contacts 1..n: every 20th already linked to its company with label ``other`` (and so its primary); every
    25th already has a primary company elsewhere. Returns the state so far and the contacts with another primary."""
    elsewhere = set(range(25, n + 1, 25))
    for i in elsewhere:
        emu.associate("contacts", i, "companies", OTHER_PRIMARY + i)
    for i in range(20, n + 1, 20):
        emu.associate("contacts", i, "companies", COMPANY + i, types=[("USER_DEFINED", other)])
    return contact_companies(emu), elsewhere


def link_drill(
    emu,
    tmp_path: Path,
    *,
    n: int,
    chunk: int,
    semantics: str,
    knobs: dict[str, Any],
    seed: int,
    hook_semantics: str = "replace",
) -> dict[str, Any]:
    emu.configure(label_write_semantics=semantics)
    billing = emu.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    other = emu.create_label("contacts", "companies", "other", "Other")[0]["typeId"]
    before, elsewhere = seed_link_state(emu, n, other)
    rejected = set(range(77, n + 1, 100))  # 1% of the rows name a company that does not exist
    pairs = [[i, MISSING + i if i in rejected else COMPANY + i] for i in range(1, n + 1)]
    emu.configure(seed=seed, **knobs)
    summary = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=pairs,
        labels="Billing",
        chunk_size=chunk,
        failures_path=str(tmp_path / "failures.csv"),
        max_failures=None,
        hook_params={**HOOK, "label_write_semantics": hook_semantics},
    ).execute({})
    calm(emu)

    desired = dict(before)
    for i in range(1, n + 1):
        if i in rejected:
            continue
        kept = before.get((i, COMPANY + i), set())
        primary = set() if i in elsewhere else {PRIMARY}  # HubSpot makes the first company the primary
        desired[(i, COMPANY + i)] = kept | primary | {UNLABELED, billing}
    assert contact_companies(emu) == desired
    assert failed_rows(tmp_path / "failures.csv") == {(i, i, MISSING + i) for i in rejected}  # row = 1-based
    assert (summary["total"], summary["succeeded"], summary["failed"], summary["skipped"], summary["not_sent"]) == (
        n,
        n - len(rejected),
        len(rejected),
        0,
        0,
    )
    return summary


# -- bulk link ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("semantics", ["replace", "merge"])
@pytest.mark.parametrize("chunk", [100, 2000])
def test_link_20k_labeled_pairs_under_all_faults(emu, tmp_path, chunk, semantics):
    link_drill(
        emu,
        tmp_path,
        n=20_000,
        chunk=chunk,
        semantics=semantics,
        knobs=ALL_FAULTS if chunk == 100 else WRITE_FAULTS,
        seed=11,
    )
    for kind in ("429", "5xx", "drop_before", "lost"):  # each lost-answer kind alone: the single-fault runs
        check_faults_happened(emu, kind)


@pytest.mark.parametrize("chunk", [100, 2000])
def test_link_20k_labeled_pairs_told_merge_under_all_faults(emu, tmp_path, chunk):
    """A merge account and a connection that says so: no read at all, plain retries; nothing is lost."""
    knobs = ALL_FAULTS if chunk == 100 else WRITE_FAULTS
    link_drill(emu, tmp_path, n=20_000, chunk=chunk, semantics="merge", knobs=knobs, seed=11, hook_semantics="merge")
    assert sum(emu.counters().get("batch.read", {}).values()) == 0
    for kind in ("429", "5xx", "drop_before", "lost"):
        check_faults_happened(emu, kind)


@pytest.mark.parametrize(("chunk", "semantics"), [(100, "replace"), (100, "merge"), (2000, "replace")])
@pytest.mark.parametrize("kind", list(FAULTS))
def test_link_labeled_pairs_under_one_fault(emu, tmp_path, kind, chunk, semantics):
    knobs = FAULTS[kind]
    if kind in ("drop_after", "slow_after"):  # these hit writes only: the write endpoint is where they matter
        knobs = {**knobs, "fault_endpoints": ["batch.create"]}
    if kind == "slow_after" and chunk == 100:  # 200 creates: ~10 late answers (each costs a 1 s read timeout)
        knobs = {**knobs, "fault_slow_after": 0.05}
    link_drill(emu, tmp_path, n=20_000, chunk=chunk, semantics=semantics, knobs=knobs, seed=3)
    check_faults_happened(emu, kind)


@pytest.mark.legacy_api
@pytest.mark.parametrize("status", [200, 201])
def test_v3_create_under_all_faults_with_200_or_201(emu, make_v3_hook, status):
    """v3 batch/create answers 201 per spec and 200 since 2025-08: both mean done, also after replays. 20,000
    pairs (ten chunks of 2,000)."""
    emu.configure(v3_create_status=status)
    n = 20_000
    rejected = set(range(77, n // 2, 100))  # 1% of the rows, all in the first half: the other chunks answer 20x
    pairs = [(i, MISSING + i if i in rejected else COMPANY + i) for i in range(1, n + 1)]
    emu.configure(seed=9, **WRITE_FAULTS)
    result = make_v3_hook().v3_create_associations("contacts", "companies", pairs, on_failure="collect")
    calm(emu)
    assert contact_companies(emu) == {
        (i, COMPANY + i): {PRIMARY, UNLABELED} for i in range(1, n + 1) if i not in rejected
    }
    assert {(f.position, f.input["to_id"]) for f in result.failures} == {(i - 1, MISSING + i) for i in rejected}
    assert (result.total, result.succeeded, result.failed) == (n, n - len(rejected), len(rejected))
    assert emu.counters()["v3.batch.create"].get(str(status), 0) >= 1
    check_faults_happened(emu, "any")


@pytest.fixture
def make_v3_hook(emu):
    from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

    hooks: list[HubSpotAssociationsHook] = []

    def make() -> HubSpotAssociationsHook:
        hooks.append(HubSpotAssociationsHook(**HOOK))
        return hooks[-1]

    yield make
    for hook in hooks:
        hook.close()


# -- bulk unlink ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [100, 1000])
@pytest.mark.parametrize("only_label", [False, True])
def test_unlink_under_all_faults(emu, tmp_path, chunk, only_label):
    """Half of 4,000 linked pairs unlinked (whole pairs, or only their label) under every fault, chunk sizes 100
    and 1,000 (the archive endpoints' maximum). Archiving is
    replay-safe (a second send removes nothing more); rows naming records that do not exist are no-ops for
    HubSpot, so the failures file stays empty and every row counts as done."""
    n = 4_000
    billing = emu.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    for i in range(1, n + 1):
        emu.associate("contacts", i, "companies", COMPANY + i, types=[("USER_DEFINED", billing)])
    gone = [[i, COMPANY + i] for i in range(2, n + 1, 2)] + [[i, MISSING + i] for i in range(77, n + 1, 100)]
    emu.configure(seed=7, **WRITE_FAULTS)
    summary = HubSpotArchiveAssociationsOperator(
        task_id="unlink",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=gone,
        labels="Billing" if only_label else None,
        chunk_size=chunk,
        failures_path=str(tmp_path / "failures.csv"),
        max_failures=None,
        hook_params=HOOK,
    ).execute({})
    calm(emu)
    full = {PRIMARY, UNLABELED, billing}
    desired = {(i, COMPANY + i): full for i in range(1, n + 1, 2)}
    if only_label:
        desired.update({(i, COMPANY + i): {PRIMARY, UNLABELED} for i in range(2, n + 1, 2)})
    assert contact_companies(emu) == desired
    assert failed_rows(tmp_path / "failures.csv") == set()
    assert (summary["total"], summary["succeeded"], summary["failed"], summary["not_sent"]) == (
        len(gone),
        len(gone),
        0,
        0,
    )
    check_faults_happened(emu, "lost" if chunk == 100 else "any")  # 1,000: a few writes only


# -- reconcile ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("semantics", ["replace", "merge"])
@pytest.mark.parametrize("chunk", [100, 1000])
def test_reconcile_under_all_faults(emu, tmp_path, chunk, semantics):
    """4,000 contacts in four groups (in sync; missing the label; an extra managed label; not linked yet), plus
    pairs that are not desired (pruned), under every fault: each write phase (create, remove labels, archive)
    meets lost answers. 1% of the desired rows name a company that does not exist. Chunk sizes 100 and 1,000
    (reconcile's chunk size also sizes its reads and archives, whose maximum is 1,000)."""
    emu.configure(label_write_semantics=semantics)
    n = 4_000
    billing = emu.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    other = emu.create_label("contacts", "companies", "other", "Other")[0]["typeId"]
    for i in range(1, n + 1):
        group = i % 4
        if group == 0:
            emu.associate("contacts", i, "companies", COMPANY + i, types=[("USER_DEFINED", billing)])
            emu.associate("contacts", i, "companies", OTHER_PRIMARY + i)  # not desired: pruned
        elif group == 1:
            emu.associate("contacts", i, "companies", COMPANY + i)
        elif group == 2:
            emu.associate(
                "contacts", i, "companies", COMPANY + i, types=[("USER_DEFINED", billing), ("USER_DEFINED", other)]
            )
    rejected = set(range(79, n + 1, 100))  # group 3: not linked yet, and the company does not exist
    desired_rows = [[i, MISSING + i if i in rejected else COMPANY + i] for i in range(1, n + 1)]
    emu.configure(seed=13, **WRITE_FAULTS)
    summary = HubSpotSyncAssociationsOperator(
        task_id="sync",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=desired_rows,
        labels="Billing",
        prune=True,
        chunk_size=chunk,
        failures_path=str(tmp_path / "failures.csv"),
        max_failures=None,
        hook_params=HOOK,
    ).execute({})
    calm(emu)
    assert contact_companies(emu) == {
        (i, COMPANY + i): {PRIMARY, UNLABELED, billing} for i in range(1, n + 1) if i not in rejected
    }
    assert failed_rows(tmp_path / "failures.csv") == {(i, i, MISSING + i) for i in rejected}
    quarter = n // 4
    assert summary["plan"] == {
        "records": n,
        "desired": n,
        "create": 2 * quarter,
        "remove_labels": quarter,
        "archive": quarter,
        "unchanged": quarter,
    }
    assert (summary["created"], summary["labels_removed"], summary["archived"], summary["not_sent"]) == (
        2 * quarter - len(rejected),
        quarter,
        quarter,
        0,
    )
    check_faults_happened(emu, "lost" if chunk == 100 else "any")  # 1,000: a few writes only


# -- label sync -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop_after", "slow_after", "all"])
def test_label_sync_returns_the_right_type_ids_after_lost_answers(emu, kind):
    """Creates (single and paired), an update and a prune, with the answers of applied writes lost: the creates
    adopt their labels (409), the delete is done (404), and every type id pushed downstream is HubSpot's."""
    emu.create_label("contacts", "companies", "legacy", "Legacy")
    emu.create_label("contacts", "companies", "renamed", "Old text")
    definitions = [
        {"from_object_type": "contacts", "to_object_type": "companies", "name": "billing", "label": "Billing"},
        {
            "from_object_type": "contacts",
            "to_object_type": "companies",
            "name": "manager",
            "label": "Manager",
            "inverse_label": "Employee",
        },
        {"from_object_type": "deals", "to_object_type": "contacts", "name": "decider", "label": "Decider"},
        {
            "from_object_type": "contacts",
            "to_object_type": "companies",
            "name": "renamed",
            "label": "New text",
            "previous_labels": ["Old text"],
        },
    ]
    knobs = LABEL_FAULTS if kind == "all" else {f"fault_{kind}": 0.6}
    emu.configure(seed=17, fault_endpoints=["labels.create", "labels.update", "labels.delete"], **knobs)
    ti = FakeTI()
    ids = HubSpotSyncLabelsOperator(task_id="labels", definitions=definitions, prune=True, hook_params=HOOK).execute(
        {"ti": ti}
    )
    calm(emu)

    def user(f: str, t: str) -> dict[str, int]:
        return {x["label"]: x["typeId"] for x in emu.labels(f, t) if x["category"] == "USER_DEFINED"}

    assert user("contacts", "companies") == {
        "Billing": ids["billing"],
        "Manager": ids["manager"],
        "New text": ids["renamed"],
    }
    assert user("companies", "contacts") == {
        "Billing": ids["billing"],
        "Employee": ti.pushed["inverse_type_ids"]["manager"],
        "New text": ids["renamed"],
    }
    assert user("deals", "contacts") == {"Decider": ids["decider"]}
    check_faults_happened(emu, "lost")
