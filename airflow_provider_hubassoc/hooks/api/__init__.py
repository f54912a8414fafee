"""The Associations API by HubSpot's own areas, behind :class:`~..associations.HubSpotAssociationsHook`.

Each area is a small class over an :class:`~._context.ApiContext` (the transport, the settings, the caches the
areas share); the hook builds them and keeps one thin method per public call. The floors read
hook -> areas -> transport: no area imports the hook.

- :mod:`.labels` - association types and labels (HubSpot's *definitions*)
- :mod:`.records` - one pair of records at a time (HubSpot's *basic* API)
- :mod:`.batch` - many pairs or records at a time (*batch*), over :mod:`._runner`
- :mod:`.limits` - association limits (*definitions/configurations*)
- :mod:`.report` - the high-usage report (*report*)
- :mod:`.v3` - the retiring v3 API
"""
