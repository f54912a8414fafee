"""Association limit configurations and the high-usage report through the hook."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError


def test_limits_create_list_update_purge(hook, emu, api_version):
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    created = hook.create_association_limits("contacts", "companies", {"billing contact": 5}, api_version=api_version)
    assert [(x.label, x.max_to_object_ids) for x in created] == [("Billing contact", 5)]

    listed = hook.list_association_limits("contacts", "companies", api_version=api_version)
    assert [(x.type_id, x.max_to_object_ids) for x in listed] == [(created[0].type_id, 5)]
    assert any(x.type_id == created[0].type_id for x in hook.list_association_limits(api_version=api_version))

    updated = hook.update_association_limits(
        "contacts", "companies", [(created[0].type_id, 3)], api_version=api_version
    )
    assert updated[0].max_to_object_ids == 3

    hook.purge_association_limits("contacts", "companies", ["Billing contact"], api_version=api_version)
    assert hook.list_association_limits("contacts", "companies", api_version=api_version) == []


def test_limits_validate_before_sending(hook, sent):
    with pytest.raises(HubSpotInputError, match="input #0, field 'max'"):
        hook.create_association_limits("contacts", "companies", {"primary": 0})
    with pytest.raises(HubSpotInputError, match="both"):
        hook.list_association_limits("contacts")
    assert sent("limits.create") == sent("limits.all") == 0


def test_high_usage_report(hook, sent):
    report = hook.request_high_usage_report("42")
    assert report["userId"] == 42 and "enqueueTime" in report
    assert sent("usage.report") == 1
    with pytest.raises(HubSpotInputError):
        hook.request_high_usage_report(-1)
