"""Helpers shared by the transport tests (auth, limiter, retry, transport): a fake clock and limiter hygiene."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters


class FakeClock:
    """A clock that only moves when its ``sleep`` is called: waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fresh_limiters() -> Iterator[None]:
    """Each test starts with no process-wide limiter, so budgets and pauses never leak between tests."""
    reset_shared_limiters()
    yield
    reset_shared_limiters()
