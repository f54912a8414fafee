"""Labels (association type definitions) through the hook, against the emulator over HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError


def test_list_labels_names_hubspot_defined_types(hook):
    labels = hook.list_labels("contacts", "companies")
    by_id = {x.type_id: x for x in labels}
    assert by_id[1].category == "HUBSPOT_DEFINED" and by_id[1].name == "primary"
    assert by_id[279].label is None and by_id[279].name == "unlabeled"


def test_create_update_delete_a_paired_label(hook, emu, api_version):
    created = hook.create_label(
        "contact",
        "Companies",
        name="manager_employee",
        label="Manager",
        inverse_label="Employee",
        api_version=api_version,
    )
    assert sorted(x.label for x in created) == ["Employee", "Manager"]
    manager = next(x for x in created if x.label == "Manager")
    assert manager.category == "USER_DEFINED"
    assert any(x["label"] == "Manager" for x in emu.labels("contacts", "companies"))

    hook.update_label("contacts", "companies", type_id=manager.type_id, label="Boss", api_version=api_version)
    assert hook.get_label("contacts", "companies", "boss", api_version=api_version).type_id == manager.type_id

    hook.delete_label("contacts", "companies", manager.type_id, api_version=api_version)
    assert all(
        x["typeId"] != manager.type_id or x["category"] != "USER_DEFINED" for x in emu.labels("contacts", "companies")
    )


def test_get_label_by_text_name_or_id_case_insensitive(hook):
    created = hook.create_label("deals", "contacts", name="decision_maker", label="Decision maker")[0]
    assert hook.get_label("deal", "contact", "DECISION MAKER") == hook.get_label("0-3", "0-1", created.type_id)
    assert hook.get_label("deals", "contacts", str(created.type_id)).label == "Decision maker"
    assert hook.get_label("deals", "contacts", "decision_maker").type_id == created.type_id
    assert hook.get_label("contacts", "companies", "Primary").type_id == 1
    assert hook.get_label("companies", "contacts", "primary").type_id == 2
    assert hook.get_label("contacts", "companies", "unlabeled").type_id == 279


def test_label_cache_is_used_and_refreshed_once_on_a_miss(hook, emu, sent):
    hook.get_label("contacts", "companies", "primary")
    assert sent("labels.list") == 1
    hook.get_label("contacts", "companies", "unlabeled")
    assert sent("labels.list") == 1  # served from the cache

    # A label created behind the hook's back is found after one refresh of the cache.
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    assert hook.get_label("contacts", "companies", "billing contact").category == "USER_DEFINED"
    assert sent("labels.list") == 2

    with pytest.raises(HubSpotInputError, match="no association label 'nope'"):
        hook.get_label("contacts", "companies", "nope")
    assert sent("labels.list") == 3  # one refresh per miss, then a clear error


def test_label_names_must_be_valid_before_sending(hook, sent):
    for bad in ("1st", "has-hyphen", ""):
        with pytest.raises(HubSpotInputError, match="name"):
            hook.create_label("contacts", "companies", name=bad, label="X")
    with pytest.raises(HubSpotInputError, match="object type"):
        hook.list_labels("cars", "contacts")
    with pytest.raises(HubSpotInputError, match="v4"):
        hook.list_labels("contacts", "companies", api_version="v3")
    assert sent() == 0


def test_the_version_is_one_setting_overridable_per_call(make_hook, emu):
    from airflow_provider_hubassoc.exceptions import HubSpotNotFoundError

    dated = make_hook(api_version="2026-03")
    assert dated.get_label("contacts", "companies", "primary").type_id == 1
    # A dated version HubSpot never published (before 2025-09) reaches a path the emulator does not know:
    # proof that the setting, not a hard-coded prefix, decides the path.
    too_old = make_hook(api_version="2025-03")
    with pytest.raises(HubSpotNotFoundError):
        too_old.list_labels("contacts", "companies")
    assert too_old.list_labels("contacts", "companies", api_version="2026-09")


@pytest.mark.parametrize("version", ["2025-09", "2026-09-beta"])
def test_every_published_version_reaches_the_emulator(make_hook, version) -> None:
    """HubSpot publishes 2025-09 and the 2026-09-beta preview: the setting accepts them and their paths answer."""
    hook = make_hook(api_version=version)
    assert hook.settings.api_version == version
    assert hook.get_label("contacts", "companies", "primary").type_id == 1


# -- replay-safe label writes: applied, then the answer lost -----------------------------------------------


def test_create_whose_answer_was_lost_adopts_the_label(hook, emu, sent):
    """The first POST is applied and its connection dropped; the retry gets 409 and adopts the label: the
    returned type ids are the ones HubSpot gave, both directions of a paired label."""
    emu.configure(fault_drop_after=1.0, fault_endpoints=["labels.create"], seed=1)
    created = hook.create_label(
        "contacts", "companies", name="manager_employee", label="Manager", inverse_label="Employee"
    )
    emu.configure(fault_drop_after=0.0)
    forward = [x for x in emu.labels("contacts", "companies") if x["category"] == "USER_DEFINED"]
    inverse = [x for x in emu.labels("companies", "contacts") if x["category"] == "USER_DEFINED"]
    assert {(x.type_id, x.label) for x in created} == {
        (forward[0]["typeId"], "Manager"),
        (inverse[0]["typeId"], "Employee"),
    }
    assert sent("labels.create") == 2  # applied + dropped, then 409 (adopted)
    assert hook.get_label("contacts", "companies", "manager_employee").type_id == forward[0]["typeId"]


def test_create_conflicting_with_a_different_label_still_fails(hook, emu):
    from airflow_provider_hubassoc.exceptions import HubSpotValidationError

    emu.create_label("contacts", "companies", "billing", "Billing contact")
    with pytest.raises(HubSpotValidationError, match="already exists"):
        hook.create_label("contacts", "companies", name="billing", label="Invoices")


def test_delete_whose_answer_was_lost_is_done(hook, emu, sent):
    created = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]
    emu.configure(fault_drop_after=1.0, fault_endpoints=["labels.delete"])
    hook.delete_label("contacts", "companies", created["typeId"])
    assert sent("labels.delete") == 2  # applied + dropped, then 404: gone, so done
    assert all(x["category"] != "USER_DEFINED" for x in emu.labels("contacts", "companies"))


def test_delete_that_404s_for_another_reason_is_raised(hook, emu):
    """A 404 that does not mean "label gone" (here a version HubSpot never published) is raised, not taken for
    done: the label is still there."""
    from airflow_provider_hubassoc.exceptions import HubSpotNotFoundError

    created = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]
    with pytest.raises(HubSpotNotFoundError):
        hook.delete_label("contacts", "companies", created["typeId"], api_version="2025-03")
    assert any(x["typeId"] == created["typeId"] for x in emu.labels("contacts", "companies"))
