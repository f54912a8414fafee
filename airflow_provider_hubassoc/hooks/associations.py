"""The HubSpot Associations hook: the one door to HubSpot.

Auth, transport, retries and rate limiting live in :mod:`._transport` (built once per hook from the Airflow
connection); this module wires the hook into Airflow (connection type, form, ``test_connection``) and
offers the Associations API on top of the transport.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_hubassoc._compat import BaseHook
from airflow_provider_hubassoc.exceptions import (
    HubSpotBatchError,
    HubSpotCancelledError,
    HubSpotError,
    HubSpotInputError,
    HubSpotMissingScopesError,
    HubSpotNotFoundError,
    HubSpotValidationError,
    scopes_hint,
)
from airflow_provider_hubassoc.hooks._batching import (
    CREATE_LIMIT,
    DEFAULT_LIMIT,
    READ_LIMIT,
    Chunk,
    ProgressLogger,
    chunk_size_for,
    iter_chunks,
    known_length,
    run_chunks,
)
from airflow_provider_hubassoc.hooks._json import batch_inputs, dumps
from airflow_provider_hubassoc.hooks._object_types import (
    HUBSPOT_DEFINED_TYPES,
    hubspot_defined_type_id,
    normalize_object_type,
    plural_name,
    singular_name,
)
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings, normalize_api_version
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport
from airflow_provider_hubassoc.hooks._validation import (
    MAX_RECORD_ID,
    label_length_problem,
    record_id_problem,
    shown,
)
from airflow_provider_hubassoc.hooks._versions import DEFAULT_API_VERSION, version_warning
from airflow_provider_hubassoc.hooks._writes import (
    PairTypes,
    WrittenPairs,
    _Outcome,
    _Pair,
    archive_payload,
    as_int,
    collapse,
    create_payload,
    default_payload,
    failure,
    match_error,
    send,
    send_rederived,
    split,
    sub_category,
    union_types,
    write_batch,
)
from airflow_provider_hubassoc.hooks.models import (
    AssociationInput,
    AssociationLimit,
    AssociationRow,
    AssociationType,
    BatchResult,
    InputFailure,
)


class HubSpotAssociationsHook(BaseHook):
    """Talk to the HubSpot CRM Associations API (v3, v4 and date-versioned) through one Airflow connection.

    The connection's password is a service key or a private app access token (both sent as Bearer); or its
    extras hold an OAuth client id, client secret and refresh token. Its host (optional) overrides ``https://api.hubapi.com`` so the bundled
    emulator, a proxy or a regional host can be used.

    :param hubspot_conn_id: Airflow connection id of conn type ``hubspot``.
    :param settings_overrides: per-hook overrides of connection extras (for example ``api_version="2026-09"``
        or ``requests_per_10_seconds=50``); they win over the connection's extras.
    """

    conn_name_attr = "hubspot_conn_id"
    default_conn_name = "hubspot_default"
    conn_type = "hubspot"
    hook_name = "HubSpot"
    #: retries of test_connection's single read (a transient 5xx gets one more chance, a dead host fails fast)
    test_connection_retries = 1

    def __init__(self, hubspot_conn_id: str = default_conn_name, **settings_overrides: Any) -> None:
        super().__init__()
        self.hubspot_conn_id = hubspot_conn_id
        self._settings_overrides = settings_overrides
        #: the counts of the batch call running (or last run) on this hook, kept up to date chunk by chunk
        self.batch_result: BatchResult | None = None
        #: chunks of the last batch write that finished after an earlier chunk raised (sent, not in the prefix)
        self.batch_in_flight: BatchResult | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hubspot_conn_id={self.hubspot_conn_id!r})"

    @classmethod
    def from_connection(cls, connection: Any, **settings_overrides: Any) -> HubSpotAssociationsHook:
        """A hook over an already fetched ``Connection``: for triggers, which must fetch it asynchronously
        (``await aget_connection(...)``) instead of blocking the triggerer's event loop."""
        hook = cls(connection.conn_id or cls.default_conn_name, **settings_overrides)
        hook.__dict__["settings"] = HubSpotSettings.from_connection(connection, **settings_overrides)
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

    # -- Airflow wiring ---------------------------------------------------------------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form layout for Airflow 2.x and 3.0/3.1 (3.2+ reads the same data from ``get_provider_info``)."""
        return dict(UI_FIELD_BEHAVIOUR)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra form fields for Airflow 2.x and 3.0/3.1; imports the form libraries lazily."""
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, IntegerField, PasswordField, StringField
        from wtforms.validators import AnyOf, NumberRange, Optional

        widgets: dict[str, Any] = {}
        for name, spec in CONNECTION_EXTRA_FIELDS.items():
            schema = spec["schema"]
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            label = lazy_gettext(spec["label"])
            description = spec.get("description", "")
            default = schema.get("default")
            if schema.get("format") == "password":
                field = PasswordField(label, widget=BS3PasswordFieldWidget(), description=description)
            elif schema.get("enum"):  # Airflow 2's form takes text, integer, password and boolean fields only
                choices = [value for value in schema["enum"] if value is not None]
                field = StringField(
                    label,
                    validators=[Optional(), AnyOf(choices)],
                    widget=BS3TextFieldWidget(),
                    default=default,
                    description=description,
                )
            elif "boolean" in types:
                field = BooleanField(label, default=default, description=description)
            elif "integer" in types:
                field = IntegerField(
                    label,
                    validators=[Optional(), NumberRange(min=schema.get("minimum"), max=schema.get("maximum"))],
                    widget=BS3TextFieldWidget(),
                    default=default,
                    description=description,
                )
            else:
                field = StringField(label, widget=BS3TextFieldWidget(), default=default, description=description)
            widgets[name] = field
        return widgets

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

    # -- Associations API --------------------------------------------------------------------------------
    # Everything below builds on ``self.transport.request`` only. Paths come from :func:`association_path`;
    # no other code looks at the API version.

    def _api_version(self, api_version: str | None, *, allow_v3: bool = False) -> str:
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

    @cached_property
    def _versions_warned(self) -> set[str]:
        return set()

    @cached_property
    def _versions_lock(self) -> threading.Lock:
        return threading.Lock()

    def _warn_if_retiring(self, version: str) -> None:
        """One warning per hook and version past HubSpot's Current stage or near unsupported (``_versions``)."""
        if version in self._versions_warned:
            return
        with self._versions_lock:
            if version in self._versions_warned:
                return
            self._versions_warned.add(version)
        warning = version_warning(version)
        if warning:
            self.log.warning("%s", warning)

    def _object_pair(
        self, from_type: str, to_type: str, api_version: str | None, *, allow_v3: bool = False
    ) -> tuple[str, str, str]:
        """``(version, from type, to type)`` of one call, validated and normalised once."""
        version = self._api_version(api_version, allow_v3=allow_v3)
        return version, normalize_object_type(from_type, "from_type"), normalize_object_type(to_type, "to_type")

    def _send(self, method: str, path: str, *, json: Any = None, params: Any = None) -> tuple[int, Any]:
        """One request with plain retries; ``(status, parsed body or None)``."""
        return send(self.transport, method, path, json=json, params=params)

    @cached_property
    def _label_cache(self) -> dict[tuple[str, str, str], list[AssociationType]]:
        return {}

    @cached_property
    def _label_lock(self) -> threading.Lock:
        return threading.Lock()

    @cached_property
    def _label_names(self) -> dict[tuple[str, str, str], dict[int, str]]:
        """Internal names of labels this hook created (HubSpot's listing does not return them)."""
        return {}

    def _forget_labels(self, version: str, from_type: str, to_type: str) -> None:
        with self._label_lock:
            self._label_cache.pop((version, from_type, to_type), None)
            self._label_cache.pop((version, to_type, from_type), None)

    # -- labels (definitions), v4 / dated -----------------------------------------------------------------

    def list_labels(self, from_type: str, to_type: str, *, api_version: str | None = None) -> list[AssociationType]:
        """Every association type between two object types (``GET .../labels``), HubSpot-defined ones included.

        HubSpot-defined types carry their well-known name (``primary``, ``unlabeled``) in ``name``. The result
        refreshes the label cache used by :meth:`get_label`.
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _status, body = self._send("GET", association_path(version, f"associations/{f}/{t}/labels"))
        known = {v: k for k, v in HUBSPOT_DEFINED_TYPES.get((f, t), {}).items()}
        types = []
        for item in (body or {}).get("results", []):
            parsed = AssociationType.from_api(item)
            defined = parsed.category == "HUBSPOT_DEFINED"
            name = known.get(parsed.type_id) if defined and parsed.type_id is not None else None
            if parsed.category == "HUBSPOT_DEFINED" and parsed.label is None and name is None:
                name = "unlabeled"
            if name is None and parsed.type_id is not None:
                name = self._label_names.get((version, f, t), {}).get(parsed.type_id)
            types.append(AssociationType(parsed.category, parsed.type_id, parsed.label, name))
        with self._label_lock:
            self._label_cache[(version, f, t)] = types
        return list(types)

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
        version, f, t = self._object_pair(from_type, to_type, api_version)
        with self._label_lock:
            cached = self._label_cache.get((version, f, t))
        if cached is not None:
            found = _find_label(cached, label, f, t)
            if found is not None:
                return found
        types = self.list_labels(f, t, api_version=version)
        found = _find_label(types, label, f, t)
        if found is None:
            known = ", ".join(repr(x.label or x.name or x.type_id) for x in types)
            raise HubSpotInputError(
                f"no association label {label!r} from {plural_name(f)} to {plural_name(t)}; known: {known}",
                field="labels",
            )
        return found

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
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _check_label_texts(name=name, label=label, inverse_label=inverse_label)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise HubSpotInputError(
                f"label name {name!r} must be letters, digits and underscores, not starting with a digit", field="name"
            )
        body: dict[str, Any] = {"name": name, "label": label}
        if inverse_label is not None:
            body["inverseLabel"] = inverse_label
        try:
            _status, response = self._send("POST", association_path(version, f"associations/{f}/{t}/labels"), json=body)
            created = [AssociationType.from_api(item, name=name) for item in (response or {}).get("results", [])]
        except HubSpotValidationError as error:
            created = self._existing_label(version, f, t, name, label, inverse_label) if error.status == 409 else []
            if not created:
                raise
            self.log.info(
                "Label %r (%s) already exists, adopted: type id(s) %s", name, label, [x.type_id for x in created]
            )
        with self._label_lock:
            names = self._label_names.setdefault((version, f, t), {})
            names.update({x.type_id: name for x in created if x.type_id is not None})
        self._forget_labels(version, f, t)
        return created

    def _existing_label(
        self, version: str, f: str, t: str, name: str, label: str, inverse_label: str | None
    ) -> list[AssociationType]:
        """The user-defined label(s) a create of ``label`` (and ``inverse_label``) would have made, in create's
        shape (one per direction); empty unless exactly one label per direction has that text."""
        self._forget_labels(version, f, t)

        def only(types: list[AssociationType], text: str, exclude: int | None = None) -> AssociationType | None:
            found = [x for x in types if x.category == "USER_DEFINED" and x.label == text and x.type_id != exclude]
            if len(found) != 1:
                return None
            return AssociationType(found[0].category, found[0].type_id, found[0].label, name)

        forward = only(self.list_labels(f, t, api_version=version), label)
        if forward is None:
            return []
        if inverse_label is None:
            return [forward]
        inverse = only(
            self.list_labels(t, f, api_version=version), inverse_label, exclude=forward.type_id if f == t else None
        )
        return [forward, inverse] if inverse is not None else []

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
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _check_label_texts(label=label, inverse_label=inverse_label)
        body: dict[str, Any] = {"associationTypeId": _positive_int(type_id, None, "type_id"), "label": label}
        if inverse_label is not None:
            body["inverseLabel"] = inverse_label
        self._send("PUT", association_path(version, f"associations/{f}/{t}/labels"), json=body)
        self._forget_labels(version, f, t)

    def delete_label(self, from_type: str, to_type: str, type_id: int, *, api_version: str | None = None) -> None:
        """Delete a label (``DELETE .../labels/{typeId}``). HubSpot-defined types and labels in use cannot go.

        Replay-safe: a 404 for a label that is gone (our earlier send was applied and its answer lost) is done;
        the listing is checked, so a 404 for any other reason is raised.
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        type_id = _positive_int(type_id, None, "type_id")
        try:
            self._send("DELETE", association_path(version, f"associations/{f}/{t}/labels/{type_id}"))
        except HubSpotNotFoundError:
            if any(x.type_id == type_id for x in self.list_labels(f, t, api_version=version)):
                raise
            self.log.info(
                "Label %s from %s to %s is already gone: nothing to delete", type_id, plural_name(f), plural_name(t)
            )
        self._forget_labels(version, f, t)

    def _resolve_labels(
        self, version: str, f: str, t: str, labels: Iterable[str | int], position: int | None
    ) -> tuple[AssociationType, ...]:
        resolved: dict[tuple[str | None, int | None], AssociationType] = {}
        for label in labels:
            try:
                found = self.get_label(f, t, label, api_version=version)
            except HubSpotInputError as error:
                raise HubSpotInputError(error.message, position=position, field="labels") from None
            resolved.setdefault(found.key, found)
        return tuple(resolved.values())

    # -- records, v4 / dated --------------------------------------------------------------------------------

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
        version, f, t = self._object_pair(from_type, to_type, api_version)
        fid, tid = _positive_int(from_id, None, "from_id"), _positive_int(to_id, None, "to_id")
        wanted = self._resolve_labels(version, f, t, _label_tuple(labels, None), None)
        if not wanted:
            self.associate_default(f, fid, t, tid, api_version=version)
            current = self._existing_types(version, f, t, [(fid, tid)])
            return AssociationRow(f, fid, t, tid, current.get((fid, tid), ()))
        existing: list[tuple[AssociationType, ...]] = []

        def refresh() -> None:  # the pair's current types; again after a lost answer (see _writes)
            existing[:] = [self._existing_types(version, f, t, [(fid, tid)]).get((fid, tid), ())]

        def build() -> list[dict[str, Any]]:
            return [x.spec() for x in union_types(existing[0], wanted) if x.category is not None]

        refresh()
        path = association_path(version, f"objects/{f}/{fid}/associations/{t}/{tid}")
        send_rederived(self.transport, "PUT", path, build, refresh)
        return AssociationRow(f, fid, t, tid, union_types(existing[0], wanted))

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
        version, f, t = self._object_pair(from_type, to_type, api_version)
        fid, tid = _positive_int(from_id, None, "from_id"), _positive_int(to_id, None, "to_id")
        a, b = (self._resolve_labels(version, f, t, [label], None)[0] for label in (label_a, label_b))
        if a.key == b.key or "HUBSPOT_DEFINED" in (a.category, b.category):
            raise HubSpotInputError("needs two different user-defined labels (not Primary/unlabeled)", field="labels")
        key = (fid, tid)

        def types_now() -> tuple[AssociationType, ...]:
            return self._existing_types(version, f, t, [key]).get(key, ())

        create = association_path(version, f"associations/{f}/{t}/batch/create")

        def write(types: tuple[AssociationType, ...], *, keep_current: bool) -> None:
            outcome = _Outcome()
            reader = (
                (lambda part, counter: self._existing_types(version, f, t, [key], counter)) if keep_current else None
            )
            pair = [_Pair(0, fid, tid, (), types)]
            write_batch(self.transport, outcome, "POST", create, pair, create_payload, f, t, current=reader)
            if outcome.failures:
                raise HubSpotError(f"label write semantics: the create was refused: {outcome.failures[0].message}")

        original = types_now()
        write((a,), keep_current=True)
        write((b,), keep_current=False)
        semantics = "merge" if a.key in {x.key for x in types_now()} else "replace"
        if original:
            write(original, keep_current=False)
            extra = [x for x in types_now() if x.key not in {o.key for o in original}]
            if extra:
                path = association_path(version, f"associations/{f}/{t}/batch/labels/archive")
                self._send("POST", path, json=create_payload([_Pair(0, fid, tid, (), tuple(extra))]))
        else:
            path = association_path(version, f"associations/{f}/{t}/batch/archive")
            self._send("POST", path, json=archive_payload([_Pair(0, fid, tid)]))
        restored = {x.key for x in types_now()}
        if restored != {o.key for o in original}:
            raise HubSpotError(
                f"label write semantics: {semantics}, but {plural_name(f)} {fid} -> {plural_name(t)} {tid} was not "
                f"restored: it had types {sorted(map(str, (o.key for o in original)))}, has {sorted(map(str, restored))}"
            )
        self.log.info("label write semantics of this account's batch/create: %s", semantics)
        return semantics

    def associate_default(
        self, from_type: str, from_id: int | str, to_type: str, to_id: int | str, *, api_version: str | None = None
    ) -> None:
        """Create the default (unlabeled) association (``PUT .../associations/default/{t}/{id}``); keeps labels."""
        version, f, t = self._object_pair(from_type, to_type, api_version)
        fid, tid = _positive_int(from_id, None, "from_id"), _positive_int(to_id, None, "to_id")
        self._send("PUT", association_path(version, f"objects/{f}/{fid}/associations/default/{t}/{tid}"))

    def remove_association(
        self, from_type: str, from_id: int | str, to_type: str, to_id: int | str, *, api_version: str | None = None
    ) -> None:
        """Remove every association (all labels) between two records (``DELETE``); the records stay."""
        version, f, t = self._object_pair(from_type, to_type, api_version)
        fid, tid = _positive_int(from_id, None, "from_id"), _positive_int(to_id, None, "to_id")
        self._send("DELETE", association_path(version, f"objects/{f}/{fid}/associations/{t}/{tid}"))

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

        Follows ``paging.next.after`` until HubSpot sends no cursor; a cursor seen twice stops the loop with a
        warning instead of looping forever.
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        fid = _positive_int(from_id, None, "from_id")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 500:
            raise HubSpotInputError("page_size must be between 1 and 500", field="page_size")
        path = association_path(version, f"objects/{f}/{fid}/associations/{t}")
        after: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if after:
                params["after"] = after
            _status, body = self._send("GET", path, params=params)
            body = body or {}
            for item in body.get("results", []):
                yield _row_from_multi(f, fid, t, item)
            after = _next_after(body)
            if not after:
                return
            if after in seen:
                self.log.warning("HubSpot repeated paging cursor %r for %s %s; stopping", after, plural_name(f), fid)
                return
            seen.add(after)

    # -- batch, v4 / dated ----------------------------------------------------------------------------------

    def iter_read_associations(
        self,
        from_type: str,
        to_type: str,
        ids: Iterable[int | str],
        *,
        chunk_size: int | None = None,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
        api_version: str | None = None,
    ) -> Iterator[AssociationRow]:
        """Stream every association of many records (``POST .../batch/read``, 1,000 ids a request).

        Each input's ``paging.next.after`` is followed (the id is re-sent with ``after``) until done, so records
        with more associations than one page are complete. Records without associations
        (``NO_ASSOCIATIONS_FOUND``) yield nothing and are not failures. Duplicate ids within a chunk are read
        once. Rows come chunk by chunk in input order; chunks run with the connection's ``max_concurrency``.
        A chunk's rows (all pages of its records) are held until the chunk is done: for records with tens of
        thousands of associations each, pass a smaller ``chunk_size`` to bound memory.

        :param on_failure: ``"raise"`` raises :class:`HubSpotBatchError` after the chunk holding the first real
            failure; ``"collect"`` reports failures to ``failure_callback`` and goes on.
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _check_on_failure(on_failure)
        size = chunk_size_for(READ_LIMIT, chunk_size)
        result = BatchResult(f"read {plural_name(f)}->{plural_name(t)} associations")
        items = _validated(ids, lambda item, position: _ReadInput(position, _positive_int(item, position, "id")))

        def work(chunk: Chunk[_ReadInput]) -> _Outcome:
            unique: dict[int, _ReadInput] = {}
            for item in chunk.items:
                unique.setdefault(item.id, item)
            outcome = _Outcome(skipped=len(chunk.items) - len(unique))
            self._batch_read(version, f, t, list(unique.values()), outcome, None)
            return outcome

        yield from self._run_reads(result, ids, items, size, work, on_failure, failure_callback, chunk_callback)

    def _batch_read(
        self,
        version: str,
        f: str,
        t: str,
        inputs: list[_ReadInput],
        outcome: _Outcome,
        keep_to: Mapping[int, set[int]] | None,
    ) -> None:
        """Batch-read ``inputs`` following every per-input cursor; rows go to ``outcome.rows`` (or, with
        ``keep_to``, only rows whose ``to_id`` is wanted for that ``from_id`` go to ``outcome.existing``, and a
        record's cursor is no longer followed once each of its wanted ``to_id`` was seen)."""
        path = association_path(version, f"associations/{f}/{t}/batch/read")
        queue: deque[tuple[int, str | None]] = deque((item.id, None) for item in inputs)
        seen: set[tuple[int, str]] = set()
        failed: set[int] = set()
        missing = {fid: set(tos) for fid, tos in keep_to.items()} if keep_to is not None else None
        while queue:
            batch = [queue.popleft() for _ in range(min(READ_LIMIT, len(queue)))]
            payload = batch_inputs(
                f'{{"id":"{i}","after":{dumps(a).decode()}}}' if a else f'{{"id":"{i}"}}' for i, a in batch
            )
            status, body = self._send("POST", path, json=payload)
            outcome.requests += 1
            body = body or {}
            for item in body.get("results", []):
                from_id = as_int((item.get("from") or {}).get("id"))
                if from_id is None:
                    continue
                wanted = keep_to.get(from_id, ()) if keep_to is not None else None
                for to in item.get("to") or []:
                    if wanted is None:
                        outcome.rows.append(_row_from_multi(f, from_id, t, to))
                    elif as_int(to.get("toObjectId")) in wanted:  # only the pairs being written are parsed
                        row = _row_from_multi(f, from_id, t, to)
                        outcome.existing[(from_id, row.to_id)] = row.types
                        missing[from_id].discard(row.to_id)  # type: ignore[index]
                after = _next_after(item)
                if after and missing is not None and not missing.get(from_id, True):
                    continue  # every wanted pair of this record is seen: its further pages cannot matter
                if after:
                    if (from_id, after) in seen:
                        self.log.warning("HubSpot repeated paging cursor for %s %s; stopping", plural_name(f), from_id)
                    else:
                        seen.add((from_id, after))
                        queue.append((from_id, after))
            for error in body.get("errors") or []:
                if sub_category(error) == NO_ASSOCIATIONS_FOUND:
                    continue
                matched: Sequence[tuple[int | None, int | None, int | None]] = match_error(
                    error, [(item.position, item.id, None) for item in inputs], f, t
                )
                for position, from_id, _to in matched or [(None, None, None)]:
                    if from_id is not None:
                        if from_id in failed:
                            continue
                        failed.add(from_id)
                    outcome.failures.append(
                        failure(position, {"id": from_id} if from_id is not None else None, status, error)
                    )

    def _existing_types(
        self, version: str, f: str, t: str, pairs: Iterable[tuple[int, int]], counter: _Outcome | None = None
    ) -> dict[tuple[int, int], tuple[AssociationType, ...]]:
        """Current types of each pair, read with batch read of the from ids (every page); read errors are
        ignored here (a pair that cannot be read fails, and is reported, in the write that follows)."""
        keep: dict[int, set[int]] = {}
        for fid, tid in pairs:
            keep.setdefault(fid, set()).add(tid)
        outcome = _Outcome()
        self._batch_read(version, f, t, [_ReadInput(-1, fid) for fid in keep], outcome, keep)
        if counter is not None:
            counter.requests += outcome.requests
        return outcome.existing

    def _written_pairs(self, version: str, f: str, t: str) -> WrittenPairs:
        """A memory of one call's labeled writes; answers name labels by text, mapped back with the cached
        label listing (filled by the label lookups of the call's inputs)."""

        def label_types() -> list[AssociationType]:
            with self._label_lock:
                return list(self._label_cache.get((version, f, t)) or [])

        return WrittenPairs(label_types)

    def _labeled_parser(
        self, version: str, f: str, t: str, labels: str | int | Iterable[str | int] | None
    ) -> tuple[tuple[AssociationType, ...], Callable[[Any, int], _Pair]]:
        """Resolve the call's common ``labels`` once; return them and a parser giving each input the union of
        those and its own labels (resolved, so an unknown label fails naming the input's position)."""
        common = _label_tuple(labels, None) if labels is not None else ()
        common_types = self._resolve_labels(version, f, t, common, None)

        def parse(item: Any, position: int) -> _Pair:
            pair = _parse_pair(item, position)
            if not pair.labels:  # the usual case: the call's labels only
                return _Pair(position, pair.from_id, pair.to_id, (), common_types)
            own = self._resolve_labels(version, f, t, pair.labels, position)
            return _Pair(position, pair.from_id, pair.to_id, pair.labels, union_types(common_types, own))

        return common_types, parse

    def create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        labels: str | int | Iterable[str | int] | None = None,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
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
            its failures went to ``failure_callback`` (the point to checkpoint; ``self.batch_result`` holds the
            counts so far). With one, at most ``max_concurrency`` chunks are in flight unrecorded.
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _check_on_failure(on_failure)
        common_types, parse = self._labeled_parser(version, f, t, labels)
        result = BatchResult(f"create {plural_name(f)}->{plural_name(t)} associations")
        items = _validated(pairs, parse)
        labeled_path = association_path(version, f"associations/{f}/{t}/batch/create")
        default_path = association_path(version, f"associations/{f}/{t}/batch/associate/default")
        # One chunk size per call: 2,000 when every pair gets labels (batch/create), else 1,000 (the default
        # endpoint's assumed maximum; labeled and unlabeled inputs may be mixed in one chunk).
        limit = CREATE_LIMIT if common_types else DEFAULT_LIMIT
        size = limit if chunk_size is None else chunk_size_for(CREATE_LIMIT, chunk_size)

        merge = self.settings.label_write_semantics == "merge"

        def current(part: list[_Pair], counter: _Outcome) -> PairTypes:
            return self._existing_types(version, f, t, [(p.from_id, p.to_id) for p in part], counter)

        written = None if merge else self._written_pairs(version, f, t)

        def work(chunk: Chunk[_Pair]) -> _Outcome:
            unique, skipped = collapse(chunk.items)
            outcome = _Outcome(skipped=skipped)
            labeled = [p for p in unique if p.types]
            plain = [p for p in unique if not p.types]
            for part in split(plain, DEFAULT_LIMIT):
                write_batch(self.transport, outcome, "POST", default_path, part, default_payload, f, t)
            for part in split(labeled, CREATE_LIMIT):
                if merge:  # the account keeps other labels: send the wanted ones, replay as is (see _writes)
                    outcome.reads_skipped += len(part)
                    write_batch(self.transport, outcome, "POST", labeled_path, part, create_payload, f, t)
                else:
                    write_batch(
                        self.transport,
                        outcome,
                        "POST",
                        labeled_path,
                        part,
                        create_payload,
                        f,
                        t,
                        current=current,
                        written=written,
                    )
            return outcome

        return self._run_writes(result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)

    def archive_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
        chunk_size: int | None = None,
        api_version: str | None = None,
    ) -> BatchResult:
        """Remove every association between each pair (``batch/archive``, 1,000 pairs a request).

        Archiving an absent pair is a no-op for HubSpot (idempotent). Same inputs and failure handling as
        :meth:`create_associations`; labels on inputs are ignored.
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _check_on_failure(on_failure)
        result = BatchResult(f"archive {plural_name(f)}->{plural_name(t)} associations")
        items = _validated(pairs, _parse_pair)
        size = chunk_size_for(DEFAULT_LIMIT, chunk_size)
        path = association_path(version, f"associations/{f}/{t}/batch/archive")

        work = self._one_request_per_chunk(path, archive_payload, f, t)
        return self._run_writes(result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)

    def archive_association_labels(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        labels: str | int | Iterable[str | int] | None = None,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
        chunk_size: int | None = None,
        api_version: str | None = None,
    ) -> BatchResult:
        """Remove specific labels from pairs, keeping the association (``batch/labels/archive``, 1,000 a request).

        Labels come from ``labels`` (for every pair) and/or each input's own labels; an input with none is an
        input error. Removing the *unlabeled* type removes every association of the pair (HubSpot's rule).
        """
        version, f, t = self._object_pair(from_type, to_type, api_version)
        _check_on_failure(on_failure)
        _common_types, parse_labeled = self._labeled_parser(version, f, t, labels)
        result = BatchResult(f"archive {plural_name(f)}->{plural_name(t)} labels")

        def parse(item: Any, position: int) -> _Pair:
            pair = parse_labeled(item, position)
            if not pair.types:
                raise HubSpotInputError(
                    "no label to remove: pass labels= or give the input labels", position=position, field="labels"
                )
            return pair

        items = _validated(pairs, parse)
        size = chunk_size_for(DEFAULT_LIMIT, chunk_size)
        path = association_path(version, f"associations/{f}/{t}/batch/labels/archive")

        work = self._one_request_per_chunk(path, create_payload, f, t)
        return self._run_writes(result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)

    # -- association limits and usage, v4 / dated ---------------------------------------------------------

    def list_association_limits(
        self, from_type: str | None = None, to_type: str | None = None, *, api_version: str | None = None
    ) -> list[AssociationLimit]:
        """Configured association limits: of one object pair, or of every pair when no types are given."""
        version = self._api_version(api_version)
        if (from_type is None) != (to_type is None):
            raise HubSpotInputError("give both from_type and to_type, or neither", field="to_type")
        if from_type is None:
            endpoint = "associations/definitions/configurations/all"
        else:
            f = normalize_object_type(from_type, "from_type")
            t = normalize_object_type(to_type or "", "to_type")
            endpoint = f"associations/definitions/configurations/{f}/{t}"
        _status, body = self._send("GET", association_path(version, endpoint))
        return [AssociationLimit.from_api(item) for item in (body or {}).get("results", [])]

    def create_association_limits(
        self,
        from_type: str,
        to_type: str,
        limits: Mapping[str | int, int] | Iterable[tuple[str | int, int]],
        *,
        api_version: str | None = None,
    ) -> list[AssociationLimit]:
        """Set limits (``configurations/{f}/{t}/batch/create``): ``{label or type id: max to-object ids}``."""
        return self._write_limits("create", from_type, to_type, limits, api_version)

    def update_association_limits(
        self,
        from_type: str,
        to_type: str,
        limits: Mapping[str | int, int] | Iterable[tuple[str | int, int]],
        *,
        api_version: str | None = None,
    ) -> list[AssociationLimit]:
        """Change limits (``configurations/{f}/{t}/batch/update``); same input as :meth:`create_association_limits`."""
        return self._write_limits("update", from_type, to_type, limits, api_version)

    def purge_association_limits(
        self, from_type: str, to_type: str, labels: Iterable[str | int], *, api_version: str | None = None
    ) -> None:
        """Remove configured limits of these labels (``configurations/{f}/{t}/batch/purge``)."""
        version, f, t = self._object_pair(from_type, to_type, api_version)
        types = self._resolve_labels(version, f, t, _label_tuple(labels, None), None)
        inputs = [{"category": x.category, "typeId": x.type_id} for x in types]
        path = association_path(version, f"associations/definitions/configurations/{f}/{t}/batch/purge")
        self._send("POST", path, json={"inputs": inputs})

    def _write_limits(
        self, action: str, from_type: str, to_type: str, limits: Any, api_version: str | None
    ) -> list[AssociationLimit]:
        version, f, t = self._object_pair(from_type, to_type, api_version)
        entries = list(limits.items()) if isinstance(limits, Mapping) else list(limits)
        inputs = []
        for position, entry in enumerate(entries):
            try:
                label, maximum = entry
            except (TypeError, ValueError):
                raise HubSpotInputError("expected (label, max)", position=position) from None
            found = self._resolve_labels(version, f, t, (label,), position)[0]
            inputs.append(
                {
                    "category": found.category,
                    "typeId": found.type_id,
                    "maxToObjectIds": _positive_int(maximum, position, "max"),
                }
            )
        path = association_path(version, f"associations/definitions/configurations/{f}/{t}/batch/{action}")
        status, body = self._send("POST", path, json={"inputs": inputs})
        errors = (body or {}).get("errors") or []
        if errors:
            first = errors[0]
            raise HubSpotValidationError(
                str(first.get("message") or "limit refused"),
                status=status,
                category=first.get("category"),
                errors=errors,
            )
        return [AssociationLimit.from_api(item) for item in (body or {}).get("results", [])]

    def request_high_usage_report(self, user_id: int | str, *, api_version: str | None = None) -> dict[str, Any]:
        """Ask HubSpot to email ``user_id`` a report of records near their association limits (POST)."""
        version = self._api_version(api_version)
        uid = _positive_int(user_id, None, "user_id")
        _status, body = self._send("POST", association_path(version, f"associations/usage/high-usage-report/{uid}"))
        return dict(body or {})

    # -- v3 ---------------------------------------------------------------------------------------------------

    def v3_list_types(self, from_type: str, to_type: str) -> list[AssociationType]:
        """v3 association types between two object types (``GET /crm/v3/.../types``): ``type_id`` and ``name``."""
        _v, f, t = self._object_pair(from_type, to_type, "v3", allow_v3=True)
        _status, body = self._send("GET", association_path("v3", f"associations/{f}/{t}/types"))
        return [
            AssociationType(None, as_int(item.get("id")), None, item.get("name"))
            for item in (body or {}).get("results", [])
        ]

    def v3_create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        association_type: str | None = None,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
        chunk_size: int | None = None,
    ) -> BatchResult:
        """v3 batch create (``POST /crm/v3/.../batch/create``, 2,000 a request; 200 or 201 both mean done).

        :param association_type: the v3 type name (see :meth:`v3_list_types`); by default the unlabeled type
            (``contact_to_company_unlabeled`` where a primary type exists, else ``deal_to_contact``-style).
        """
        return self._v3_write(
            "create",
            from_type,
            to_type,
            pairs,
            association_type,
            on_failure,
            failure_callback,
            chunk_callback,
            chunk_size,
            CREATE_LIMIT,
        )

    def v3_archive_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        *,
        association_type: str | None = None,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
        chunk_size: int | None = None,
    ) -> BatchResult:
        """v3 batch archive (``POST /crm/v3/.../batch/archive``, 1,000 a request, 204)."""
        return self._v3_write(
            "archive",
            from_type,
            to_type,
            pairs,
            association_type,
            on_failure,
            failure_callback,
            chunk_callback,
            chunk_size,
            DEFAULT_LIMIT,
        )

    def _v3_write(
        self,
        action: str,
        from_type: str,
        to_type: str,
        pairs: Iterable[Any],
        association_type: str | None,
        on_failure: str,
        failure_callback: Any,
        chunk_callback: Any,
        chunk_size: int | None,
        limit: int,
    ) -> BatchResult:
        _v, f, t = self._object_pair(from_type, to_type, "v3", allow_v3=True)
        _check_on_failure(on_failure)
        type_name = association_type or _default_v3_type(f, t)
        result = BatchResult(f"v3 {action} {plural_name(f)}->{plural_name(t)} associations")
        items = _validated(pairs, _parse_pair)
        size = chunk_size_for(limit, chunk_size)
        path = association_path("v3", f"associations/{f}/{t}/batch/{action}")

        def payload(part: list[_Pair]) -> dict[str, Any]:
            return {
                "inputs": [
                    {"from": {"id": str(p.from_id)}, "to": {"id": str(p.to_id)}, "type": type_name} for p in part
                ]
            }

        work = self._one_request_per_chunk(path, payload, f, t)
        return self._run_writes(result, pairs, items, size, work, on_failure, failure_callback, chunk_callback)

    def iter_v3_read_associations(
        self,
        from_type: str,
        to_type: str,
        ids: Iterable[int | str],
        *,
        chunk_size: int | None = None,
        on_failure: str = "raise",
        failure_callback: Callable[[InputFailure], None] | None = None,
        chunk_callback: Callable[[int, int], None] | None = None,
    ) -> Iterator[AssociationRow]:
        """v3 batch read (``POST /crm/v3/.../batch/read``, 1,000 ids a request); types carry v3 names only.

        Two v3 limits, logged as warnings: reads towards companies return only the *primary* company, and
        v3 ignores ``after`` in inputs, so a record with more than one page (100) of associations is cut at
        the first page (re-sending would loop forever). Use :meth:`iter_read_associations` (v4) for all rows.
        """
        _v, f, t = self._object_pair(from_type, to_type, "v3", allow_v3=True)
        _check_on_failure(on_failure)
        if t == "0-2":
            self.log.warning(
                "v3 reads towards companies return only each record's primary company; "
                "use iter_read_associations (v4) to get every company"
            )
        size = chunk_size_for(READ_LIMIT, chunk_size)
        path = association_path("v3", f"associations/{f}/{t}/batch/read")
        result = BatchResult(f"v3 read {plural_name(f)}->{plural_name(t)} associations")
        items = _validated(ids, lambda item, position: _ReadInput(position, _positive_int(item, position, "id")))

        def work(chunk: Chunk[_ReadInput]) -> _Outcome:
            unique: dict[int, _ReadInput] = {}
            for item in chunk.items:
                unique.setdefault(item.id, item)
            outcome = _Outcome(skipped=len(chunk.items) - len(unique))
            status, body = self._send("POST", path, json={"inputs": [{"id": str(i)} for i in unique]})
            outcome.requests += 1
            body = body or {}
            for item in body.get("results", []):
                from_id = as_int((item.get("from") or {}).get("id"))
                grouped: dict[int, list[AssociationType]] = {}
                for to in item.get("to") or []:
                    to_id = as_int(to.get("id"))
                    if to_id is not None:
                        grouped.setdefault(to_id, []).append(AssociationType(None, None, None, to.get("type")))
                for to_id, types in grouped.items():
                    outcome.rows.append(AssociationRow(f, from_id or 0, t, to_id, tuple(types)))
                if _next_after(item):
                    self.log.warning(
                        "v3 read of %s %s has more associations than one page; v3 cannot page "
                        "batch reads, use iter_read_associations (v4)",
                        plural_name(f),
                        from_id,
                    )
            for error in body.get("errors") or []:
                if sub_category(error) == NO_ASSOCIATIONS_FOUND:
                    continue
                matched: Sequence[tuple[int | None, int | None, int | None]] = match_error(
                    error, [(x.position, x.id, None) for x in unique.values()], f, t
                )
                for position, fid, _tid in matched or [(None, None, None)]:
                    outcome.failures.append(failure(position, {"id": fid} if fid else None, status, error))
            return outcome

        yield from self._run_reads(result, ids, items, size, work, on_failure, failure_callback, chunk_callback)

    # -- shared batch machinery ------------------------------------------------------------------------------

    def _one_request_per_chunk(
        self, path: str, payload: Callable[[list[_Pair]], Any], f: str, t: str
    ) -> Callable[[Chunk[_Pair]], _Outcome]:
        """Chunk work of the simple writes: collapse duplicates, send the chunk as one POST, map failures."""

        def work(chunk: Chunk[_Pair]) -> _Outcome:
            unique, skipped = collapse(chunk.items)
            outcome = _Outcome(skipped=skipped)
            write_batch(self.transport, outcome, "POST", path, unique, payload, f, t)
            return outcome

        return work

    def _run_reads(
        self,
        result: BatchResult,
        raw: Iterable[Any],
        items: Iterable[_ReadInput],
        size: int,
        work: Callable[[Chunk[_ReadInput]], _Outcome],
        on_failure: str,
        failure_callback: Callable[[InputFailure], None] | None,
        chunk_callback: Callable[[int, int], None] | None,
    ) -> Iterator[AssociationRow]:
        """Yield each read chunk's rows in input order; in raise mode, stop dispatching at the first failure,
        drain what is in flight, then raise."""
        error: HubSpotBatchError | None = None
        for chunk, outcome in self._run_chunks(
            result,
            items,
            size,
            work,
            total=known_length(raw),
            keys=None,
            chunk_callback=chunk_callback,
            stop=lambda: error is not None or self.cancelled,  # noqa: B023 - reads the latest error on purpose
        ):
            yield from outcome.rows
            found = self._account(
                result, outcome, on_failure, failure_callback, rows_only=True, inputs=len(chunk.items)
            )
            error = error or found
            if chunk_callback is not None:
                chunk_callback(chunk.start, chunk.end)
        if error is not None:
            raise error
        self._raise_if_cancelled(result)

    def _run_chunks(
        self,
        result: BatchResult,
        items: Iterable[Any],
        size: int,
        work: Callable[[Chunk[Any]], _Outcome],
        *,
        total: int | None,
        keys: Callable[[Chunk[Any]], Iterable[Any]] | None,
        chunk_callback: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
        on_drained: Callable[[Chunk[Any], _Outcome], object] | None = None,
    ) -> Iterator[tuple[Chunk[Any], _Outcome]]:
        progress = ProgressLogger(self.log, result.operation, total)
        # Build the lazily created members here, in the caller's thread, never racing in worker threads.
        _ = (self.transport, self._label_lock, self._label_cache, self._label_names, self._cancelled)
        self.batch_result = result  # ``chunk_callback`` checkpoints read the counts so far from it
        # ``chunk_callback`` runs once a chunk and its failures are accounted (a checkpoint then holds both).
        # With one, no finished chunk waits behind a slower one: a killed run redoes at most max_concurrency.
        concurrency, limiter = self.settings.max_concurrency, self.transport.limiter
        return run_chunks(
            iter_chunks(items, size),
            work,
            max_concurrency=concurrency,
            keys=keys,
            progress=progress,
            max_in_flight=concurrency if chunk_callback else None,
            stop=stop,
            on_drained=on_drained,
            concurrency=lambda: limiter.in_flight_target(concurrency),
        )

    def _account(
        self,
        result: BatchResult,
        outcome: _Outcome,
        on_failure: str,
        failure_callback: Callable[[InputFailure], None] | None,
        *,
        rows_only: bool = False,
        inputs: int = 0,
    ) -> HubSpotBatchError | None:
        """Add one chunk's outcome to the call's result; return the error to raise when asked to and it failed
        (the caller stops dispatching, lets chunks already sent finish and be counted, then raises)."""
        result.requests += outcome.requests
        result.skipped += outcome.skipped
        result.reads_skipped += outcome.reads_skipped
        failed_inputs = len({f.position for f in outcome.failures if f.position is not None})
        result.failed += failed_inputs
        if rows_only:
            result.total += inputs
            result.succeeded += inputs - outcome.skipped - failed_inputs
        for input_failure in outcome.failures:
            result.add_failure(input_failure)
            if failure_callback is not None:
                failure_callback(input_failure)
        if on_failure == "raise" and outcome.failures:
            first = outcome.failures[0]
            where = f"input #{first.position}" if first.position is not None else "an input HubSpot did not name"
            return HubSpotBatchError(
                f"{result.operation}: input(s) failed; first: {where}: {first.category or ''} {first.message}",
                result=result,
            )
        return None

    def _run_writes(
        self,
        result: BatchResult,
        raw: Iterable[Any],
        items: Iterable[_Pair],
        size: int,
        work: Callable[[Chunk[_Pair]], _Outcome],
        on_failure: str,
        failure_callback: Callable[[InputFailure], None] | None,
        chunk_callback: Callable[[int, int], None] | None,
    ) -> BatchResult:
        def keys(chunk: Chunk[_Pair]) -> Iterable[tuple[int, int]]:
            return {(p.from_id, p.to_id) for p in chunk.items}

        def count(
            chunk: Chunk[_Pair], outcome: _Outcome, into: BatchResult, report: Callable[[InputFailure], None] | None
        ) -> HubSpotBatchError | None:
            into.total += len(chunk.items)
            into.succeeded += outcome.succeeded
            return self._account(into, outcome, on_failure, report)

        # A chunk still in flight when an earlier one raised (the daily budget spent) reached HubSpot, past the
        # finished prefix: it is counted apart, in ``self.batch_in_flight`` (no failure_callback, no
        # chunk_callback). A resumed link/unlink re-sends it from the prefix, so it is counted there; a resumed
        # reconcile plans it as already done, so reconcile adds these counts to its own (see its docstring).
        in_flight = self.batch_in_flight = BatchResult(result.operation)
        error: HubSpotBatchError | None = None
        for chunk, outcome in self._run_chunks(
            result,
            items,
            size,
            work,
            total=known_length(raw),
            keys=keys,
            chunk_callback=chunk_callback,
            stop=lambda: error is not None or self.cancelled,  # noqa: B023 - reads the latest error on purpose
            on_drained=lambda chunk, outcome: count(chunk, outcome, in_flight, None),
        ):
            found = count(chunk, outcome, result, failure_callback)  # every chunk sent is counted
            error = error or found
            if chunk_callback is not None:
                chunk_callback(chunk.start, chunk.end)
        self.log.info("%s: %s", result.operation, {k: v for k, v in result.as_dict().items() if k != "failures"})
        if error is not None:
            raise error
        self._raise_if_cancelled(result)
        return result

    def _raise_if_cancelled(self, result: BatchResult) -> None:
        if self.cancelled:
            raise HubSpotCancelledError(
                f"{result.operation}: cancelled after {result.total} input(s) "
                f"({result.succeeded} succeeded, {result.failed} failed); later inputs were not sent",
                result=result,
            )


# -- module helpers of the Associations API (pure: no I/O) -------------------------------------------------

NO_ASSOCIATIONS_FOUND = "crm.associations.NO_ASSOCIATIONS_FOUND"
_ON_FAILURE = ("raise", "collect")


def association_path(version: str, endpoint: str) -> str:
    """Map ``(version, endpoint)`` to a path; the only place that knows how versions spell paths.

    ``endpoint`` starts with its area, ``associations/...`` or ``objects/...``: v4 and v3 put the version after
    ``/crm`` (``/crm/v4/associations/...``), dated versions after the area (``/crm/associations/2026-03/...``).
    """
    area, _, rest = endpoint.partition("/")
    if version in ("v3", "v4"):
        return f"/crm/{version}/{area}/{rest}"
    return f"/crm/{area}/{version}/{rest}"


@dataclass(slots=True)
class _ReadInput:
    position: int
    id: int


def _check_on_failure(on_failure: str) -> None:
    if on_failure not in _ON_FAILURE:
        raise HubSpotInputError(f"on_failure must be 'raise' or 'collect', got {on_failure!r}", field="on_failure")


def _check_label_texts(**texts: Any) -> None:
    """A label definition's texts (``name``, ``label``, ``inverse_label``) before they are sent: non-empty
    strings within the length bounds; ``inverse_label`` may be ``None``."""
    for field_name, value in texts.items():
        if value is None and field_name == "inverse_label":
            continue
        if not isinstance(value, str) or not value.strip():
            raise HubSpotInputError(f"{field_name} must be a non-empty string, got {shown(value)}", field=field_name)
        too_long = label_length_problem(value, what="name" if field_name == "name" else "label")
        if too_long:
            raise HubSpotInputError(f"{too_long}: {shown(value)}", field=field_name)


def _positive_int(value: Any, position: int | None, field_name: str) -> int:
    """A record id as HubSpot takes it: an int or a string of digits, 1 to 2^63 - 1 (see ``_validation``)."""
    number, problem = record_id_problem(value)
    if number is None:
        raise HubSpotInputError(f"{problem}; got {shown(value)}", position=position, field=field_name)
    return number


def _label_tuple(labels: Any, position: int | None) -> tuple[str | int, ...]:
    if labels is None:
        return ()
    if isinstance(labels, (str, int)) and not isinstance(labels, bool):
        return (labels,)
    try:
        values = tuple(labels)
    except TypeError:
        raise HubSpotInputError(
            f"labels must be a label, a type id or a list of them, got {labels!r}", position=position, field="labels"
        ) from None
    for value in values:
        blank = isinstance(value, str) and not value.strip()
        if isinstance(value, bool) or not isinstance(value, (str, int)) or blank:
            raise HubSpotInputError(f"bad label {shown(value)}", position=position, field="labels")
        too_long = label_length_problem(value) if isinstance(value, str) else None
        if too_long:
            raise HubSpotInputError(f"{too_long}: {shown(value)}", position=position, field="labels")
    return values


def _parse_pair(item: Any, position: int) -> _Pair:
    """One write input in any accepted form -> :class:`_Pair` (labels unresolved); errors name the position."""
    if type(item) is tuple and 2 <= len(item) <= 3:  # the usual form, valid ids: the rule below, made quick
        from_id, to_id = item[0], item[1]
        if (
            type(from_id) is int
            and type(to_id) is int
            and 0 < from_id <= MAX_RECORD_ID
            and 0 < to_id <= MAX_RECORD_ID
            and (len(item) == 2 or item[2] is None or item[2] == ())
        ):
            return _Pair(position, from_id, to_id)
    labels: Any  # raw, in any accepted form: _label_tuple checks it
    if isinstance(item, AssociationInput):
        from_id, to_id, labels = item.from_id, item.to_id, item.labels
    elif isinstance(item, Mapping):
        unknown = set(item) - {"from_id", "to_id", "labels"}
        if unknown:
            raise HubSpotInputError(
                f"unknown field(s) {sorted(unknown)}; expected from_id, to_id, labels",
                position=position,
                field=sorted(unknown)[0],
            )
        if "from_id" not in item or "to_id" not in item:
            missing = "from_id" if "from_id" not in item else "to_id"
            raise HubSpotInputError("missing", position=position, field=missing)
        from_id, to_id, labels = item["from_id"], item["to_id"], item.get("labels")
    elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
        from_id, to_id = item[0], item[1]
        labels = item[2] if len(item) == 3 else None
    else:
        raise HubSpotInputError(
            f"expected (from_id, to_id[, labels]), a dict with from_id/to_id or an AssociationInput, got {item!r}",
            position=position,
        )
    return _Pair(
        position,
        _positive_int(from_id, position, "from_id"),
        _positive_int(to_id, position, "to_id"),
        _label_tuple(labels, position),
    )


def _validated(inputs: Iterable[Any], parse: Callable[[Any, int], Any]) -> Iterable[Any]:
    """Validate inputs: a list or tuple entirely before anything is sent; any other iterable (a generator, a
    sized stream of a file) lazily, so each chunk is validated in full before it is sent and memory stays flat."""
    if isinstance(inputs, (str, bytes, Mapping)):
        raise HubSpotInputError("inputs must be an iterable of inputs, not a single string or mapping")
    if isinstance(inputs, (list, tuple)):
        return [parse(item, position) for position, item in enumerate(inputs)]
    return (parse(item, position) for position, item in enumerate(inputs))


def _find_label(types: list[AssociationType], label: str | int, f: str, t: str) -> AssociationType | None:
    """Find a label by type id, HubSpot-defined name, label text or internal name (case-insensitive)."""
    if isinstance(label, bool):
        return None
    if isinstance(label, int) or (isinstance(label, str) and label.strip().isdigit()):
        wanted = int(label)
        matches = [x for x in types if x.type_id == wanted]
        return matches[0] if matches else None
    text = str(label).strip().lower()
    if text in ("default",):
        text = "unlabeled"
    defined = hubspot_defined_type_id(f, t, text)
    if defined is not None:
        for item in types:
            if item.type_id == defined and item.category == "HUBSPOT_DEFINED":
                return AssociationType(item.category, item.type_id, item.label, text)
        return AssociationType("HUBSPOT_DEFINED", defined, "Primary" if text == "primary" else None, text)
    if text == "unlabeled":
        for item in types:
            if item.category == "HUBSPOT_DEFINED" and item.label is None:
                return AssociationType(item.category, item.type_id, None, "unlabeled")
        return None
    for item in types:
        if (item.label or "").strip().lower() == text or (item.name or "").lower() == text:
            return item
    return None


def _row_from_multi(f: str, from_id: int, t: str, item: Mapping[str, Any]) -> AssociationRow:
    """``MultiAssociatedObjectWithLabel`` -> :class:`AssociationRow` (ids as numbers or strings)."""
    return AssociationRow(
        f,
        from_id,
        t,
        int(item["toObjectId"]),
        tuple(AssociationType.from_api(x) for x in item.get("associationTypes") or []),
    )


def _next_after(body: Mapping[str, Any]) -> str | None:
    paging = body.get("paging") if isinstance(body, Mapping) else None
    after = ((paging or {}).get("next") or {}).get("after")
    return str(after) if after else None


def _default_v3_type(f: str, t: str) -> str:
    """The v3 name of the unlabeled type: ``contact_to_company_unlabeled`` where a primary type owns the plain
    name, else ``deal_to_contact``."""
    from_name, to_name = singular_name(f), singular_name(t)
    if from_name is None or to_name is None:
        raise HubSpotInputError(
            "v3 type names of custom objects are account-specific: pass association_type (see v3_list_types)",
            field="association_type",
        )
    base = f"{from_name}_to_{to_name}"
    return f"{base}_unlabeled" if "primary" in HUBSPOT_DEFINED_TYPES.get((f, t), {}) else base
