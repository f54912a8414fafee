"""What the operators read and change, told to Airflow: assets (data-aware scheduling) and OpenLineage datasets.

Asset URIs (documented in the README, stable: downstream DAGs schedule on them):

* ``hubspot://<portal>/associations/<from>/<to>``: the associations of one object pair (plural names such
  as ``contacts``; custom objects by id, ``2-123``). ``<portal>`` is the operator's ``portal_id`` (the
  HubSpot account id), else its ``hubspot_conn_id``. :func:`hubspot_associations_asset` builds the same asset
  for a downstream DAG.
* ``hubspot://<portal>/labels/<from>/<to>``: the label definitions of an object pair (the labels operator).
* a file: its URL without credentials (``file:///data/x.csv``, ``s3://bucket/key.jsonl``);
* a table: ``sql://<sql_conn_id>/<table>``.

An asset is declared at parse time only when its parts are literal (a templated path has no URI until the run).
OpenLineage is used only when ``apache-airflow-providers-openlineage`` is installed (it calls
``get_openlineage_facets_on_complete``); nothing here imports it otherwise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_hubassoc._compat import Asset, ObjectStoragePath
from airflow_provider_hubassoc.hooks._object_types import plural_name

log = logging.getLogger(__name__)


def _object(object_type: str) -> str:
    try:
        return plural_name(object_type)
    except ValueError:  # an invalid type fails the task when it runs, with the hook's message
        return str(object_type)


def associations_uri(portal: str, from_object_type: str, to_object_type: str) -> str:
    return f"hubspot://{portal}/associations/{_object(from_object_type)}/{_object(to_object_type)}"


def labels_uri(portal: str, from_object_type: str, to_object_type: str) -> str:
    return f"hubspot://{portal}/labels/{_object(from_object_type)}/{_object(to_object_type)}"


def hubspot_associations_asset(from_object_type: str, to_object_type: str, *, portal: str = "hubspot_default") -> Asset:
    """The asset a writing operator updates, for ``schedule=[...]`` of a downstream DAG."""
    return Asset(associations_uri(portal, from_object_type, to_object_type))


def file_uri(path: str) -> str:
    """A file's URL without the connection id (``s3://aws_default@bucket/k`` -> ``s3://bucket/k``)."""
    target = ObjectStoragePath(path)
    protocol = target.protocol if isinstance(target.protocol, str) else target.protocol[0]
    if protocol in ("", "file", "local"):
        return "file://" + os.path.abspath(str(target.path))
    return f"{protocol}://{target.path}"


def table_uri(conn_id: str, table: str) -> str:
    return f"sql://{conn_id}/{table}"


def literal(*values: Any) -> bool:
    """True when every value is a plain string or number, not a template or an XCom value (only then is a URI
    known at parse time)."""
    return all(isinstance(v, (str, int)) and not (isinstance(v, str) and "{{" in v) for v in values)


def declare(operator: Any, *, inlets: Iterable[str] = (), outlets: Iterable[str] = ()) -> None:
    """Add assets to an operator's inlets/outlets (the DAG author's own are kept; a URI already there is not
    added twice, e.g. an outlet given explicitly to a mapped operator)."""

    def merged(current: list[Any], uris: Iterable[str]) -> list[Any]:
        known = {getattr(asset, "uri", None) for asset in current}
        return [*current, *(Asset(uri) for uri in dict.fromkeys(uris) if uri not in known)]

    operator.inlets = merged(list(operator.inlets), inlets)
    operator.outlets = merged(list(operator.outlets), outlets)


def event_extra(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The counts of a summary (and a reconcile's plan), for the extra data of the asset event."""
    extra: dict[str, Any] = {
        key: value for key, value in summary.items() if isinstance(value, int) and not isinstance(value, bool)
    }
    if isinstance(summary.get("plan"), Mapping):
        extra["plan"] = dict(summary["plan"])
    for key in ("operation", "from_object_type", "to_object_type", "table", "if_exists"):
        if isinstance(summary.get(key), str):
            extra[key] = summary[key]
    return extra


def record_events(operator: Any, context: Any, summary: Mapping[str, Any], uris: Iterable[str]) -> None:
    """Put the counts on the asset events of this run (the outlets whose URI is in ``uris``)."""
    events = context.get("outlet_events") if context else None
    if events is None:  # execute() called outside a task run
        return
    wanted = set(uris)
    extra = event_extra(summary)
    for asset in operator.outlets:
        if isinstance(asset, Asset) and asset.uri in wanted:
            events[asset].extra.update(extra)


def _dataset(uri: str) -> Any:
    from openlineage.client.event_v2 import Dataset

    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Dataset(namespace="file", name=parts.path)
    return Dataset(namespace=f"{parts.scheme}://{parts.netloc}", name=parts.path.lstrip("/"))


def query_inputs(conn_id: str, sql: str) -> list[Any]:
    """The tables a query reads, as OpenLineage datasets, named as common-sql's own operators name them: the
    OpenLineage provider's SQL parser with the connection's namespace and default schema
    (``postgres://host:5432``, ``database.schema.table``). A hook that gives no database information (SQLite)
    gets the parsed names in namespace ``sql://<conn_id>``, as table outputs are named. Lineage never fails a
    task: a query that cannot be parsed, or a connection that cannot be read, gives no input datasets."""
    from airflow.providers.openlineage.sqlparser import SQLParser, get_openlineage_facets_with_sql
    from openlineage.client.event_v2 import Dataset

    from airflow_provider_hubassoc.operators._sql import db_hook

    try:
        hook = db_hook(conn_id)
        try:  # no information-schema query for column types: a query source only needs the table names
            lineage = get_openlineage_facets_with_sql(
                hook=hook, sql=sql, conn_id=conn_id, database=None, use_connection=False
            )
        except TypeError:  # older providers (2.8, on Airflow 2.10 here) have no use_connection
            lineage = get_openlineage_facets_with_sql(hook=hook, sql=sql, conn_id=conn_id, database=None)
        if lineage is not None and lineage.inputs:
            return list(lineage.inputs)
        parsed = SQLParser(dialect=hook.get_openlineage_database_dialect(hook.get_connection(conn_id))).parse(
            SQLParser.split_sql_string(sql)
        )
    except Exception as error:
        log.warning("OpenLineage: no input tables for the query on %r (%s)", conn_id, error)
        return []
    tables = parsed.in_tables if parsed is not None else []
    return [Dataset(namespace=f"sql://{conn_id}", name=table.qualified_name) for table in tables]


def openlineage_facets(
    inputs: Iterable[str], outputs: Iterable[str], *, sql: str | None = None, sql_conn_id: str | None = None
) -> Any:
    """An ``OperatorLineage`` (imported here: the OpenLineage provider calls this only when it is installed);
    a query source (``sql`` on ``sql_conn_id``) adds the tables it reads and the ``sql`` job facet."""
    from airflow.providers.openlineage.extractors import OperatorLineage

    job_facets: dict[str, Any] = {}
    datasets = [_dataset(u) for u in inputs]
    if sql:
        from openlineage.client.facet_v2 import sql_job

        job_facets["sql"] = sql_job.SQLJobFacet(query=sql)
        if sql_conn_id:
            datasets.extend(query_inputs(sql_conn_id, sql))
    return OperatorLineage(inputs=datasets, outputs=[_dataset(u) for u in outputs], job_facets=job_facets)
