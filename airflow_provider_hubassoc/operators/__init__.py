"""operators of the HubSpot Associations provider."""
