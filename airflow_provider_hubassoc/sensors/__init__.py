"""sensors of the HubSpot Associations provider."""
