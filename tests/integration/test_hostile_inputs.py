"""A catalogue of hostile inputs: each must fail with an error naming its file, row and field, before any write.

Every case runs against the emulator over real HTTP and checks two things: the error text names where the bad
input is (file, row or list position, field), and the emulator received no write request at all (any status:
a refused write would still be a write attempt). Files are tiny; the 200 KB cell and the 5,000-digit id are
generated in ``tmp_path``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from operator_support import write_csv

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.emulator._server import WRITE_ENDPOINTS
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

TOO_BIG = str(2**63)  # one above HubSpot's (int64) id range
LONG_LABEL = "L" * 300


@dataclass(frozen=True)
class Case:
    """One hostile input: ``run(tmp_path)`` must raise ``error`` whose text matches every pattern in ``names``."""

    id: str
    run: Callable[[Path], Any]
    names: tuple[str, ...]
    error: type[BaseException] = AirflowFailException


# -- builders ------------------------------------------------------------------------------------------------


def op_args(**kwargs: Any) -> dict[str, Any]:
    return {
        "from_object_type": "contacts",
        "to_object_type": "companies",
        "hook_params": {"requests_per_10_seconds": 1_000_000},
        **kwargs,
    }


def link(**kwargs: Any) -> Any:
    return HubSpotCreateAssociationsOperator(task_id="link", **op_args(**kwargs)).execute({})


def unlink(**kwargs: Any) -> Any:
    return HubSpotArchiveAssociationsOperator(task_id="unlink", **op_args(**kwargs)).execute({})


def reconcile(**kwargs: Any) -> Any:
    return HubSpotSyncAssociationsOperator(task_id="sync", **op_args(**kwargs)).execute({})


def read(**kwargs: Any) -> Any:
    return HubSpotReadAssociationsOperator(task_id="read", **op_args(**kwargs)).execute({})


def sensor(**kwargs: Any) -> Any:
    task = HubSpotAssociationSensor(
        task_id="wait", from_object_type="contacts", to_object_type="companies", poke_interval=0.1, timeout=30, **kwargs
    )
    return task.poke({})


def sync_labels(definitions: Any) -> Any:
    return HubSpotSyncLabelsOperator(task_id="labels", definitions=definitions).execute({})


def hook() -> HubSpotAssociationsHook:
    return HubSpotAssociationsHook(requests_per_10_seconds=1_000_000)


def link_csv(cell: Any, *, name: str = "in.csv") -> Callable[[Path], Any]:
    """Link from a CSV whose row 2 has ``cell`` as its to id (row 1 is good)."""
    return lambda tmp: link(input_path=str(write_csv(tmp / name, ["from_id", "to_id"], [[1, 501], [2, cell]])))


def link_jsonl(lines: list[str], **kwargs: Any) -> Callable[[Path], Any]:
    def run(tmp: Path) -> Any:
        path = tmp / "in.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return link(input_path=str(path), **kwargs)

    return run


def jsonl_to_id(value: str) -> Callable[[Path], Any]:
    """Link from JSON Lines whose line 2 has the raw JSON ``value`` as its to id."""
    return link_jsonl(['{"from_id": 1, "to_id": 501}', f'{{"from_id": 2, "to_id": {value}}}'])


def raw_file(name: str, data: bytes, operator: Callable[..., Any] = link, **kwargs: Any) -> Callable[[Path], Any]:
    def run(tmp: Path) -> Any:
        (tmp / name).write_bytes(data)
        return operator(input_path=str(tmp / name), **kwargs)

    return run


def huge_cell(tmp: Path) -> Any:
    path = tmp / "in.csv"
    path.write_text("from_id,to_id\n1,501\n2," + "9" * 200_000 + "\n", encoding="utf-8")
    return link(input_path=str(path))


def five_thousand_digits(tmp: Path) -> Any:
    return link(input_path=str(write_csv(tmp / "in.csv", ["from_id", "to_id"], [[1, 501], [2, "7" * 5000]])))


def truncated_gzip(tmp: Path) -> Any:
    path = tmp / "in.csv.gz"
    path.write_bytes(gzip.compress(b"from_id,to_id\n" + b"1,501\n" * 2000)[:60])
    return link(input_path=str(path))


def labeled_csv(cell: str, operator: Callable[..., Any] = link) -> Callable[[Path], Any]:
    def run(tmp: Path) -> Any:
        path = write_csv(tmp / "in.csv", ["from_id", "to_id", "label"], [[1, 501, "Billing"], [2, 502, cell]])
        return operator(input_path=str(path), label_column="label")

    return run


def missing_label_column(operator: Callable[..., Any]) -> Callable[[Path], Any]:
    return lambda tmp: operator(
        input_path=str(write_csv(tmp / "in.csv", ["from_id", "to_id"], [[1, 501]])), label_column="role"
    )


def read_ids_file(cell: Any, **kwargs: Any) -> Callable[[Path], Any]:
    return lambda tmp: read(input_path=str(write_csv(tmp / "ids.csv", ["id"], [[1], [cell]])), **kwargs)


def definition(**overrides: Any) -> list[dict[str, Any]]:
    return [
        {
            "from_object_type": "contacts",
            "to_object_type": "companies",
            "name": "billing",
            "label": "Billing",
            **overrides,
        }
    ]


# -- the catalogue -------------------------------------------------------------------------------------------

ROW2_TO = (r"in\.csv row 2", r"field 'to_id'")
JSONL2_TO = (r"in\.jsonl row 2", r"field 'to_id'")


def bad_connection(extra: dict[str, Any] | None = None, **fields: Any) -> Callable[[Path], Any]:
    """Link one good pair through the connection ``hubspot_bad``: the emulator's connection with ``extra`` and
    ``fields`` changed. The error must name the connection id and the field, before any request."""

    def run(tmp: Path) -> Any:
        good = json.loads(os.environ["AIRFLOW_CONN_HUBSPOT_DEFAULT"])
        conn = {**good, **fields, "extra": {**good.get("extra", {}), **(extra or {})}}
        with mock.patch.dict(os.environ, {"AIRFLOW_CONN_HUBSPOT_BAD": json.dumps(conn)}):
            return link(pairs=[[1, 2]], hubspot_conn_id="hubspot_bad")

    return run


def connection_case(id_: str, field: str, extra: dict[str, Any] | None = None, **fields: Any) -> Case:
    return Case(id_, bad_connection(extra, **fields), ("connection 'hubspot_bad'", re.escape(field)), HubSpotInputError)


CASES = [
    # ids in a CSV cell: integers 1..2^63-1 written with ASCII digits only
    Case("csv-id-exponent-1e3", link_csv("1e3"), ROW2_TO),
    Case("csv-id-decimal-12.0", link_csv("12.0"), ROW2_TO),
    Case("csv-id-decimal-123.0", link_csv("123.0"), ROW2_TO),
    Case("csv-id-plus-sign", link_csv("+12"), ROW2_TO),
    Case("csv-id-negative", link_csv("-12"), ROW2_TO),
    Case("csv-id-zero", link_csv("0"), ROW2_TO),
    Case("csv-id-space-inside", link_csv("1 2"), ROW2_TO),
    Case("csv-id-thousands-comma", link_csv("1,000"), ROW2_TO),
    Case("csv-id-underscore", link_csv("1_000"), ROW2_TO),
    Case("csv-id-arabic-indic-digits", link_csv("١٢٣"), ROW2_TO),
    Case("csv-id-fullwidth-digits", link_csv("１２３"), ROW2_TO),  # noqa: RUF001 - look-alike digits are the case
    Case("csv-id-superscript-two", link_csv("²"), ROW2_TO),
    Case("csv-id-hex", link_csv("0x1F"), ROW2_TO),
    Case("csv-id-empty-cell", link_csv(""), ROW2_TO),
    Case("csv-id-text", link_csv("acme"), ROW2_TO),
    Case("csv-id-2pow63", link_csv(TOO_BIG), (*ROW2_TO, r"2\^63 - 1")),
    Case("csv-id-20-digits", link_csv("9" * 20), (*ROW2_TO, r"2\^63 - 1")),
    Case("csv-id-5000-digits", five_thousand_digits, (*ROW2_TO, "5000 digits")),
    # ids in JSON Lines: JSON numbers that are not integers
    Case("jsonl-id-float", jsonl_to_id("12.0"), JSONL2_TO),
    Case("jsonl-id-exponent", jsonl_to_id("1e3"), JSONL2_TO),
    Case("jsonl-id-true", jsonl_to_id("true"), JSONL2_TO),
    Case("jsonl-id-null", jsonl_to_id("null"), JSONL2_TO),
    Case("jsonl-id-list", jsonl_to_id("[501]"), JSONL2_TO),
    Case("jsonl-id-2pow63", jsonl_to_id(TOO_BIG), JSONL2_TO),
    Case("jsonl-id-negative", jsonl_to_id("-5"), JSONL2_TO),
    Case(
        "jsonl-row-is-line-after-blank-lines",
        link_jsonl(['{"from_id": 1, "to_id": 501}', "", "", '{"from_id": 2, "to_id": "x"}']),
        (r"in\.jsonl row 4", r"field 'to_id'"),
    ),
    Case(
        "jsonl-line-not-an-object",
        link_jsonl(['{"from_id": 1, "to_id": 501}', "[2, 502]"]),
        (r"in\.jsonl row 2", "expected a JSON object"),
    ),
    Case(
        "jsonl-line-not-json",
        link_jsonl(['{"from_id": 1, "to_id": 501}', '{"from_id": 2,']),
        (r"in\.jsonl row 2", "not valid JSON"),
    ),
    Case(
        "jsonl-missing-to-id",
        link_jsonl(['{"from_id": 1, "to_id": 501}', '{"from_id": 2}']),
        (r"in\.jsonl row 2", "missing field 'to_id'"),
    ),
    Case(
        "jsonl-missing-label-field",
        link_jsonl(['{"from_id": 1, "to_id": 501}'], label_column="role"),
        (r"in\.jsonl row 1", "missing field 'role'"),
    ),
    # files: encodings, sizes, compression, structure
    Case(
        "csv-latin1-byte",
        raw_file("in.csv", "from_id,to_id\n1,501\n2,502 caf\xe9\n".encode("latin-1")),
        (r"in\.csv line 3", "not valid utf-8", "encoding="),
    ),
    Case(
        "csv-utf16-without-encoding",
        raw_file("in.csv", "from_id,to_id\n1,501\n".encode("utf-16")),
        (r"in\.csv line 1", "not valid utf-8"),
    ),
    Case("csv-huge-cell-200kb", huge_cell, (r"in\.csv row 2", r"column 'to_id'", "longer than")),
    Case("gz-not-gzip", raw_file("in.csv.gz", b"from_id,to_id\n1,501\n"), (r"in\.csv\.gz", "not a readable gzip file")),
    Case("gz-truncated", truncated_gzip, (r"in\.csv\.gz", "not a readable gzip file")),
    Case("csv-empty-file", raw_file("in.csv", b""), (r"in\.csv", "empty", "from_id")),
    Case("csv-header-only", raw_file("in.csv", b"from_id,to_id\n"), (r"in\.csv", "is empty", "allow_empty")),
    Case("csv-missing-from-column", raw_file("in.csv", b"contact,to_id\n1,501\n"), (r"in\.csv", "no column 'from_id'")),
    Case(
        "csv-row-unquoted-thousands",
        raw_file("in.csv", b"from_id,to_id\n1,501\n2,1,000\n"),
        (r"in\.csv row 2", "3 cells but the header has 2 columns"),
    ),
    Case(
        "csv-header-repeats-a-column",
        raw_file("in.csv", b"from_id,to_id,to_id\n1,501,502\n"),
        (r"in\.csv", "column 'to_id' appears twice"),
    ),
    Case(
        "csv-row-short-a-cell",
        raw_file("in.csv", b"from_id,to_id\n1,501\n2\n"),
        (r"in\.csv row 2", "missing field 'to_id'"),
    ),
    # labels
    Case("csv-label-column-missing-link", missing_label_column(link), (r"in\.csv", "no column 'role'")),
    Case("csv-label-column-missing-unlink", missing_label_column(unlink), (r"in\.csv", "no column 'role'")),
    Case("csv-label-column-missing-reconcile", missing_label_column(reconcile), (r"in\.csv", "no column 'role'")),
    Case(
        "csv-unknown-label-names-its-row",
        labeled_csv("Nope"),
        (r"in\.csv row 2", "field 'label'", "no association label 'Nope'"),
    ),
    Case("csv-unknown-label-unlink", labeled_csv("Nope", unlink), (r"in\.csv row 2", "field 'label'", "'Nope'")),
    Case("csv-label-text-too-long", labeled_csv(LONG_LABEL), (r"in\.csv row 2", "field 'label'", "300 characters")),
    # pairs given as a list / JSON text
    Case("pairs-float-id", lambda tmp: link(pairs=[[1, 501], [2, 2.5]]), ("pairs row 2", "field 'to_id'")),
    Case("pairs-bool-id", lambda tmp: link(pairs=[[True, 501]]), ("pairs row 1", "field 'from_id'")),
    Case("pairs-wrong-shape", lambda tmp: link(pairs=[[1, 501], [2]]), ("pairs row 2", r"expected \[from_id")),
    Case("pairs-json-text-broken", lambda tmp: link(pairs="[[1, 501],"), ("pairs must be a list or JSON text",)),
    Case("pairs-label-not-a-label", lambda tmp: link(pairs=[[1, 501, {"x": 1}]]), ("pairs row 1", "field 'labels'")),
    Case(
        "pairs-label-too-long",
        lambda tmp: link(pairs=[[1, 501, LONG_LABEL]]),
        ("pairs row 1", "field 'labels'", "300 characters"),
    ),
    Case("pairs-empty-list", lambda tmp: link(pairs=[]), ("pairs is empty", "allow_empty")),
    Case("unlink-id-exponent", lambda tmp: unlink(pairs=[[1, "5e2"]]), ("pairs row 1", "field 'to_id'")),
    Case("unlink-empty-file", raw_file("in.csv", b"from_id,to_id\n", unlink), (r"in\.csv", "is empty")),
    Case("reconcile-id-2pow63", lambda tmp: reconcile(pairs=[[1, TOO_BIG]]), ("pairs row 1", "field 'to_id'")),
    Case(
        "reconcile-source-ids-exponent",
        lambda tmp: reconcile(pairs=[[1, 501]], source_ids="1e3"),
        (r"source_ids\[0\]",),
    ),
    Case("reconcile-empty-input", lambda tmp: reconcile(pairs=[]), ("pairs is empty",)),
    # the read operator
    Case("read-record-ids-float", lambda tmp: read(record_ids=[1, 1.5]), (r"record_ids\[1\]",)),
    Case("read-record-ids-exponent-text", lambda tmp: read(record_ids="1,1e3"), (r"record_ids\[1\]",)),
    Case("read-record-ids-empty", lambda tmp: read(record_ids=[]), ("record_ids is empty", "allow_empty")),
    Case("read-file-id-decimal", read_ids_file("7.0"), (r"ids\.csv row 2", "field 'id'")),
    Case("read-file-missing-id-column", read_ids_file(2, id_column="record"), (r"ids\.csv", "no column 'record'")),
    Case(
        "read-file-cp1252-byte",
        raw_file("ids.csv", b"id\n1\n\x932\x94\n", read),
        (r"ids\.csv line 3", "not valid utf-8"),
    ),
    Case(
        "read-unknown-encoding",
        lambda tmp: read(record_ids=[1], encoding="no-such-codec"),
        ("unknown encoding 'no-such-codec'",),
        ValueError,
    ),
    # the sensor
    Case("sensor-record-ids-exponent", lambda tmp: sensor(record_ids="1e3"), (r"record_ids\[0\]",)),
    Case("sensor-record-ids-2pow63", lambda tmp: sensor(record_ids=[1, int(TOO_BIG)]), (r"record_ids\[1\]",)),
    Case("sensor-record-ids-empty", lambda tmp: sensor(record_ids=[]), ("record_ids is empty",), ValueError),
    Case("sensor-record-ids-empty-json", lambda tmp: sensor(record_ids="[]"), ("record_ids is empty",)),
    # label definitions (labels as code)
    Case(
        "labels-name-too-long",
        lambda tmp: sync_labels(definition(name="n" * 101)),
        (r"definitions\[0\]", "field 'name'", "101 characters"),
        ValueError,
    ),
    Case(
        "labels-text-too-long",
        lambda tmp: sync_labels(definition(label=LONG_LABEL)),
        (r"definitions\[0\]", "field 'label'", "300 characters"),
        ValueError,
    ),
    Case(
        "labels-inverse-too-long",
        lambda tmp: sync_labels(definition(inverse_label=LONG_LABEL)),
        (r"definitions\[0\]", "field 'inverse_label'"),
        ValueError,
    ),
    Case(
        "labels-rendered-text-too-long",
        lambda tmp: sync_labels(json.dumps(definition(label=LONG_LABEL)) + " "),
        (r"definitions\[0\]", "field 'label'"),
        ValueError,
    ),
    Case("labels-empty", lambda tmp: sync_labels([]), ("definitions is empty", "allow_empty"), ValueError),
    # the hook, called directly with a list
    Case(
        "hook-create-float-id",
        lambda tmp: hook().create_associations("contacts", "companies", [(1, 2), (3, 12.0)]),
        ("input #1", "field 'to_id'"),
        HubSpotInputError,
    ),
    Case(
        "hook-create-exponent-text",
        lambda tmp: hook().create_associations("contacts", "companies", [("1e3", 2)]),
        ("input #0", "field 'from_id'"),
        HubSpotInputError,
    ),
    Case(
        "hook-archive-2pow63",
        lambda tmp: hook().archive_associations("contacts", "companies", [(1, 2**63)]),
        ("input #0", "field 'to_id'", r"2\^63 - 1"),
        HubSpotInputError,
    ),
    Case(
        "hook-read-5000-digits",
        lambda tmp: list(hook().iter_read_associations("contacts", "companies", [1, "8" * 5000])),
        ("input #1", "field 'id'", "5000 digits"),
        HubSpotInputError,
    ),
    Case(
        "hook-label-in-input-too-long",
        lambda tmp: hook().create_associations("contacts", "companies", [(1, 2, [LONG_LABEL])]),
        ("input #0", "field 'labels'", "300 characters"),
        HubSpotInputError,
    ),
    Case(
        "hook-create-label-name-too-long",
        lambda tmp: hook().create_label("contacts", "companies", name="n" * 101, label="N"),
        ("field 'name'", "101 characters"),
        HubSpotInputError,
    ),
    Case(
        "hook-update-label-text-too-long",
        lambda tmp: hook().update_label("contacts", "companies", type_id=1, label=LONG_LABEL),
        ("field 'label'", "300 characters"),
        HubSpotInputError,
    ),
    # -- the connection: named by its id and field, before any request ----------------------------------------
    connection_case("connection-read-timeout-zero", "read_timeout", {"read_timeout": 0}),
    connection_case("connection-connect-timeout-negative", "connect_timeout", {"connect_timeout": -1}),
    connection_case("connection-request-timeout-text", "request_timeout", {"request_timeout": "soon"}),
    connection_case("connection-request-timeout-nan", "request_timeout", {"request_timeout": "nan"}),
    connection_case("connection-max-concurrency-zero", "max_concurrency", {"max_concurrency": 0}),
    connection_case("connection-daily-limit-negative", "daily_request_limit", {"daily_request_limit": -5}),
    connection_case("connection-max-retries-negative", "max_retries", {"max_retries": -1}),
    connection_case("connection-unknown-api-version", "api_version", {"api_version": "v5"}),
    connection_case("connection-verify-ssl-not-bool", "verify_ssl", {"verify_ssl": "maybe"}),
    connection_case("connection-ca-bundle-missing", "ca_bundle", {"ca_bundle": "/nonexistent/ca.pem"}),
    connection_case("connection-unknown-time-zone", "account_time_zone", {"account_time_zone": "Mars/Olympus"}),
    connection_case("connection-plain-http-off-loopback", "host", host="http://hubspot.example.com"),
]


def write_attempts(emulator: Any) -> int:
    """Requests to any endpoint that changes state, whatever their answer (a refused write is still sent)."""
    return sum(sum(by_status.values()) for name, by_status in emulator.counters().items() if name in WRITE_ENDPOINTS)


def test_the_catalogue_is_large_and_distinct() -> None:
    assert len(CASES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_named_and_nothing_is_written(case: Case, hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.configure(requests_per_10_seconds=None)
    hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")
    before = write_attempts(hubspot_emulator)

    with pytest.raises(case.error) as caught:
        case.run(tmp_path)

    text = str(caught.value)
    for pattern in case.names:
        assert re.search(pattern, text), f"{pattern!r} not in {text!r}"
    assert len(text) < 2_000  # a 5,000-digit id or a 200 KB cell is never echoed whole
    assert write_attempts(hubspot_emulator) == before
