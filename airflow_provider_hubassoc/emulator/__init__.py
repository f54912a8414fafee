"""A local, stateful HubSpot CRM Associations API (v3, v4 and dated versions) for tests and demos.

Standard library only; imports nothing from the hook (its fidelity is judged against HubSpot's docs and
the official SDK). See ``docs/emulator.md``.
"""

from __future__ import annotations

from ._config import EmulatorConfig
from ._server import HubSpotEmulator

__all__ = ["EmulatorConfig", "HubSpotEmulator"]
