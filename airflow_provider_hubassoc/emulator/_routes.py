"""Every path the emulator serves, in one table: endpoint name (as ``counters()`` reports it), method, path
pattern, handler, and whether it changes the account. The admin API has a table of its own below.

Routes are tried in order; a path matched by a route of another method only is a 405; an unserved version
(``version_codes``) or the legacy OAuth API switched off (``oauth_v1_enabled``) is no match at all (404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import (
    _admin as admin,
    _basic as basic,
    _batch as batch,
    _configurations as configurations,
    _definitions as definitions,
    _oauth as oauth,
    _objects as objects,
    _record_admin as record_admin,
    _report as report,
    _v3 as v3,
)
from ._http import ApiError, Request, Response, error_body
from ._versions import version_codes

if TYPE_CHECKING:
    from ._app import EmulatorApp
    from ._endpoints import Handler


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    #: a request to it changes the account (``WRITE_ENDPOINTS``)
    writes: bool = False


def _route(name: str, method: str, pattern: str, handler: Handler, *, writes: bool = False) -> Route:
    return Route(name, method, re.compile(pattern), handler, writes)


#: the OAuth token API's path prefix: 2026-03 (HubSpot's current), v3 (same schemas) and the legacy v1
OAUTH = r"^/oauth/(?P<oauth_version>v1|v3|2026-03)/"
_PAIR = r"(?P<from_type>[^/]+)/(?P<to_type>[^/]+)"
#: ``/crm/v4/associations/`` and ``/crm/associations/{version}/``
ASSOC = r"^/crm/(?:v4/associations|associations/(?P<version>v4|\d{4}-\d{2}(?:-beta)?))/"
_LIMITS = ASSOC + r"definitions/configurations/"
#: one record's associations: ``/crm/v4/objects/...`` and ``/crm/objects/{version}/...``
OBJECTS = (
    r"^/crm/(?:v4/objects|objects/(?P<version>\d{4}-\d{2}(?:-beta)?))/"
    r"(?P<from_type>[^/]+)/(?P<from_id>[^/]+)/associations/"
)
_RECORD = OBJECTS + r"(?P<to_type>[^/]+)/(?P<to_id>[^/]+)/?$"
_V3 = r"^/crm/v3/associations/" + _PAIR
#: the CRM objects API: ``/crm/v3/objects/{type}`` (HubSpot's SDK) and ``/crm/objects/{version}/{type}``
CRM_OBJECTS = r"^/crm/(?:v3/objects|objects/(?P<version>\d{4}-\d{2}(?:-beta)?))/(?P<object_type>[^/]+)"

ROUTES: tuple[Route, ...] = (
    _route("oauth.token", "POST", OAUTH + r"token/?$", oauth.issue_token),
    _route("oauth.introspect", "POST", OAUTH + r"token/introspect/?$", oauth.introspect),
    _route("oauth.revoke", "POST", OAUTH + r"token/revoke/?$", oauth.revoke),
    _route(
        "oauth.revoke",
        "DELETE",
        r"^/oauth/(?P<oauth_version>v1)/refresh-tokens/(?P<refresh_token>[^/]+)/?$",
        oauth.v1_revoke,
    ),
    _route("v3.types", "GET", _V3 + r"/types/?$", v3.types),
    _route("v3.batch.create", "POST", _V3 + r"/batch/create/?$", v3.create, writes=True),
    _route("v3.batch.read", "POST", _V3 + r"/batch/read/?$", v3.read),
    _route("v3.batch.archive", "POST", _V3 + r"/batch/archive/?$", v3.archive, writes=True),
    _route("limits.all", "GET", _LIMITS + r"all/?$", configurations.list_all),
    _route("limits.create", "POST", _LIMITS + _PAIR + r"/batch/create/?$", configurations.create, writes=True),
    _route("limits.update", "POST", _LIMITS + _PAIR + r"/batch/update/?$", configurations.update, writes=True),
    _route("limits.purge", "POST", _LIMITS + _PAIR + r"/batch/purge/?$", configurations.purge, writes=True),
    _route("limits.list", "GET", _LIMITS + _PAIR + r"/?$", configurations.list_pair),
    _route("usage.report", "POST", ASSOC + r"usage/high-usage-report/(?P<user_id>[^/]+)/?$", report.high_usage),
    _route("labels.list", "GET", ASSOC + _PAIR + r"/labels/?$", definitions.list_labels),
    _route("labels.create", "POST", ASSOC + _PAIR + r"/labels/?$", definitions.create, writes=True),
    _route("labels.update", "PUT", ASSOC + _PAIR + r"/labels/?$", definitions.update, writes=True),
    _route(
        "labels.delete", "DELETE", ASSOC + _PAIR + r"/labels/(?P<type_id>[^/]+)/?$", definitions.delete, writes=True
    ),
    _route("batch.create", "POST", ASSOC + _PAIR + r"/batch/create/?$", batch.create, writes=True),
    _route("batch.read", "POST", ASSOC + _PAIR + r"/batch/read/?$", batch.read),
    _route("batch.archive", "POST", ASSOC + _PAIR + r"/batch/archive/?$", batch.archive, writes=True),
    _route(
        "batch.labels_archive",
        "POST",
        ASSOC + _PAIR + r"/batch/labels/archive/?$",
        batch.labels_archive,
        writes=True,
    ),
    _route(
        "batch.associate_default",
        "POST",
        ASSOC + _PAIR + r"/batch/associate/default/?$",
        batch.associate_default,
        writes=True,
    ),
    _route(
        "records.default",
        "PUT",
        OBJECTS + r"default/(?P<to_type>[^/]+)/(?P<to_id>[^/]+)/?$",
        basic.default,
        writes=True,
    ),
    _route("records.put", "PUT", _RECORD, basic.put, writes=True),
    _route("records.delete", "DELETE", _RECORD, basic.delete, writes=True),
    _route("records.list", "GET", OBJECTS + r"(?P<to_type>[^/]+)/?$", basic.list_page),
    _route("objects.create", "POST", CRM_OBJECTS + r"/?$", objects.create, writes=True),
    _route("objects.list", "GET", CRM_OBJECTS + r"/?$", objects.list_page),
    _route("objects.batch.create", "POST", CRM_OBJECTS + r"/batch/create/?$", objects.batch_create, writes=True),
    _route("objects.batch.read", "POST", CRM_OBJECTS + r"/batch/read/?$", objects.batch_read),
    _route("objects.search", "POST", CRM_OBJECTS + r"/search/?$", objects.search),
    _route("objects.merge", "POST", CRM_OBJECTS + r"/merge/?$", objects.merge, writes=True),
    _route("objects.read", "GET", CRM_OBJECTS + r"/(?P<object_id>[^/]+)/?$", objects.read),
)

#: endpoint names (as in ``counters()``) whose requests change the account
WRITE_ENDPOINTS = frozenset(route.name for route in ROUTES if route.writes)


def _method_not_allowed(app: EmulatorApp, request: Request, body: Any) -> Response:
    raise ApiError(405, error_body(f"Method {request.method} is not allowed for {request.path}", "VALIDATION_ERROR"))


#: a served path asked with a method none of its routes takes (answered after auth and rate limits, as HubSpot)
METHOD_NOT_ALLOWED = Route("unknown", "", re.compile(""), _method_not_allowed)


def match(request: Request, *, oauth_v1_enabled: bool) -> tuple[Route | None, dict[str, str]]:
    """The route of a request and its path parameters (``version`` always present, None on un-dated paths);
    :data:`METHOD_NOT_ALLOWED` for a known path with another method; None for a path not served."""
    path_matched = False
    for route in ROUTES:
        found = route.pattern.match(request.path)
        if not found:
            continue
        params = {k: v for k, v in found.groupdict().items() if v is not None or k == "version"}
        if version_codes(params.get("version")) is None:
            continue
        if params.get("oauth_version") == "v1" and not oauth_v1_enabled:
            continue  # the legacy OAuth API is switched off: 404 like any path HubSpot does not serve
        path_matched = True
        if route.method != request.method:
            continue
        return route, params
    if path_matched:
        return METHOD_NOT_ALLOWED, {}
    return None, {}


# ---------------------------------------------------------------------- the admin API
#: an admin endpoint: ``(app, the request's JSON object or {}) -> Response``
AdminHandler = Callable[["EmulatorApp", dict[str, Any]], Response]

#: ``(method, path)`` of each admin endpoint (paths compared without trailing slashes)
ADMIN_ROUTES: dict[tuple[str, str], AdminHandler] = {
    ("GET", "/_emulator/health"): admin.health,
    ("POST", "/_emulator/reset"): admin.reset,
    ("POST", "/_emulator/daily-reset"): admin.daily_reset,
    ("GET", "/_emulator/config"): admin.get_config,
    ("POST", "/_emulator/config"): admin.set_config,
    ("PATCH", "/_emulator/config"): admin.set_config,
    ("PUT", "/_emulator/config"): admin.set_config,
    ("GET", "/_emulator/state"): admin.state,
    ("GET", "/_emulator/counters"): admin.counters,
    ("POST", "/_emulator/fixture"): admin.fixture,
    ("POST", "/_emulator/records"): admin.create_records,
    ("DELETE", "/_emulator/records"): admin.delete_records,
    ("POST", "/_emulator/objects"): record_admin.create_objects,
    ("POST", "/_emulator/objects/merge"): record_admin.merge_objects,
    ("POST", "/_emulator/objects/stamp"): record_admin.stamp_objects,
    ("POST", "/_emulator/objects/unique"): record_admin.declare_unique,
    ("POST", "/_emulator/labels"): admin.create_label,
    ("POST", "/_emulator/associations"): admin.associate,
    ("POST", "/_emulator/tokens"): admin.add_token,
    ("POST", "/_emulator/oauth-clients"): admin.add_oauth_client,
    ("POST", "/_emulator/hostile"): admin.add_hostile,
    ("DELETE", "/_emulator/hostile"): admin.clear_hostile,
}


def is_admin(path: str) -> bool:
    return path.startswith("/_emulator/") or path == "/_emulator"


def match_admin(request: Request) -> AdminHandler:
    """The admin endpoint of a request; 404 ``Unknown admin endpoint`` for any other."""
    handler = ADMIN_ROUTES.get((request.method, request.path.rstrip("/")))
    if handler is None:
        raise ApiError(404, error_body(f"Unknown admin endpoint {request.method} {request.path}", "OBJECT_NOT_FOUND"))
    return handler
