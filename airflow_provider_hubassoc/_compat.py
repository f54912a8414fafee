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

from airflow.triggers.base import BaseTrigger, TriggerEvent  # same path on 2.x and 3.x

if AIRFLOW_V_3_0_PLUS:
    from airflow.sdk import (
        BaseHook,
        BaseOperator,
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
        AirflowSkipException,
        TaskDeferred,
    )

    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - Airflow 3.0
        from airflow.sdk.execution_time.secrets_masker import mask_secret  # type: ignore[no-redef]
else:  # pragma: no cover - exercised only on Airflow 2.x
    from airflow.configuration import conf  # type: ignore[no-redef]
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
        TaskDeferred,
    )
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef]
    from airflow.io.path import ObjectStoragePath  # type: ignore[no-redef]
    from airflow.models.baseoperator import BaseOperator  # type: ignore[no-redef]
    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue  # type: ignore[no-redef]
    from airflow.utils.context import Context  # type: ignore[no-redef]
    from airflow.utils.log.secrets_masker import mask_secret  # type: ignore[no-redef]

__all__ = [
    "AIRFLOW_V_3_0_PLUS",
    "AIRFLOW_VERSION",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSkipException",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "Context",
    "ObjectStoragePath",
    "PokeReturnValue",
    "TaskDeferred",
    "TriggerEvent",
    "conf",
    "mask_secret",
]
