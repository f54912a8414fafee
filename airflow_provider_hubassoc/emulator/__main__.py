"""``python -m airflow_provider_hubassoc.emulator``: serve the emulator until Ctrl-C.

Every knob of :class:`EmulatorConfig` is a flag (``--requests-per-10-seconds 150``, ``--fault-503 0.1``,
``--no-auto-records`` ...). Prints the base URL and token, and the Airflow connection variable.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any

from ._config import PERMISSION_RULES, PERMISSION_TOKENS, EmulatorConfig
from ._server import HubSpotEmulator

_HELP = {
    "label_write_semantics": "'replace' (HubSpot's documented PUT/batch-create behaviour) or 'merge'",
    "requests_per_10_seconds": "rolling 10-second window per token/app; 0 = unlimited",
    "rate_limit_interval_ms": "length of that rolling window, ms (HubSpot: 10000)",
    "daily_limit": "daily request budget of the account; 0 = unlimited",
    "retry_after": "seconds sent in Retry-After on 429 (default: header not sent)",
    "auto_records": "records with ids 1..auto_record_max exist for every object type",
    "auto_record_max": "highest auto-existing record id",
    "batch_read_page_size": "per-input page size of v4/dated batch read",
    "v3_page_size": "per-record page size of v3 batch read",
    "v3_create_status": "status of a successful v3 batch/create (200 observed since 2025-08, 201 per spec)",
    "oauth_token_lifetime": "lifetime of issued OAuth access tokens, seconds (answered as expires_in)",
    "oauth_rotate_refresh_tokens": "each refresh answers a new refresh token and retires the old one",
    "oauth_v1_enabled": "also serve the legacy /oauth/v1/token and DELETE /oauth/v1/refresh-tokens/{token}",
    "custom_objects": 'JSON map of fully qualified custom object names to ids, e.g. \'{"p1_cars": "2-1"}\'',
    "latency": "fixed latency added to each API response, seconds",
    "jitter": "extra latency drawn from [0, jitter], seconds",
    "fault_500": "share of requests answered 500",
    "fault_502": "share of requests answered 502",
    "fault_503": "share of requests answered 503",
    "fault_429": "share of requests answered 429 TEN_SECONDLY_ROLLING",
    "fault_drop": "share of requests whose connection is closed without a response",
    "fault_slow": "share of requests answered after --slow-seconds",
    "slow_seconds": "delay of slow responses, seconds",
    "fault_drop_after": "share of requests applied, then closed without a response (a write's answer lost)",
    "fault_slow_after": "share of requests applied, then answered after --slow-seconds",
    "fault_endpoints": "limit faults to these endpoint names or path regexes (repeatable)",
    "fault_redirect": "share of requests answered with a redirect (nothing applied)",
    "redirect_status": "status of redirects: 301, 302, 303, 307 or 308",
    "redirect_location": "Location of redirects: '' = the request's own URL, '/path' = this host, or another URL",
    "fault_trickle": "share of requests whose body is sent one byte every --trickle-interval seconds",
    "trickle_interval": "seconds between two bytes of a trickled body",
    "association_permission_rule": "refuse association writes on versions >= 2026-09 for a missing 'Edit "
    "Associations' permission: refuse_inputs (per input, 207), refuse_batch (400) or refuse_request (403)",
    "association_permission_from_ids": "from-ids the permission rule refuses (repeatable; default: every write)",
    "association_permission_tokens": "credentials the permission rule binds: all, or oauth (user-level tokens only)",
    "wrap_created_resource": "dated record-level labels PUT answers {createdResourceId, entity, location}",
    "hostile": "answer as a hostile HubSpot: a kind for every endpoint (html, empty, invalid_json, truncated, "
    "wrong_shape, null_ids, non_int_id, unasked_record, changing_cursor, repeated_cursor, huge_rate_window, "
    "huge_retry_after, oversize, gzip_bomb, negative_expires_in) or JSON rules "
    '\'[{"kind": "html", "endpoints": ["batch.read"], "times": 1}]\' (docs/emulator.md, "Hostile answers")',
}


def _hostile_rules(text: str) -> Any:
    """``--hostile html`` or ``--hostile '[{"kind": "html", "endpoints": ["batch.read"]}]'``."""
    return json.loads(text) if text.lstrip().startswith(("[", "{")) else text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_hubassoc.emulator",
        description="Local HubSpot CRM Associations API emulator (v3, v4, dated versions; OAuth 2026-03 token, "
        "introspect and revoke). The admin API under /_emulator/ has no authentication: keep it on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8799, help="port (default 8799; 0 = any free port)")
    parser.add_argument("--token", default="test-token", help="private-app token accepted as Bearer token")
    parser.add_argument("--seed", type=int, default=None, help="seed for fault and jitter draws (replayable)")
    parser.add_argument(
        "--fixture",
        default=None,
        help="JSON file with records, labels, associations, oauthClients, tokens to load at start",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    for f in dataclasses.fields(EmulatorConfig):
        flag = "--" + f.name.replace("_", "-")
        factory = f.default_factory
        default = f.default if factory is dataclasses.MISSING else factory()
        text = f"{_HELP.get(f.name, f.name)} (default: {default})"
        hint = str(f.type)  # a string under ``from __future__ import annotations`` (no eval: Python 3.9 safe)
        if hint == "bool":
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif f.name == "fault_endpoints":
            parser.add_argument(flag, dest=f.name, action="append", default=None, help=text)
        elif f.name == "hostile":  # a kind name (every endpoint) or JSON rules, e.g. '[{"kind": "html"}]'
            parser.add_argument(flag, dest=f.name, type=_hostile_rules, default=None, help=text)
        elif f.name == "custom_objects":
            parser.add_argument(flag, dest=f.name, type=json.loads, default=None, help=text)
        elif f.name == "label_write_semantics":
            parser.add_argument(flag, dest=f.name, choices=["replace", "merge"], default=None, help=text)
        elif f.name == "association_permission_rule":
            parser.add_argument(flag, dest=f.name, choices=PERMISSION_RULES, default=None, help=text)
        elif f.name == "association_permission_tokens":
            parser.add_argument(flag, dest=f.name, choices=PERMISSION_TOKENS, default=None, help=text)
        elif f.name == "association_permission_from_ids":
            parser.add_argument(flag, dest=f.name, type=int, action="append", default=None, help=text)
        elif hint == "str":
            parser.add_argument(flag, dest=f.name, default=None, help=text)
        elif "int" in hint and "float" not in hint:
            parser.add_argument(flag, dest=f.name, type=int, default=None, help=text)
        else:
            parser.add_argument(flag, dest=f.name, type=float, default=None, help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    knobs = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(EmulatorConfig) if getattr(args, f.name) is not None
    }
    for name in ("requests_per_10_seconds", "daily_limit", "search_requests_per_second"):
        if knobs.get(name) == 0:
            knobs[name] = None
    try:
        emulator = HubSpotEmulator(
            host=args.host,
            port=args.port,
            token=args.token,
            seed=args.seed,
            fixture=args.fixture,
            verbose=args.verbose,
            own_process=True,
            **knobs,
        )
    except (ValueError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    emulator.start()
    print(f"HubSpot emulator listening on {emulator.base_url}", flush=True)
    print(f"token: {emulator.token}", flush=True)
    for name, value in emulator.airflow_connection_env().items():
        print(f"export {name}='{value}'", flush=True)
    try:
        while True:
            emulator._thread.join(3600) if emulator._thread else None
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
