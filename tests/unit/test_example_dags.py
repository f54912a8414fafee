"""The example DAGs import cleanly and run unchanged on real Airflow against the emulator."""

from __future__ import annotations

import ast
from pathlib import Path

from dag_support import dag_bag

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
EXAMPLE_IDS = {
    "example_hubspot_backfill.py": "example_hubspot_backfill",
    "example_hubspot_labels_as_code.py": "example_hubspot_labels_as_code",
    "example_hubspot_export.py": "example_hubspot_export",
    "example_hubspot_sensor_gate.py": "example_hubspot_sensor_gate",
    "example_hubspot_reconcile.py": "example_hubspot_reconcile",
    "example_hubspot_warehouse_keys.py": "example_hubspot_warehouse_keys",
}


def test_every_example_dag_imports_without_errors() -> None:
    bag = dag_bag(EXAMPLES)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == set(EXAMPLE_IDS.values())
    for dag_id in bag.dag_ids:
        dag = bag.dags[dag_id]  # no metadata DB needed
        assert dag.doc_md, f"{dag_id} explains itself in doc_md"
        assert "hubspot" in dag.tags


def test_example_dags_import_only_public_classes() -> None:
    for path in EXAMPLES.glob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("from airflow_provider_hubassoc", "import airflow_provider_hubassoc")):
                module = line.split()[1]
                assert module.split(".")[-1][0] != "_", f"{path.name} imports a private module: {line}"


def test_scheduled_examples_state_their_first_run_and_keep_waits_short() -> None:
    bag = dag_bag(EXAMPLES)
    for dag_id, dag in bag.dags.items():
        source = (EXAMPLES / f"{dag_id}.py").read_text()
        code = source.replace(ast.get_docstring(ast.parse(source), clean=False) or "", "")
        assert "{{ ds" not in code and "ds:" not in code, f"{dag_id} needs a logical date"
        if "@daily" in source:
            assert dag.catchup is False and "unpausing" in dag.doc_md, f"{dag_id} must state its first-run choice"
    gate = bag.dags["example_hubspot_sensor_gate"].get_task("wait_for_deal_companies")
    assert gate.soft_fail and gate.deferrable and float(gate.timeout) <= 30
