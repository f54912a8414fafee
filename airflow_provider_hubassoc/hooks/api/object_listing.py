"""Record ids without an id list (HubSpot's CRM *objects* API): every record of a type, or those modified in a
time window, streamed as ids for an export to read their associations.

- **List**: ``GET /crm/objects/{V}/{type}?limit=100&after=...&archived=false``, 100 a page (reference §20.8).
- **Search**: ``POST /crm/objects/{V}/{type}/search`` on ``lastmodifieddate`` (contacts) or
  ``hs_lastmodifieddate`` (other types), 200 a page, sorted by ``hs_object_id`` ascending. HubSpot answers at
  most 10,000 results per query (paging past them is a 400): when the next page would start there, a new query
  adds ``hs_object_id GT <last id read>`` (Airbyte's fix, §20.8, with ``GT`` so no record is read twice), so
  any number of records with one identical modified time are each read once. HubSpot's per-second search limit
  (five, §20.8) is paced here; its 429 ``SECONDLY`` is retried by the transport after ``Retry-After``.

The ``v4`` setting reads records on ``/crm/v3/objects`` (the objects API has no v4); dated versions on
``/crm/objects/{V}``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError, HubSpotPagingError
from airflow_provider_hubassoc.hooks._answers import paging_problem
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type, plural_name
from airflow_provider_hubassoc.hooks._shapes import _int, _show, results_of
from airflow_provider_hubassoc.hooks.api._context import ReadDeadline, association_path, next_after

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.api._context import ApiContext

#: records a list page (§20.8: the spec gives no maximum; HubSpot's SDKs page with 100)
LIST_PAGE_SIZE = 100
#: records a search page, and results per search query (§20.8)
SEARCH_PAGE_SIZE = 200
SEARCH_RESULTS_CAP = 10_000
#: HubSpot's search requests a second per account (§20.8); paced per hook, a 429 ``SECONDLY`` retried
SEARCH_REQUESTS_PER_SECOND = 5
CONTACTS = "0-1"


def modified_property(object_type: str) -> str:
    """Where HubSpot keeps a record's last modified time: ``lastmodifieddate`` for contacts only (§20.8)."""
    return "lastmodifieddate" if object_type == CONTACTS else "hs_lastmodifieddate"


def objects_path(version: str, endpoint: str) -> str:
    """The objects API's path of ``endpoint`` (``{type}/search``): v4 has none, so ``v4`` reads v3's."""
    return association_path("v3" if version == "v4" else version, f"objects/{endpoint}")


def _record_id(item: Mapping[str, Any]) -> str | None:
    """``SimplePublicObject`` (§20.8): an integer ``id``; ``properties``, when there, an object."""
    if not _int(item.get("id")):
        return f"field 'id' missing or not an integer: {_show(item)}"
    if item.get("properties") is not None and type(item.get("properties")) is not dict:
        return f"field 'properties' is not an object: {_show(item)}"
    return None


def _paged(body: Any) -> str | None:
    """A list or search page: ``results`` of records; ``paging.next.after`` a cursor when there."""
    return results_of(_record_id)(body) or paging_problem(body)


def _search_page(body: Any) -> str | None:
    """A search page (:func:`_paged`) whose cursor is an offset (digits), as HubSpot's search pages by offset."""
    problem = _paged(body)
    after = next_after(body) if problem is None else None
    if after is not None and not after.isdigit():
        return f"field 'paging.next.after' of a search is not an offset: {_show(after)}"
    return problem


@dataclass(frozen=True)
class ListedId:
    """One record id of a listing, with the cursor of the page it came on (``None``: the first page); a
    resumed listing starts at that page and skips the ids up to the last one done (the list is by id)."""

    id: int
    page: str | None


def epoch_millis(value: datetime | int | str) -> int:
    """A moment as HubSpot's datetime filter value (epoch milliseconds); ``datetime`` must be time-zone aware."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise HubSpotInputError("modified since/until must be time-zone aware", field="modified_since")
        return int(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HubSpotInputError(f"not a moment: {value!r} (ISO 8601 or epoch ms)", field="modified_since") from None
    return epoch_millis(parsed)


class SearchPacer:
    """At most :data:`SEARCH_REQUESTS_PER_SECOND` searches a second from this hook: HubSpot's search budget is
    its own (a 429 ``SECONDLY`` there says nothing of the app's 10-second window, which it must not stall).

    Paced 10 % under the limit: sends are spaced here but counted by HubSpot on arrival, and a latency that varies
    between two requests can land six in one of its seconds (measured: 2-5 429s per 60 searches at exactly 5/s)."""

    def __init__(self, per_second: int = SEARCH_REQUESTS_PER_SECOND, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.1 / per_second
        self._clock = clock
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class ObjectListingApi:
    """Record ids of one object type: every one (list), or those modified in a window (search)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.pacer = SearchPacer()

    def iter_record_ids(
        self, object_type: str, *, after: str | None = None, after_id: int | None = None, api_version: str | None
    ) -> Iterator[ListedId]:
        """Every live record's id, page by page (:data:`LIST_PAGE_SIZE`), every cursor followed.

        :param after: start at this page (a resumed listing: :attr:`ListedId.page` of the last id done).
        :param after_id: skip the ids up to this one on that first page.
        :raises HubSpotPagingError: a cursor sent twice (the pages would loop).
        """
        version = self.ctx.api_version(api_version)
        f = normalize_object_type(object_type, "object_type")
        path = objects_path(version, f)
        deadline = ReadDeadline(f"list {plural_name(f)}", self.ctx.settings.read_deadline_seconds)
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": LIST_PAGE_SIZE, "archived": "false"}
            if after:
                params["after"] = after
            deadline.check("GET", path)
            _status, body = self.ctx.send("GET", path, params=params, required=True, shape=_paged)
            deadline.answered(len(body["results"]))
            for item in body["results"]:
                record_id = int(item["id"])
                if after_id is None or record_id > after_id:
                    yield ListedId(record_id, after)
            after_id = None
            following = next_after(body)
            if not following:
                return
            if following in seen or following == after:
                raise HubSpotPagingError(
                    f"HubSpot sent list cursor {following[:80]!r} of {plural_name(f)} a second time: its pages "
                    "would loop; nothing after the first of them was read",
                    method="GET",
                    path=path,
                )
            seen.add(following)
            after = following

    def iter_modified_record_ids(
        self,
        object_type: str,
        since: datetime | int | str,
        until: datetime | int | str,
        *,
        after_id: int | None = None,
        api_version: str | None,
    ) -> Iterator[int]:
        """Ids of records modified in ``[since, until)``, by id ascending (see the module for the 10,000 cap).

        :param after_id: only ids above it (a resumed export: the last id done).
        :raises HubSpotPagingError: a search cursor that does not move forward.
        """
        version = self.ctx.api_version(api_version)
        f = normalize_object_type(object_type, "object_type")
        low, high = epoch_millis(since), epoch_millis(until)
        if high <= low:
            raise HubSpotInputError(f"modified until ({high}) must be after since ({low})", field="modified_until")
        path = objects_path(version, f"{f}/search")
        deadline = ReadDeadline(f"search {plural_name(f)} modified", self.ctx.settings.read_deadline_seconds)
        modified = modified_property(f)
        window = [
            {"propertyName": modified, "operator": "GTE", "value": str(low)},
            {"propertyName": modified, "operator": "LT", "value": str(high)},
        ]
        last = after_id
        while True:  # one query per 10,000 results
            filters = window + (
                [{"propertyName": "hs_object_id", "operator": "GT", "value": str(last)}] if last else []
            )
            offset = 0
            while True:
                body = self._search(path, filters, offset, deadline)
                for item in body["results"]:
                    record_id = int(item["id"])
                    if last is not None and record_id <= last:
                        raise HubSpotPagingError(
                            f"search of {plural_name(f)} answered record {record_id} after {last}: not in id order, "
                            "so the 10,000-results split could skip or repeat records",
                            method="POST",
                            path=path,
                        )
                    last = record_id
                    yield record_id
                following = next_after(body)
                if following is None or not body["results"]:
                    return
                if int(following) <= offset:
                    raise HubSpotPagingError(
                        f"search cursor {following!r} of {plural_name(f)} does not move past {offset}: its pages "
                        "would loop",
                        method="POST",
                        path=path,
                    )
                if int(following) >= SEARCH_RESULTS_CAP:
                    break  # HubSpot answers no result past the cap: a new query from the last id
                offset = int(following)

    def _search(self, path: str, filters: list[dict[str, str]], offset: int, deadline: ReadDeadline) -> Any:
        payload: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "properties": ["hs_object_id"],
            "limit": SEARCH_PAGE_SIZE,
        }
        if offset:
            payload["after"] = str(offset)
        deadline.check("POST", path)
        self.pacer.wait()
        _status, body = self.ctx.send("POST", path, json=payload, required=True, shape=_search_page)
        deadline.answered(len(body["results"]))
        return body
