"""Transport security, one test (or table of tests) per rule, against the emulator over real HTTP:

- no redirect is ever followed (API GET and POST, the OAuth token request; 301/302/303/307/308; to the same host
  and to another host, here a recording server on another port), and a redirected write is not a success;
- the connection's TLS settings apply to API and token requests and ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``
  cannot change them (a real TLS server on 127.0.0.1 with a test CA);
- plain ``http://`` is refused off loopback before any connection, unless ``allow_insecure_http``;
- ``request_timeout`` cuts a trickling (or silent) server at the deadline;
- settings errors (timeouts of 0 or less, bad extras) name the connection id and the field, at first use.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc.exceptions import (
    HubSpotConnectionError,
    HubSpotDeadlineError,
    HubSpotRedirectError,
    HubSpotServerError,
)
from airflow_provider_hubassoc.hooks import _http
from airflow_provider_hubassoc.hooks._http import proxies_for
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

if AIRFLOW_V_3_0_PLUS:
    pass
else:  # pragma: no cover
    pass

pytestmark = pytest.mark.usefixtures("fresh_limiters")

LABELS_PATH = "/crm/associations/2026-09/contacts/companies/labels"
CREATE_PATH = "/crm/associations/2026-09/contacts/companies/batch/create"
TOKEN_PATH = "/oauth/2026-03/token"
CLIENT_SECRET = "csecret-sec-4e1d"
REFRESH_TOKEN = "refresh-sec-9a7b"
REDIRECTS = (301, 302, 303, 307, 308)
CREATE_BODY = {
    "inputs": [
        {
            "from": {"id": "1"},
            "to": {"id": "2"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
        }
    ]
}


# -- another host: a server on another port that records everything it receives ---------------------------------


class Recorder(ThreadingHTTPServer):
    """Answers every request 200 with a plausible token/API body (so a client that followed would think it
    succeeded) and records method, path, headers and body. Optionally TLS with a test CA's certificate."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.received: list[dict[str, Any]] = []
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def everything_received(self) -> str:
        return json.dumps(self.received)


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body.decode("latin-1")}
        )
        payload = json.dumps({"access_token": "from-recorder", "expires_in": 1800, "results": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(server: Recorder) -> Iterator[Recorder]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def other_host() -> Iterator[Recorder]:
    yield from _serve(Recorder())


def transport_for(base_url: str, **settings: Any) -> HubSpotTransport:
    settings.setdefault("requests_per_10_seconds", 1_000_000)
    if "client_id" not in settings:
        settings.setdefault("access_token", "test-token")
    return HubSpotTransport(HubSpotSettings(base_url=base_url, **settings), sleep=lambda s: None, rng=lambda: 0.0)


def oauth_transport(emulator: Any, **settings: Any) -> HubSpotTransport:
    emulator.oauth_client("cid-sec", CLIENT_SECRET, REFRESH_TOKEN)
    return transport_for(
        emulator.base_url, client_id="cid-sec", client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN, **settings
    )


def redirect_to(emulator: Any, other: Recorder, where: str, status: int, endpoints: list[str] | None = None) -> str:
    """Make every request (to ``endpoints``) answer ``status``; return the ``Location`` the client will see."""
    location = "" if where == "same host" else f"{other.url}/collect?from=hubspot"
    emulator.configure(
        fault_redirect=1.0,
        redirect_status=status,
        redirect_location=location,
        fault_endpoints=endpoints or [],
        requests_per_10_seconds=None,
        daily_limit=None,
    )
    return location


def total_served(emulator: Any) -> int:
    return sum(sum(by_status.values()) for by_status in emulator.counters().values())


# -- 1. no redirect is followed --------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["same host", "other host"])
@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize(("method", "path", "body"), [("GET", LABELS_PATH, None), ("POST", CREATE_PATH, CREATE_BODY)])
def test_api_redirect_is_an_error_naming_status_and_location_and_is_not_followed(
    hubspot_emulator, other_host, where, status, method, path, body
) -> None:
    location = redirect_to(hubspot_emulator, other_host, where, status)
    transport = transport_for(hubspot_emulator.base_url, max_retries=3)
    with pytest.raises(HubSpotRedirectError) as raised:
        transport.request(method, path, json=body)
    error = raised.value
    expected = location or f"{hubspot_emulator.base_url}{path}"
    assert (error.status, error.method, error.path, error.location) == (status, method, path, expected)
    assert str(status) in str(error) and f"{method} {path}" in str(error) and expected in str(error)
    # one answer, nothing followed, nothing retried, nothing written, the other host saw nothing
    assert transport.stats.requests_sent == 1 and transport.stats.responses_by_status == {status: 1}
    assert total_served(hubspot_emulator) == 1
    assert other_host.received == []
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}
    assert hubspot_emulator.write_requests() == 0


@pytest.mark.parametrize("where", ["same host", "other host"])
@pytest.mark.parametrize("status", REDIRECTS)
def test_token_request_redirect_sends_no_secret_anywhere(hubspot_emulator, other_host, where, status) -> None:
    """Issue 12: a 307/308 on the token request re-sent the client secret and refresh token to another host."""
    location = redirect_to(hubspot_emulator, other_host, where, status, endpoints=["oauth.token"])
    transport = oauth_transport(hubspot_emulator, max_retries=3)
    with pytest.raises(HubSpotRedirectError) as raised:
        transport.request("GET", LABELS_PATH)
    error = raised.value
    assert (error.status, error.method, error.path) == (status, "POST", TOKEN_PATH)
    assert error.location == (location or f"{hubspot_emulator.base_url}{TOKEN_PATH}")
    assert CLIENT_SECRET not in str(error) and REFRESH_TOKEN not in str(error)
    assert other_host.received == []
    # the emulator saw the one token request and no API call (there is no token to send)
    assert hubspot_emulator.counters() == {"oauth.token": {str(status): 1}}


def test_a_call_that_forgets_allow_redirects_still_cannot_follow(hubspot_emulator, other_host) -> None:
    """``max_redirects = 0`` on the session is the backstop: requests raises before sending to the Location."""
    redirect_to(hubspot_emulator, other_host, "other host", 307)
    transport = transport_for(hubspot_emulator.base_url)
    assert transport.session.max_redirects == 0
    with pytest.raises(requests.TooManyRedirects):
        transport.session.post(
            f"{hubspot_emulator.base_url}{CREATE_PATH}",
            json=CREATE_BODY,
            headers={"Authorization": f"Bearer {hubspot_emulator.token}"},
        )
    assert other_host.received == []


@pytest.mark.parametrize("status", [301, 303, 307])
def test_a_redirected_write_is_not_counted_as_written(hubspot_emulator, hubspot_connection, other_host, status) -> None:
    """Issue 12: a 301/302/303 turned ``POST batch/associate/default`` into a GET and reported succeeded=1."""
    redirect_to(
        hubspot_emulator, other_host, "other host", status, endpoints=["batch.associate_default", "batch.create"]
    )
    hook = HubSpotAssociationsHook(requests_per_10_seconds=1_000_000)
    with pytest.raises(HubSpotRedirectError, match=f"HubSpot {status} on POST .*batch/associate/default"):
        hook.create_associations("contacts", "companies", [(1, 2), (3, 4)])
    operator = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 2], [3, 4]],
        hook_params={"requests_per_10_seconds": 1_000_000},
    )
    with pytest.raises(HubSpotRedirectError, match=str(status)):
        operator.execute({})
    assert hubspot_emulator.write_requests() == 0
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}
    assert hubspot_emulator.associations("contacts", 3, "companies") == {}
    assert other_host.received == []


# -- 2. TLS settings on every request, the environment cannot change them ----------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, Path]:
    """A test CA and a certificate for 127.0.0.1 signed by it (``cryptography`` comes with Airflow)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            )
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("hubassoc test CA", ca_key, "hubassoc test CA", ca_key, True)
    server = certificate("127.0.0.1", server_key, "hubassoc test CA", ca_key, False)
    files = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


@pytest.fixture
def tls_host(tls_files) -> Iterator[Recorder]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_files["cert"], tls_files["key"])
    yield from _serve(Recorder(tls=context))


def tls_oauth_transport(url: str, **settings: Any) -> HubSpotTransport:
    return transport_for(
        url, client_id="cid", client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN, max_retries=0, **settings
    )


def test_ca_bundle_applies_to_token_and_api_requests_whatever_the_environment_says(
    tls_host, tls_files, monkeypatch
) -> None:
    """A bogus ``REQUESTS_CA_BUNDLE`` would fail both requests if requests read it; the connection's wins."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bogus-bundle.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/bogus-bundle.pem")
    transport = tls_oauth_transport(tls_host.url, verify=str(tls_files["ca"]))
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert [(r["method"], r["path"]) for r in tls_host.received] == [("POST", TOKEN_PATH), ("GET", LABELS_PATH)]
    assert tls_host.received[1]["headers"]["Authorization"] == "Bearer from-recorder"


@pytest.mark.parametrize("oauth", [True, False], ids=["token request", "API request"])
def test_the_environment_cannot_loosen_verification(tls_host, tls_files, monkeypatch, oauth) -> None:
    """``REQUESTS_CA_BUNDLE`` naming the CA that signed the server would make verification pass if honoured;
    with verify_ssl on and no ca_bundle, the system CAs decide: the handshake fails, nothing is sent."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files["ca"]))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tls_files["ca"]))
    transport = tls_oauth_transport(tls_host.url) if oauth else transport_for(tls_host.url, max_retries=0)
    with pytest.raises(HubSpotServerError, match=r"TLS|SSLError") as raised:
        transport.request("GET", LABELS_PATH)
    assert not isinstance(raised.value, HubSpotConnectionError)  # not retried: it would fail again
    assert tls_host.received == []


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_ssl_off_is_the_connections_choice_alone(tls_host, monkeypatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bogus-bundle.pem")
    transport = tls_oauth_transport(tls_host.url, verify=False)
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert len(tls_host.received) == 2


def test_environment_proxies_only_for_https_and_never_for_plain_http(hubspot_emulator, other_host, monkeypatch) -> None:
    """A proxy from the environment would see a plain-http request in clear: loopback/insecure http goes direct."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, other_host.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert proxies_for(hubspot_emulator.base_url) == {}
    assert proxies_for("https://api.hubapi.com")["https"] == "http://proxy.internal:3128"
    assert transport_for("https://api.hubapi.com").session.proxies["https"] == "http://proxy.internal:3128"
    monkeypatch.setenv("NO_PROXY", "api.hubapi.com")
    assert "https" not in proxies_for("https://api.hubapi.com")
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    transport = transport_for(hubspot_emulator.base_url)
    assert transport.session.proxies == {} and transport.session.trust_env is False
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert other_host.received == []


# -- 3. plain http:// only to loopback, or with allow_insecure_http --------------------------------------------


# -- 4. a total deadline per request ---------------------------------------------------------------------------


def trickle(emulator: Any, endpoints: list[str] | None = None, interval: float = 0.2) -> None:
    emulator.configure(
        fault_trickle=1.0,
        trickle_interval=interval,
        fault_endpoints=endpoints or [],
        requests_per_10_seconds=None,
        daily_limit=None,
    )


def test_a_trickling_body_is_cut_at_the_deadline(hubspot_emulator) -> None:
    """Issue 12: one byte every 0.5 s held a read_timeout=1 call for 11.6 s. Each byte here comes well within the
    read timeout, so only the deadline can end the call: the body (~300 bytes) would take a minute."""
    trickle(hubspot_emulator)
    transport = transport_for(hubspot_emulator.base_url, read_timeout=2, request_timeout=1, max_retries=0)
    started = time.monotonic()
    with pytest.raises(HubSpotDeadlineError, match=r"request_timeout=1s") as raised:
        transport.request("GET", LABELS_PATH)
    elapsed = time.monotonic() - started
    assert isinstance(raised.value, HubSpotConnectionError)  # the class of read timeouts: retried for reads
    assert (raised.value.method, raised.value.path) == ("GET", LABELS_PATH)
    assert elapsed < 10  # generous: the cut is at ~1 s; the body alone would take ~60 s


def test_the_deadline_also_bounds_the_wait_for_the_headers(hubspot_emulator) -> None:
    hubspot_emulator.configure(fault_slow=1.0, slow_seconds=10, requests_per_10_seconds=None, daily_limit=None)
    transport = transport_for(hubspot_emulator.base_url, read_timeout=30, request_timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(HubSpotDeadlineError):
        transport.request("GET", LABELS_PATH)
    assert time.monotonic() - started < 5  # generous: cut at ~0.5 s; the answer comes after 10 s


def test_a_deadline_hit_is_retried_for_a_read_and_ambiguous_for_a_write(hubspot_emulator) -> None:
    """The trickled answer is a real one: the write was applied although the client saw no complete answer."""
    trickle(hubspot_emulator)
    transport = transport_for(hubspot_emulator.base_url, read_timeout=2, request_timeout=0.5, max_retries=1)
    with pytest.raises(HubSpotDeadlineError):
        transport.request("GET", LABELS_PATH)
    assert transport.stats.retries_by_reason == {
        "HubSpotDeadlineError (/crm/associations/2026-09/contacts/companies/labels)": 1
    }
    hubspot_emulator.configure(fault_endpoints=["batch.create"])
    with pytest.raises(HubSpotDeadlineError):
        transport.request("POST", CREATE_PATH, json=CREATE_BODY, max_retries=0)
    assert 2 in hubspot_emulator.associations("contacts", 1, "companies")


def test_the_token_request_has_the_deadline_too(hubspot_emulator) -> None:
    trickle(hubspot_emulator, endpoints=["oauth.token"])
    transport = oauth_transport(hubspot_emulator, read_timeout=2, request_timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(HubSpotDeadlineError) as raised:
        transport.request("GET", LABELS_PATH)
    assert time.monotonic() - started < 5  # generous: cut at ~0.5 s; the token body alone takes ~14 s
    assert (raised.value.method, raised.value.path) == ("POST", TOKEN_PATH)
    assert CLIENT_SECRET not in str(raised.value) and REFRESH_TOKEN not in str(raised.value)


def test_a_request_within_its_deadline_is_untouched_and_deadlines_cost_no_thread_each(hubspot_emulator) -> None:
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    transport = transport_for(hubspot_emulator.base_url, request_timeout=30)
    transport.request("GET", LABELS_PATH)
    threads = threading.active_count()
    for _ in range(600):
        assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.stats.retries == 0
    assert threading.active_count() <= threads + 1  # one watchdog thread, not one per request
    assert len(_http._watchdog._heap) < 600  # finished deadlines are dropped, not kept for 30 s each


# -- 5. settings errors name the connection and the field, at first use ------------------------------------------


# -- 6. form metadata ------------------------------------------------------------------------------------------
