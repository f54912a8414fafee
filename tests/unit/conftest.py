"""What makes a test a unit test here: no network, no database, no emulator.

Every test under ``tests/unit/`` runs with connects and binds of IP sockets and SQLAlchemy connections
(Airflow's metadata DB among them) refused. A test that tries one fails, even when the code under test catches
the error, and so does a test that asks for a fixture of the emulator, a DAG run or a warehouse. Such a test
belongs in ``tests/integration/``, as does one that starts a process (not enforced: a library may start
``file`` on first use, through ``platform.architecture()``, in whichever test that happens to be).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy.pool

#: fixtures that start the emulator, migrate the metadata DB, run DAGs or open a warehouse
INTEGRATION_FIXTURES = frozenset(
    {
        "hubspot_emulator",
        "hubspot_connection",
        "_hubspot_emulator_session",
        "airflow_db",
        "dag_runner",
        "warehouse",
        "_postgres_server",
    }
)
_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)
#: whether the test's call phase already failed (then the rule's error is its failure; no second one at teardown)
_CALL_FAILED = pytest.StashKey[bool]()


def _pools(cls: type = sqlalchemy.pool.Pool) -> Iterator[type]:
    """SQLAlchemy's pool classes that define ``connect`` (every connection is checked out of one)."""
    if "connect" in vars(cls):
        yield cls
    for subclass in cls.__subclasses__():
        yield from _pools(subclass)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed


class UnitTestRuleError(Exception):
    """What a refused call raises; not an ``OSError``, so no retry loop takes it for a network fault."""


@pytest.fixture(autouse=True)
def _unit_test_rules(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse the network and databases for the test; fail it if it tried either."""
    asked = sorted(INTEGRATION_FIXTURES.intersection(request.fixturenames))
    if asked:
        pytest.fail(f"a unit test may not use {', '.join(asked)}: move it to tests/integration/", pytrace=False)
    tried: list[str] = []

    def refuse(what: str) -> None:
        tried.append(what)
        raise UnitTestRuleError(f"a unit test may not {what}: move it to tests/integration/")

    def on_ip_sockets(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(sock: socket.socket, address: Any, *args: Any) -> Any:
            if sock.family in _IP_FAMILIES:
                refuse(f"{name} a socket ({address!r})")
            return real(sock, address, *args)

        return guarded

    for name in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, name, on_ip_sockets(name, getattr(socket.socket, name)))
    for pool_class in list(_pools()):
        monkeypatch.setattr(pool_class, "connect", lambda pool: refuse(f"connect to a database ({pool!r})"))
    yield
    if tried and not request.node.stash.get(_CALL_FAILED, False):
        pytest.fail(f"a unit test may not {'; '.join(tried[:3])}: move it to tests/integration/", pytrace=False)
