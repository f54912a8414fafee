"""The README's main job (placeholder until the emulator and operators land): show the provider as Airflow sees it."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-demo-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from airflow.providers_manager import ProvidersManager  # noqa: E402

manager = ProvidersManager()
info = manager.providers["airflow-provider-hubassoc"]
print(f"provider {info.data['package-name']} {info.version}: {info.data['name']}")
print(f"connection type hubspot -> {manager.hooks['hubspot'].hook_class_name}")
