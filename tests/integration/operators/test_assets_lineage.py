"""Assets and OpenLineage: outlets declared, counts on the asset events of a real run, a downstream DAG queued."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from dag_support import dag_bag

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)

PAIR_URI = "hubspot://hubspot_default/associations/contacts/companies"


def test_asset_events_carry_the_counts_and_queue_the_downstream_dag(dag_runner, hubspot_emulator):
    from airflow.utils.session import create_session

    if AIRFLOW_V_3_0_PLUS:
        from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel

        asset_key = "asset_id"
    else:  # Airflow 2.10 / 2.11: assets were datasets
        from airflow.models.dataset import (
            DatasetDagRunQueue as AssetDagRunQueue,
            DatasetEvent as AssetEvent,
            DatasetModel as AssetModel,
        )

        asset_key = "dataset_id"

    path = dag_runner.write(
        """
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.empty import EmptyOperator
        except ImportError:  # Airflow 2.10 / 2.11
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator
        from airflow_provider_hubassoc.assets import hubspot_associations_asset
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

        with DAG("crm_links_producer", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            HubSpotCreateAssociationsOperator(task_id="link", from_object_type="contacts",
                                              to_object_type="companies", pairs=[[1, 10], [2, 20], [2, 20]])

        with DAG("crm_links_consumer", schedule=[hubspot_associations_asset("contacts", "companies")],
                 start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            EmptyOperator(task_id="refresh_warehouse_model")
        """,
        "crm_links_producer",
    )
    if not AIRFLOW_V_3_0_PLUS:  # Airflow 2's dag.test() does not register the file's DAGs and datasets
        dag_bag(path).sync_to_db()
    run = dag_runner.run(path, "crm_links_producer")
    assert dag_runner.states(run) == {"link": "success"}
    with create_session() as session:
        asset = session.query(AssetModel).filter_by(uri=PAIR_URI).one()
        events = session.query(AssetEvent).filter_by(**{asset_key: asset.id}, source_run_id=run.run_id).all()
        assert len(events) == 1
        extra = events[0].extra
        assert (extra["total"], extra["succeeded"], extra["failed"], extra["skipped"]) == (3, 2, 0, 1)
        assert extra["operation"] == "link"
        queued = session.query(AssetDagRunQueue).filter_by(**{asset_key: asset.id}).all()
        assert [q.target_dag_id for q in queued] == ["crm_links_consumer"]


def test_openlineage_facets_name_inputs_and_outputs(tmp_path):
    pytest.importorskip("airflow.providers.openlineage")
    link = HubSpotCreateAssociationsOperator(
        task_id="link", from_object_type="contacts", to_object_type="companies", input_path=str(tmp_path / "pairs.csv")
    )
    lineage = link.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", f"{tmp_path}/pairs.csv")]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [
        ("hubspot://hubspot_default", "associations/contacts/companies")
    ]

    query = HubSpotSyncAssociationsOperator(
        task_id="sync",
        from_object_type="contacts",
        to_object_type="companies",
        sql="SELECT a AS from_id, b AS to_id FROM t",
        sql_conn_id="warehouse",
    )
    assert query.get_openlineage_facets_on_complete(None).job_facets["sql"].query.startswith("SELECT a")

    export = HubSpotReadAssociationsOperator(
        task_id="export",
        from_object_type="contacts",
        to_object_type="companies",
        record_ids=[1],
        sql_conn_id="warehouse",
        table="crm.links",
    )
    lineage = export.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [
        ("hubspot://hubspot_default", "associations/contacts/companies")
    ]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [("sql://warehouse", "crm.links")]


def test_the_operators_import_nothing_of_openlineage():
    # Airflow's provider discovery reads the OpenLineage provider's info; its extractors and client stay unloaded
    code = (
        "import sys; import airflow_provider_hubassoc.operators.associations, airflow_provider_hubassoc.assets; "
        "print(sorted(m for m in sys.modules if m.startswith(('openlineage', "
        "'airflow.providers.openlineage.extractors'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_openlineage_names_the_tables_a_query_reads(warehouse):
    """A query source's input tables: on PostgreSQL named by the OpenLineage provider's SQL parser with the
    connection's namespace (as common-sql's operators name them); on SQLite (no database information from its
    hook) in ``sql://<conn_id>``, as table outputs are. A connection that cannot be read gives no input."""
    pytest.importorskip("airflow.providers.openlineage")
    query = "SELECT l.contact_id AS from_id, c.id AS to_id FROM crm.links l JOIN companies c ON c.domain = l.domain"

    def lineage(sql_conn_id: str) -> Any:
        return HubSpotCreateAssociationsOperator(
            task_id="link", from_object_type="contacts", to_object_type="companies", sql=query, sql_conn_id=sql_conn_id
        ).get_openlineage_facets_on_complete(None)

    found = lineage(warehouse.conn_id)
    names = sorted((d.namespace, d.name) for d in found.inputs)
    if warehouse.kind == "postgres":
        database = warehouse.hook.get_connection(warehouse.conn_id).schema
        assert [name for _namespace, name in names] == [f"{database}.crm.links", f"{database}.public.companies"]
        assert all(namespace.startswith("postgres://") for namespace, _name in names)
    else:
        assert names == [("sql://warehouse", "companies"), ("sql://warehouse", "crm.links")]
    assert found.job_facets["sql"].query == query
    assert [(d.namespace, d.name) for d in found.outputs] == [
        ("hubspot://hubspot_default", "associations/contacts/companies")
    ]

    assert lineage("no_such_connection").inputs == []
