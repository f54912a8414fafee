"""An optional shared window count in Redis: every process of one app claims room from one exact count.

HubSpot's ``X-HubSpot-RateLimit-*`` headers stay the truth (:mod:`._ratelimit`), but they reach a process one
answer late, and a shard that holds few slots hears them seldom: shards starting seconds apart, or retried
after a worker was killed, idled room the others left (issue 23). With the connection extra
``rate_limit_store`` (a ``redis://`` URL, or ``celery_broker`` for Airflow's ``[celery] broker_url``) every
process of the app (key: base URL and credential fingerprint, never the credential) records each request in
one sorted set: a member per request, scored with its send time and re-scored with its answer time, kept a
window plus the margin after that (HubSpot counted it on arrival, between the two). A script checks and adds
atomically, so a process claims a slot only when the shared count has room, and slots of finished or killed
shards free for the others the moment they age out, with no view to wait for.

Times are Redis's own (``TIME``), one clock for every machine; a test passes its own clock. Redis unreachable
or failing: one warning, and the limiter goes back to the header logic; a task never fails over the store.
The store's URL may hold a password: it is masked in Airflow's logs and never shown (``***@``).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_hubassoc._compat import mask_secret
from airflow_provider_hubassoc.exceptions import HubSpotInputError

_log = logging.getLogger(__name__)

#: the extra's value that means "Airflow's own Celery broker" (``[celery] broker_url``)
CELERY_BROKER = "celery_broker"
STORE_SCHEMES = ("redis", "rediss", "unix")
#: seconds a store call may take before the limiter gives up on the store (a Redis on the same network)
STORE_TIMEOUT_SECONDS = 2.0
KEY_PREFIX = "hubassoc:rate:"

# KEYS[1] the app's set; ARGV: limit, span (s), member, now (s, "" = Redis's TIME).
# Returns {1, count} when the member was added, {0, seconds until the oldest slot frees} when the window is full.
_RESERVE = """
local now = tonumber(ARGV[4])
if not now then local t = redis.call('TIME'); now = t[1] + t[2] / 1e6 end
local span = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(span * 2000))
  return {1, count + 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + span - now)}
"""
# KEYS[1]; ARGV: span, member, now, lag. The request is answered: its slot counts from now. Returns the count
# of slots that were in the window when the request was sent ``lag`` seconds ago (those HubSpot may have counted
# on its arrival, and more: a count no smaller than HubSpot's of the app's store users).
_SETTLE = """
local now = tonumber(ARGV[3])
if not now then local t = redis.call('TIME'); now = t[1] + t[2] / 1e6 end
local span = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span - tonumber(ARGV[4]))
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(span * 2000))
return redis.call('ZCARD', KEYS[1])
"""


def shown_store(url: str) -> str:
    """The store's URL fit for a log line or an error: a password (``:secret@``, ``?password=``) never shown."""
    scheme, sep, rest = url.partition("://")
    rest = rest.partition("?")[0]
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{tail}"


def check_store(value: str) -> str:
    """The extra's value, checked when the connection is parsed: a Redis URL or ``celery_broker``, and the
    ``redis`` client installed (the ``[redis]`` extra). Raises :class:`HubSpotInputError` naming the fix."""
    value = value.strip()
    if value != CELERY_BROKER and urlsplit(value).scheme not in STORE_SCHEMES:
        raise HubSpotInputError(
            f"must be a redis://, rediss:// or unix:// URL, or {CELERY_BROKER!r} (Airflow's [celery] broker_url), "
            f"got {shown_store(value)!r}",
            field="rate_limit_store",
        )
    try:
        import redis  # noqa: F401
    except ImportError:
        raise HubSpotInputError(
            "needs the redis client: pip install 'airflow-provider-hubassoc[redis]' (or remove the extra: HubSpot's "
            "headers alone share the budget)",
            field="rate_limit_store",
        ) from None
    return value


def resolve_store(value: str) -> str | None:
    """The Redis URL the extra names: ``celery_broker`` is Airflow's broker if that is Redis, else ``None``
    (with a warning: the limiter keeps to HubSpot's headers)."""
    if value != CELERY_BROKER:
        return value
    try:
        from airflow.configuration import conf

        broker = str(conf.get("celery", "broker_url", fallback="") or "")
    except Exception:  # no Airflow config: no store, never a failed task
        broker = ""
    if urlsplit(broker).scheme in STORE_SCHEMES:
        return broker
    _log.warning(
        "rate_limit_store=%s, but Airflow's [celery] broker_url is not Redis (%r): HubSpot's headers alone share "
        "the rate budget",
        CELERY_BROKER,
        shown_store(broker) if broker else "unset",
    )
    return None


def store_key(base_url: str, fingerprint: str) -> str:
    """The app's set: the base URL and the credential's fingerprint, hashed (neither the credential nor the URL)."""
    return KEY_PREFIX + hashlib.sha256(f"{base_url}\n{fingerprint}".encode()).hexdigest()[:24]


class SharedWindow:
    """One app's window count in Redis (:meth:`reserve` a slot, :meth:`settle` it when answered).

    :param url: the Redis URL (its password masked in Airflow's logs here).
    :param key: the app's set (:func:`store_key`).
    :param clock: seconds for the scores; ``None``: Redis's own clock (one for every machine).
    :param client: a ready ``redis.Redis`` (tests); by default one is made from ``url``.
    """

    def __init__(
        self, url: str, key: str, *, clock: Callable[[], float] | None = None, client: Any | None = None
    ) -> None:
        self.shown = shown_store(url)
        self._password = urlsplit(url).password
        _mask_password(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(
                url, socket_timeout=STORE_TIMEOUT_SECONDS, socket_connect_timeout=STORE_TIMEOUT_SECONDS
            )
        self.key = key
        self._clock = clock
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)
        self._names = (f"{uuid.uuid4().hex[:12]}:{os.getpid()}:{n}" for n in itertools.count())

    def _now(self) -> str:
        return repr(self._clock()) if self._clock is not None else ""

    def reserve(self, limit: int, span: float) -> tuple[str | None, float]:
        """Claim one of ``limit`` slots of the last ``span`` seconds: ``(member, shared count)`` when granted,
        ``(None, seconds until the oldest slot frees)`` when the window is full."""
        member = next(self._names)
        granted, value = self._reserve(keys=[self.key], args=[limit, repr(span), member, self._now()])
        if int(granted):
            return member, float(value)
        return None, max(0.0, float(value))

    def settle(self, member: str, span: float, lag: float) -> int:
        """The request of ``member``, sent ``lag`` seconds ago, is answered: its slot counts from now. Returns
        how many slots of the app's store users HubSpot may have counted on its arrival, at most."""
        return int(self._settle(keys=[self.key], args=[repr(span), member, self._now(), repr(max(lag, 0.0))]))

    def describe(self, error: BaseException) -> str:
        """An error of the store as text, the URL's password taken out should the client have put it in."""
        text = f"{type(error).__name__}: {error}"
        return text.replace(self._password, "***") if self._password else text


def _mask_password(url: str) -> None:
    """Tell Airflow's secrets masker the store's password, so no log line shows it."""
    parts = urlsplit(url)
    secrets = [parts.password] + [p.partition("=")[2] for p in parts.query.split("&") if p.startswith("password=")]
    for secret in secrets:
        if secret:
            with contextlib.suppress(Exception):  # masking is defence in depth: never fail over it
                mask_secret(secret)
