"""The OAuth token API (HubSpot SDK: ``oauth``): refresh-token grant, introspection and revocation.

``/oauth/2026-03/...`` (and ``/oauth/v3/...``, same schemas) take every parameter as a form-encoded body field;
the legacy ``/oauth/v1/token`` also read the query string, and answers without token_use/hub_id/scopes. These
endpoints are not authenticated by a bearer token nor rate limited, and read their form from the request
(``body`` is always None).
"""

from __future__ import annotations

import secrets
import time
import uuid
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ._http import ApiError, Request, Response, error_body

if TYPE_CHECKING:
    from ._app import EmulatorApp

#: what every emulated OAuth install is granted (answered as ``scopes``; not enforced)
OAUTH_SCOPES = (
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
)
OAUTH_HUB_ID = 1
OAUTH_USER_ID = 1


def oauth_error_body(
    error: str, description: str, *, status: str | None = None, category: str | None = None
) -> dict[str, Any]:
    """HubSpot's OAuth error: RFC 6749 ``error``/``error_description`` with the legacy ``status``/``message``
    (reference §20.5), or, with ``category``, RFC fields beside the generic ``Error`` fields."""
    body: dict[str, Any] = {}
    if status is not None:
        body["status"] = status
    body["message"] = description
    body["correlationId"] = str(uuid.uuid4())
    if category is not None:
        body["category"] = category
    body["error"] = error
    body["error_description"] = description
    return body


def _app_id(client_id: str) -> int:
    """A stable app id per client id (HubSpot's introspection answers one)."""
    return zlib.crc32(client_id.encode()) % 10_000_000


def _form(request: Request, oauth_version: str) -> dict[str, str]:
    """The form fields of a token-API request; a query string or a non-form body is refused (400)."""
    if oauth_version == "v1":
        form = {k: v[0] for k, v in parse_qs(request.query).items()}
        form.update({k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()})
        return form
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.query or (request.body and content_type != "application/x-www-form-urlencoded"):
        where = "query parameters" if request.query else f"a body of type {content_type or 'unknown'}"
        raise ApiError(
            400,
            oauth_error_body(
                "invalid_request",
                "Ensure all parameters are provided as form-encoded body fields, not as query parameters "
                f"(got {where})",
                category="VALIDATION_ERROR",
            ),
        )
    return {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}


def _client(app: EmulatorApp, form: dict[str, str]) -> str:
    """The ``client_id`` of the form once its ``client_secret`` matches; else HubSpot's BAD_CLIENT_ID."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    client = app.oauth_clients.get(client_id)
    if client is None or not secrets.compare_digest(client[0], secret):
        raise ApiError(400, oauth_error_body("invalid_client", "missing or unknown client id", status="BAD_CLIENT_ID"))
    return client_id


def issue_token(app: EmulatorApp, request: Request, body: None, oauth_version: str) -> Response:
    """Refresh-token grant: a new access token of ``oauth_token_lifetime`` seconds (§13, §20.5)."""
    form = _form(request, oauth_version)
    grant = form.get("grant_type")
    if grant != "refresh_token":
        refusal = oauth_error_body(
            "unsupported_grant_type", "only the refresh_token grant is emulated", status="BAD_GRANT_TYPE"
        )
        refusal["message"] = f"grant_type {grant} is not supported here"
        return Response(400, refusal)
    refresh = form.get("refresh_token", "")
    with app.meta_lock:
        client_id = _client(app, form)
        refresh_tokens = app.oauth_clients[client_id][1]
        if refresh not in refresh_tokens:
            return Response(
                400,
                oauth_error_body(
                    "invalid_grant", "refresh token is invalid, expired or revoked", status="BAD_REFRESH_TOKEN"
                ),
            )
        if app.config.oauth_rotate_refresh_tokens:
            refresh_tokens.discard(refresh)
            refresh = "emu-refresh-" + secrets.token_urlsafe(24)
            refresh_tokens.add(refresh)
        access = "emu-" + secrets.token_urlsafe(32)
        lifetime = app.config.oauth_token_lifetime
        app.access_tokens[access] = (client_id, time.time() + lifetime)
    answer: dict[str, Any] = {
        "token_type": "bearer",
        "refresh_token": refresh,
        "access_token": access,
        "expires_in": lifetime,
    }
    if oauth_version != "v1":  # AccessTokenResponse of the 2026-03 (and v3) spec
        answer.update({"token_use": "access_token", "hub_id": OAUTH_HUB_ID, "user_id": OAUTH_USER_ID})
        answer["scopes"] = list(OAUTH_SCOPES)
    return Response(200, answer)


def introspect(app: EmulatorApp, request: Request, body: None, oauth_version: str) -> Response:
    """Metadata of an access or refresh token of this client; an unknown, expired or revoked one is inactive."""
    form = _form(request, oauth_version)
    token = form.get("token", "")
    with app.meta_lock:
        client_id = _client(app, form)
        issued = app.access_tokens.get(token)
        is_refresh = bool(token) and token in app.oauth_clients[client_id][1]
    common = {
        "token": token,
        "hub_id": OAUTH_HUB_ID,
        "user_id": OAUTH_USER_ID,
        "client_id": client_id,
        "app_id": _app_id(client_id),
        "scopes": list(OAUTH_SCOPES),
    }
    if issued is not None and issued[0] == client_id and issued[1] > time.time():
        return Response(
            200,
            {
                "token_use": "access_token",
                "active": True,
                **common,
                "expires_in": max(0, int(issued[1] - time.time())),
                "is_private_distribution": False,
                "token_type": "bearer",
            },
        )
    if is_refresh:
        return Response(200, {"token_use": "refresh_token", "active": True, **common, "token_type": "bearer"})
    return Response(200, {"active": False})


def revoke(app: EmulatorApp, request: Request, body: None, oauth_version: str) -> Response:
    """Revoke an access or refresh token of this client: 200 with an empty body, known token or not.

    HubSpot's spec documents no success status or body for revoke (reference §20.5, §20.10 item 3): the
    emulator answers as RFC 7009 §2.2 says (200; an unknown token is no error), with no body.
    """
    form = _form(request, oauth_version)
    token = form.get("token", "")
    with app.meta_lock:
        client_id = _client(app, form)
        app.oauth_clients[client_id][1].discard(token)
        issued = app.access_tokens.get(token)
        if issued is not None and issued[0] == client_id:
            del app.access_tokens[token]
    return Response(200)


def v1_revoke(app: EmulatorApp, request: Request, body: None, oauth_version: str, refresh_token: str) -> Response:
    """``DELETE /oauth/v1/refresh-tokens/{token}`` (legacy): later refreshes with it get ``invalid_grant``."""
    with app.meta_lock:
        owners = [tokens for _, tokens in app.oauth_clients.values() if refresh_token in tokens]
        for tokens in owners:
            tokens.discard(refresh_token)
    if not owners:
        return Response(404, error_body("refresh token not found", "OBJECT_NOT_FOUND"))
    return Response(204)
