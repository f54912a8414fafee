"""triggers of the HubSpot Associations provider."""
