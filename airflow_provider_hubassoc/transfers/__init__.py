"""Transfers of the HubSpot Associations provider: data from a warehouse into HubSpot."""
