"""The HTTP side of the emulator and its Python face, :class:`HubSpotEmulator`.

Standard library only: ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive, one daemon thread per
connection, so dozens of concurrent clients are served without anything to install.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from ._app import EmulatorApp
from ._http import Request, Response, split_target
from ._record_admin import RecordOperations
from ._routes import WRITE_ENDPOINTS
from ._spawn import SpawnedEmulator
from ._types import UnknownObjectType, object_type_id


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HubSpotEmulator/1"
    server: _Server
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's own, absent from its stubs

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(length)) if length else b""
        path, query = split_target(self.path)
        host = self.headers.get("Host") or f"{self.server.host}:{self.server.server_address[1]}"
        request = Request(
            self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body, base_url=f"http://{host}"
        )
        response = self.server.app.handle(request)
        if response.delay > 0:
            time.sleep(response.delay)
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout or deadline)
            self.close_connection = True
        finally:
            if self.server.own_process:
                # The account state only grows and lives as long as the process: without this, the cyclic
                # collector re-scans all of it every few batches (about half the CPU of a 2,000-input create
                # once the account holds 100k pairs). Freezing is O(1); acyclic garbage is still freed.
                gc.freeze()

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: Response) -> None:
        payload = b"" if response.stream is not None else response.encoded()
        self.send_response(response.status)
        if response.has_body:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(response.stream_length if response.stream else len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        # headers and body leave in one write: two small writes on a keep-alive socket meet Nagle's
        # algorithm and the peer's delayed ACK (40 ms per response)
        self._headers_buffer.append(b"\r\n")
        if response.stream is not None:
            self.flush_headers()
            self._stream(response.stream)
            return
        if response.trickle > 0 and payload and self.command != "HEAD":
            self.flush_headers()
            self._trickle(payload, response.trickle)
            return
        if payload and self.command != "HEAD":
            self._headers_buffer.append(payload)
        self.flush_headers()

    def _stream(self, chunks: Iterator[bytes]) -> None:
        """A hostile answer's body (``oversize``, ``gzip_bomb``), chunk by chunk, until done or the client hangs up."""
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except OSError:
            self.close_connection = True

    def _trickle(self, payload: bytes, interval: float) -> None:
        """Fault ``trickle``: one byte every ``interval`` seconds, until done or the client hangs up."""
        for index in range(len(payload)):
            try:
                self.wfile.write(payload[index : index + 1])
                self.wfile.flush()
            except OSError:
                self.close_connection = True
                return
            if index + 1 < len(payload):
                time.sleep(interval)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # the query string is left out: OAuth v1 accepted refresh tokens and client secrets there
        path = self.path.split("?", 1)[0]
        self.log_message('"%s %s" %s', self.command, path, str(code))

    def log_message(self, format: str, *args: Any) -> None:  # `format`: the name is fixed by the base class
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], app: EmulatorApp, verbose: bool = False, own_process: bool = False
    ) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.verbose = verbose
        self.own_process = own_process
        if own_process:
            # a 2,000-input batch allocates ~10k containers: collect the young generation per batch, not 15 times
            gc.set_threshold(100_000, 20, 100)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a cut answer, its own deadline) is routine, not a traceback on stderr."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    @property
    def host(self) -> str:
        """The bound host (text: the emulator listens on IPv4 or IPv6, never a Unix socket)."""
        return str(self.server_address[0])

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """End keep-alive connections too, so a stopped emulator really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class HubSpotEmulator(RecordOperations):
    """A local HubSpot Associations API on a background thread.

    Records with properties (the CRM objects API) are seeded through :class:`~._record_admin.RecordOperations`.
    ``with HubSpotEmulator(seed=1) as emu:`` starts on a free loopback port; ``emu.base_url`` and
    ``emu.token`` are what a client needs. Knobs are :class:`~._config.EmulatorConfig` fields, also
    settable later with :meth:`configure` or the admin API (``POST {base_url}/_emulator/config``).

    :param host: interface to bind; the admin API has no auth, so keep the default loopback address.
    :param port: 0 picks a free port.
    :param token: the private-app token accepted as ``Authorization: Bearer <token>``.
    :param seed: seed of the random draws for faults and jitter (replayable runs).
    :param fixture: a fixture document (dict) or the path of a JSON file to load at start (records, labels,
        associations, oauthClients, tokens; see ``docs/emulator.md``).
    :param verbose: log each request line (without query strings) to stderr.
    :param own_process: the emulator is alone in its process (the CLI): the server may tune the process's
        garbage collector for its long-lived state (``gc.freeze`` after each request). Leave it off in-process.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "test-token",
        seed: int | None = None,
        fixture: str | os.PathLike[str] | dict[str, Any] | None = None,
        verbose: bool = False,
        own_process: bool = False,
        **knobs: Any,
    ) -> None:
        self.app = EmulatorApp(token=token, seed=seed, **knobs)
        if fixture is not None:
            if isinstance(fixture, dict):
                self.app.load_fixture(fixture)
            else:
                with open(fixture, encoding="utf-8") as handle:
                    self.app.load_fixture(json.load(handle))
        self._host, self._port, self._verbose, self._own_process = host, port, verbose, own_process
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # the token is a credential: never shown
        state = "running" if self._server else "stopped"
        return f"<HubSpotEmulator {self.base_url if self._server else ''} {state}>"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> HubSpotEmulator:
        if self._server is not None:
            return self
        self._server = _Server((self._host, self._port), self.app, self._verbose, self._own_process)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="hubspot-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def serve_forever(self) -> None:
        """Run in the calling thread (the CLI); returns on KeyboardInterrupt."""
        self._server = _Server((self._host, self._port), self.app, self._verbose, self._own_process)
        try:
            self._server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HubSpotEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @staticmethod
    def spawn(*options: str, token: str = "test-token", timeout: float = 30.0) -> SpawnedEmulator:
        """The emulator in a process of its own (the CLI on a free loopback port), for callers that must not share
        its interpreter; ``with HubSpotEmulator.spawn("--fault-503", "0.1") as emu:`` gives ``emu.base_url`` and
        ``emu.token`` and stops the process on exit. State is then reached over the admin API only.

        :param options: further CLI options (``python -m airflow_provider_hubassoc.emulator --help``).
        :param timeout: seconds to wait for it to listen (then it is killed and ``RuntimeError`` raised).
        """
        return SpawnedEmulator(*options, token=token, timeout=timeout)

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._host if self._server is None else self._server.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def token(self) -> str:
        return self.app.token

    @property
    def seed(self) -> int | None:
        """Seed of the fault/jitter draws (set again by ``reset(seed=...)``)."""
        return self.app.seed

    def airflow_connection_env(self, conn_id: str = "hubspot_default", **extra: Any) -> dict[str, str]:
        """``{"AIRFLOW_CONN_<ID>": "<json>"}`` pointing an Airflow ``hubspot`` connection at this emulator.

        ``extra`` goes to the connection's extras (e.g. ``api_version="2026-03"``). Put the result in
        ``os.environ`` (or ``monkeypatch.setenv``) and a DAG uses the emulator with zero edits.
        """
        connection = {"conn_type": "hubspot", "host": self.base_url, "password": self.token, "extra": extra}
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection)}

    # ------------------------------------------------------------------ state (Python API)
    def _type(self, object_type: str) -> str:
        try:
            return object_type_id(object_type, self.app.config.custom_objects)
        except UnknownObjectType:
            raise ValueError(f"Unable to infer object type from: {object_type}") from None

    def create_records(self, object_type: str, ids: Any) -> None:
        """Make records exist (needed only when ``auto_records`` is off or ids are out of its range)."""
        with self.app.state.lock:
            self.app.state.create_records(self._type(object_type), [int(i) for i in ids])

    def delete_records(self, object_type: str, ids: Any) -> None:
        with self.app.state.lock:
            self.app.state.delete_records(self._type(object_type), [int(i) for i in ids])

    def associations(self, from_type: str, from_id: int, to_type: str) -> dict[int, list[dict[str, Any]]]:
        """What the account holds from one record towards one object type: ``{to_id: [types]}``."""
        with self.app.state.lock:
            return self.app.state.view(self._type(from_type), int(from_id), self._type(to_type))

    def associate(
        self, from_type: str, from_id: int, to_type: str, to_id: int, types: list[tuple[str, int]] | None = None
    ) -> None:
        """Seed an association (adds ``types`` plus the unlabeled type, like a merge write)."""
        with self.app.state.lock:
            self.app.state.apply_types(
                self._type(from_type), int(from_id), self._type(to_type), int(to_id), list(types or []), replace=False
            )

    def create_label(
        self, from_type: str, to_type: str, name: str, label: str, inverse_label: str | None = None
    ) -> list[dict[str, Any]]:
        """Create a user-defined label; returns its definitions (``category``, ``typeId``, ``label``)."""
        with self.app.state.lock:
            created = self.app.state.create_label(
                self._type(from_type), self._type(to_type), name, label, inverse_label
            )
            return [d.as_label() for d in created]

    def labels(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        with self.app.state.lock:
            return [d.as_label() for d in self.app.state.pair_definitions(self._type(from_type), self._type(to_type))]

    def configure(self, **knobs: Any) -> None:
        self.app.configure(**knobs)

    def hostile(
        self, kind: str, endpoints: str | list[str] | None = None, *, times: int | None = None, size: int | None = None
    ) -> None:
        """Answer as a hostile HubSpot (``_hostile.KINDS``): ``kind`` for ``endpoints`` (None = all), for the first
        ``times`` requests (None = all). Cleared with the other knobs (``configure(hostile=[])``, the pytest plugin)."""
        self.app.add_hostile(kind, endpoints, times=times, size=size)

    @property
    def config(self) -> dict[str, Any]:
        return self.app.config.as_dict()

    def counters(self) -> dict[str, dict[str, int]]:
        """Requests served so far: ``{endpoint name: {status code, "dropped", or for a request applied before
        its answer was lost "dropped after <status>" / "late <status>": count}}``."""
        return self.app.counters()

    def write_requests(self) -> int:
        """Answered (2xx) requests to endpoints that change associations, labels or limits.

        For idempotency checks: a second run of a sync that has nothing to do should add zero.
        """
        counts = self.app.counters()
        return sum(
            n
            for name, by_status in counts.items()
            if name in WRITE_ENDPOINTS
            for status, n in by_status.items()
            if status.startswith("2")
        )

    def reset(self, seed: int | None = None) -> None:
        self.app.reset(seed=seed)

    def refill_daily_budget(self) -> None:
        """Refill the account's daily budget now (HubSpot's midnight reset, on demand)."""
        self.app.refill_daily_budget()

    def dump(self) -> dict[str, Any]:
        return self.app.dump()

    def load_fixture(self, data: dict[str, Any]) -> None:
        self.app.load_fixture(data)

    def oauth_client(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        """Register an OAuth app install whose refresh token ``POST /oauth/2026-03/token`` will accept."""
        self.app.add_oauth_client(client_id, client_secret, refresh_token)

    def add_token(self, token: str, scopes: list[str] | None = None) -> None:
        """Accept another static token: a service key or private app token (each has its own 10-second window).

        :param scopes: the scopes it was granted (e.g. ``["crm.objects.contacts.read"]``); a call needing one it
            lacks is answered 403 ``MISSING_SCOPES``. ``None`` (default): every scope.
        """
        self.app.add_token(token, scopes)
