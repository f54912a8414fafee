"""The HubSpot Associations hook: the one door to HubSpot.

This module wires the hook into Airflow (connection type, form, ``test_connection``, settings and transport)
and keeps one thin method per public call. The calls themselves live in :mod:`.api`, by HubSpot's own areas
(labels, records, batch, limits, report, v3, objects and their listing); auth, retries and rate limiting in
:mod:`._transport`. Over 500 lines on purpose: some 40 public calls, each a few lines of delegation under the
docstring users read (the API reference is built from it), so the one door stays one class.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_hubassoc._compat import BaseHook
from airflow_provider_hubassoc.exceptions import HubSpotError, HubSpotMissingScopesError, scopes_hint
from airflow_provider_hubassoc.hooks._batching import CREATE_LIMIT, DEFAULT_LIMIT
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings, refuse_secret_arguments
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport
from airflow_provider_hubassoc.hooks.api import AssociationsApi, report
from airflow_provider_hubassoc.hooks.api._context import ApiContext, association_path
from airflow_provider_hubassoc.hooks.api._inputs import parse_pair as _parse_pair, positive_int as _positive_int

if TYPE_CHECKING:
    from datetime import datetime

    from typing_extensions import Unpack

    from airflow_provider_hubassoc.hooks._settings import HookSettings
    from airflow_provider_hubassoc.hooks.api.batch import Labels
    from airflow_provider_hubassoc.hooks.api.limits import Limits
    from airflow_provider_hubassoc.hooks.api.object_listing import ListedId
    from airflow_provider_hubassoc.hooks.api.objects import RecordMatch
    from airflow_provider_hubassoc.hooks.models import (
        AssociationLimit,
        AssociationRow,
        AssociationType,
        BatchResult,
        ChunkCallback,
        FailureCallback,
    )

#: the old private names, importable from here as before
__all__ = ["HubSpotAssociationsHook", "_parse_pair", "_positive_int", "association_path"]


class HubSpotAssociationsHook(BaseHook):
    """Talk to the HubSpot CRM Associations API (v3, v4 and date-versioned) through one Airflow connection.

    The connection's password is a service key or a private app access token (both sent as Bearer); or its
    extras hold an OAuth client id, client secret and refresh token. Its host (optional) overrides
    ``https://api.hubapi.com`` so the bundled emulator, a proxy or a regional host can be used.

    :param hubspot_conn_id: Airflow connection id of conn type ``hubspot``.
    :param settings: per-hook overrides of connection extras (for example ``api_version="2026-09"`` or
        ``requests_per_10_seconds=50``, see :class:`~._settings.HookSettings`); they win over the connection's
        extras. Credentials are refused (:class:`HubSpotConnectionSettingsError` naming the argument): they
        come from the connection only.
    """

    conn_name_attr = "hubspot_conn_id"
    default_conn_name = "hubspot_default"
    conn_type = "hubspot"
    hook_name = "HubSpot"
    #: retries of test_connection's single read (a transient 5xx gets one more chance, a dead host fails fast)
    test_connection_retries = 1

    def __init__(self, hubspot_conn_id: str = default_conn_name, **settings: Unpack[HookSettings]) -> None:
        super().__init__()
        refuse_secret_arguments(hubspot_conn_id, settings)
        self.hubspot_conn_id = hubspot_conn_id
        self._settings_overrides: Mapping[str, Any] = dict(settings)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hubspot_conn_id={self.hubspot_conn_id!r})"

    @classmethod
    def from_connection(cls, connection: Any, **settings: Unpack[HookSettings]) -> HubSpotAssociationsHook:
        """A hook over an already fetched ``Connection``: for triggers, which must fetch it asynchronously
        (``await aget_connection(...)``) instead of blocking the triggerer's event loop."""
        hook = cls(connection.conn_id or cls.default_conn_name, **settings)
        hook.__dict__["settings"] = HubSpotSettings.from_connection(connection, **hook._settings_overrides)
        return hook

    def cancel(self) -> None:
        """Stop this hook's running batch calls: no further chunk is sent, chunks in flight finish and are
        counted, then the call raises :class:`HubSpotCancelledError` with the exact partial result. Thread-safe;
        meant for ``on_kill`` and for callers that stop at a failure threshold."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @cached_property
    def _cancelled(self) -> threading.Event:
        return threading.Event()

    def daily_budget_reset(self) -> None:
        """HubSpot's daily reset has passed (a run resuming after it): send again, and restart the local count
        of the account's daily budget (shared by every hook of this account in the process)."""
        self.transport.limiter.daily_budget_reset()

    # -- Airflow wiring ---------------------------------------------------------------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form layout for Airflow 2.x and 3.0/3.1 (3.2+ reads the same data from ``get_provider_info``)."""
        return dict(UI_FIELD_BEHAVIOUR)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra form fields for Airflow 2.x and 3.0/3.1 (the form libraries are imported only then)."""
        from airflow_provider_hubassoc.hooks._form import form_widgets

        return form_widgets(CONNECTION_EXTRA_FIELDS)

    @cached_property
    def settings(self) -> HubSpotSettings:
        """Connection settings, parsed once: connection extras with this hook's overrides on top."""
        connection = self.get_connection(self.hubspot_conn_id)
        return HubSpotSettings.from_connection(connection, **self._settings_overrides)

    @cached_property
    def transport(self) -> HubSpotTransport:
        """The hook's HTTP transport: one pooled session, auth, retries, the shared rate limiter."""
        return HubSpotTransport(self.settings, logger=self.log)

    def get_conn(self) -> HubSpotTransport:
        return self.transport

    def close(self) -> None:
        """Release the HTTP session (in-flight requests finish or fail); safe to call twice."""
        if "transport" in self.__dict__:
            self.transport.close()

    def test_connection(self) -> tuple[bool, str]:
        """Check credentials, scopes and reachability with one cheap authenticated read: the contact-company
        label listing at the connection's API version (the v3 types listing only on a v3 connection), so the
        check calls no version the connection does not use. A scope refusal names the scopes to add."""
        try:
            version = self.settings.api_version
            endpoint = "types" if version == "v3" else "labels"
            path = association_path(version, f"associations/contacts/companies/{endpoint}")
            # one retry at most: the UI's "Test" button wants an answer in seconds, not after the back-off budget
            response = self.transport.request("GET", path, max_retries=self.test_connection_retries)
        except HubSpotMissingScopesError as error:
            hint = scopes_hint(error.required_scopes) or "the credential lacks a scope this call needs"
            where = f"HTTP {error.status} {error.category} on GET {path}"
            if error.correlation_id:
                where += f", correlationId={error.correlation_id}"
            return False, f"HubSpot refused: {hint} ({where})"
        except HubSpotError as error:
            return False, str(error)
        except Exception as error:  # the UI wants a message, never a traceback
            return False, f"{type(error).__name__}: {error}"
        return True, f"Connected to {self.settings.base_url} (GET {path}: HTTP {response.status_code})"

    # -- the Associations API, by HubSpot's areas (see :mod:`.api`) ------------------------------------------

    @cached_property
    def _api(self) -> AssociationsApi:
        """The API areas over this hook's settings, transport, log and cancel flag (built on first call)."""
        return AssociationsApi(ApiContext(lambda: self.settings, lambda: self.transport, self.log, self._cancelled))

    # -- labels (definitions), v4 / dated -----------------------------------------------------------------

    def list_labels(self, from_type: str, to_type: str, *, api_version: str | None = None) -> list[AssociationType]:
        """Every association type between two object types (``GET .../labels``), HubSpot-defined ones included.

        HubSpot-defined types carry their well-known name (``primary``, ``unlabeled``) in ``name``. The result
        refreshes the label cache used by :meth:`get_label`.
        """
        return self._api.labels.list_labels(from_type, to_type, api_version=api_version)

    def get_label(
        self, from_type: str, to_type: str, label: str | int, *, api_version: str | None = None
    ) -> AssociationType:
        """Resolve a label by text (case-insensitive) or by type id, for one object pair.

        Labels are cached per object pair; a miss refreshes the cache once (a label created elsewhere is found).
        ``primary`` and ``unlabeled`` (also ``default``) name the HubSpot-defined types, whatever their text
        (HubSpot renamed "Primary" in 2024). Internal names (``billing_contact``) resolve for labels this hook
        created, as HubSpot's listing does not return names.

        :raises HubSpotInputError: the label does not exist between these object types.
        """
        return self._api.labels.get_label(from_type, to_type, label, api_version=api_version)

    def create_label(
        self,
        from_type: str,
        to_type: str,
        *,
        name: str,
        label: str,
        inverse_label: str | None = None,
        api_version: str | None = None,
    ) -> list[AssociationType]:
        """Create a label (``POST .../labels``); with ``inverse_label`` a paired label, one type id per direction.

        HubSpot allows 10 labels per object pair; ``name`` is internal, cannot change later, has no hyphens and
        does not start with a digit. Replay-safe: a 409 for this label (our earlier send was applied and its
        answer lost, or an earlier run made it) adopts the existing label when its text (and inverse text)
        match, and returns its type id(s); a 409 for a different label is raised.
        """
        return self._api.labels.create_label(from_type, to_type, name, label, inverse_label, api_version)

    def update_label(
        self,
        from_type: str,
        to_type: str,
        *,
        type_id: int,
        label: str,
        inverse_label: str | None = None,
        api_version: str | None = None,
    ) -> None:
        """Change a label's text (``PUT .../labels``); its name and type id stay."""
        self._api.labels.update_label(from_type, to_type, type_id, label, inverse_label, api_version)

    def delete_label(self, from_type: str, to_type: str, type_id: int, *, api_version: str | None = None) -> None:
        """Delete a label (``DELETE .../labels/{typeId}``). HubSpot-defined types and labels in use cannot go.

        Replay-safe: a 404 for a label that is gone (our earlier send was applied and its answer lost) is done;
        the listing is checked, so a 404 for any other reason is raised.
        """
        self._api.labels.delete_label(from_type, to_type, type_id, api_version)

    # -- records (basic), v4 / dated --------------------------------------------------------------------------

    def associate(
        self,
        from_type: str,
        from_id: int | str,
        to_type: str,
        to_id: int | str,
        labels: str | int | Iterable[str | int] = (),
        *,
        api_version: str | None = None,
    ) -> AssociationRow:
        """Associate two records with one or more labels (``PUT .../objects/{f}/{id}/associations/{t}/{id}``).

        HubSpot *sets* the pair's labels to what is sent, so the pair's current labels are read first and sent
        too: a label is never dropped. Without labels this is :meth:`associate_default`.
        """
        return self._api.records.associate(from_type, from_id, to_type, to_id, labels, api_version)

    def detect_label_write_semantics(
        self,
        from_type: str,
        from_id: int | str,
        to_type: str,
        to_id: int | str,
        label_a: str | int,
        label_b: str | int,
        *,
        api_version: str | None = None,
    ) -> str:
        """Find out what this account's ``batch/create`` does to labels it does not name: ``"replace"`` or
        ``"merge"`` (the value for the connection's ``label_write_semantics``).

        On the one pair named (use test records, ideally in a sandbox account): reads its types, adds
        ``label_a`` (sent with the pair's current types), creates with ``label_b`` only, reads back (``label_a``
        still there: merge), then restores exactly the types the pair had (archives the pair if it had none)
        and checks that by a last read. Between those writes the pair may lack its labels and ``Primary``.
        Six to seven requests; whatever the connection's ``label_write_semantics`` says.

        :param label_a: two different user-defined labels between the object types (not Primary/unlabeled).
        :raises HubSpotError: the pair could not be restored to its types (the message names what differs).
        """
        return self._api.records.detect_label_write_semantics(
            from_type, from_id, to_type, to_id, label_a, label_b, api_version
        )

    def associate_default(
        self, from_type: str, from_id: int | str, to_type: str, to_id: int | str, *, api_version: str | None = None
    ) -> None:
        """Create the default (unlabeled) association (``PUT .../associations/default/{t}/{id}``); keeps labels."""
        self._api.records.associate_default(from_type, from_id, to_type, to_id, api_version)

    def remove_association(
        self, from_type: str, from_id: int | str, to_type: str, to_id: int | str, *, api_version: str | None = None
    ) -> None:
        """Remove every association (all labels) between two records (``DELETE``); the records stay."""
        self._api.records.remove_association(from_type, from_id, to_type, to_id, api_version)

    def iter_record_associations(
        self,
        from_type: str,
        from_id: int | str,
        to_type: str,
        *,
        page_size: int = 500,
        api_version: str | None = None,
    ) -> Iterator[AssociationRow]:
        """Every association of one record towards an object type, page by page (``GET``, at most 500 a page).

        Follows ``paging.next.after`` until HubSpot sends no cursor; a cursor seen twice, or more pages than the
        connection's ``max_pages_per_record``, raises
        :class:`~airflow_provider_hubassoc.exceptions.HubSpotPagingError` instead of looping for ever; a
        listing still running after ``read_deadline_seconds`` raises
        :class:`~airflow_provider_hubassoc.exceptions.HubSpotReadDeadlineError`.
        """
        return self._api.records.iter_record_associations(from_type, from_id, to_type, page_size, api_version)

    # -- batch, v4 / dated ----------------------------------------------------------------------------------

    def iter_read_associations(
        self,
        from_type: str,
        to_type: str,
        ids: Iterable[int | str],
        *,
        chunk_size: int | None = None,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
        api_version: str | None = None,
        follow_merges: bool = False,
    ) -> Iterator[AssociationRow]:
        """Stream every association of many records (``POST .../batch/read``, 1,000 ids a request).

        Each input's ``paging.next.after`` is followed (the id is re-sent with ``after``) until done, so records
        with more associations than one page are complete. Records without associations
        (``NO_ASSOCIATIONS_FOUND``) yield nothing and are not failures. Duplicate ids within a chunk are read
        once. Rows come chunk by chunk in input order; chunks run with the connection's ``max_concurrency``.
        A chunk's rows (all pages of its records) are held until the chunk is done: for records with tens of
        thousands of associations each, pass a smaller ``chunk_size`` to bound memory. The whole call (every
        chunk and page) is bounded by the connection's ``read_deadline_seconds``
        (:class:`~airflow_provider_hubassoc.exceptions.HubSpotReadDeadlineError`).

        :param on_failure: ``"raise"`` raises :class:`HubSpotBatchError` after the chunk holding the first real
            failure; ``"collect"`` reports failures to ``failure_callback`` and goes on.
        :param chunk_callback: as for :meth:`create_associations`.
        :param follow_merges: an id HubSpot answers under a merged record (reference §20.8) is read as that
            record, its rows keeping the id asked in ``asked_from_id``, once the record's
            ``hs_merged_object_ids`` confirm it (else, as by default, the unasked record is refused).
        """
        merged_into = None
        if follow_merges:

            def merged_into(ids: set[int]) -> dict[int, set[int]]:
                return self._api.objects.merged_into(from_type, ids, api_version)

        return self._api.batch.iter_read_associations(
            from_type, to_type, ids, chunk_size, on_failure, failure_callback, chunk_callback, api_version, merged_into
        )

    def iter_record_ids(
        self, object_type: str, *, after: str | None = None, after_id: int | None = None, api_version: str | None = None
    ) -> Iterator[ListedId]:
        """Every record of a type (``GET .../objects/{type}``, 100 a page), as ids with the page they came on.

        :param after: / ``after_id``: resume at a page, past the last id done (see :class:`ListedId`).
        """
        return self._api.listing.iter_record_ids(object_type, after=after, after_id=after_id, api_version=api_version)

    def iter_modified_record_ids(
        self,
        object_type: str,
        since: datetime | int | str,
        until: datetime | int | str,
        *,
        after_id: int | None = None,
        api_version: str | None = None,
    ) -> Iterator[int]:
        """Ids of the records modified in ``[since, until)`` (search, 200 a page, id ascending; HubSpot's
        10,000-results cap split on the id, its per-second search limit paced and retried)."""
        return self._api.listing.iter_modified_record_ids(
            object_type, since, until, after_id=after_id, api_version=api_version
        )

    def create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        labels: Labels = None,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
        chunk_size: int | None = None,
        api_version: str | None = None,
    ) -> BatchResult:
        """Associate many pairs, streamed and chunked; returns counts and every failed input.

        ``pairs`` items: ``(from_id, to_id)``, ``(from_id, to_id, labels)``, ``{"from_id", "to_id", "labels"?}``
        or :class:`AssociationInput`; ``labels`` applies to every pair. Pairs without labels get the default
        association (``batch/associate/default``, 1,000 a request). Labeled pairs: the pairs' current labels are
        read first (batch read of the from ids) and sent with the new ones, because HubSpot may *replace* a
        pair's labels; then ``batch/create`` (2,000 a request). A 207 keeps its successes; its errors are mapped
        back to the exact inputs. Every input is validated before its chunk is sent (a list: all inputs before
        anything is sent); duplicates within a chunk are collapsed (their labels merged) and counted as skipped.

        :param on_failure: ``"raise"``: raise :class:`HubSpotBatchError` (with the partial result) after the
            chunk holding the first failure (chunks already sent concurrently finish and are counted, no further
            chunk is sent); ``"collect"``: continue and report every failure.
        :param failure_callback: receives each :class:`InputFailure` as it is found.
        :param chunk_callback: receives ``(start, end)`` input positions of each finished chunk, in order, once
            its failures went to ``failure_callback`` (the point to checkpoint); a callback taking a third
            argument also gets the call's running :class:`BatchResult` (the counts so far). With one, at most
            ``max_concurrency`` chunks are in flight unrecorded.
        :raises HubSpotError: a call stopped early (a failure in raise mode, :meth:`cancel`, the daily budget)
            carries ``result`` (the finished prefix) and ``in_flight`` (chunks that finished after it).
        """
        return self._api.batch.create_associations(
            from_type, to_type, pairs, labels, on_failure, failure_callback, chunk_callback, chunk_size, api_version
        )

    def archive_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
        chunk_size: int | None = None,
        api_version: str | None = None,
    ) -> BatchResult:
        """Remove every association between each pair (``batch/archive``, 1,000 pairs a request).

        Archiving an absent pair is a no-op for HubSpot (idempotent). Same inputs and failure handling as
        :meth:`create_associations`; labels on inputs are ignored.
        """
        return self._api.batch.archive_associations(
            from_type, to_type, pairs, on_failure, failure_callback, chunk_callback, chunk_size, api_version
        )

    def archive_association_labels(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        labels: Labels = None,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
        chunk_size: int | None = None,
        api_version: str | None = None,
    ) -> BatchResult:
        """Remove specific labels from pairs, keeping the association (``batch/labels/archive``, 1,000 a request).

        Labels come from ``labels`` (for every pair) and/or each input's own labels; an input with none is an
        input error. Removing the *unlabeled* type removes every association of the pair (HubSpot's rule).
        """
        return self._api.batch.archive_association_labels(
            from_type, to_type, pairs, labels, on_failure, failure_callback, chunk_callback, chunk_size, api_version
        )

    # -- association limits (configurations) and the usage report, v4 / dated ----------------------------------

    def list_association_limits(
        self, from_type: str | None = None, to_type: str | None = None, *, api_version: str | None = None
    ) -> list[AssociationLimit]:
        """Configured association limits: of one object pair, or of every pair when no types are given."""
        return self._api.limits.list_association_limits(from_type, to_type, api_version)

    def create_association_limits(
        self, from_type: str, to_type: str, limits: Limits, *, api_version: str | None = None
    ) -> list[AssociationLimit]:
        """Set limits (``configurations/{f}/{t}/batch/create``): ``{label or type id: max to-object ids}``."""
        return self._api.limits.write_limits("create", from_type, to_type, limits, api_version)

    def update_association_limits(
        self, from_type: str, to_type: str, limits: Limits, *, api_version: str | None = None
    ) -> list[AssociationLimit]:
        """Change limits (``configurations/{f}/{t}/batch/update``); same input as :meth:`create_association_limits`."""
        return self._api.limits.write_limits("update", from_type, to_type, limits, api_version)

    def purge_association_limits(
        self, from_type: str, to_type: str, labels: Iterable[str | int], *, api_version: str | None = None
    ) -> None:
        """Remove configured limits of these labels (``configurations/{f}/{t}/batch/purge``)."""
        self._api.limits.purge_association_limits(from_type, to_type, labels, api_version)

    def request_high_usage_report(self, user_id: int | str, *, api_version: str | None = None) -> dict[str, Any]:
        """Ask HubSpot to email ``user_id`` a report of records near their association limits (POST)."""
        return report.request_high_usage_report(self._api.ctx, user_id, api_version)

    # -- v3 ---------------------------------------------------------------------------------------------------

    def v3_list_types(self, from_type: str, to_type: str) -> list[AssociationType]:
        """v3 association types between two object types (``GET /crm/v3/.../types``): ``type_id`` and ``name``."""
        return self._api.v3.list_types(from_type, to_type)

    def v3_create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        association_type: str | None = None,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
        chunk_size: int | None = None,
    ) -> BatchResult:
        """v3 batch create (``POST /crm/v3/.../batch/create``, 2,000 a request; 200 or 201 both mean done).

        :param association_type: the v3 type name (see :meth:`v3_list_types`); by default the unlabeled type
            (``contact_to_company_unlabeled`` where a primary type exists, else ``deal_to_contact``-style).
        """
        return self._api.v3.write(
            "create", from_type, to_type, pairs, association_type, on_failure, failure_callback, chunk_callback,
            chunk_size, CREATE_LIMIT,
        )  # fmt: skip

    def v3_archive_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        association_type: str | None = None,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
        chunk_size: int | None = None,
    ) -> BatchResult:
        """v3 batch archive (``POST /crm/v3/.../batch/archive``, 1,000 a request, 204)."""
        return self._api.v3.write(
            "archive", from_type, to_type, pairs, association_type, on_failure, failure_callback, chunk_callback,
            chunk_size, DEFAULT_LIMIT,
        )  # fmt: skip

    def iter_v3_read_associations(
        self,
        from_type: str,
        to_type: str,
        ids: Iterable[int | str],
        *,
        chunk_size: int | None = None,
        on_failure: str = "raise",
        failure_callback: FailureCallback | None = None,
        chunk_callback: ChunkCallback | None = None,
    ) -> Iterator[AssociationRow]:
        """v3 batch read (``POST /crm/v3/.../batch/read``, 1,000 ids a request); types carry v3 names only.

        Two v3 limits, logged as warnings: reads towards companies return only the *primary* company, and
        v3 ignores ``after`` in inputs, so a record with more than one page (100) of associations is cut at
        the first page (re-sending would loop forever). Use :meth:`iter_read_associations` (v4) for all rows.
        """
        return self._api.v3.iter_read_associations(
            from_type, to_type, ids, chunk_size, on_failure, failure_callback, chunk_callback
        )

    # -- record look-ups (CRM objects batch/read) ------------------------------------------------------------

    def resolve_record_ids(
        self, object_type: str, id_property: str | None, keys: Iterable[str], *, api_version: str | None = None
    ) -> Iterator[RecordMatch]:
        """The record id of each key, 100 keys a request (``POST .../objects/{V}/{type}/batch/read`` with
        ``idProperty``, reference §20.8): a :class:`~.api.objects.RecordMatch` per key, ``id`` ``None`` for a key
        HubSpot does not know. ``id_property=None`` reads by record id: a merged-away id answers the surviving id.

        :raises HubSpotInputError: ``id_property`` is not a unique-value property in HubSpot (e.g. company
            ``domain``).
        """
        return self._api.objects.resolve(object_type, id_property, keys, api_version)
