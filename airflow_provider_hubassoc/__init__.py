"""Apache Airflow provider for the HubSpot CRM Associations API.

Airflow discovers the provider through the ``apache_airflow_provider`` entry point, which calls
:func:`get_provider_info`. Nothing here imports Airflow, so discovery stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

PACKAGE_NAME = "airflow-provider-hubassoc"
HOOK_CLASS = "airflow_provider_hubassoc.hooks.associations.HubSpotAssociationsHook"

# Connection extras, one place: the Airflow 3.2+ UI reads them declaratively from here (``conn-fields``),
# the Airflow 2.x / 3.0-3.1 form from the hook's ``get_connection_form_widgets``, and the hook's
# settings parser reads them back from ``Connection.extra``.
CONNECTION_EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "client_id": {
        "label": "OAuth client ID",
        "description": "OAuth app client ID. Leave empty when the password holds a service key or a private app token.",
        "schema": {"type": ["string", "null"]},
    },
    "client_secret": {
        "label": "OAuth client secret",
        "description": "OAuth app client secret (used with the refresh token).",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "refresh_token": {
        "label": "OAuth refresh token",
        "description": "Refresh token from the OAuth install; access tokens are fetched and refreshed from it.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "api_version": {
        "label": "API version",
        "description": "HubSpot API version: 2026-09 (default, HubSpot's newest GA dated version), another "
        "dated version such as 2026-03, or the legacy v4 (unsupported from 2027-03-30) / v3 (September 2027).",
        "schema": {"type": ["string", "null"], "default": "2026-09"},
    },
    "requests_per_10_seconds": {
        "label": "Request budget per 10 s",
        "description": "Client-side rate limit shared by every request of this connection (HubSpot: 100 "
        "for Free/Starter service keys and private apps, 150-190 for Professional/Enterprise).",
        "schema": {"type": ["integer", "null"], "minimum": 1, "default": 100},
    },
    "daily_request_limit": {
        "label": "Daily request budget",
        "description": "Optional local guard, counted per process; HubSpot's Daily-Remaining header is the "
        "shared truth and is always honoured.",
        "schema": {"type": ["integer", "null"], "minimum": 1},
    },
    "account_time_zone": {
        "label": "Account time zone",
        "description": "IANA time zone of the HubSpot account (its daily budget resets at midnight there).",
        "schema": {"type": ["string", "null"], "default": "UTC"},
    },
    "max_concurrency": {
        "label": "Concurrent requests",
        "description": "Batch requests in flight at once (all paced by the same rate limit).",
        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 32, "default": 4},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries of one request on 429, 5xx, timeouts and dropped connections.",
        "schema": {"type": ["integer", "null"], "minimum": 0, "default": 5},
    },
    "connect_timeout": {
        "label": "Connect timeout (s)",
        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 10},
    },
    "read_timeout": {
        "label": "Read timeout (s)",
        "description": "Longest silence while waiting for the answer (per socket read).",
        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 60},
    },
    "request_timeout": {
        "label": "Request deadline (s)",
        "description": "Total time one attempt may take, from connecting to the last byte of the answer: a "
        "server sending a byte at a time is cut here. Retries get a fresh deadline.",
        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 120},
    },
    "max_response_bytes": {
        "label": "Max answer size (bytes)",
        "description": "Most bytes one answer may have, counted decompressed while it arrives; a larger one "
        "stops the call with HubSpotAnswerTooLargeError (HubSpot's largest answers are a few MiB).",
        "schema": {"type": ["integer", "null"], "minimum": 1024, "default": 67108864},
    },
    "max_pages_per_record": {
        "label": "Max pages per record",
        "description": "Most pages of one record's associations followed in one call (a record has at most "
        "tens of thousands of associations); more, or a cursor sent twice, stops with HubSpotPagingError.",
        "schema": {"type": ["integer", "null"], "minimum": 1, "default": 1000},
    },
    "read_deadline_seconds": {
        "label": "Read deadline (s)",
        "description": "Most wall-time seconds of one read call (a batch read over all its chunks and pages, "
        "a record's listing, the time the caller spends between rows included); past it the call stops with "
        "HubSpotReadDeadlineError naming what was read.",
        "schema": {"type": ["number", "null"], "minimum": 1, "default": 3600},
    },
    "label_write_semantics": {
        "label": "Label write semantics",
        "description": "What HubSpot does to a pair's other labels on a labeled create: replace (HubSpot's "
        "documented behaviour; the hook reads current labels first and re-sends them) or merge (keeps them; "
        "no reads, fastest). Choose merge only after hook.detect_label_write_semantics() reported it.",
        # Airflow 3's form offers exactly the enum's values; "null" in the type keeps the field optional (the
        # dropdown can be cleared; unset means replace) without a third "null" choice.
        "schema": {"type": ["string", "null"], "enum": ["replace", "merge"], "default": "replace"},
    },
    "label_verify_rounds": {
        "label": "Label verify rounds",
        "description": "replace only, so tasks labeling the same pairs at once never drop each other's label "
        "or Primary: after each chunk's labeled writes, rounds of re-reading its pairs and re-sending a label "
        "another task's write replaced (one batch read per 1,000 from-ids per chunk; more reads and creates "
        "only for pairs to repair). 0: off, only where one task at a time labels a pair.",
        "schema": {"type": ["integer", "null"], "minimum": 0, "maximum": 10, "default": 2},
    },
    "label_verify_settle_seconds": {
        "label": "Label verify settle (s)",
        "description": "Seconds each verify round waits before reading: longer than any other writer's gap "
        "between reading a pair and writing it (its batch read's answer time).",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 2},
    },
    "verify_ssl": {
        "label": "Verify TLS certificates",
        "description": "Applies to every request, the OAuth token request included; REQUESTS_CA_BUNDLE and "
        "CURL_CA_BUNDLE are ignored.",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
    "ca_bundle": {
        "label": "CA bundle path",
        "description": "Path to a CA bundle for TLS verification (e.g. behind a corporate proxy).",
        "schema": {"type": ["string", "null"]},
    },
    "allow_insecure_http": {
        "label": "Allow plain http:// to a non-loopback host",
        "description": "Off: an http:// host other than 127.0.0.0/8, ::1 or localhost is refused, since the "
        "token would cross the network in clear text.",
        "schema": {"type": ["boolean", "null"], "default": False},
    },
    "rate_limit_store": {
        "label": "Shared rate-limit store",
        "description": "Optional: a redis:// URL, or celery_broker for Airflow's [celery] broker_url. Every "
        "process of the app then claims each request from one shared window count (shards started apart, "
        "retried ones); needs the [redis] extra. Unreachable: a warning, and HubSpot's headers alone share it.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
}

#: The password holds a static token: a service key (HubSpot's credential for warehouse syncs since the 2026.09
#: developer platform) or a legacy private app token (``pat-...``). Both go out as ``Authorization: Bearer``
#: (for service keys a third-party report, reference §20.6), never expire and share the app rate limits, so no
#: extra says which kind it is. Airflow's form gives built-in fields a label and a placeholder, no description.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["login", "port", "schema"],
    "relabeling": {"password": "Service key or private app token", "host": "Base URL"},
    "placeholders": {
        "password": "service key, or a pat-na1-... private app token (empty for OAuth)",
        "host": "https://api.hubapi.com",
        "client_id": "OAuth client ID (only for OAuth)",
        "api_version": "2026-09",
        "requests_per_10_seconds": "100",
    },
}


def _kebab(behaviour: dict[str, Any]) -> dict[str, Any]:
    return {key.replace("_", "-"): value for key, value in behaviour.items()}


def get_provider_info() -> dict[str, Any]:
    """Provider metadata read by Airflow's ProvidersManager (``package-name`` must match the dist).

    Long because it is data: the provider's whole declaration as one literal, as Airflow's own providers write it.
    """
    integration = "HubSpot CRM Associations"
    return {
        "package-name": PACKAGE_NAME,
        "name": "HubSpot CRM Associations",
        "description": "Hook, operators, deferrable sensors and a local emulator for the HubSpot "
        "CRM Associations API (v3, v4 and date-versioned).",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": integration,
                "external-doc-url": "https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": integration, "python-modules": ["airflow_provider_hubassoc.hooks.associations"]}
        ],
        "operators": [
            {
                "integration-name": integration,
                "python-modules": [
                    "airflow_provider_hubassoc.operators.associations",
                    "airflow_provider_hubassoc.operators.labels",
                    "airflow_provider_hubassoc.operators.read",
                ],
            }
        ],
        "sensors": [
            {"integration-name": integration, "python-modules": ["airflow_provider_hubassoc.sensors.associations"]}
        ],
        "transfers": [
            {
                "source-integration-name": "Common SQL",
                "target-integration-name": integration,
                "python-module": "airflow_provider_hubassoc.transfers.sql_to_hubspot",
            }
        ],
        "triggers": [
            {"integration-name": integration, "python-modules": ["airflow_provider_hubassoc.triggers.associations"]}
        ],
        "extra-links": ["airflow_provider_hubassoc.links.associations.HubSpotRecordsLink"],
        "asset-uris": [{"schemes": ["hubspot"], "handler": "airflow_provider_hubassoc.assets.sanitize_uri"}],
        # Airflow 2.x reads the same handler under its earlier name
        "dataset-uris": [{"schemes": ["hubspot"], "handler": "airflow_provider_hubassoc.assets.sanitize_uri"}],
        "config": {
            "hubspot": {
                "description": "HubSpot CRM Associations provider.",
                "options": {
                    "checkpoint_path": {
                        "description": "Base location (any ObjectStoragePath URL) of the checkpoints that let "
                        "the long HubSpot operators resume a killed or stopped run; shared storage when retries "
                        "may run on another worker. Empty: $AIRFLOW_HOME/hubspot_checkpoints.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "s3://aws_default@ops-bucket/hubspot_checkpoints",
                        "default": None,
                    },
                },
            },
        },
        "connection-types": [
            {
                "connection-type": "hubspot",
                "hook-class-name": HOOK_CLASS,
                "hook-name": "HubSpot",
                "ui-field-behaviour": _kebab(UI_FIELD_BEHAVIOUR),
                "conn-fields": CONNECTION_EXTRA_FIELDS,
            }
        ],
    }
