"""hooks of the HubSpot Associations provider."""
