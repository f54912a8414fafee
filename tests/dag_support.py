"""Run real DAGs on real Airflow in tests: a migrated SQLite metadata DB and DAG files in the dags folder.

Airflow 3's ``dag.test()`` only runs DAGs it finds by parsing the dags folder, so each test writes its DAG
file there (``tests/conftest.py`` points ``[core] dags_folder`` at a private temporary directory).
"""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS

DAGS_FOLDER = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def demo_script() -> Any:
    """scripts/demo.py as a module: its ``seed_warehouse_keys`` is HubSpot's side of the keys example (the
    contacts and companies its emails and external ids name), for the tests that run the examples."""
    spec = importlib.util.spec_from_file_location("hubassoc_demo", Path(__file__).parents[1] / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated metadata DB (SQLite in the session's private AIRFLOW_HOME), created once per session."""
    from airflow.utils import db

    db.resetdb()


def dag_bag(folder: Path) -> Any:
    """A DagBag of ``folder`` (a file or directory) on either Airflow line; needs no metadata DB."""
    if AIRFLOW_V_3_0_PLUS:
        from airflow.dag_processing.dagbag import DagBag

        return DagBag(dag_folder=str(folder))
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    return DagBag(dag_folder=str(folder), include_examples=False)


class DagRunner:
    """Writes a DAG file into the dags folder, runs it with ``dag.test()`` and reads what its tasks returned."""

    def write(self, source: str, dag_id: str) -> Path:
        path = DAGS_FOLDER / f"{dag_id}.py"
        path.write_text(textwrap.dedent(source))
        return path

    def load(self, path: Path, dag_id: str) -> Any:
        bag = dag_bag(path)
        assert not bag.import_errors, bag.import_errors
        return bag.get_dag(dag_id)

    def run(self, source_or_path: str | Path, dag_id: str, **test_kwargs: Any) -> Any:
        """Run the DAG and return its DagRun (``state`` is ``success`` or ``failed``)."""
        if isinstance(source_or_path, Path):
            path = DAGS_FOLDER / source_or_path.name
            path.write_text(source_or_path.read_text())
        else:
            path = self.write(source_or_path, dag_id)
        if not AIRFLOW_V_3_0_PLUS and "logical_date" in test_kwargs:  # Airflow 2 names it execution_date
            test_kwargs["execution_date"] = test_kwargs.pop("logical_date")
            test_kwargs.pop("run_after", None)
        return self.load(path, dag_id).test(**test_kwargs)

    @staticmethod
    def xcom(run: Any, task_id: str, *, key: str = "return_value", map_index: int = -1) -> Any:
        from airflow.utils.session import create_session

        if AIRFLOW_V_3_0_PLUS:
            from airflow.models.xcom import XComModel
        else:
            from airflow.models.xcom import BaseXCom as XComModel

        with create_session() as session:
            row = (
                session.query(XComModel)
                .filter_by(dag_id=run.dag_id, run_id=run.run_id, task_id=task_id, key=key, map_index=map_index)
                .one_or_none()
            )
            if row is None:
                return None
            value = row.value
            if not AIRFLOW_V_3_0_PLUS:
                return value  # Airflow 2 deserializes the value when the row loads
        return json.loads(value) if isinstance(value, (str, bytes)) else value

    @staticmethod
    def states(run: Any) -> dict[str, str]:
        """``task_id`` (or ``task_id[map_index]`` for mapped tasks) -> final state."""
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        with create_session() as session:
            tis = session.query(TaskInstance).filter_by(dag_id=run.dag_id, run_id=run.run_id).all()
            return {(ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): str(ti.state) for ti in tis}


@pytest.fixture
def dag_runner(airflow_db: None, hubspot_connection: str) -> DagRunner:
    """Runs DAG files against real Airflow, with ``hubspot_default`` pointing at the emulator."""
    return DagRunner()
