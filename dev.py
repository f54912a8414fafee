#!/usr/bin/env python3
"""The README's two commands, on a fresh machine with only Python 3.11 and git.

    python3 dev.py demo   # create .venv, install, run the example DAGs (backfill first) against the bundled emulator
    python3 dev.py test   # create .venv, install with test extras, run the whole test suite

Both are idempotent: the virtual environment is reused while pyproject.toml is unchanged (a stamp file holds
its hash), and reinstalled when it changes. Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("HUBASSOC_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def _run(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def ensure_venv(extras: str) -> None:
    """Create ``.venv`` and install the package (editable) with ``extras``, unless already current."""
    stamp_text = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".hubassoc-installed-{extras or 'base'}"
    if not PYTHON.exists():
        _say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    if stamp.exists() and stamp.read_text() == stamp_text:
        _say(f"virtual environment is up to date ({VENV})")
        return
    _say("installing the package and its dependencies (first run takes a few minutes)")
    quiet = ["--quiet", "--disable-pip-version-check"]
    if _run(PYTHON, "-m", "pip", "install", *quiet, "--upgrade", "pip") != 0:
        sys.exit("[dev.py] could not upgrade pip")
    target = f".[{extras}]" if extras else "."
    if _run(PYTHON, "-m", "pip", "install", *quiet, "--editable", target) != 0:
        sys.exit("[dev.py] installation failed")
    stamp.write_text(stamp_text)


def demo(args: list[str]) -> int:
    ensure_venv("demo")  # the examples' warehouse is an embedded SQLite database (common-sql + sqlite provider)
    return _run(PYTHON, ROOT / "scripts" / "demo.py", *args)


def test(args: list[str]) -> int:
    ensure_venv("test")
    return _run(PYTHON, "-m", "pytest", *(args or ["-q"]))


COMMANDS = {"demo": demo, "test": test}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
