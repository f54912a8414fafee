"""Object type normalisation: every accepted spelling of an object type becomes one canonical form, once.

HubSpot accepts objectTypeIds (``0-1``, ``2-123``) everywhere and names (``contact``, ``contacts``,
``Contacts``) for standard objects (reference §1.2). The hook normalises every object type to its
objectTypeId for HubSpot-defined objects and custom ``2-…`` ids, and keeps a custom object's
fully-qualified name (``p123_cars``) as given, so label caches and paths use one key per object type.
A custom object's bare name (``cars``) is rejected: HubSpot answers "Unable to infer object type".
"""

from __future__ import annotations

import re
from functools import lru_cache

from airflow_provider_hubassoc.exceptions import HubSpotInputError

# objectTypeId -> (singular name used in v3 type names, plural name, extra accepted spellings)
_STANDARD: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "0-1": ("contact", "contacts", ()),
    "0-2": ("company", "companies", ()),
    "0-3": ("deal", "deals", ()),
    "0-5": ("ticket", "tickets", ()),
    "0-7": ("product", "products", ()),
    "0-8": ("line_item", "line_items", ("lineitem", "lineitems")),
    "0-14": ("quote", "quotes", ()),
    "0-18": ("communication", "communications", ()),
    "0-19": ("feedback_submission", "feedback_submissions", ()),
    "0-27": ("task", "tasks", ()),
    "0-35": ("campaign", "campaigns", ()),
    "0-46": ("note", "notes", ()),
    "0-47": ("meeting", "meetings", ("meeting_event", "meeting_events")),
    "0-48": ("call", "calls", ()),
    "0-49": ("email", "emails", ()),
    "0-53": ("invoice", "invoices", ()),
    "0-54": ("marketing_event", "marketing_events", ()),
    "0-69": ("subscription", "subscriptions", ()),
    "0-74": ("goal_target", "goal_targets", ("goal", "goals")),
    "0-84": ("discount", "discounts", ()),
    "0-85": ("fee", "fees", ()),
    "0-86": ("tax", "taxes", ()),
    "0-101": ("payment", "payments", ("commerce_payment", "commerce_payments")),
    "0-115": ("user", "users", ()),
    "0-116": ("postal_mail", "postal_mails", ()),
    "0-123": ("order", "orders", ()),
    "0-136": ("lead", "leads", ()),
    "0-142": ("cart", "carts", ()),
    "0-162": ("service", "services", ()),
    "0-410": ("course", "courses", ()),
    "0-420": ("listing", "listings", ()),
    "0-421": ("appointment", "appointments", ()),
    "0-970": ("project", "projects", ()),
}

_BY_NAME: dict[str, str] = {}
for _type_id, (_singular, _plural, _extra) in _STANDARD.items():
    for _name in (_singular, _plural, *_extra):
        _BY_NAME[_name] = _type_id

# ASCII only: ``\d`` alone would take ``2-1٢٣`` and IGNORECASE would take the Kelvin sign for ``k``; HubSpot
# (and an Airflow asset URI built from the type) would then refuse it naming nothing.
_TYPE_ID = re.compile(r"^[02]-[1-9][0-9]*$", re.ASCII)
_FULLY_QUALIFIED = re.compile(r"^p[0-9]+_[a-z][a-z0-9_]*$", re.IGNORECASE | re.ASCII)

CONTACTS, COMPANIES, DEALS, TICKETS = "0-1", "0-2", "0-3", "0-5"


def normalize_object_type(value: str, field: str = "object_type") -> str:
    """Return the canonical form of an object type: its objectTypeId, or a custom object's fully-qualified name.

    Accepts ``contacts``, ``contact``, ``Contacts``, ``line-items``, ``0-1``, ``2-123`` and ``p123_cars``.

    :param value: the object type as a user wrote it.
    :param field: the argument name, used in the error message.
    :raises HubSpotInputError: for anything HubSpot could not infer (empty, bare custom names, typos).
    """
    if not isinstance(value, str) or not value.strip():
        raise HubSpotInputError(f"expected an object type such as 'contacts' or '0-1', got {value!r}", field=field)
    return _normalize(value.strip(), field)


@lru_cache(maxsize=1024)
def _normalize(text: str, field: str) -> str:
    value = text
    if not text.isascii():
        raise HubSpotInputError(
            f"object type {value!r} must be ASCII (a name such as 'contacts', '0-1', '2-123' or 'p123_cars'): "
            "HubSpot's object types are written with the letters a-z and the digits 0-9 only",
            field=field,
        )
    if _TYPE_ID.match(text):
        # Unknown 0-… ids are accepted: HubSpot adds standard objects over time and the id form is always valid.
        return text
    if _FULLY_QUALIFIED.match(text):
        return "p" + text[1:]
    key = text.lower().replace("-", "_").replace(" ", "_")
    if key in _BY_NAME:
        return _BY_NAME[key]
    raise HubSpotInputError(
        f"unknown object type {value!r}: use a HubSpot object name (contacts, companies, deals, tickets, ...), "
        "an objectTypeId such as '0-1', or for a custom object its id '2-<n>' or fully-qualified name "
        "'p<portalId>_<name>' (HubSpot does not accept a custom object's bare name)",
        field=field,
    )


def singular_name(object_type: str) -> str | None:
    """The singular name HubSpot uses in v3 type names (``contact_to_company``); ``None`` for custom objects."""
    entry = _STANDARD.get(normalize_object_type(object_type))
    return entry[0] if entry else None


def plural_name(object_type: str) -> str:
    """A readable name for messages and logs: ``contacts`` for ``0-1``, the canonical form for custom objects."""
    canonical = normalize_object_type(object_type)
    entry = _STANDARD.get(canonical)
    return entry[1] if entry else canonical


# HubSpot-defined association types by (from, to) objectTypeId: the unlabeled (default) type and, where one
# exists, the primary type. Same ids in every account (reference §9.1); labels are looked up by these names.
HUBSPOT_DEFINED_TYPES: dict[tuple[str, str], dict[str, int]] = {
    (CONTACTS, COMPANIES): {"unlabeled": 279, "primary": 1},
    (COMPANIES, CONTACTS): {"unlabeled": 280, "primary": 2},
    (DEALS, COMPANIES): {"unlabeled": 341, "primary": 5},
    (COMPANIES, DEALS): {"unlabeled": 342, "primary": 6},
    (TICKETS, COMPANIES): {"unlabeled": 339, "primary": 26},
    (COMPANIES, TICKETS): {"unlabeled": 340, "primary": 25},
    (DEALS, CONTACTS): {"unlabeled": 3},
    (CONTACTS, DEALS): {"unlabeled": 4},
    (CONTACTS, TICKETS): {"unlabeled": 15},
    (TICKETS, CONTACTS): {"unlabeled": 16},
    (DEALS, TICKETS): {"unlabeled": 27},
    (TICKETS, DEALS): {"unlabeled": 28},
    (DEALS, "0-8"): {"unlabeled": 19},
    ("0-8", DEALS): {"unlabeled": 20},
    (DEALS, "0-14"): {"unlabeled": 63},
    ("0-14", DEALS): {"unlabeled": 64},
    (CONTACTS, CONTACTS): {"unlabeled": 449},
    (COMPANIES, COMPANIES): {"unlabeled": 450, "parent_to_child": 13, "child_to_parent": 14},
    (DEALS, DEALS): {"unlabeled": 451},
    (TICKETS, TICKETS): {"unlabeled": 452},
}


def hubspot_defined_type_id(from_type: str, to_type: str, name: str) -> int | None:
    """The type id of a HubSpot-defined type known by name (``primary``, ``unlabeled``, ...) for a pair."""
    key = (normalize_object_type(from_type), normalize_object_type(to_type))
    return HUBSPOT_DEFINED_TYPES.get(key, {}).get(name.strip().lower().replace(" ", "_"))
