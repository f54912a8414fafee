"""Gate DAGs on CRM state: wait until records have associations (optionally labeled, optionally at least N)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow_provider_hubassoc._compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    Context,
    PokeReturnValue,
    conf,
)
from airflow_provider_hubassoc._inputs import check_object_types, checked_hook_params, parse_ids, parse_keys
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._settings import task_overrides
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.links.associations import HubSpotRecordsLink
from airflow_provider_hubassoc.triggers.associations import AssociationCheck, HubSpotAssociationTrigger


class HubSpotAssociationSensor(BaseSensorOperator):
    """Wait until every given record has at least ``min_count`` associations to ``to_object_type``.

    With ``label`` (label text, internal name or type id) only associations carrying that label count. The
    value is kept as ``association_label`` (also accepted as the argument's name): ``BaseOperator.label`` is
    every Airflow task's display name and cannot be overwritten, so the template field is ``association_label``.
    Use ``mode="reschedule"`` to free the worker slot between pokes, or ``deferrable=True`` to hand the whole wait
    to Airflow's triggerer (:class:`HubSpotAssociationTrigger`). At ``timeout`` the task fails naming the
    records still short, or is skipped with ``soft_fail=True``. Returns (XCom)
    ``{"counts": {record id: n}, "ready": true}`` (a poke that is not done yet returns ``"ready": false``).

    A record HubSpot refuses to read (one that does not exist) fails the task at once, naming it: waiting
    cannot fix it. The timeout error names the records still short in every mode (poke, reschedule, deferrable).

    :param record_ids: one id, a list, ``"1,2"``, JSON text, or an XCom value (templated).
    :param allow_empty: with no record ids at all, succeed at once (``{"counts": {}, "ready": true}``) instead
        of failing (the rule of every operator of this provider).
    :param hook_params: per-task overrides of connection extras, as for the operators (no credentials).
    :param id_property: ``record_ids`` are values of this unique HubSpot property (``idProperty``, e.g.
        ``email`` for contacts or a unique ``external_company_id``), resolved to record ids once per check of the
        task (100 a request); a key HubSpot does not know fails the task naming it. XCom then also carries
        ``"keys": {key: record id}``. Default ``None``: record ids.
    :param portal_id: the HubSpot account (portal) id, digits only: the task's *HubSpot records* link opens the
        watched record (or the object type's list) in that account; without it the task shows no link.
    """

    template_fields: Sequence[str] = (
        "from_object_type",
        "record_ids",
        "to_object_type",
        "association_label",
        "hubspot_conn_id",
    )
    ui_color = "#ff7a59"
    operator_extra_links = (HubSpotRecordsLink(),)

    def __init__(
        self,
        *,
        from_object_type: str,
        record_ids: Any,
        to_object_type: str,
        label: str | int | None = None,
        association_label: str | int | None = None,
        min_count: int = 1,
        hubspot_conn_id: str = HubSpotAssociationsHook.default_conn_name,
        api_version: str | None = None,
        hook_params: dict[str, Any] | None = None,
        portal_id: str | int | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        allow_empty: bool = False,
        id_property: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_object_types(from_object_type, to_object_type)
        if id_property is not None and (not isinstance(id_property, str) or not id_property.strip()):
            raise ValueError(f"id_property must be None (record ids) or a property name, got {id_property!r}")
        self.id_property = id_property
        self._keys: dict[str, int] = {}
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
        if label is not None and association_label is not None:
            raise ValueError("pass the association label once: label= or association_label=, not both")
        if not isinstance(allow_empty, bool):
            raise ValueError(f"allow_empty must be True or False, got {allow_empty!r}")  # noqa: TRY004 - bad options raise ValueError here, as every other option check does
        if record_ids is None:
            raise ValueError("record_ids is required (pass allow_empty=True to accept an empty list)")
        if not allow_empty and (record_ids == [] or record_ids == ""):
            raise ValueError(
                "record_ids is empty: nothing to wait for. Pass allow_empty=True to accept an empty "
                "input as an immediate success"
            )
        self.allow_empty = allow_empty
        #: what the last check found (logged, and named in a timeout error)
        self._last_state: str | None = None
        self.from_object_type = from_object_type
        self.record_ids = record_ids
        self.to_object_type = to_object_type
        self.association_label = association_label if label is None else label
        self.min_count = min_count
        self.hubspot_conn_id = hubspot_conn_id
        self.api_version = api_version
        self.hook_params = checked_hook_params(hook_params)
        self.portal_id = None if portal_id is None else str(portal_id)
        self.deferrable = deferrable

    def _check(self) -> AssociationCheck | None:
        """The condition to test; ``None`` when there is nothing to wait for (no ids and ``allow_empty``)."""
        try:
            ids = self._resolve() if self.id_property else parse_ids(self.record_ids, "record_ids")
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        if not ids:
            if self.allow_empty:
                return None
            raise AirflowFailException(
                "record_ids is empty: nothing to wait for. Pass allow_empty=True to accept "
                "an empty input as an immediate success"
            )
        return AssociationCheck(
            self.from_object_type, tuple(ids), self.to_object_type, self.association_label, self.min_count
        )

    def _resolve(self) -> list[int]:
        """The record ids of the keys in ``record_ids`` (each distinct key asked once); unknown keys fail."""
        keys = list(dict.fromkeys(parse_keys(self.record_ids, "record_ids")))
        hook = self._hook()
        try:
            matches = list(hook.resolve_record_ids(self.from_object_type, self.id_property, keys))
        except HubSpotInputError as error:
            raise HubSpotInputError(f"id_property={self.id_property!r}: {error.message}", field="id_property") from None
        finally:
            hook.close()
        unknown = [m.key for m in matches if m.id is None]
        if unknown:
            raise HubSpotInputError(
                f"record_ids: {len(unknown)} key(s) name no {self.from_object_type} record in HubSpot "
                f"({self.id_property}): {', '.join(map(repr, unknown[:10]))}",
                field="record_ids",
            )
        self._keys = {m.key: m.id for m in matches if m.id is not None}
        return list(dict.fromkeys(self._keys.values()))

    def _hook(self) -> HubSpotAssociationsHook:
        return HubSpotAssociationsHook(self.hubspot_conn_id, **task_overrides(self.hook_params, self.api_version))

    def poke(self, context: Context) -> PokeReturnValue:
        return self._poke(self._check())

    def _poke(self, check: AssociationCheck | None) -> PokeReturnValue:
        if check is None:
            self.log.info("record_ids is empty and allow_empty=True: nothing to wait for")
            return PokeReturnValue(is_done=True, xcom_value={"counts": {}, "ready": True})
        hook = self._hook()
        try:
            counts = check.counts(hook)
        except HubSpotInputError as error:  # e.g. an unknown label: waiting cannot fix it
            raise AirflowFailException(error.message) from None
        finally:
            hook.close()
        self._last_state = check.describe(counts)
        self.log.info("%s", self._last_state)
        result = check.result(counts)
        if self.id_property:
            result["keys"] = dict(self._keys)
        return PokeReturnValue(is_done=result["ready"], xcom_value=result)

    def execute(self, context: Context) -> Any:  # noqa: RET503 - self.defer() raises TaskDeferred
        if not self.deferrable:
            try:
                return super().execute(context)
            except (AirflowSensorTimeout, AirflowSkipException) as error:
                # Airflow's own timeout text says only how long it waited: add what was still missing
                if self._last_state is None or not str(error).startswith("Sensor has timed out"):
                    raise
                raise type(error)(f"{error} Still short: {self._last_state}") from None
        check = self._check()
        result = self._poke(check)  # already there: no deferral
        if result.is_done or check is None:
            return result.xcom_value
        self.defer(
            trigger=HubSpotAssociationTrigger(
                from_object_type=check.from_object_type,
                record_ids=list(check.record_ids),
                to_object_type=check.to_object_type,
                label=check.label,
                min_count=check.min_count,
                hubspot_conn_id=self.hubspot_conn_id,
                api_version=self.api_version,
                hook_params=self.hook_params,
                poke_interval=float(self.poke_interval),
                deadline=time.time() + float(self.timeout),
            ),
            method_name="execute_complete",
            # a backstop if the triggerer itself stalls; the trigger reports the deadline honestly before this
            timeout=timedelta(seconds=float(self.timeout) + 60),
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        status = event.get("status")
        if status == "success":
            self.log.info("%s", event.get("message"))
            done = {"counts": event["counts"], "ready": event["ready"]}
            return {**done, "keys": dict(self._keys)} if self.id_property and self._keys else done
        if status == "timeout":
            message = f"Sensor timed out after {self.timeout} s: {event.get('message')}"
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)
        if event.get("final"):
            raise AirflowFailException(f"HubSpot association check failed: {event.get('message')}")
        raise AirflowException(f"HubSpot association check failed: {event.get('message')}")
