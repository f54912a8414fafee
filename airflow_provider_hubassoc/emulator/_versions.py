"""The API versions the emulator serves and the status codes each one documents where versions differ."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DATED = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class VersionCodes:
    """The status codes one published API version documents where versions differ (HubSpot's OpenAPI specs)."""

    #: batch/create with every input applied
    create: int
    #: batch create/read with per-input errors (207, or 200 where the spec lists no 207)
    partial: int
    #: limit configurations batch/create with every input applied
    limits_create: int
    #: limit configurations batch create/update with per-input errors
    limits_partial: int
    #: batch/archive, batch/labels/archive, configurations batch/purge: 204 without a body, or 200 with one
    archive: int


#: every version HubSpot's spec collection publishes for the Associations APIs (rollout 130902: v4, 2025-09,
#: 2026-03; rollout 321895: 2026-09 GA and 2026-09-beta). The March-2026 draft of 2026-09 listed 200 only for
#: batch create/read; the GA spec has 201/207 and 200/207 again (reference §20.3, §20.10).
VERSIONS: dict[str, VersionCodes] = {
    "v4": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=204),
    "2025-09": VersionCodes(create=201, partial=207, limits_create=200, limits_partial=200, archive=200),
    "2026-03": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=200),
    "2026-09": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=200),
    "2026-09-beta": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=200),
}
_PUBLISHED_DATED = sorted((int(v[:4]), int(v[5:7])) for v in VERSIONS if _DATED.match(v))


def version_codes(version: str | None) -> VersionCodes | None:
    """The codes of a version the emulator serves; None when HubSpot serves no such version.

    Published versions answer as their spec documents; a later ``YYYY-MM`` (not yet published, e.g. the next
    March/September release) answers like the newest published one before it; betas only as published.
    """
    if version is None:
        return VERSIONS["v4"]
    codes = VERSIONS.get(version)
    if codes is not None:
        return codes
    found = _DATED.match(version)
    if not found:
        return None
    date = (int(found.group(1)), int(found.group(2)))
    earlier = [d for d in _PUBLISHED_DATED if d <= date]
    return VERSIONS[f"{earlier[-1][0]:04d}-{earlier[-1][1]:02d}"] if earlier else None


def codes(version: str | None) -> VersionCodes:
    """The codes of a routed request's version (routing lets only served versions through)."""
    return version_codes(version) or VERSIONS["v4"]


def enforces_write_rules(version: str | None) -> bool:
    """Whether a version applies admin-configured rules to API writes: ``/2026-09/`` onward (reference §20.4);
    v4 and earlier dated versions stay unenforced. ``2026-09-beta`` counts as 2026-09."""
    found = _DATED.match((version or "")[:7])
    return found is not None and (int(found.group(1)), int(found.group(2))) >= (2026, 9)
