"""The emulator's transport faults (``fault_redirect``, ``fault_trickle``) as a plain HTTP client sees them."""

from __future__ import annotations

from airflow_provider_hubassoc.emulator.__main__ import build_parser


def test_cli_flags_for_the_transport_faults() -> None:
    args = build_parser().parse_args(
        [
            "--fault-redirect",
            "1",
            "--redirect-status",
            "307",
            "--redirect-location",
            "http://127.0.0.1:9/x",
            "--fault-trickle",
            "0",
            "--trickle-interval",
            "0.5",
        ]
    )
    assert (args.fault_redirect, args.redirect_status, args.redirect_location, args.trickle_interval) == (
        1.0,
        307,
        "http://127.0.0.1:9/x",
        0.5,
    )
