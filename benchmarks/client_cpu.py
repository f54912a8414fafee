"""Client CPU per 100k associations: the hook, the bulk-link operator and HubSpot's SDK ÷ a bare requests loop.

Run: ``PYTHONPATH=$PWD python benchmarks/client_cpu.py [--pairs 100000] [--rounds 2] [--skip-sdk]``.

The emulator runs in its own process (no rate limit, no latency), so only the client's work is measured: the
client process's CPU time (``time.process_time()``: user + system of every thread of this process, so the hook's
worker and watchdog threads count) around each contestant. Imports (Airflow's included), the emulator's start,
the label's creation, building the inputs and writing the CSV happen before the clock starts. Each contestant
links its own fresh contacts (each to one of 50 companies), so every run does the same work on the server:

* **bare**: one ``requests.Session``, the batches pre-chunked as dicts before the clock starts, ``json=`` and a
  status check per request; nothing else (the floor any Python client pays for requests + stdlib json).
* **hook**: ``HubSpotAssociationsHook.create_associations`` over a list of ``(from_id, to_id)`` tuples
  (validation, chunking, the rate limiter, retries, failure mapping included), with an unlimited rate budget and
  ``max_concurrency=1``: one request at a time, like the bare loop. **hook, 4 threads** is the same at the
  connection default ``max_concurrency=4``: with no latency all four threads are runnable at once, so it
  measures CPython's thread switching (the GIL handed over around every socket call) on top; at HubSpot's
  rate ceiling and real latencies the threads mostly wait for the network.
* **operator**: ``HubSpotCreateAssociationsOperator.execute`` from a CSV of the same pairs (both passes over the
  file: validation, then sending), with a minimal context (no metadata DB, no checkpoint), ``max_concurrency=1``.
* **sdk**: ``hubspot-api-client`` 12 (``crm.associations.v4.batch_api``), building its models from the same
  pre-chunked dicts inside the clock, as a user of the SDK must.

Unlabeled pairs go through ``batch/associate/default`` (1,000 a request). Labeled pairs (one user-defined label)
through ``batch/create`` (2,000 a request); under ``replace`` label semantics a correct client first reads the
from-ids' current labels (``batch/read``, 1,000 ids a request), so the bare loop and the SDK make those reads too
(and decode them: the labels are needed for the union it must send). When the hook has the
``label_write_semantics`` setting, the labeled hook runs once per semantics, against a bare loop making the
reads that semantics needs (``merge``: none), with ``label_verify_rounds=0``: one writer, so no verify reads
(the default guards against other writers at one more read per 1,000 from-ids per chunk). The reads each made
are printed from the emulator's counters.

Each contestant runs ``--rounds`` times, alternating; the least-disturbed (lowest) CPU figure of each is used.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

from hook_throughput import _counters, _start_emulator  # the same emulator process and counters (this folder)

TOKEN = "bench-token"
COMPANIES = 50
READ_BATCH = 1000
DEFAULT_BATCH = 1000
CREATE_BATCH = 2000
#: every contestant's contacts start at a fresh multiple of this (its own pairs, never written before)
ID_SPAN = 10_000_000


def counters(base_url: str) -> dict[str, int]:
    """Requests the emulator answered so far, by endpoint name (every status)."""
    return {name: sum(by_status.values()) for name, by_status in _counters(base_url).items()}


def pairs_of(first: int, n: int) -> list[tuple[int, int]]:
    """``n`` new contacts from ``first`` on, each to one of the 50 companies."""
    return [(first + i, i % COMPANIES + 1) for i in range(n)]


class Bare:
    """The floor: a requests.Session, batches pre-built as dicts, ``json=``, a status check."""

    def __init__(self, base_url: str) -> None:
        import requests

        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {TOKEN}"
        self.base = f"{base_url}/crm/v4/associations/contacts/companies/batch"

    @staticmethod
    def default_batches(pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
        return [
            {"inputs": [{"from": {"id": str(f)}, "to": {"id": str(t)}} for f, t in pairs[i : i + DEFAULT_BATCH]]}
            for i in range(0, len(pairs), DEFAULT_BATCH)
        ]

    @staticmethod
    def create_chunks(pairs: list[tuple[int, int]], type_id: int) -> list[tuple[list[dict[str, Any]], list[Any]]]:
        """Per 2,000-pair chunk: the read bodies of its from ids and its create inputs (types filled in later)."""
        chunks = []
        for i in range(0, len(pairs), CREATE_BATCH):
            part = pairs[i : i + CREATE_BATCH]
            ids = list(dict.fromkeys(str(f) for f, _t in part))
            reads = [{"inputs": [{"id": x} for x in ids[j : j + READ_BATCH]]} for j in range(0, len(ids), READ_BATCH)]
            spec = {"associationCategory": "USER_DEFINED", "associationTypeId": type_id}
            inputs = [{"from": {"id": str(f)}, "to": {"id": str(t)}, "types": [spec]} for f, t in part]
            chunks.append((reads, inputs))
        return chunks

    def post(self, endpoint: str, body: Any) -> Any:
        response = self.session.post(f"{self.base}/{endpoint}", json=body)
        if response.status_code not in (200, 201, 207):
            raise RuntimeError(f"{endpoint}: HTTP {response.status_code}: {response.text[:200]}")
        return response

    def link_default(self, batches: list[dict[str, Any]]) -> None:
        for body in batches:
            self.post("associate/default", body)

    def link_labeled(self, chunks: list[tuple[list[dict[str, Any]], list[Any]]], read: bool) -> None:
        for reads, inputs in chunks:
            current: dict[tuple[str, str], list[Any]] = {}
            if read:  # replace semantics: send each pair's current types with the new one
                for body in reads:
                    for item in self.post("read", body).json().get("results", []):
                        for to in item["to"]:
                            current[(item["from"]["id"], str(to["toObjectId"]))] = [
                                {"associationCategory": x["category"], "associationTypeId": x["typeId"]}
                                for x in to["associationTypes"]
                            ]
            if current:
                for item in inputs:
                    item["types"] = current.get((item["from"]["id"], item["to"]["id"]), []) + item["types"]
            self.post("create", {"inputs": inputs})


class Sdk:
    """HubSpot's official client doing the same batches (models built from the same dicts)."""

    def __init__(self, base_url: str) -> None:
        import hubspot
        from hubspot.crm.associations.v4 import models

        self.models = models
        self.api = hubspot.HubSpot(access_token=TOKEN, host=base_url).crm.associations.v4.batch_api

    def link_default(self, batches: list[dict[str, Any]]) -> None:
        m = self.models
        for body in batches:
            inputs = [
                m.PublicDefaultAssociationMultiPost(
                    _from=m.PublicObjectId(id=x["from"]["id"]), to=m.PublicObjectId(id=x["to"]["id"])
                )
                for x in body["inputs"]
            ]
            self.api.create_default("contacts", "companies", m.BatchInputPublicDefaultAssociationMultiPost(inputs))

    def link_labeled(self, chunks: list[tuple[list[dict[str, Any]], list[Any]]], read: bool) -> None:
        m = self.models
        for reads, inputs in chunks:
            current: dict[tuple[str, str], list[Any]] = {}
            if read:
                for body in reads:
                    fetch = [m.PublicFetchAssociationsBatchRequest(id=x["id"]) for x in body["inputs"]]
                    answer = self.api.get_page(
                        "contacts", "companies", m.BatchInputPublicFetchAssociationsBatchRequest(fetch)
                    )
                    for item in answer.results or []:
                        for to in item.to:
                            current[(item._from.id, str(to.to_object_id))] = [
                                m.AssociationSpec(association_category=x.category, association_type_id=x.type_id)
                                for x in to.association_types
                            ]
            posts = [
                m.PublicAssociationMultiPost(
                    _from=m.PublicObjectId(id=x["from"]["id"]),
                    to=m.PublicObjectId(id=x["to"]["id"]),
                    types=current.get((x["from"]["id"], x["to"]["id"]), [])
                    + [
                        m.AssociationSpec(
                            association_category=s["associationCategory"], association_type_id=s["associationTypeId"]
                        )
                        for s in x["types"]
                    ],
                )
                for x in inputs
            ]
            self.api.create("contacts", "companies", m.BatchInputPublicAssociationMultiPost(posts))


def cpu(run: Callable[[], Any]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each contestant (the lowest CPU is kept)")
    parser.add_argument("--skip-sdk", action="store_true", help="leave out the official SDK (~10 CPU-s a run)")
    parser.add_argument("--parts", nargs="+", default=["unlabeled", "labeled"], choices=["unlabeled", "labeled"])
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hubassoc-cpu-"))
    os.environ.setdefault("AIRFLOW_HOME", str(work / "airflow-home"))
    process, base_url = _start_emulator(0, 0.0)  # no rate limit, no latency
    try:
        os.environ["AIRFLOW_CONN_HUBSPOT_DEFAULT"] = json.dumps(
            {"conn_type": "hubspot", "host": base_url, "password": TOKEN}
        )
        # every import before any clock starts
        from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook
        from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

        semantics_setting = "label_write_semantics" in {f.name for f in dataclasses.fields(HubSpotSettings)}
        unlimited: dict[str, Any] = {"requests_per_10_seconds": 10**7}
        one = {"max_concurrency": 1}
        bare = Bare(base_url)
        sdk = None if args.skip_sdk else Sdk(base_url)
        if sdk is not None:  # the SDK imports its models on first use: not part of what is measured
            sdk.link_default(Bare.default_batches(pairs_of(1, 10)))
        setup = HubSpotAssociationsHook(**unlimited)
        label = (
            next((x for x in setup.list_labels("contacts", "companies") if x.label == "Bench"), None)
            or setup.create_label("contacts", "companies", name="bench", label="Bench")[0]
        )
        type_id = label.type_id
        assert type_id is not None
        setup.close()
        starts = count(1)

        def fresh_pairs() -> list[tuple[int, int]]:
            return pairs_of(next(starts) * ID_SPAN, args.pairs)

        def csv_of(pairs: list[tuple[int, int]]) -> str:
            path = work / f"pairs-{pairs[0][0]}.csv"
            with open(path, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["from_id", "to_id"])
                writer.writerows(pairs)
            return str(path)

        def measured(name: str, prepare: Callable[[], Callable[[], Any]]) -> tuple[float, dict[str, int]]:
            run = prepare()
            before = counters(base_url)
            seconds = cpu(run)
            after = counters(base_url)
            sent = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
            print(f"  {name:28s} {seconds:6.2f} CPU-s  requests {sent}", flush=True)
            return seconds, sent

        def hook_run(labels: Any, **settings: Any) -> Callable[[], Callable[[], Any]]:
            def prepare() -> Callable[[], Any]:
                pairs = fresh_pairs()
                hook = HubSpotAssociationsHook(**unlimited, **settings)

                def run() -> None:
                    result = hook.create_associations("contacts", "companies", pairs, labels=labels)
                    assert result.succeeded == len(pairs), result.as_dict()
                    hook.close()

                return run

            return prepare

        def operator_run(labels: Any, **settings: Any) -> Callable[[], Callable[[], Any]]:
            def prepare() -> Callable[[], Any]:
                path = csv_of(fresh_pairs())
                op = HubSpotCreateAssociationsOperator(
                    task_id="link",
                    from_object_type="contacts",
                    to_object_type="companies",
                    input_path=path,
                    labels=labels,
                    hook_params={**unlimited, **settings},
                )

                def run() -> None:
                    summary = op.execute({})
                    assert summary["succeeded"] == args.pairs, summary

                return run

            return prepare

        def bare_default() -> Callable[[], Any]:
            batches = Bare.default_batches(fresh_pairs())
            return lambda: bare.link_default(batches)

        def sdk_default() -> Callable[[], Any]:
            batches = Bare.default_batches(fresh_pairs())
            return lambda: sdk.link_default(batches)  # type: ignore[union-attr]

        def labeled_by(client: Bare | Sdk | None, read: bool) -> Callable[[], Callable[[], Any]]:
            def prepare() -> Callable[[], Any]:
                chunks = Bare.create_chunks(fresh_pairs(), type_id)
                return lambda: client.link_labeled(chunks, read)  # type: ignore[union-attr]

            return prepare

        contestants: dict[str, list[tuple[str, Callable[[], Callable[[], Any]]]]] = {}
        contestants["unlabeled"] = [
            ("bare", bare_default),
            ("hook", hook_run(None, **one)),
            ("hook, 4 threads", hook_run(None)),
            ("operator (CSV)", operator_run(None, **one)),
        ] + ([("sdk", sdk_default)] if sdk is not None else [])
        labeled: list[tuple[str, Callable[[], Callable[[], Any]]]] = []
        modes = [("replace", True)] + ([("merge", False)] if semantics_setting else [])
        for mode, read in modes:
            # one writer: no verify pass (its reads are not in the bare loop; docs/guarantees.md, Many writers)
            settings = {"label_write_semantics": mode, "label_verify_rounds": 0} if semantics_setting else {}
            suffix = f" [{mode}]"
            labeled += [
                ("bare" + suffix, labeled_by(bare, read)),
                ("hook" + suffix, hook_run(["Bench"], **one, **settings)),
                ("hook, 4 threads" + suffix, hook_run(["Bench"], **settings)),
                ("operator (CSV)" + suffix, operator_run(["Bench"], **one, **settings)),
            ] + ([("sdk" + suffix, labeled_by(sdk, read))] if sdk is not None else [])
        contestants["labeled"] = labeled

        print(
            f"client CPU for {args.pairs} pairs; emulator pid {process.pid} (no rate limit, no latency); "
            f"load average {os.getloadavg()[0]:.2f}; label_write_semantics setting: "
            f"{'yes' if semantics_setting else 'no (replace only)'}"
        )
        for part in args.parts:
            best: dict[str, float] = {}
            sent_by: dict[str, dict[str, int]] = {}
            for round_ in range(args.rounds):
                print(f"{part}, round {round_ + 1}:", flush=True)
                for name, prepare in contestants[part]:
                    if name.startswith("sdk") and round_ > 0:
                        continue  # one SDK run is plenty: it is an order of magnitude off
                    seconds, sent = measured(name, prepare)
                    best[name] = min(best.get(name, seconds), seconds)
                    sent_by[name] = sent
            print(f"{part}: lowest CPU of {args.rounds} round(s), ÷ the bare loop of the same semantics")
            for name, seconds in best.items():
                mode = name[name.index("[") :] if "[" in name else ""
                floor = best["bare" + (" " + mode if mode else "")]
                reads = sent_by[name].get("batch.read", 0)
                print(f"  {name:28s} {seconds:6.2f} CPU-s  {seconds / floor:5.2f}x  (batch/read requests: {reads})")
            print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
