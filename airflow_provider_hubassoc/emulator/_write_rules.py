"""The 2026-09 write rules: the ``Edit Associations`` user permission on association writes (reference §20.4).

HubSpot's answer to a refused write is unknown (reference §20.10 item 5): the shapes here are the emulator's
choice, named in HubSpot's vocabulary, and chosen by ``association_permission_rule``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._endpoints import id_of, object_id
from ._http import ApiError, Response, envelope, error_body, now_iso
from ._types import object_name
from ._versions import codes, enforces_write_rules

if TYPE_CHECKING:
    from ._app import EmulatorApp
    from ._config import EmulatorConfig

#: the user permission HubSpot names for association writes from 2026-09 (reference §20.4, third-party wording)
EDIT_ASSOCIATIONS = "Edit Associations"
#: endpoints that write associations between records: the ones the permission rule binds. Label definitions
#: and limit configurations are account settings (governed by scopes and super-admin rights), not in scope.
PERMISSION_ENDPOINTS = frozenset(
    {
        "batch.create",
        "batch.archive",
        "batch.labels_archive",
        "batch.associate_default",
        "records.put",
        "records.delete",
        "records.default",
    }
)
#: our name for a refused association write; HubSpot's real body is unknown (reference §20.10 item 5)
PERMISSION_SUB_CATEGORY = "crm.associations.USER_DOES_NOT_HAVE_PERMISSIONS"


def permission_rule_applies(name: str, params: dict[str, str], oauth: bool, config: EmulatorConfig) -> bool:
    """Whether a request is an association write the configured rule binds (2026-09 on, its tokens only)."""
    return (
        config.association_permission_rule is not None
        and name in PERMISSION_ENDPOINTS
        and enforces_write_rules(params.get("version"))
        and (oauth or config.association_permission_tokens == "all")
    )


def permission_rule(
    app: EmulatorApp, name: str, body: Any, params: dict[str, str], config: EmulatorConfig
) -> tuple[Any, list[dict[str, Any]]]:
    """Apply ``association_permission_rule`` to one association write.

    Returns the body to hand to the endpoint (the refused inputs taken out) and one ``errors[]`` item per
    refused input, or raises the refusal of the whole request: 403 (``refuse_request``), 400
    (``refuse_batch``, and ``refuse_inputs`` on a record-level write, which has only one input).
    """
    ftype, ttype = app.object_type(params["from_type"]), app.object_type(params["to_type"])
    record = name.startswith("records.")
    refused, kept = _refused_inputs(record, body, params, set(config.association_permission_from_ids))
    if not refused:
        return body, []
    rule = config.association_permission_rule
    if rule == "refuse_request":
        raise ApiError(
            403,
            error_body(
                f"This request needs the '{EDIT_ASSOCIATIONS}' permission, which the user of this token does "
                "not have. A super admin can grant it under Settings > Users & Teams.",
                "USER_DOES_NOT_HAVE_PERMISSIONS",
                {"requiredPermissions": [EDIT_ASSOCIATIONS]},
            ),
        )
    if rule == "refuse_batch" or record:
        context = {"fromObjectId": sorted({str(f) for f, _ in refused})}
        if record:
            context["toObjectId"] = [str(refused[0][1][0])]
        raise ApiError(
            400,
            error_body(
                f"One or more associations cannot be changed: the user does not have the '{EDIT_ASSOCIATIONS}' "
                "permission",
                "VALIDATION_ERROR",
                {**context, "requiredPermissions": [EDIT_ASSOCIATIONS]},
                PERMISSION_SUB_CATEGORY,
            ),
        )
    errors = [permission_item(ftype, from_id, ttype, to_ids) for from_id, to_ids in refused]
    return {**body, "inputs": kept}, errors


def _refused_inputs(
    record: bool, body: Any, params: dict[str, str], only: set[int]
) -> tuple[list[tuple[int, list[int]]], list[Any]]:
    """``(from id, to ids)`` of each input the rule refuses (``only``: those from these ids; empty: all), and
    the inputs it keeps."""
    refused: list[tuple[int, list[int]]] = []
    kept: list[Any] = []
    if record:
        from_id, to_id = object_id(params.get("from_id")), object_id(params.get("to_id"))
        if from_id is not None and to_id is not None and (not only or from_id in only):
            refused.append((from_id, [to_id]))
    elif isinstance(body, dict) and isinstance(body.get("inputs"), list):
        for item in body["inputs"]:
            from_id = id_of(item.get("from")) if isinstance(item, dict) else None
            if from_id is None or (only and from_id not in only):
                kept.append(item)
                continue
            targets = item.get("to")
            to_ids = [id_of(ref) for ref in targets] if isinstance(targets, list) else [id_of(targets)]
            refused.append((from_id, [i for i in to_ids if i is not None]))
    return refused, kept


def permission_item(ftype: str, from_id: int, ttype: str, to_ids: list[int]) -> dict[str, Any]:
    """One refused input as a batch ``errors[]`` entry, naming its ids in ``context`` as HubSpot's do."""
    targets = ", ".join(str(i) for i in to_ids)
    return {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "subCategory": PERMISSION_SUB_CATEGORY,
        "message": (
            f"The user does not have the '{EDIT_ASSOCIATIONS}' permission: associations of "
            f"{object_name(ftype).upper()} {from_id} with {object_name(ttype).upper()} {targets} cannot be changed."
        ),
        "context": {
            "fromObjectId": [str(from_id)],
            "toObjectId": [str(i) for i in to_ids],
            "requiredPermissions": [EDIT_ASSOCIATIONS],
        },
        "errors": [],
        "links": {},
    }


def add_refusals(response: Response, refusals: list[dict[str, Any]], name: str, version: str | None) -> None:
    """Merge the refused inputs' errors into the endpoint's batch answer (207 where the version lists it)."""
    if not 200 <= response.status < 300:
        return  # the request failed as a whole (a 400 for the rest): that answer stands
    body = response.body if isinstance(response.body, dict) else envelope([], now_iso())
    errors = [*(body.get("errors") or []), *refusals]
    merged = {k: v for k, v in body.items() if k not in ("errors", "numErrors")}
    response.body = envelope(merged.pop("results", []), merged.pop("startedAt", now_iso()), errors)
    if name in ("batch.create", "batch.associate_default"):
        response.status = codes(version).partial
    else:  # batch/archive and labels/archive list only 200 at dated versions (reference §20.3)
        response.status = 200
