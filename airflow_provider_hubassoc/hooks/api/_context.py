"""What every API area needs from the hook, and the helpers all areas share (paths, paging, one request)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError, HubSpotPagingError, HubSpotReadDeadlineError
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type
from airflow_provider_hubassoc.hooks._settings import normalize_api_version
from airflow_provider_hubassoc.hooks._versions import DEFAULT_API_VERSION, version_warning
from airflow_provider_hubassoc.hooks._writes import send
from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType

if TYPE_CHECKING:
    from airflow_provider_hubassoc._compat import TaskLogger
    from airflow_provider_hubassoc.hooks._answers import Shape
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
    from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

#: a batch read's "this record has no associations": not a failure
NO_ASSOCIATIONS_FOUND = "crm.associations.NO_ASSOCIATIONS_FOUND"
LabelKey = tuple[str, str, str]  # (version, from type, to type)


@dataclass
class ApiContext:
    """The hook's parts the areas use. ``settings`` and ``transport`` are the hook's own, read on first use (a
    hook built at DAG parse time fetches no connection); the label caches are shared by every area.

    :param get_settings: returns the hook's parsed connection settings.
    :param get_transport: returns the hook's transport (one pooled session, auth, retries, rate limiter).
    :param log: the hook's logger.
    :param cancelled_event: set by ``hook.cancel()``; batch calls stop dispatching once it is set.
    """

    get_settings: Callable[[], HubSpotSettings]
    get_transport: Callable[[], HubSpotTransport]
    log: TaskLogger
    cancelled_event: threading.Event = field(default_factory=threading.Event)
    #: label listings per (version, from, to), refreshed by ``list_labels``
    label_cache: dict[LabelKey, list[AssociationType]] = field(default_factory=dict)
    #: internal names of labels this hook created (HubSpot's listing does not return them)
    label_names: dict[LabelKey, dict[int, str]] = field(default_factory=dict)
    label_lock: threading.Lock = field(default_factory=threading.Lock)
    _versions_warned: set[str] = field(default_factory=set)
    _versions_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self) -> HubSpotSettings:
        return self.get_settings()

    @property
    def transport(self) -> HubSpotTransport:
        return self.get_transport()

    @property
    def cancelled(self) -> bool:
        return self.cancelled_event.is_set()

    def api_version(self, api_version: str | None, *, allow_v3: bool = False) -> str:
        """The version of one call: the per-call override, else the connection's setting (``2026-09`` by
        default). The first call on a version HubSpot is retiring logs one warning naming the date."""
        version = normalize_api_version(api_version) if api_version is not None else self.settings.api_version
        if version == "v3" and not allow_v3:
            raise HubSpotInputError(
                f"this endpoint exists in v4 and the dated versions only; use api_version={DEFAULT_API_VERSION!r} "
                "(the v3_* methods cover v3)",
                field="api_version",
            )
        self._warn_if_retiring(version)
        return version

    def _warn_if_retiring(self, version: str) -> None:
        """One warning per hook and version past HubSpot's Current stage or near unsupported (``_versions``)."""
        with self._versions_lock:
            if version in self._versions_warned:
                return
            self._versions_warned.add(version)
        warning = version_warning(version)
        if warning:
            self.log.warning("%s", warning)

    def object_pair(
        self, from_type: str, to_type: str, api_version: str | None, *, allow_v3: bool = False
    ) -> tuple[str, str, str]:
        """``(version, from type, to type)`` of one call, validated and normalised once."""
        version = self.api_version(api_version, allow_v3=allow_v3)
        return version, normalize_object_type(from_type, "from_type"), normalize_object_type(to_type, "to_type")

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        required: bool = False,
        shape: Shape | None = None,
    ) -> tuple[int, Any]:
        """One request with plain retries; ``(status, parsed body or None)``, the answer checked (``_answers``)."""
        return send(self.transport, method, path, json=json, params=params, required=required, shape=shape)


def association_path(version: str, endpoint: str) -> str:
    """Map ``(version, endpoint)`` to a path; the only place that knows how versions spell paths.

    ``endpoint`` starts with its area, ``associations/...`` or ``objects/...``: v4 and v3 put the version after
    ``/crm`` (``/crm/v4/associations/...``), dated versions after the area (``/crm/associations/2026-03/...``).
    """
    area, _, rest = endpoint.partition("/")
    if version in ("v3", "v4"):
        return f"/crm/{version}/{area}/{rest}"
    return f"/crm/{area}/{version}/{rest}"


def row_from_multi(f: str, from_id: int, t: str, item: Mapping[str, Any]) -> AssociationRow:
    """``MultiAssociatedObjectWithLabel`` -> :class:`AssociationRow` (ids as numbers or strings)."""
    return AssociationRow(
        f,
        from_id,
        t,
        int(item["toObjectId"]),
        tuple(AssociationType.from_api(x) for x in item.get("associationTypes") or []),
    )


def next_after(body: Mapping[str, Any]) -> str | None:
    """The ``paging.next.after`` cursor of a page, or ``None`` on the last page."""
    paging = body.get("paging") if isinstance(body, Mapping) else None
    after = ((paging or {}).get("next") or {}).get("after")
    return str(after) if after else None


class PageBound:
    """Bounds the pages followed per record in one call: a cursor a record already had, or a page past
    ``max_pages`` (:attr:`HubSpotSettings.max_pages_per_record`), raises :class:`HubSpotPagingError` naming the
    method, path, record and cursor, so a cursor that changes on every page is not followed for ever."""

    def __init__(self, method: str, path: str, max_pages: int) -> None:
        self.method = method
        self.path = path
        self.max_pages = max_pages
        self._pages: dict[str, int] = {}
        self._seen: set[tuple[str, str]] = set()

    def follow(self, record: str, after: str) -> None:
        """``record`` (e.g. ``contacts 5``) is about to be asked for its page after ``after``: allowed, or raise."""
        shown = after if len(after) <= 80 else f"{after[:80]}..."
        if (record, after) in self._seen:
            raise HubSpotPagingError(
                f"HubSpot sent paging cursor {shown!r} for {record} a second time: its pages would loop; "
                "nothing after the first of them was read",
                method=self.method,
                path=self.path,
            )
        pages = self._pages.get(record, 1) + 1
        if pages > self.max_pages:
            raise HubSpotPagingError(
                f"{record} has more than max_pages_per_record={self.max_pages} pages (next cursor {shown!r}): "
                "more than HubSpot's association limits allow, so its paging is not followed further; raise the "
                "connection extra max_pages_per_record if the record really has this many",
                method=self.method,
                path=self.path,
            )
        self._seen.add((record, after))
        self._pages[record] = pages


class ReadDeadline:
    """The wall time of one read call (:attr:`HubSpotSettings.read_deadline_seconds`), checked before each of its
    requests: past it, :class:`HubSpotReadDeadlineError` names what was read. One request under way is not cut
    (``request_timeout`` and the retry budget bound it), so a call may overrun by that much.

    Pages per call need no bound of their own: each record asked for is bounded by :class:`PageBound`, so a call
    makes at most ``records asked x max_pages_per_record`` requests, and this deadline bounds its time.
    Thread-safe: a batch read's chunks share one deadline.
    """

    def __init__(self, operation: str, seconds: float) -> None:
        self.operation = operation
        self.seconds = seconds
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self.requests = 0
        self.rows = 0

    def check(self, method: str, path: str) -> None:
        """A request of the call is about to be sent: allowed, or raise (nothing more is sent)."""
        elapsed = time.monotonic() - self._started
        if elapsed <= self.seconds:
            return
        with self._lock:
            requests, rows = self.requests, self.rows
        raise HubSpotReadDeadlineError(
            f"{self.operation}: still reading after {elapsed:.1f}s, past read_deadline_seconds={self.seconds:g}; "
            f"{requests} request(s) answered, {rows} row(s) read, nothing further sent (rows already yielded "
            "stay valid; a batch read yields whole chunks only). Raise the connection extra read_deadline_seconds "
            "if reading this much really takes longer",
            method=method,
            path=path,
        )

    def answered(self, rows: int) -> None:
        """One request of the call was answered with ``rows`` rows."""
        with self._lock:
            self.requests += 1
            self.rows += rows
