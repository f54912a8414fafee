"""One HTTP exchange with HubSpot under the transport's security rules; the API calls and the OAuth token
request both go through :func:`send`, so no request can skip a rule.

- **No redirect is followed.** ``allow_redirects=False`` on every call, and ``session.max_redirects = 0`` as the
  backstop a call that forgets it cannot bypass (requests then raises before sending anything to the
  ``Location``). Every 3xx is a :class:`HubSpotRedirectError` naming the status, method, path and ``Location``.
- **The connection's TLS settings win.** ``verify`` is set once on the session and ``trust_env`` is off, so
  requests uses the session's value for every call and ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` cannot replace
  ``ca_bundle``/``verify_ssl`` (and no ``.netrc`` entry can overwrite the ``Authorization`` header). Proxies
  from the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) are still honoured, for ``https://`` base URLs only: through a proxy TLS runs
  end to end (``CONNECT``) and is verified with the same settings; a plain-``http://`` base URL (loopback, or
  ``allow_insecure_http``) is never sent through a proxy.
- **A total deadline per attempt** (``request_timeout``): connect and read timeouts bound each socket
  operation, so a server trickling one byte at a time could hold a call for ever. A shared watchdog thread
  shuts the connection's socket when the deadline passes, wherever the exchange is (waiting for the status
  line, the headers or the body); the call then raises :class:`HubSpotDeadlineError`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from airflow_provider_hubassoc.exceptions import (
    HubSpotAnswerTooLargeError,
    HubSpotDeadlineError,
    HubSpotRedirectError,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings

#: decompressed bytes read at a time (urllib3 decompresses at most this much per read)
READ_CHUNK_BYTES = 64 * 1024
_current = threading.local()  # the deadline of the exchange running in this thread, if any


class _Deadline:
    """One attempt's deadline: once it passes, the socket of every connection the attempt used is shut."""

    def __init__(self, seconds: float) -> None:
        self.when = time.monotonic() + seconds
        self.fired = False
        self._done = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self._done:
                return
            self._connections.append(connection)
            fired = self.fired
        if fired:  # the deadline passed while connecting or sending: do not wait for an answer
            _shut(connection)

    def fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    @property
    def done(self) -> bool:
        return self._done

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._connections.clear()

    def __enter__(self) -> _Deadline:
        self._outer = getattr(_current, "deadline", None)
        _current.deadline = self
        _watchdog.watch(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        # (a deadline passing in the instant between the body's end and here may shut a connection already
        # back in the pool; its next user then sees a dropped connection, which is retried)
        self.finish()
        _current.deadline = self._outer


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked recv; the connection is then dropped, not reused


class _Watchdog:
    """One daemon thread firing deadlines in time order (a thread per request would cost ~1 ms each)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline) -> None:
        with self._wake:
            order = next(self._order)
            if order % 256 == 255:  # drop the finished ones now and then (amortised O(1) per request)
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline.when, order, deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hubspot-deadline", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _when, _order, deadline = heapq.heappop(self._heap)
            deadline.fire()  # a no-op for an exchange that already finished


_watchdog = _Watchdog()


class _Watched:
    """Connection mixin: the request is sent, so its socket exists; hand it to this thread's deadline."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.attach(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose connections (direct or through an HTTP(S) proxy) obey :class:`_Deadline`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has its own connection classes: per-socket timeouts only
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def new_session(settings: HubSpotSettings) -> requests.Session:
    """The one pooled session of a transport, set up so that no call can follow a redirect or read TLS or
    credentials from the environment."""
    session = requests.Session()
    session.trust_env = False
    session.max_redirects = 0
    session.verify = settings.verify
    session.proxies = proxies_for(settings.base_url)  # read once: the lookup costs ~0.2 ms
    adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=settings.max_concurrency + 2, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": settings.user_agent, "Accept": "application/json"})
    return session


def proxies_for(base_url: str) -> dict[str, str]:
    """Environment proxies for an ``https://`` base URL (``NO_PROXY`` respected); none for ``http://``."""
    if urlsplit(base_url).scheme != "https":
        return {}
    return requests.utils.get_environ_proxies(base_url)


def send(
    session: requests.Session, settings: HubSpotSettings, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """Send ``method`` ``{base_url}{path}``: never redirected, TLS from the connection, within the deadline.

    ``session`` comes from :func:`new_session`: it holds the connection's TLS settings (passing ``verify=`` on
    each call instead made requests look the CA bundle up again every time).

    :raises HubSpotRedirectError: any 3xx answer (nothing is sent to its ``Location``).
    :raises HubSpotDeadlineError: no complete answer within ``settings.request_timeout``.
    :raises HubSpotAnswerTooLargeError: the body passed ``settings.max_response_bytes`` (decompressed).
    :raises requests.RequestException: as requests does for connect/read timeouts and network errors.
    """
    total = settings.request_timeout
    timeout = (min(settings.connect_timeout, total), min(settings.read_timeout, total))
    with _Deadline(total) as deadline:
        try:
            response = session.request(
                method,
                f"{settings.base_url}{path}",
                allow_redirects=False,
                timeout=timeout,
                stream=True,
                **kwargs,
            )
            read_body(response, settings.max_response_bytes, method, path)
        except requests.TooManyRedirects as error:  # max_redirects = 0: raised on a 3xx before following it
            if error.response is None:  # requests attaches the 3xx answer; without it there is nothing to report
                raise
            response = error.response
        except requests.RequestException:
            if deadline.fired:
                raise HubSpotDeadlineError(
                    f"no complete answer within request_timeout={total:g}s: the connection was shut at the deadline",
                    method=method,
                    path=path,
                ) from None
            raise
        if deadline.fired:  # the deadline passed as the body ended: it may be cut short, do not trust it
            response.close()
            raise HubSpotDeadlineError(
                f"no complete answer within request_timeout={total:g}s", method=method, path=path
            )
    if 300 <= response.status_code < 400:
        raise redirect_error(method, path, response)
    return response


def read_body(response: requests.Response, cap: int, method: str, path: str) -> None:
    """Read a streamed answer's body into ``response.content``, counting decompressed bytes; past ``cap``, stop
    reading (at most one chunk more is held), drop the connection and raise."""
    parts: list[bytes] = []
    size = 0
    for part in response.iter_content(READ_CHUNK_BYTES):
        size += len(part)
        if size > cap:
            response.close()
            raise HubSpotAnswerTooLargeError(
                f"answer larger than max_response_bytes={cap} (decompressed; reading stopped after {size} bytes): "
                "raise the connection extra max_response_bytes if HubSpot's answer is really this large",
                status=response.status_code,
                method=method,
                path=path.split("?", 1)[0],
            )
        parts.append(part)
    response._content = b"".join(parts)
    response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag, as its .content sets


def redirect_error(method: str, path: str, response: requests.Response) -> HubSpotRedirectError:
    location = response.headers.get("Location")
    error = HubSpotRedirectError(
        f"redirect refused (Location: {(location or '')[:500]!r}): requests are never redirected, so nothing was "
        "sent there and this request was not applied; check the connection's host (it must be HubSpot's API URL "
        "itself, not a URL that redirects)",
        status=response.status_code,
        method=method,
        path=path.split("?", 1)[0],
    )
    error.location = location
    return error
