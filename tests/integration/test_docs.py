"""The documentation site (docs/): its examples call our API correctly, its connection page matches the code,
and it builds with Sphinx with warnings as errors (when Sphinx is installed: ``python3 dev.py docs`` makes its
own environment; CI builds it in ``.ci/run`` in any case).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from doc_support import (
    DOCS,
    ROOT,
)


def _sphinx_python() -> str | None:
    """A Python with the docs extra: this one, else the environment ``python3 dev.py docs`` made, else None."""
    if all(importlib.util.find_spec(m) for m in ("sphinx", "myst_parser", "furo")):
        return sys.executable
    venv = Path(os.environ.get("HUBASSOC_VENV_DOCS", ROOT / ".venv-docs"))
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return str(python) if python.exists() else None


@pytest.mark.skipif(
    _sphinx_python() is None,
    reason="Sphinx, myst-parser or furo not installed here and no .venv-docs: `python3 dev.py docs` builds the "
    "site in its own environment (after that this test uses it), and CI runs it (.ci/run)",
)
def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    """The whole site, as CI builds it: a broken reference, include or docstring fails here (about 10 s)."""
    python = _sphinx_python()
    assert python is not None
    build = subprocess.run(
        [python, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-5000:]
    assert (tmp_path / "html" / "api.html").exists()
