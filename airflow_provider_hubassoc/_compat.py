"""The one place that knows which Airflow runs.

Everything else in the package imports Airflow names from here. Airflow 3 exposes the task-facing API in
``airflow.sdk``; Airflow 2.x keeps the same classes under their historic paths. Only names the package
actually uses are re-exported.
"""

from __future__ import annotations

from airflow import __version__ as AIRFLOW_VERSION

try:  # packaging ships with Airflow on every supported version
    from packaging.version import Version

    AIRFLOW_V_3_0_PLUS = Version(Version(AIRFLOW_VERSION).base_version) >= Version("3.0.0")
except ImportError:  # pragma: no cover - packaging is an Airflow dependency
    AIRFLOW_V_3_0_PLUS = int(AIRFLOW_VERSION.split(".")[0]) >= 3

from typing import TYPE_CHECKING, Any, Protocol

from airflow.triggers.base import BaseTrigger, TriggerEvent  # same path on 2.x and 3.x

if TYPE_CHECKING or AIRFLOW_V_3_0_PLUS:  # type checkers see the Airflow 3 names
    from airflow.sdk import (
        Asset,
        BaseHook,
        BaseOperator,
        BaseOperatorLink,
        BaseSensorOperator,
        Context,
        ObjectStoragePath,
        PokeReturnValue,
        conf,
    )
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )
    from airflow.sdk.execution_time.xcom import XCom

    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - Airflow 3.0
        from airflow.sdk.execution_time.secrets_masker import mask_secret  # type: ignore[no-redef]
else:  # pragma: no cover - exercised only on Airflow 2.x
    from airflow.configuration import conf
    from airflow.datasets import Dataset as Asset  # 2.10: assets were datasets
    from airflow.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )
    from airflow.hooks.base import BaseHook
    from airflow.io.path import ObjectStoragePath
    from airflow.models.baseoperator import BaseOperator
    from airflow.models.baseoperatorlink import BaseOperatorLink
    from airflow.models.xcom import XCom
    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue
    from airflow.utils.context import Context
    from airflow.utils.log.secrets_masker import mask_secret

try:  # Airflow 3: the standard provider (installed with apache-airflow); 2.x: core
    from airflow.providers.standard.triggers.temporal import DateTimeTrigger
except ImportError:  # pragma: no cover - exercised only on Airflow 2.x
    from airflow.triggers.temporal import DateTimeTrigger  # type: ignore[no-redef]


class TaskLogger(Protocol):
    """What the hook logs through: ``logging.Logger`` (Airflow 2) and the task SDK's structlog logger (Airflow 3)."""

    def debug(self, msg: str, /, *args: Any) -> object: ...
    def info(self, msg: str, /, *args: Any) -> object: ...
    def warning(self, msg: str, /, *args: Any) -> object: ...


async def aget_connection(conn_id: str) -> Any:
    """Fetch an Airflow connection without blocking the triggerer's event loop.

    Airflow 3 offers ``BaseHook.aget_connection`` (it talks to the supervisor asynchronously); Airflow 2.x only
    has the blocking call, which runs in a worker thread there.
    """
    if hasattr(BaseHook, "aget_connection"):
        return await BaseHook.aget_connection(conn_id)
    import asyncio  # pragma: no cover - Airflow 2.x

    return await asyncio.to_thread(BaseHook.get_connection, conn_id)  # pragma: no cover


__all__ = [
    "AIRFLOW_VERSION",
    "AIRFLOW_V_3_0_PLUS",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "Asset",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "BaseTrigger",
    "Context",
    "DateTimeTrigger",
    "ObjectStoragePath",
    "PokeReturnValue",
    "TaskDeferred",
    "TaskLogger",
    "TriggerEvent",
    "XCom",
    "aget_connection",
    "conf",
    "mask_secret",
]
