"""The emulator's own admin API (``/_emulator/...``; no auth, so bind to loopback): the Python operations of
:class:`~._app.EmulatorApp` over HTTP, for tests and demos in another process. Routed in ``_routes.py``.

Each handler takes the request's JSON object (``{}`` when there is none) and answers with endpoint
``admin``; a missing or mistyped field is a 400 ``Invalid admin request``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._http import Response

if TYPE_CHECKING:
    from ._app import EmulatorApp


def health(app: EmulatorApp, data: dict[str, Any]) -> Response:
    return Response(200, {"status": "ok"})


def reset(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.reset(seed=data.get("seed"))
    return Response(200, {"status": "reset"})


def daily_reset(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.refill_daily_budget()
    return Response(200, {"status": "refilled"})


def get_config(app: EmulatorApp, data: dict[str, Any]) -> Response:
    return Response(200, app.config.as_dict())


def set_config(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.configure(**data)
    return Response(200, app.config.as_dict())


def state(app: EmulatorApp, data: dict[str, Any]) -> Response:
    return Response(200, app.dump())


def counters(app: EmulatorApp, data: dict[str, Any]) -> Response:
    return Response(200, app.counters())


def fixture(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.load_fixture(data)
    return Response(200, {"status": "loaded"})


def create_records(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.load_fixture({"records": {data["objectType"]: data["ids"]}})
    return Response(200, {"status": "created"})


def delete_records(app: EmulatorApp, data: dict[str, Any]) -> Response:
    with app.state.lock:
        app.state.delete_records(app.object_type(data["objectType"]), [int(i) for i in data["ids"]])
    return Response(200, {"status": "deleted"})


def create_label(app: EmulatorApp, data: dict[str, Any]) -> Response:
    with app.state.lock:
        created = app.state.create_label(
            app.object_type(data["fromObjectType"]),
            app.object_type(data["toObjectType"]),
            data["name"],
            data["label"],
            data.get("inverseLabel"),
        )
    return Response(200, {"results": [d.as_label() for d in created]})


def associate(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.load_fixture({"associations": data.get("associations", [data])})
    return Response(200, {"status": "created"})


def add_token(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.add_token(data["token"], data.get("scopes"))
    return Response(200, {"status": "registered"})


def add_oauth_client(app: EmulatorApp, data: dict[str, Any]) -> Response:
    app.add_oauth_client(data["clientId"], data["clientSecret"], data["refreshToken"])
    return Response(200, {"status": "registered", "clientId": data["clientId"]})


def add_hostile(app: EmulatorApp, data: dict[str, Any]) -> Response:
    """``POST /_emulator/hostile {"kind", "endpoints"?, "times"?, "size"?}``: one more hostile rule."""
    app.add_hostile(data["kind"], data.get("endpoints"), times=data.get("times"), size=data.get("size"))
    return Response(200, {"hostile": app.config.hostile})


def clear_hostile(app: EmulatorApp, data: dict[str, Any]) -> Response:
    """``DELETE /_emulator/hostile``: a well-behaved HubSpot again."""
    app.configure(hostile=[])
    return Response(200, {"hostile": []})
