"""Small HTTP helpers for the emulator's tests: a real ``requests`` session against the running emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator


class Client:
    """A bearer-authenticated session bound to one emulator (no retries, nothing hidden)."""

    def __init__(self, emulator: HubSpotEmulator, token: str | None = None) -> None:
        self.base = emulator.base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or emulator.token}"

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, json=json, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


def spec(type_id: int, category: str = "HUBSPOT_DEFINED") -> dict[str, Any]:
    return {"associationCategory": category, "associationTypeId": type_id}


def pair(from_id: int | str, to_id: int | str, *types: dict[str, Any]) -> dict[str, Any]:
    return {"from": {"id": str(from_id)}, "to": {"id": str(to_id)}, "types": list(types)}


def type_ids(emulator: HubSpotEmulator, from_type: str, from_id: int, to_type: str) -> dict[int, set[int]]:
    return {
        to_id: {t["typeId"] for t in types}
        for to_id, types in emulator.associations(from_type, from_id, to_type).items()
    }
