"""Every API version HubSpot's spec collection publishes, each with the status codes its spec documents; window
headers on every answer; the batch fast path writes exactly what the per-pair rules write."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

import pytest
import requests
from emulator_helpers import Client, pair, spec

from airflow_provider_hubassoc.emulator._app import Request

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

#: version -> (batch/create ok, create/read with errors, config create ok, config create/update with errors,
#: archive/labels archive/purge), as each rollout's spec lists them (130902: v4, 2025-09, 2026-03; 321895:
#: 2026-09 GA and 2026-09-beta; the March-2026 draft's 200-only 2026-09 is superseded, reference §20.10)
DOCUMENTED = {
    "v4": (201, 207, 201, 207, 204),
    "2025-09": (201, 207, 200, 200, 200),
    "2026-03": (201, 207, 201, 207, 200),
    "2026-09": (201, 207, 201, 207, 200),
    "2026-09-beta": (201, 207, 201, 207, 200),
}


@pytest.fixture
def client(hubspot_emulator: HubSpotEmulator) -> Client:
    return Client(hubspot_emulator)


def _assoc(version: str) -> str:
    return f"/crm/associations/{version}"


def _versions(*versions: str) -> list[object]:
    """The versions as parameters, v4 (a retiring version, reference §20.1) marked ``legacy_api``."""
    return [pytest.param(v, marks=pytest.mark.legacy_api) if v == "v4" else v for v in versions]


#: the provider's default version (reference §20.3): where no per-version difference is under test
ASSOC = _assoc("2026-09")
OBJECTS = "/crm/objects/2026-09"


@pytest.mark.parametrize("version", _versions(*sorted(DOCUMENTED)))
def test_each_published_version_answers_its_documented_codes(client: Client, version: str) -> None:
    create_ok, partial, limits_ok, limits_partial, archive = DOCUMENTED[version]
    base = f"{_assoc(version)}/contacts/companies"
    assert client.post(f"{base}/batch/create", {"inputs": [pair(1, 2, spec(279))]}).status_code == create_ok
    assert (
        client.post(f"{base}/batch/create", {"inputs": [pair(1, 3, spec(279)), pair(0, 3, spec(279))]}).status_code
        == partial
    )
    read = client.post(f"{base}/batch/read", {"inputs": [{"id": "1"}, {"id": "77"}]})
    assert read.status_code == partial and read.json()["numErrors"] == 1
    limits = f"{_assoc(version)}/definitions/configurations/contacts/companies"
    created = client.post(
        f"{limits}/batch/create", {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 50}]}
    )
    assert created.status_code == limits_ok
    again = client.post(
        f"{limits}/batch/create", {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 50}]}
    )
    assert again.status_code == limits_partial and again.json()["numErrors"] == 1
    missing = client.post(
        f"{limits}/batch/update", {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 1, "maxToObjectIds": 5}]}
    )
    assert missing.status_code == limits_partial
    purged = client.post(f"{limits}/batch/purge", {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]})
    labels_archived = client.post(f"{base}/batch/labels/archive", {"inputs": [pair(1, 2, spec(1))]})
    archived = client.post(f"{base}/batch/archive", {"inputs": [{"from": {"id": "1"}, "to": [{"id": "2"}]}]})
    assert {purged.status_code, labels_archived.status_code, archived.status_code} == {archive}
    assert (archived.content == b"") is (archive == 204)


@pytest.mark.parametrize("version", ["2025-09", "2026-09-beta"])
def test_versions_that_answered_404_are_served(client: Client, hubspot_emulator: HubSpotEmulator, version: str) -> None:
    """Labels, record PUT/GET/DELETE and default associations under the two versions once refused."""
    labels = client.get(f"{_assoc(version)}/contacts/companies/labels")
    assert labels.status_code == 200 and {r["typeId"] for r in labels.json()["results"]} >= {1, 279}
    objects = f"/crm/objects/{version}/contacts/5/associations"
    put = client.put(f"{objects}/companies/6", [spec(279)])
    assert put.status_code == 201 and put.headers["Location"].endswith(
        f"/crm/objects/{version}/0-1/5/associations/0-2/6"
    )
    assert client.put(f"/crm/objects/{version}/contacts/5/associations/default/deals/7").status_code == 200
    assert [r["toObjectId"] for r in client.get(f"{objects}/companies").json()["results"]] == [6]
    assert client.delete(f"{objects}/companies/6").status_code == 204
    assert hubspot_emulator.associations("contacts", 5, "companies") == {}


@pytest.mark.parametrize("version", ["2025-09", "2026-03", "2026-09"])
def test_every_association_endpoint_is_served_at_each_dated_version(
    client: Client, hubspot_emulator: HubSpotEmulator, version: str
) -> None:
    """Each route of the surface, under the version's own prefixes, with the code its spec documents."""
    create_ok, _partial, limits_ok, _limits_partial, archive = DOCUMENTED[version]
    assoc, objects = _assoc(version), f"/crm/objects/{version}/contacts/5/associations"
    labels = f"{assoc}/contacts/companies/labels"
    created = client.post(labels, {"name": "billing", "label": "Billing"})
    type_id = created.json()["results"][0]["typeId"]
    limits = f"{assoc}/definitions/configurations/contacts/companies"
    limit = {"category": "USER_DEFINED", "typeId": type_id, "maxToObjectIds": 5}
    calls = [
        ("labels.list", client.get(labels), 200),
        ("labels.create", created, 200),
        ("labels.update", client.put(labels, {"associationTypeId": type_id, "label": "Billing 2"}), 204),
        (
            "batch.create",
            client.post(f"{assoc}/contacts/companies/batch/create", {"inputs": [pair(5, 6, spec(279))]}),
            create_ok,
        ),
        ("batch.read", client.post(f"{assoc}/contacts/companies/batch/read", {"inputs": [{"id": "5"}]}), 200),
        (
            "batch.associate_default",
            client.post(
                f"{assoc}/contacts/companies/batch/associate/default",
                {"inputs": [{"from": {"id": "5"}, "to": {"id": "7"}}]},
            ),
            200,
        ),
        ("records.put", client.put(f"{objects}/companies/8", [spec(type_id, "USER_DEFINED")]), 201),
        ("records.default", client.put(f"{objects}/default/companies/9"), 200),
        ("records.list", client.get(f"{objects}/companies"), 200),
        (
            "batch.labels_archive",
            client.post(
                f"{assoc}/contacts/companies/batch/labels/archive",
                {"inputs": [pair(5, 8, spec(type_id, "USER_DEFINED"))]},
            ),
            archive,
        ),
        (
            "batch.archive",
            client.post(
                f"{assoc}/contacts/companies/batch/archive", {"inputs": [{"from": {"id": "5"}, "to": [{"id": "6"}]}]}
            ),
            archive,
        ),
        ("records.delete", client.delete(f"{objects}/companies/7"), 204),
        ("limits.create", client.post(f"{limits}/batch/create", {"inputs": [limit]}), limits_ok),
        ("limits.update", client.post(f"{limits}/batch/update", {"inputs": [{**limit, "maxToObjectIds": 6}]}), 200),
        ("limits.list", client.get(limits), 200),
        ("limits.all", client.get(f"{assoc}/definitions/configurations/all"), 200),
        (
            "limits.purge",
            client.post(f"{limits}/batch/purge", {"inputs": [{"category": "USER_DEFINED", "typeId": type_id}]}),
            archive,
        ),
        ("usage.report", client.post(f"{assoc}/usage/high-usage-report/77"), 200),
        ("labels.delete", client.delete(f"{labels}/{type_id}"), 204),
    ]
    assert [(name, r.status_code) for name, r, _ in calls] == [(name, code) for name, _, code in calls]
    assert set(hubspot_emulator.counters()) == {name for name, _, _ in calls}
    assert sorted(hubspot_emulator.associations("contacts", 5, "companies")) == [8, 9]
    assert client.get(f"{objects}/companies").json()["results"][0]["toObjectId"] == 8


@pytest.mark.parametrize("version", _versions("v4", "2025-09", "2026-03", "2026-09"))
def test_paging_is_present_only_while_more_pages_follow(
    client: Client, hubspot_emulator: HubSpotEmulator, version: str
) -> None:
    """2026-09 GA: "The 'paging' field will only be present if there are more pages and absent otherwise"
    (§20.3); v4 and the earlier dated specs page the same way."""
    hubspot_emulator.configure(batch_read_page_size=2)
    for to_id in (11, 12, 13):
        hubspot_emulator.associate("contacts", 5, "companies", to_id)
    hubspot_emulator.associate("contacts", 6, "companies", 21)
    objects = "/crm/v4/objects" if version == "v4" else f"/crm/objects/{version}"
    first = client.get(f"{objects}/contacts/5/associations/companies", params={"limit": 2}).json()
    after = first["paging"]["next"]["after"]
    last = client.get(f"{objects}/contacts/5/associations/companies", params={"limit": 2, "after": after}).json()
    assert [r["toObjectId"] for r in last["results"]] == [13] and "paging" not in last
    whole = client.get(f"{objects}/contacts/5/associations/companies", params={"limit": 3}).json()
    assert len(whole["results"]) == 3 and "paging" not in whole
    read = f"{_assoc(version)}/contacts/companies/batch/read"
    results = {r["from"]["id"]: r for r in client.post(read, {"inputs": [{"id": "5"}, {"id": "6"}]}).json()["results"]}
    assert "paging" in results["5"] and "paging" not in results["6"]
    cursor = results["5"]["paging"]["next"]["after"]
    (tail,) = client.post(read, {"inputs": [{"id": "5", "after": cursor}]}).json()["results"]
    assert [t["toObjectId"] for t in tail["to"]] == [13] and "paging" not in tail


@pytest.mark.parametrize("version", ["2025-03", "2026-13", "2027-03-beta", "2026-03-beta", "v5"])
def test_unpublished_versions_are_404(client: Client, version: str) -> None:
    assert client.get(f"{_assoc(version)}/contacts/companies/labels").status_code == 404


@pytest.mark.parametrize("fault", ["fault_500", "fault_503", "fault_429"])
def test_window_headers_on_injected_faults(hubspot_emulator: HubSpotEmulator, client: Client, fault: str) -> None:
    """HubSpot sends the X-HubSpot-RateLimit-* headers with its errors too; a fault is not counted (§12.3)."""
    hubspot_emulator.configure(requests_per_10_seconds=40, daily_limit=1000)
    path = f"{ASSOC}/contacts/companies/labels"
    before = client.get(path).headers
    hubspot_emulator.configure(**{fault: 1.0})
    faulted = client.get(path)
    assert faulted.status_code == int(fault[-3:])
    for name in (
        "Interval-Milliseconds",
        "Max",
        "Remaining",
        "Secondly",
        "Secondly-Remaining",
        "Daily",
        "Daily-Remaining",
    ):
        assert f"X-HubSpot-RateLimit-{name}" in faulted.headers, name
    assert faulted.headers["X-HubSpot-RateLimit-Max"] == "40"
    assert faulted.headers["X-HubSpot-RateLimit-Remaining"] == before["X-HubSpot-RateLimit-Remaining"]
    assert faulted.headers["X-HubSpot-RateLimit-Daily-Remaining"] == before["X-HubSpot-RateLimit-Daily-Remaining"]


def test_window_headers_on_faults_for_oauth_calls_leave_out_the_daily_ones(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.oauth_client("client-9", "secret-9", "refresh-9")
    form = {
        "grant_type": "refresh_token",
        "client_id": "client-9",
        "client_secret": "secret-9",
        "refresh_token": "refresh-9",
    }
    token = requests.post(f"{hubspot_emulator.base_url}/oauth/2026-03/token", data=form, timeout=10).json()[
        "access_token"
    ]
    hubspot_emulator.configure(
        requests_per_10_seconds=40, daily_limit=1000, fault_503=1.0, fault_endpoints=["labels.list"]
    )
    faulted = Client(hubspot_emulator, token=token).get(f"{ASSOC}/contacts/companies/labels")
    assert faulted.status_code == 503
    assert faulted.headers["X-HubSpot-RateLimit-Max"] == "40"
    assert "X-HubSpot-RateLimit-Daily" not in faulted.headers
    assert "X-HubSpot-RateLimit-Daily-Remaining" not in faulted.headers


@pytest.mark.parametrize(
    ("semantics", "from_type", "to_type", "unlabeled", "primary"),
    [
        ("replace", "contacts", "companies", 279, 1),
        ("merge", "contacts", "companies", 279, 1),
        ("replace", "companies", "contacts", 280, 2),
        ("merge", "deals", "contacts", 3, None),
    ],
)
def test_batch_create_writes_what_record_puts_write(
    hubspot_emulator: HubSpotEmulator,
    client: Client,
    semantics: str,
    from_type: str,
    to_type: str,
    unlabeled: int,
    primary: int | None,
) -> None:
    """The batch fast path against the per-pair rules: one seeded mix of new and existing pairs, repeated
    pairs, labels, primary and unlabeled types, invalid ids; same account state and same labels per result."""
    hubspot_emulator.configure(label_write_semantics=semantics)
    label = hubspot_emulator.create_label(from_type, to_type, "billing", "Billing")[0]["typeId"]
    user = spec(label, "USER_DEFINED")
    choices = [[spec(unlabeled)], [user], [spec(unlabeled), user], [], *([[spec(primary)]] if primary else [])]
    rng = random.Random(7)
    rounds = [
        [
            pair(
                rng.choice([rng.randint(1, 6), 0]) if rng.random() < 0.05 else rng.randint(1, 6),
                rng.randint(1, 4),
                *rng.choice(choices),
            )
            for _ in range(40)
        ]
        for _ in range(3)
    ]
    batch_labels = []
    for inputs in rounds:
        body = client.post(f"{ASSOC}/{from_type}/{to_type}/batch/create", {"inputs": inputs}).json()
        batch_labels.append(sorted((r["fromObjectId"], r["toObjectId"], tuple(r["labels"])) for r in body["results"]))
    by_batch = hubspot_emulator.dump()["associations"]

    hubspot_emulator.reset()
    hubspot_emulator.configure(label_write_semantics=semantics)
    assert hubspot_emulator.create_label(from_type, to_type, "billing", "Billing")[0]["typeId"] == label
    put_labels = []
    for inputs in rounds:
        seen = []
        for item in inputs:
            from_id, to_id = item["from"]["id"], item["to"]["id"]
            if not item["types"] or from_id == "0":
                continue
            # the per-pair rules, in-process (no HTTP round trip per pair): the record PUT handler
            answer = hubspot_emulator.app.handle(
                Request(
                    "PUT",
                    f"{OBJECTS}/{from_type}/{from_id}/associations/{to_type}/{to_id}",
                    headers={"authorization": f"Bearer {hubspot_emulator.token}"},
                    body=json.dumps(item["types"]).encode(),
                )
            )
            assert answer.status == 201
            seen.append((int(from_id), int(to_id), tuple(answer.body["labels"])))
        put_labels.append(sorted(seen))
    assert hubspot_emulator.dump()["associations"] == by_batch
    assert put_labels == batch_labels


def test_latency_and_jitter_apply_to_the_batch_fast_path(hubspot_emulator: HubSpotEmulator, client: Client) -> None:
    """The encoded fast-path answers still wait ``latency + jitter * draw`` (seeded: the same draws again)."""
    app = hubspot_emulator.app
    headers = {"authorization": f"Bearer {hubspot_emulator.token}"}
    body = json.dumps({"inputs": [pair(i, 1, spec(279)) for i in range(1, 4)]}).encode()

    def delays() -> list[float]:
        app.configure(seed=11)
        return [
            app.handle(Request("POST", f"{ASSOC}/contacts/companies/batch/create", headers=headers, body=body)).delay
            for _ in range(3)
        ]

    hubspot_emulator.configure(latency=0.25, jitter=0.5)
    first = delays()
    assert first == delays()
    assert all(0.25 <= d <= 0.75 for d in first) and len(set(first)) == 3
    hubspot_emulator.configure(latency=1.0, jitter=0.0)
    with pytest.raises(requests.ReadTimeout):  # over HTTP the server really waits before answering
        client.session.post(
            f"{client.base}{ASSOC}/contacts/companies/batch/associate/default",
            json={"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}}]},
            timeout=0.3,
        )
