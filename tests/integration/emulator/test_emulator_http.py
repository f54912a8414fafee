"""Auth, rate limits, fault injection, path prefixes, admin API, CLI and fixtures of the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import requests
from emulator_helpers import Client, pair, spec

from airflow_provider_hubassoc.emulator import HubSpotEmulator

#: the provider's default version (reference §20.3); none of these behaviours differs between versions
ASSOC = "/crm/associations/2026-09"
OBJECTS = "/crm/objects/2026-09"


@pytest.fixture
def client(hubspot_emulator: HubSpotEmulator) -> Client:
    return Client(hubspot_emulator)


# ---------------------------------------------------------------------------------------------- auth
def test_missing_or_wrong_token_is_401_invalid_authentication(hubspot_emulator: HubSpotEmulator) -> None:
    """401 body as widely captured: INVALID_AUTHENTICATION, "Authentication credentials not found..." (§11.2)."""
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = requests.get(
            f"{hubspot_emulator.base_url}{ASSOC}/contacts/companies/labels", headers=headers, timeout=10
        )
        assert response.status_code == 401
        body = response.json()
        assert body["category"] == "INVALID_AUTHENTICATION"
        assert body["message"].startswith("Authentication credentials not found.")
        assert body["status"] == "error" and body["correlationId"]
        assert response.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]


def test_oauth_refresh_grant_issues_short_lived_tokens(hubspot_emulator: HubSpotEmulator) -> None:
    """Refresh-token grant at POST /oauth/2026-03/token (form-encoded) returns token_type, refresh_token,
    access_token, expires_in, token_use, hub_id, scopes; invalid refresh tokens get invalid_grant /
    BAD_REFRESH_TOKEN (§13, §20.5)."""
    hubspot_emulator.oauth_client("client-1", "secret-1", "refresh-1")
    hubspot_emulator.configure(oauth_token_lifetime=120)
    form = {
        "grant_type": "refresh_token",
        "client_id": "client-1",
        "client_secret": "secret-1",
        "refresh_token": "refresh-1",
    }
    issued = requests.post(f"{hubspot_emulator.base_url}/oauth/2026-03/token", data=form, timeout=10)
    assert issued.status_code == 200
    token = issued.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 120 and token["refresh_token"] == "refresh-1"
    assert token["token_use"] == "access_token" and token["hub_id"] == 1 and token["scopes"]
    oauth = Client(hubspot_emulator, token=token["access_token"])
    labels = oauth.get(f"{ASSOC}/contacts/companies/labels")
    assert labels.status_code == 200
    assert "X-HubSpot-RateLimit-Daily" not in labels.headers  # not sent for OAuth-authorised calls (§12.3)
    assert labels.headers["X-HubSpot-RateLimit-Max"] == "100"
    bad = requests.post(
        f"{hubspot_emulator.base_url}/oauth/2026-03/token", data={**form, "refresh_token": "x"}, timeout=10
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant" and bad.json()["status"] == "BAD_REFRESH_TOKEN"


@pytest.mark.legacy_api
def test_oauth_v3_token_path_answers_like_2026_03(hubspot_emulator: HubSpotEmulator) -> None:
    """``/oauth/v3/token`` has the 2026-03 schemas (reference §20.5); HubSpot retires v1-v3 in September 2027."""
    hubspot_emulator.oauth_client("client-1", "secret-1", "refresh-1")
    form = {"grant_type": "refresh_token", "client_id": "client-1", "client_secret": "secret-1"}
    bad = requests.post(f"{hubspot_emulator.base_url}/oauth/v3/token", data={**form, "refresh_token": "x"}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant" and bad.json()["status"] == "BAD_REFRESH_TOKEN"
    v3 = requests.post(
        f"{hubspot_emulator.base_url}/oauth/v3/token", data={**form, "refresh_token": "refresh-1"}, timeout=10
    ).json()
    assert "hub_id" in v3 and "scopes" in v3


def test_expired_oauth_token_is_401(hubspot_emulator: HubSpotEmulator) -> None:
    """Access tokens expire after their lifetime (30 min at HubSpot; a knob here) and are then refused."""
    hubspot_emulator.oauth_client("client-1", "secret-1", "refresh-1")
    hubspot_emulator.configure(oauth_token_lifetime=0)
    token = requests.post(
        f"{hubspot_emulator.base_url}/oauth/2026-03/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "client_id": "client-1",
            "client_secret": "secret-1",
            "refresh_token": "refresh-1",
        },
    ).json()
    response = Client(hubspot_emulator, token=token["access_token"]).get(f"{ASSOC}/contacts/companies/labels")
    assert response.status_code == 401
    assert response.json()["category"] == "EXPIRED_AUTHENTICATION"


# ---------------------------------------------------------------------------------------------- rate limits
def test_ten_second_window_headers_and_429_body(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """X-HubSpot-RateLimit-* headers on responses; 429 body names TEN_SECONDLY_ROLLING (§12.3)."""
    hubspot_emulator.configure(requests_per_10_seconds=3, retry_after=2)
    remaining = [
        client.get(f"{ASSOC}/contacts/companies/labels").headers["X-HubSpot-RateLimit-Remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    refused = client.get(f"{ASSOC}/contacts/companies/labels")
    assert refused.status_code == 429
    body = refused.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert set(body) == {"status", "message", "errorType", "correlationId", "policyName", "requestId"}
    assert refused.headers["Retry-After"] == "2"
    assert refused.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert refused.headers["X-HubSpot-RateLimit-Daily-Remaining"]


def test_windows_are_per_token(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "The burst limit is per app; the daily limit is shared by all apps in the account" (§12.2)."""
    hubspot_emulator.configure(requests_per_10_seconds=1, daily_limit=3)
    hubspot_emulator.add_token("second-token")
    other = Client(hubspot_emulator, token="second-token")
    assert client.get(f"{ASSOC}/contacts/companies/labels").status_code == 200
    assert other.get(f"{ASSOC}/contacts/companies/labels").status_code == 200
    assert client.get(f"{ASSOC}/contacts/companies/labels").json()["policyName"] == "TEN_SECONDLY_ROLLING"
    hubspot_emulator.configure(requests_per_10_seconds=None)
    assert client.get(f"{ASSOC}/contacts/companies/labels").status_code == 200
    daily = other.get(f"{ASSOC}/contacts/companies/labels")
    assert daily.status_code == 429
    assert daily.json()["policyName"] == "DAILY" and daily.json()["message"] == "You have reached your daily limit."
    assert "Retry-After" not in daily.headers


def test_unlimited_sends_no_window_headers(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    response = client.get(f"{ASSOC}/contacts/companies/labels")
    assert response.status_code == 200
    assert not [h for h in response.headers if h.lower().startswith("x-hubspot-ratelimit")]


# ---------------------------------------------------------------------------------------------- faults
def _statuses(client: Client, count: int) -> list[int | str]:
    out: list[int | str] = []
    for _ in range(count):
        try:
            out.append(client.get(f"{ASSOC}/contacts/companies/labels").status_code)
        except requests.ConnectionError:  # noqa: PERF203 - each request's outcome is recorded
            out.append("dropped")
            client.session.close()
    return out


def test_faults_are_deterministic_with_a_seed(hubspot_emulator: HubSpotEmulator) -> None:
    """Same seed, same request order -> same faults, so a failing test can be replayed."""
    knobs = {
        "fault_500": 0.1,
        "fault_502": 0.1,
        "fault_503": 0.1,
        "fault_429": 0.1,
        "fault_drop": 0.1,
        "requests_per_10_seconds": None,
    }
    runs = []
    for _ in range(2):
        hubspot_emulator.reset(seed=42)
        hubspot_emulator.configure(**knobs)
        runs.append(_statuses(Client(hubspot_emulator), 60))
    assert runs[0] == runs[1]
    assert {500, 502, 503, 429, "dropped", 200} <= set(runs[0])
    counted = hubspot_emulator.counters()["labels.list"]
    assert counted["dropped"] == runs[1].count("dropped")
    assert sum(counted.values()) == 60
    # re-seeding through the admin API replays too, without a reset
    assert requests.post(f"{hubspot_emulator.base_url}/_emulator/config", json={"seed": 42}, timeout=10).ok
    assert _statuses(Client(hubspot_emulator), 60) == runs[0]


def test_faults_only_on_chosen_endpoints(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(fault_503=1.0, fault_endpoints=["batch.read", r"/labels$"])
    assert client.get(f"{ASSOC}/contacts/companies/labels").status_code == 503
    assert client.post(f"{ASSOC}/contacts/companies/batch/read", {"inputs": [{"id": "1"}]}).status_code == 503
    assert client.put(f"{OBJECTS}/contacts/1/associations/companies/2", [spec(279)]).status_code == 201
    # an injected fault changes nothing
    hubspot_emulator.configure(fault_503=1.0, fault_endpoints=["batch.create"])
    assert client.post(f"{ASSOC}/contacts/deals/batch/create", {"inputs": [pair(1, 2, spec(4))]}).status_code == 503
    assert hubspot_emulator.associations("contacts", 1, "deals") == {}


def test_injected_429_has_hubspot_body(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(fault_429=1.0, retry_after=1)
    response = client.get(f"{ASSOC}/contacts/companies/labels")
    assert response.status_code == 429
    assert response.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert response.headers["Retry-After"] == "1"


def test_slow_responses_exceed_client_timeout(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """A slow fault answers only after ``slow_seconds``: a client with a shorter read timeout gives up."""
    hubspot_emulator.configure(fault_slow=1.0, slow_seconds=1.5)
    with pytest.raises(requests.ReadTimeout):
        client.session.get(f"{client.base}{ASSOC}/contacts/companies/labels", timeout=0.2)


def test_applied_then_answer_lost_faults(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """``fault_drop_after`` / ``fault_slow_after``: the write is applied, then its answer is lost (connection
    closed, or held past the client's read timeout); reads are answered as usual."""
    hubspot_emulator.configure(fault_drop_after=1.0)
    assert client.get(f"{ASSOC}/contacts/companies/labels").status_code == 200  # a read: not faulted
    with pytest.raises(requests.ConnectionError):
        client.post(f"{ASSOC}/contacts/deals/batch/create", {"inputs": [pair(1, 2, spec(4))]})
    assert [t["typeId"] for t in hubspot_emulator.associations("contacts", 1, "deals")[2]] == [4]
    assert hubspot_emulator.counters()["batch.create"] == {"dropped after 201": 1}
    hubspot_emulator.configure(fault_drop_after=0.0, fault_slow_after=1.0, slow_seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        client.session.put(f"{client.base}{OBJECTS}/contacts/3/associations/deals/4", json=[spec(4)], timeout=0.2)
    assert 4 in hubspot_emulator.associations("contacts", 3, "deals")
    with pytest.raises(ValueError, match="must not exceed 1"):
        hubspot_emulator.configure(fault_slow_after=0.6, fault_drop_after=0.6)


def test_invalid_knobs_are_refused(hubspot_emulator: HubSpotEmulator) -> None:
    with pytest.raises(ValueError, match="unknown emulator knob"):
        hubspot_emulator.configure(no_such_knob=1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        hubspot_emulator.configure(fault_500=2)
    with pytest.raises(ValueError, match="label_write_semantics"):
        hubspot_emulator.configure(label_write_semantics="append")
    assert hubspot_emulator.config["fault_500"] == 0.0


# ---------------------------------------------------------------------------------------------- prefixes
@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("/crm/v4/associations", marks=pytest.mark.legacy_api),
        pytest.param("/crm/associations/v4", marks=pytest.mark.legacy_api),
        "/crm/associations/2026-03",
        "/crm/associations/2026-09",
        "/crm/associations/2027-03",
    ],
)
def test_association_prefixes(client: Client, prefix: str) -> None:
    """Every prefix HubSpot serves: v4, the spec's /crm/associations/v4 alias, dated versions >= 2026-03 (§6, §10)."""
    created = client.post(f"{prefix}/contacts/companies/labels", {"name": "billing", "label": "Billing"})
    assert created.status_code == 200
    listed = client.get(f"{prefix}/contacts/companies/labels").json()["results"]
    assert "Billing" in {r["label"] for r in listed}


@pytest.mark.legacy_api
def test_dated_archive_returns_200_with_body(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "In the dated specs batch/archive, batch/labels/archive and configurations purge return 200 with a
    BatchResponse body instead of 204" (§10)."""
    hubspot_emulator.associate("contacts", 1, "companies", 2)
    response = client.post(
        "/crm/associations/2026-03/contacts/companies/batch/archive",
        {"inputs": [{"from": {"id": "1"}, "to": [{"id": "2"}]}]},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "COMPLETE"
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}
    v4 = client.post(
        "/crm/v4/associations/contacts/companies/batch/archive",
        {"inputs": [{"from": {"id": "1"}, "to": [{"id": "2"}]}]},
    )
    assert v4.status_code == 204 and v4.content == b""


def test_dated_2026_09_ga_answers_201_and_207(client: Client) -> None:
    """The GA 2026-09 spec has 201/207 on batch/create and 200/207 on batch/read (§20.3); the March draft's
    "only 200 (no 207)" (§10) is superseded (§20.10)."""
    dated = "/crm/associations/2026-09/contacts/companies"
    assert client.post(f"{dated}/batch/create", {"inputs": [pair(1, 2, spec(279))]}).status_code == 201
    assert client.post(f"{dated}/batch/read", {"inputs": [{"id": "1"}]}).status_code == 200
    assert client.post(f"{dated}/batch/read", {"inputs": [{"id": "1"}, {"id": "5"}]}).status_code == 207
    assert (
        client.post(
            "/crm/associations/2026-03/contacts/companies/batch/read", {"inputs": [{"id": "1"}, {"id": "5"}]}
        ).status_code
        == 207
    )


def test_dated_record_endpoints(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    response = client.put("/crm/objects/2026-03/line_items/7791176460/associations/default/deals/14795354663")
    assert response.status_code == 200
    ids = {(r["from"]["id"], r["associationSpec"]["associationTypeId"]) for r in response.json()["results"]}
    assert ids == {("7791176460", 20), ("14795354663", 19)}


@pytest.mark.parametrize(
    "path",
    [
        "/crm/associations/2025-03/contacts/companies/labels",
        "/crm/associations/2026-13/contacts/companies/labels",
        "/crm/v5/associations/contacts/companies/labels",
    ],
)
def test_unknown_versions_are_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


# ---------------------------------------------------------------------------------------------- admin API
def test_admin_api(hubspot_emulator: HubSpotEmulator) -> None:
    """Admin endpoints under /_emulator/ need no token (loopback only by default)."""
    base = f"{hubspot_emulator.base_url}/_emulator"
    assert requests.post(f"{base}/config", json={"auto_records": False}, timeout=10).json()["auto_records"] is False
    assert requests.post(f"{base}/records", json={"objectType": "contacts", "ids": [5]}, timeout=10).ok
    assert requests.post(f"{base}/records", json={"objectType": "companies", "ids": [6]}, timeout=10).ok
    label = requests.post(
        f"{base}/labels",
        timeout=10,
        json={"fromObjectType": "contacts", "toObjectType": "companies", "name": "owner", "label": "Owner"},
    ).json()
    type_id = label["results"][0]["typeId"]
    assert requests.post(
        f"{base}/associations",
        timeout=10,
        json={
            "fromObjectType": "contacts",
            "fromObjectId": 5,
            "toObjectType": "companies",
            "toObjectId": 6,
            "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": type_id}],
        },
    ).ok
    Client(hubspot_emulator).get(f"{ASSOC}/contacts/companies/labels")
    state = requests.get(f"{base}/state", timeout=10).json()
    assert state["records"] == {"0-1": [5], "0-2": [6]}
    assert {"category": "USER_DEFINED", "typeId": type_id} in state["associations"][0]["types"]
    assert requests.get(f"{base}/counters", timeout=10).json() == {"labels.list": {"200": 1}}
    assert requests.post(f"{base}/reset", json={}, timeout=10).ok
    assert hubspot_emulator.dump()["associations"] == []
    assert requests.post(f"{base}/config", json={"fault_500": 5}, timeout=10).status_code == 400
    assert requests.get(f"{base}/nothing", timeout=10).status_code == 404


def test_fixture_file_seeds_state(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.load_fixture(
        {
            "records": {"deals": [1]},
            "labels": [
                {
                    "fromObjectType": "deals",
                    "toObjectType": "contacts",
                    "name": "buyer",
                    "label": "Buyer",
                    "inverseLabel": "Bought",
                }
            ],
            "associations": [
                {
                    "fromObjectType": "deals",
                    "fromObjectId": 1,
                    "toObjectType": "contacts",
                    "toObjectId": 2,
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
                }
            ],
            "oauthClients": [{"clientId": "c", "clientSecret": "s", "refreshToken": "r"}],
            "tokens": ["another"],
        }
    )
    assert hubspot_emulator.associations("deals", 1, "contacts") == {
        2: [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]
    }
    assert Client(hubspot_emulator, token="another").get(f"{ASSOC}/deals/contacts/labels").status_code == 200


def test_repr_hides_token() -> None:
    emulator = HubSpotEmulator(token="super-secret-token")
    with emulator:
        assert "super-secret-token" not in repr(emulator)


# ---------------------------------------------------------------------------------------------- fixtures, CLI
def test_connection_fixture_points_airflow_at_emulator(
    hubspot_connection: str, hubspot_emulator: HubSpotEmulator
) -> None:
    from airflow.models.connection import Connection

    connection = Connection.get_connection_from_secrets(hubspot_connection)
    assert connection.conn_type == "hubspot"
    assert connection.host == hubspot_emulator.base_url
    assert connection.password == hubspot_emulator.token
    raw = json.loads(os.environ["AIRFLOW_CONN_HUBSPOT_DEFAULT"])
    assert raw["host"] == hubspot_emulator.base_url


def test_connection_env_extras(hubspot_emulator: HubSpotEmulator) -> None:
    env = hubspot_emulator.airflow_connection_env("my_hub", api_version="2026-03")
    assert json.loads(env["AIRFLOW_CONN_MY_HUB"])["extra"] == {"api_version": "2026-03"}


def test_serves_32_concurrent_keep_alive_connections(hubspot_emulator: HubSpotEmulator) -> None:
    """All 32 clients are connected at once (a barrier holds them) and each gets its answers."""
    hubspot_emulator.configure(requests_per_10_seconds=None)
    barrier = threading.Barrier(32)
    results: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        client = Client(hubspot_emulator)
        first = client.put(f"{OBJECTS}/contacts/{n + 1}/associations/companies/1", [spec(279)]).status_code
        barrier.wait(timeout=60)
        second = client.get(f"{OBJECTS}/contacts/{n + 1}/associations/companies").status_code
        with lock:
            results.extend([first, second])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [200] * 32 + [201] * 32
    assert len(hubspot_emulator.associations("companies", 1, "contacts")) == 32


def test_cli_serves_and_prints_url(tmp_path: pytest.TempPathFactory) -> None:
    fixture = tmp_path / "fixture.json"  # type: ignore[operator]
    fixture.write_text(json.dumps({"records": {"contacts": [1]}}))
    options = ("--no-auto-records", "--fixture", str(fixture), "--requests-per-10-seconds", "0")
    with HubSpotEmulator.spawn(*options, token="cli-token") as process:
        first = process.banner[0].strip()
        assert first.startswith("HubSpot emulator listening on http://127.0.0.1:")
        base = first.rsplit(" ", 1)[1]
        assert process.banner[1].strip() == "token: cli-token"
        assert process.base_url == base
        headers = {"Authorization": "Bearer cli-token"}
        ok = requests.put(
            f"{base}{OBJECTS}/contacts/1/associations/contacts/1", json=[spec(449)], headers=headers, timeout=10
        )
        assert ok.status_code == 201
        missing = requests.put(
            f"{base}{OBJECTS}/contacts/1/associations/contacts/2", json=[spec(449)], headers=headers, timeout=10
        )
        assert missing.status_code == 400
        config = requests.get(f"{base}/_emulator/config", timeout=10).json()
        assert config["requests_per_10_seconds"] is None and config["auto_records"] is False
    assert process.process.poll() is not None  # stopped on exit


def test_cli_help_lists_every_knob() -> None:
    from airflow_provider_hubassoc.emulator import EmulatorConfig

    text = subprocess.run(
        [sys.executable, "-m", "airflow_provider_hubassoc.emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in EmulatorConfig.knob_names():
        assert "--" + name.replace("_", "-") in text


def test_emulator_does_not_import_airflow_or_the_hook() -> None:
    code = (
        "import sys, airflow_provider_hubassoc.emulator.__main__; "
        "bad = [m for m in sys.modules if m == 'airflow' or m.startswith('airflow.') "
        "or m.startswith('airflow_provider_hubassoc.hooks')]; print(bad)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


@pytest.mark.legacy_api
def test_verbose_log_leaves_out_query_strings(capsys: pytest.CaptureFixture[str]) -> None:
    """Secrets never reach logs: OAuth v1 took ``refresh_token``/``client_secret`` as query parameters (the old
    path on purpose: the 2026-03 one refuses them, after logging the request all the same)."""
    with HubSpotEmulator(verbose=True, oauth_v1_enabled=True) as emulator:
        emulator.oauth_client("c", "very-secret", "refresh-secret")
        requests.post(
            f"{emulator.base_url}/oauth/v1/token?grant_type=refresh_token&client_id=c"
            "&client_secret=very-secret&refresh_token=refresh-secret",
            timeout=10,
        )
        refused = requests.post(
            f"{emulator.base_url}/oauth/2026-03/token?client_secret=very-secret&refresh_token=refresh-secret",
            timeout=10,
        )
        assert refused.status_code == 400
    logged = capsys.readouterr().err
    assert "/oauth/v1/token" in logged and "/oauth/2026-03/token" in logged
    assert "very-secret" not in logged and "refresh-secret" not in logged


def test_reset_forgets_oauth_installs_and_extra_tokens(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.add_token("extra")
    hubspot_emulator.oauth_client("c", "s", "r")
    hubspot_emulator.reset()
    assert Client(hubspot_emulator, token="extra").get(f"{ASSOC}/contacts/companies/labels").status_code == 401
    refused = requests.post(
        f"{hubspot_emulator.base_url}/oauth/2026-03/token",
        timeout=10,
        data={"grant_type": "refresh_token", "client_id": "c", "client_secret": "s", "refresh_token": "r"},
    )
    assert refused.status_code == 400
    assert Client(hubspot_emulator).get(f"{ASSOC}/contacts/companies/labels").status_code == 200


def test_faults_reach_the_token_endpoint(hubspot_emulator: HubSpotEmulator) -> None:
    """Token refresh can be drilled too: faults apply to ``/oauth/2026-03/token`` (name ``oauth.token``)."""
    hubspot_emulator.oauth_client("c", "s", "r")
    hubspot_emulator.configure(fault_503=1.0, fault_endpoints=["oauth.token"])
    form = {"grant_type": "refresh_token", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
    assert requests.post(f"{hubspot_emulator.base_url}/oauth/2026-03/token", data=form, timeout=10).status_code == 503
    assert Client(hubspot_emulator).get(f"{ASSOC}/contacts/companies/labels").status_code == 200
    hubspot_emulator.configure(fault_503=0.0)
    assert requests.post(f"{hubspot_emulator.base_url}/oauth/2026-03/token", data=form, timeout=10).status_code == 200


def test_stop_ends_keep_alive_connections() -> None:
    emulator = HubSpotEmulator().start()
    client = Client(emulator)
    assert client.get(f"{ASSOC}/contacts/companies/labels").status_code == 200
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        client.get(f"{ASSOC}/contacts/companies/labels")


@pytest.mark.legacy_api
def test_revoked_refresh_token_gets_invalid_grant(hubspot_emulator: HubSpotEmulator) -> None:
    """Revoke with the legacy ``DELETE /oauth/v1/refresh-tokens/{token}`` (served with ``oauth_v1_enabled``);
    afterwards "refresh token is invalid, expired or revoked" (§13)."""
    hubspot_emulator.oauth_client("c", "s", "r")
    hubspot_emulator.configure(oauth_v1_enabled=True)
    form = {"grant_type": "refresh_token", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
    base = hubspot_emulator.base_url
    assert requests.post(f"{base}/oauth/v1/token", data=form, timeout=10).status_code == 200
    assert requests.delete(f"{base}/oauth/v1/refresh-tokens/r", timeout=10).status_code == 204
    refused = requests.post(f"{base}/oauth/v1/token", data=form, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["message"] == "refresh token is invalid, expired or revoked"
    assert requests.delete(f"{base}/oauth/v1/refresh-tokens/r", timeout=10).status_code == 404


def test_fixture_argument_and_seed_property(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "state.json"  # type: ignore[operator]
    path.write_text(
        json.dumps(
            {
                "associations": [
                    {"fromObjectType": "tickets", "fromObjectId": 1, "toObjectType": "companies", "toObjectId": 2}
                ]
            }
        )
    )
    with HubSpotEmulator(fixture=str(path), seed=5) as emulator:
        assert emulator.seed == 5
        # the first company of a ticket became its primary (26), next to the unlabeled type (339)
        assert {t["typeId"] for t in emulator.associations("tickets", 1, "companies")[2]} == {26, 339}


def test_write_requests_counts_only_successful_writes(hubspot_emulator: HubSpotEmulator) -> None:
    client = Client(hubspot_emulator)
    client.put(f"{OBJECTS}/contacts/1/associations/companies/2", [spec(279)])
    client.post(f"{ASSOC}/contacts/companies/batch/read", {"inputs": [{"id": "1"}]})
    client.put(f"{OBJECTS}/contacts/1/associations/companies/2", [spec(3, "USER_DEFINED")])  # 400
    client.delete(f"{OBJECTS}/contacts/1/associations/companies/2")
    assert hubspot_emulator.write_requests() == 2
