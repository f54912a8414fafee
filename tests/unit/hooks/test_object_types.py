"""Object type normalisation: every accepted spelling becomes one canonical form; unknown forms are refused."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import (
    hubspot_defined_type_id,
    normalize_object_type,
    plural_name,
    singular_name,
)


@pytest.mark.parametrize("value", ["contacts", "contact", "Contacts", "CONTACT", " contacts ", "0-1"])
def test_contact_spellings_normalise_to_the_type_id(value):
    assert normalize_object_type(value) == "0-1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("companies", "0-2"),
        ("Company", "0-2"),
        ("deal", "0-3"),
        ("Tickets", "0-5"),
        ("line_items", "0-8"),
        ("line-items", "0-8"),
        ("LINE_ITEM", "0-8"),
        ("notes", "0-46"),
        ("leads", "0-136"),
        ("0-970", "0-970"),
        ("2-30931773", "2-30931773"),
        ("p123_cars", "p123_cars"),
        ("P123_cars", "p123_cars"),
    ],
)
def test_standard_and_custom_forms(value, expected):
    assert normalize_object_type(value) == expected


@pytest.mark.parametrize("value", ["cars", "credentialing_2_0", "2-", "0-01", "3-5", "", "  ", "contactz"])
def test_unknown_forms_are_refused_with_a_clear_error(value):
    with pytest.raises(HubSpotInputError) as caught:
        normalize_object_type(value, "from_type")
    assert caught.value.field == "from_type"
    assert "from_type" in str(caught.value)


@pytest.mark.parametrize("value", [None, 1, ["contacts"]])
def test_non_strings_are_refused(value):
    with pytest.raises(HubSpotInputError):
        normalize_object_type(value)


def test_names_for_messages_and_v3():
    assert singular_name("Contacts") == "contact"
    assert singular_name("0-8") == "line_item"
    assert singular_name("2-123") is None
    assert plural_name("company") == "companies"
    assert plural_name("2-123") == "2-123"


def test_hubspot_defined_types_by_name_per_direction():
    assert hubspot_defined_type_id("contacts", "companies", "primary") == 1
    assert hubspot_defined_type_id("companies", "contacts", "primary") == 2
    assert hubspot_defined_type_id("contact", "company", "Unlabeled") == 279
    assert hubspot_defined_type_id("deals", "contacts", "primary") is None
    assert hubspot_defined_type_id("2-1", "contacts", "unlabeled") is None
