"""The Associations API by HubSpot's own areas, behind :class:`~..associations.HubSpotAssociationsHook`.

Each area is a small class over an :class:`~._context.ApiContext` (the transport, the settings, the caches the
areas share); the hook builds them and keeps one thin method per public call. The floors read
hook -> areas -> transport: no area imports the hook.

- :mod:`.labels` - association types and labels (HubSpot's *definitions*)
- :mod:`.records` - one pair of records at a time (HubSpot's *basic* API)
- :mod:`.batch` - many pairs or records at a time (*batch*), over :mod:`._runner`
- :mod:`.limits` - association limits (*definitions/configurations*)
- :mod:`.report` - the high-usage report (*report*)
- :mod:`.object_listing` - record ids without an id list: every record, or those modified (CRM *objects*)
- :mod:`.v3` - the retiring v3 API
- :mod:`.objects` - record look-ups by unique property or id (CRM objects ``batch/read``)
"""

from __future__ import annotations

from airflow_provider_hubassoc.hooks.api._context import ApiContext
from airflow_provider_hubassoc.hooks.api.batch import BatchApi
from airflow_provider_hubassoc.hooks.api.labels import LabelsApi
from airflow_provider_hubassoc.hooks.api.limits import LimitsApi
from airflow_provider_hubassoc.hooks.api.object_listing import ObjectListingApi
from airflow_provider_hubassoc.hooks.api.objects import ObjectsApi
from airflow_provider_hubassoc.hooks.api.records import RecordsApi
from airflow_provider_hubassoc.hooks.api.v3 import V3Api

__all__ = ["ApiContext", "AssociationsApi"]


class AssociationsApi:
    """The areas over one hook's context, built once per hook (they share its label cache)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.labels = LabelsApi(ctx)
        self.batch = BatchApi(ctx, self.labels)
        self.records = RecordsApi(ctx, self.labels, self.batch)
        self.limits = LimitsApi(ctx, self.labels)
        self.v3 = V3Api(ctx)
        self.objects = ObjectsApi(ctx)
        self.listing = ObjectListingApi(ctx)
