"""Errors raised by the HubSpot Associations hook.

One small hierarchy under :class:`HubSpotError`. Each error keeps what a user needs to act on a failure
(HTTP status, HubSpot's ``category``/``subCategory``, ``message``, ``correlationId``, the request's method
and path) and never a credential: the hook never puts tokens in paths or query strings, and response bodies
are HubSpot's, not ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_hubassoc._compat import AirflowException


class HubSpotError(AirflowException):
    """Base class of every error from this provider."""

    #: when the error stopped a batch call: that call's partial result (a ``BatchResult``; the finished
    #: prefix of its input), else ``None``
    result: Any = None
    #: when the error stopped a batch write: chunks that still finished after it (sent, not in ``result``)
    in_flight: Any = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        sub_category: str | None = None,
        correlation_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        context: Mapping[str, Any] | None = None,
        errors: list[Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        #: seconds HubSpot asked us to wait (``Retry-After``, or the rate-limit window on a 429), if any
        self.retry_after = retry_after
        self.status = status
        self.category = category
        self.sub_category = sub_category
        self.correlation_id = correlation_id
        self.method = method
        self.path = path
        self.context = dict(context or {})
        self.errors = list(errors or [])
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" on {self.method} {self.path}" if self.method and self.path else ""
        status = f"HubSpot {self.status}" if self.status is not None else "HubSpot"
        category = f" {self.category}" if self.category else ""
        sub = f" ({self.sub_category})" if self.sub_category else ""
        text = f"{status}{category}{sub}{where}: {self.message}"
        if self.context:
            text += f" context={self.context}"
        if self.correlation_id:
            text += f" [correlationId={self.correlation_id}]"
        hint = scopes_hint(self.required_scopes)
        if self.category == MISSING_SCOPES and hint:
            text += f" -- {hint}"
        return text

    @property
    def required_scopes(self) -> list[str]:
        """The scopes HubSpot named for a ``MISSING_SCOPES`` refusal (empty for any other error)."""
        if self.category != MISSING_SCOPES:
            return []
        return named_scopes(self.context, self.errors)

    @classmethod
    def from_response_body(
        cls,
        body: Mapping[str, Any] | None,
        *,
        status: int | None,
        method: str | None,
        path: str | None,
        fallback_message: str = "",
    ) -> HubSpotError:
        """Build the error from HubSpot's error body; every field is optional, as HubSpot documents."""
        body = body or {}
        sub = body.get("subCategory")
        context = body.get("context")
        return cls(
            str(body.get("message") or fallback_message or "request failed"),
            status=status,
            category=body.get("category") or body.get("errorType"),
            sub_category=str(sub) if sub is not None else None,
            correlation_id=body.get("correlationId"),
            method=method,
            path=path,
            context=context if isinstance(context, Mapping) else None,
            errors=body.get("errors") if isinstance(body.get("errors"), list) else None,
        )


class HubSpotAuthError(HubSpotError):
    """401 (credentials missing, invalid or expired after one refresh) or 403 (missing scopes, or from 2026-09 a
    user permission such as "Edit Associations" refusing the whole request; the message is HubSpot's)."""


class HubSpotMissingScopesError(HubSpotAuthError):
    """403 ``MISSING_SCOPES``: the service key, private app or OAuth app lacks a scope the call needs.

    ``required_scopes`` lists the scopes HubSpot named (``errors[].context.requiredScopes``, or
    ``requiredGranularScopes`` in newer answers); the message says to add them to the credential."""


class HubSpotRateLimitError(HubSpotError):
    """429 that outlived the retry budget. ``policy_name`` says which limit: TEN_SECONDLY_ROLLING or DAILY."""

    @property
    def policy_name(self) -> str | None:
        return self.context.get("policyName") if self.context else None


class HubSpotDailyLimitError(HubSpotRateLimitError):
    """The account's daily request budget is spent; retrying before it resets is pointless."""


class HubSpotNotFoundError(HubSpotError):
    """404: the object, label or endpoint does not exist."""


class HubSpotValidationError(HubSpotError):
    """400/409/422: HubSpot refused the request as sent; retrying the same request cannot succeed."""


class HubSpotServerError(HubSpotError):
    """5xx, dropped connections and timeouts that outlived the retry budget."""


class HubSpotAnswerError(HubSpotServerError):
    """A 2xx answer that is not the shape its endpoint documents: not JSON (an HTML page from a proxy), JSON
    that does not decode, an empty body, a field the provider reads missing or of the wrong type, or a record
    or pair the request did not ask for. Never read as success or as "no associations": a read retries it like
    a 5xx, a write treats it as a lost answer (HubSpot may or may not have applied it, see ``hooks/_writes``).

    ``content_type`` and ``head`` (the body's first bytes, at most 200) say what came back; request headers
    (the token) are never in it."""

    def __init__(self, message: str, *, content_type: str | None = None, head: str = "", **kwargs: Any) -> None:
        self.content_type = content_type
        self.head = head
        super().__init__(message, **kwargs)


class HubSpotConnectionError(HubSpotServerError):
    """No HTTP answer at all (refused or dropped connection, timeout); transient, so the retry policy retries it."""


class HubSpotDeadlineError(HubSpotConnectionError):
    """No complete answer within the connection's ``request_timeout`` (the total deadline of one attempt).

    A read timeout in spirit, so it is retried like one; for a write it is ambiguous: the server may have
    applied the request before the body stopped arriving."""


class HubSpotRedirectError(HubSpotError):
    """HubSpot (or something in between) answered 3xx. Never followed, never retried, never a success: a
    redirected write was not applied, and a redirect may point at a host that must not see our credentials."""

    #: the ``Location`` header of the refused answer (``None`` when absent)
    location: str | None = None


class HubSpotAnswerLostError(HubSpotServerError):
    """A write was sent and no usable answer came back (dropped connection, read timeout, 5xx): HubSpot may or
    may not have applied it. Raised by the transport only when the caller asked not to replay such a write
    blindly (``retry_ambiguous=False``); ``cause`` is the failure that made the outcome unknown."""

    def __init__(self, message: str, *, cause: BaseException, **kwargs: Any) -> None:
        self.cause = cause
        super().__init__(message, **kwargs)


class HubSpotInputError(HubSpotError, ValueError):
    """Bad input caught before anything was sent; the message names the row (position) or field."""

    def __init__(self, message: str, *, position: int | None = None, field: str | None = None) -> None:
        self.position = position
        self.field = field
        #: the message without the position/field prefix
        self.reason = message
        where = []
        if position is not None:
            where.append(f"input #{position}")
        if field:
            where.append(f"field {field!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(f"{prefix}{message}")

    def _render(self) -> str:
        return self.message


class HubSpotConnectionSettingsError(HubSpotInputError):
    """The Airflow connection (or a hook argument overriding it) is misconfigured. Raised at first use
    (``hook.settings``), before any request; the message names the connection id and the field."""

    def __init__(self, message: str, *, conn_id: str, field: str | None) -> None:
        self.conn_id = conn_id
        super().__init__(message)
        self.field = field


class HubSpotBatchError(HubSpotError):
    """A batch call finished with failed inputs and the caller asked to raise.

    ``result`` carries the partial result: what succeeded stays done, and each failure is mapped to its input.
    """

    def __init__(self, message: str, *, result: Any) -> None:
        self.result = result
        super().__init__(message)


class HubSpotCancelledError(HubSpotBatchError):
    """A batch call stopped early because :meth:`HubSpotAssociationsHook.cancel` was called (``on_kill``, or a
    caller's failure threshold). ``result`` covers exactly the inputs that were sent; the rest were not."""

    def _render(self) -> str:
        return self.message


MISSING_SCOPES = "MISSING_SCOPES"
#: where HubSpot names the scopes of a ``MISSING_SCOPES`` refusal (reference §11.2; the granular key is newer)
_SCOPE_KEYS = ("requiredScopes", "requiredGranularScopes")


def named_scopes(context: Mapping[str, Any] | None, errors: list[Any] | None) -> list[str]:
    """Scopes named in a ``MISSING_SCOPES`` body: in ``errors[].context`` (HubSpot's documented place) or the
    top-level ``context``, under ``requiredScopes`` or ``requiredGranularScopes``; in order, once each."""
    contexts: list[Any] = [context or {}]
    contexts += [item.get("context") for item in errors or [] if isinstance(item, Mapping)]
    found: list[str] = []
    for ctx in contexts:
        if not isinstance(ctx, Mapping):
            continue
        for key in _SCOPE_KEYS:
            values = ctx.get(key)
            for value in values if isinstance(values, list) else [values] if isinstance(values, str) else []:
                if isinstance(value, str) and value and value not in found:
                    found.append(value)
    return found


def scopes_hint(scopes: list[str]) -> str:
    """What an operator does about a scope refusal, naming the scopes (empty when HubSpot named none)."""
    if not scopes:
        return ""
    return (
        f"the credential lacks scopes {', '.join(scopes)}; add them to the service key (or private app, or the "
        "OAuth app's scopes) and try again"
    )


def error_class_for_status(status: int) -> type[HubSpotError]:
    """Which exception class represents an HTTP status (429 is refined by the policy name)."""
    if status in (401, 403):
        return HubSpotAuthError
    if status == 404:
        return HubSpotNotFoundError
    if status == 429:
        return HubSpotRateLimitError
    if status >= 500:
        return HubSpotServerError
    return HubSpotValidationError


class HubSpotPagingError(HubSpotServerError):
    """HubSpot's paging did not end within its own limits: a record's cursor came back a second time, or a
    record had more pages than ``max_pages_per_record`` allows. Never retried: the same answers would loop again."""


class HubSpotReadDeadlineError(HubSpotServerError):
    """One read call (a batch read over all its chunks and pages, a record's listing) took longer than the
    connection's ``read_deadline_seconds``; the message says what was read so far. Never retried: rows already
    yielded stay valid, the records after them were not read."""


class HubSpotAnswerTooLargeError(HubSpotServerError):
    """An answer's body, counted decompressed while it arrived, passed ``max_response_bytes``; reading stopped
    there. Never retried: the same request would get the same answer."""
