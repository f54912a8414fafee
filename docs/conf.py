"""Sphinx configuration of the provider's documentation (``python3 dev.py docs`` builds it with -W).

The pages are Markdown (MyST); the API reference imports the package, hence Airflow: build it in a virtual
environment with Airflow 3 (``dev.py docs`` makes one).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# importing Airflow writes its config into AIRFLOW_HOME: keep a docs build from creating ~/airflow
os.environ.setdefault("AIRFLOW_HOME", str(Path(tempfile.gettempdir()) / "hubassoc-docs-airflow-home"))

import airflow_provider_hubassoc  # noqa: E402  (after sys.path and AIRFLOW_HOME)

project = "airflow-provider-hubassoc"
author = "airflow-provider-hubassoc maintainers"
copyright = "the airflow-provider-hubassoc maintainers"
release = airflow_provider_hubassoc.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# GitHub-style anchors for headings down to level 3, so links such as scale.md#daily-budget work
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
# members, not the private bases operators share (the exceptions show their hierarchy: api.rst)
autodoc_default_options = {"members": True}
autosummary_generate = False

html_theme = "furo"
html_title = f"airflow-provider-hubassoc {release}"
html_static_path: list[str] = []
