"""The report API (HubSpot SDK: ``crm.associations.v4.report_api``): the high-usage report a user asks for."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ._http import Request, Response, validation_error

if TYPE_CHECKING:
    from ._app import EmulatorApp


def high_usage(app: EmulatorApp, request: Request, body: Any, user_id: str, version: str | None = None) -> Response:
    """The report is queued (HubSpot emails it); the answer says when and to whom."""
    if not user_id.isdigit():
        raise validation_error(f"Invalid userId: {user_id}", {"userId": [user_id]})
    return Response(
        200,
        {
            "enqueueTime": {"value": int(time.time() * 1000), "dateOnly": False, "timeZoneShift": 0},
            "userEmail": f"user{user_id}@example.com",
            "userId": int(user_id),
        },
    )
