"""Links from a task to HubSpot (Airflow's ``extra-links``)."""
