"""HubSpot's object types and HubSpot-defined association types, as the emulator knows them.

Written from the reference (``hubspot-associations-api.md`` §1 and §9, itself taken from HubSpot's v4
associations guide and the Node SDK's ``AssociationTypes`` enum). Kept apart from the hook on purpose: the
emulator is judged against HubSpot, not against our client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: (objectTypeId, singular name, plural name) of HubSpot-defined objects (reference §1.1).
OBJECT_TYPES: tuple[tuple[str, str, str], ...] = (
    ("0-1", "contact", "contacts"),
    ("0-2", "company", "companies"),
    ("0-3", "deal", "deals"),
    ("0-5", "ticket", "tickets"),
    ("0-7", "product", "products"),
    ("0-8", "line_item", "line_items"),
    ("0-14", "quote", "quotes"),
    ("0-18", "communication", "communications"),
    ("0-19", "feedback_submission", "feedback_submissions"),
    ("0-27", "task", "tasks"),
    ("0-35", "campaign", "campaigns"),
    ("0-46", "note", "notes"),
    ("0-47", "meeting", "meetings"),
    ("0-48", "call", "calls"),
    ("0-49", "email", "emails"),
    ("0-53", "invoice", "invoices"),
    ("0-54", "marketing_event", "marketing_events"),
    ("0-69", "subscription", "subscriptions"),
    ("0-74", "goal_target", "goal_targets"),
    ("0-84", "discount", "discounts"),
    ("0-85", "fee", "fees"),
    ("0-86", "tax", "taxes"),
    ("0-101", "payment", "payments"),
    ("0-115", "user", "users"),
    ("0-116", "postal_mail", "postal_mails"),
    ("0-123", "order", "orders"),
    ("0-136", "lead", "leads"),
    ("0-142", "cart", "carts"),
    ("0-162", "service", "services"),
    ("0-410", "course", "courses"),
    ("0-420", "listing", "listings"),
    ("0-421", "appointment", "appointments"),
    ("0-970", "project", "projects"),
)

_BY_ID = {type_id: singular for type_id, singular, _ in OBJECT_TYPES}
_BY_NAME: dict[str, str] = {}
for _type_id, _singular, _plural in OBJECT_TYPES:
    _BY_NAME[_singular] = _type_id
    _BY_NAME[_plural] = _type_id
_BY_NAME["goals"] = "0-74"
_BY_NAME["postal_mail"] = "0-116"
_CUSTOM_ID = re.compile(r"^2-[1-9][0-9]*$")
_STANDARD_ID = re.compile(r"^0-[0-9]+$")


class UnknownObjectType(ValueError):
    """Raised for a path segment HubSpot could not map to an object type."""


def object_type_id(value: str, custom_names: dict[str, str] | None = None) -> str:
    """Map any accepted spelling of an object type to its objectTypeId.

    HubSpot accepts objectTypeIds everywhere and singular/plural, any-case names for HubSpot-defined
    objects (reference §1.2). A custom object's plain name is rejected ("Unable to infer object type
    from: X"); fully qualified names (``p123_cars``) are accepted only when registered through the
    ``custom_objects`` knob, because whether HubSpot accepts them in association paths is unconfirmed.
    """
    text = value.strip()
    if text in _BY_ID or _CUSTOM_ID.match(text):
        return text
    lowered = text.lower()
    if lowered in _BY_NAME:
        return _BY_NAME[lowered]
    if custom_names:
        for name, type_id in custom_names.items():
            if name.lower() == lowered:
                return type_id
    raise UnknownObjectType(text)


def object_name(type_id: str) -> str:
    """Singular snake-case name used in v3 type names and error messages (custom objects: their id)."""
    return _BY_ID.get(type_id, type_id.replace("-", "_"))


def is_known_type_id(type_id: str) -> bool:
    return type_id in _BY_ID or bool(_CUSTOM_ID.match(type_id))


@dataclass(frozen=True)
class DefinedPair:
    """One HubSpot-defined association type and its inverse (the type seen from the other side)."""

    from_type: str
    to_type: str
    type_id: int
    inverse_id: int
    label: str | None = None
    inverse_label: str | None = None
    primary: bool = False
    #: v3 name of this direction; computed from the object names when None.
    name: str | None = None
    inverse_name: str | None = None


def _p(
    from_name: str,
    to_name: str,
    type_id: int,
    inverse_id: int,
    label: str | None = None,
    inverse_label: str | None = None,
    *,
    primary: bool = False,
    name: str | None = None,
    inverse_name: str | None = None,
) -> DefinedPair:
    return DefinedPair(
        _BY_NAME[from_name], _BY_NAME[to_name], type_id, inverse_id, label, inverse_label, primary, name, inverse_name
    )


#: Every HubSpot-defined type of reference §9.1-9.6 (and the §9.7 pairs whose objects have ids).
#: Each entry yields both directions. Unlabeled types have ``label=None``.
DEFINED_PAIRS: tuple[DefinedPair, ...] = (
    # §9.1 core objects
    _p(
        "contact", "company", 279, 280, name="contact_to_company_unlabeled", inverse_name="company_to_contact_unlabeled"
    ),
    _p(
        "contact",
        "company",
        1,
        2,
        "Primary",
        "Primary",
        primary=True,
        name="contact_to_company",
        inverse_name="company_to_contact",
    ),
    _p("deal", "company", 341, 342, name="deal_to_company_unlabeled", inverse_name="company_to_deal_unlabeled"),
    _p(
        "deal",
        "company",
        5,
        6,
        "Primary",
        "Primary",
        primary=True,
        name="deal_to_company",
        inverse_name="company_to_deal",
    ),
    _p("ticket", "company", 339, 340, name="ticket_to_company_unlabeled", inverse_name="company_to_ticket_unlabeled"),
    _p(
        "ticket",
        "company",
        26,
        25,
        "Primary",
        "Primary",
        primary=True,
        name="ticket_to_company",
        inverse_name="company_to_ticket",
    ),
    _p("deal", "contact", 3, 4),
    _p("contact", "ticket", 15, 16),
    _p("deal", "ticket", 27, 28),
    _p("deal", "line_item", 19, 20),
    _p("deal", "quote", 63, 64),
    _p("contact", "contact", 449, 449),
    _p("company", "company", 450, 450),
    _p("deal", "deal", 451, 451),
    _p("ticket", "ticket", 452, 452),
    _p(
        "company",
        "company",
        13,
        14,
        "Child Company",
        "Parent Company",
        name="parent_to_child_company",
        inverse_name="child_to_parent_company",
    ),
    # §9.2 company -> object
    _p(
        "company",
        "contact",
        930,
        931,
        "Billing contact",
        "Billing company",
        name="company_to_billing_contact",
        inverse_name="billing_contact_to_company",
    ),
    _p("company", "call", 181, 182),
    _p("company", "email", 185, 186),
    _p("company", "lead", 611, 610),
    _p("company", "meeting", 187, 188),
    _p("company", "note", 189, 190),
    _p("company", "task", 191, 192),
    _p("company", "communication", 88, 87),
    _p("company", "postal_mail", 460, 459),
    _p("company", "invoice", 180, 179),
    _p("company", "order", 935, 934),
    _p(
        "order",
        "company",
        509,
        510,
        "Primary",
        "Primary",
        primary=True,
        name="order_to_company",
        inverse_name="company_to_order",
    ),
    _p("company", "payment", 390, 389),
    _p("company", "quote", 72, 71),
    _p(
        "company",
        "quote",
        1335,
        1334,
        "Billing company",
        "Billing company",
        name="billing_company_to_quote",
        inverse_name="quote_to_billing_company",
    ),
    _p("company", "subscription", 298, 297),
    _p("company", "appointment", 909, 908),
    _p("company", "course", 939, 938),
    _p("company", "listing", 885, 884),
    _p("company", "service", 793, 792),
    _p("company", "feedback_submission", 929, 928),
    _p("company", "project", 1237, 1236),
    # §9.3 contact -> object
    _p("contact", "call", 193, 194),
    _p("contact", "email", 197, 198),
    _p("contact", "meeting", 199, 200),
    _p("contact", "note", 201, 202),
    _p("contact", "task", 203, 204),
    _p("contact", "communication", 82, 81),
    _p("contact", "postal_mail", 454, 453),
    _p("contact", "cart", 587, 586),
    _p("contact", "order", 508, 507),
    _p("contact", "invoice", 178, 177),
    _p("contact", "payment", 388, 387),
    _p("contact", "subscription", 296, 295),
    _p("contact", "appointment", 907, 906),
    _p("contact", "course", 861, 860),
    _p("contact", "listing", 883, 882),
    _p("contact", "service", 799, 798),
    _p("contact", "feedback_submission", 97, 98),
    _p("contact", "project", 1243, 1242),
    _p("contact", "lead", 609, 608),
    _p("contact", "quote", 70, 69),
    _p(
        "contact",
        "quote",
        703,
        702,
        "Signer contact",
        "Signer contact",
        name="signer_contact_to_quote",
        inverse_name="quote_to_signer_contact",
    ),
    _p(
        "contact",
        "quote",
        1227,
        1226,
        "Billing contact",
        "Billing contact",
        name="billing_contact_to_quote",
        inverse_name="quote_to_billing_contact",
    ),
    # §9.4 deal -> object
    _p("deal", "call", 205, 206),
    _p("deal", "lead", 1038, 1037),
    _p(
        "deal", "lead", 583, 582, "Primary", "Primary", name="primary_deal_to_lead", inverse_name="lead_to_primary_deal"
    ),
    _p("deal", "email", 209, 210),
    _p("deal", "goal_target", 1357, 1356),
    _p("deal", "meeting", 211, 212),
    _p("deal", "note", 213, 214),
    _p("deal", "task", 215, 216),
    _p("deal", "communication", 86, 85),
    _p("deal", "postal_mail", 458, 457),
    _p("deal", "cart", 1346, 1347),
    _p("deal", "invoice", 176, 175),
    _p("deal", "order", 511, 512),
    _p("deal", "payment", 392, 391),
    _p("deal", "subscription", 300, 299),
    _p("deal", "appointment", 945, 944),
    _p("deal", "course", 863, 862),
    _p("deal", "listing", 887, 886),
    _p("deal", "service", 795, 794),
    _p("deal", "feedback_submission", 985, 984),
    _p("deal", "project", 1239, 1238),
    # §9.5 ticket -> object
    _p("ticket", "call", 219, 220),
    _p("ticket", "email", 223, 224),
    _p("ticket", "meeting", 225, 226),
    _p("ticket", "note", 227, 228),
    _p("ticket", "task", 229, 230),
    _p("ticket", "communication", 84, 83),
    _p("ticket", "postal_mail", 456, 455),
    _p("ticket", "order", 526, 525),
    _p("ticket", "appointment", 947, 946),
    _p("ticket", "course", 941, 940),
    _p("ticket", "listing", 943, 942),
    _p("ticket", "service", 797, 796),
    _p("ticket", "subscription", 1122, 1121),
    _p("ticket", "payment", 1355, 1354),
    _p("ticket", "feedback_submission", 99, 100),
    _p("ticket", "project", 1241, 1240),
    # §9.6 activities and §9.7 other objects (pairs not listed above)
    _p("call", "meeting", 399, 400),
    _p("call", "lead", 597, 596),
    _p("call", "order", 773, 772),
    _p("call", "appointment", 913, 912),
    _p("call", "course", 867, 866),
    _p("call", "listing", 891, 890),
    _p("call", "service", 841, 840),
    _p("call", "feedback_submission", 1156, 1155),
    _p("call", "project", 1258, 1257),
    _p("email", "order", 777, 776),
    _p("email", "appointment", 917, 916),
    _p("email", "course", 871, 870),
    _p("email", "listing", 895, 894),
    _p("email", "service", 843, 842),
    _p("email", "project", 1260, 1259),
    _p("meeting", "lead", 601, 600),
    _p("meeting", "order", 769, 768),
    _p("meeting", "appointment", 919, 918),
    _p("meeting", "course", 873, 872),
    _p("meeting", "listing", 897, 896),
    _p("meeting", "service", 839, 838),
    _p("note", "lead", 855, 854),
    _p("note", "order", 765, 764),
    _p("note", "appointment", 921, 920),
    _p("note", "course", 875, 874),
    _p("note", "listing", 899, 898),
    _p("note", "service", 837, 836),
    _p("note", "project", 1249, 1248),
    _p("task", "lead", 647, 646),
    _p("task", "quote", 218, 217),
    _p("task", "order", 727, 726),
    _p("task", "appointment", 923, 922),
    _p("task", "course", 877, 876),
    _p("task", "listing", 901, 900),
    _p("task", "service", 853, 852),
    _p("task", "project", 1247, 1246),
    _p("communication", "lead", 603, 602),
    _p("communication", "order", 785, 784),
    _p("communication", "appointment", 925, 924),
    _p("communication", "course", 879, 878),
    _p("communication", "listing", 903, 902),
    _p("communication", "service", 847, 846),
    _p("communication", "project", 1282, 1281),
    _p("postal_mail", "appointment", 927, 926),
    _p("postal_mail", "course", 881, 880),
    _p("postal_mail", "listing", 905, 904),
    _p("postal_mail", "order", 788, 789),
    _p("postal_mail", "service", 849, 848),
    _p("postal_mail", "project", 1264, 1263),
    _p("lead", "feedback_submission", 1162, 1161),
    _p("appointment", "project", 1325, 1324),
    _p("course", "project", 1323, 1322),
    _p("listing", "project", 1321, 1320),
    _p("service", "project", 1245, 1244),
    _p("project", "project", 1254, 1254),
    _p("feedback_submission", "cart", 1157, 1158),
    _p("feedback_submission", "subscription", 1173, 1174),
    _p("feedback_submission", "invoice", 1159, 1160),
    _p("feedback_submission", "order", 1167, 1168),
    _p("feedback_submission", "quote", 1171, 1172),
    _p("feedback_submission", "payment", 1169, 1170),
    _p("quote", "line_item", 67, 68),
    _p("quote", "discount", 362, 361),
    _p("quote", "fee", 364, 363),
    _p("quote", "tax", 366, 365),
    _p("quote", "cart", 733, 732),
    _p("quote", "invoice", 408, 407),
    _p("quote", "order", 731, 730),
    _p("quote", "payment", 398, 397),
    _p("quote", "subscription", 304, 303),
    _p("line_item", "cart", 591, 590),
    _p("line_item", "payment", 396, 395),
    _p("line_item", "discount", 368, 367),
    _p("line_item", "invoice", 410, 409),
    _p("line_item", "order", 514, 513),
    _p("line_item", "subscription", 302, 301),
    _p("order", "cart", 593, 592),
    _p("order", "discount", 519, 520),
    _p("order", "invoice", 518, 517),
    _p("order", "payment", 523, 524),
    _p("order", "subscription", 516, 515),
    _p("invoice", "subscription", 622, 623),
    _p("invoice", "discount", 411, 412),
    _p("invoice", "fee", 413, 414),
    _p("invoice", "tax", 415, 416),
    _p("invoice", "payment", 541, 542),
    _p("payment", "fee", 1326, 1327),
    _p("cart", "discount", 588, 589),
)

#: Object types whose first associated company becomes their primary company (reference §4, [DOC-SCHEMA]).
PRIMARY_COMPANY_TYPES: dict[str, int] = {"0-1": 1, "0-3": 5, "0-5": 26}
COMPANY = "0-2"
