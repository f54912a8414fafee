#!/usr/bin/env python3
"""The README's commands, on a fresh machine with only Python 3.11 and git.

    python3 dev.py demo                  # create .venv, install, run the example DAGs against the bundled emulator
    python3 dev.py test                  # create .venv (newest Airflow 3), install with test extras, run the suite
    python3 dev.py test --airflow 2      # the same on the oldest supported Airflow 2 (2.10.5), in .venv-airflow2
    python3 dev.py release-check         # build sdist + wheel, twine check, install the wheel in a clean venv, ...
    python3 dev.py lint                  # ruff check, ruff format --check, mypy (the configuration in pyproject.toml)
    python3 dev.py bench [--full]        # every benchmark in benchmarks/, one after another, then every ratio
    python3 dev.py docs                  # build the Sphinx site (docs/) into build/docs/html, warnings as errors

Arguments after the command go to pytest (``python3 dev.py test --airflow 2 tests/unit -x``); after ``docs``,
to sphinx-build (``python3 dev.py docs -E`` rebuilds every page).

Every command is idempotent: a virtual environment is reused while pyproject.toml (and, for Airflow 2, its
constraints file) is unchanged (a stamp file holds their hash), and reinstalled when they change. Standard
library only, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent

#: Airflow line -> (virtual environment, what pip installs next to the package, constraints file or None).
#: Line 3 follows the newest Airflow 3 release; line 2 stays on the oldest supported 2.x. Airflow's own
#: constraint files are on GitHub, out of reach here, so the 2.x line has ours (see the file's header).
LINES: dict[str, tuple[Path, list[str], Path | None]] = {
    "3": (Path(os.environ.get("HUBASSOC_VENV", ROOT / ".venv")), ["apache-airflow>=3,<4"], None),
    "2": (
        Path(os.environ.get("HUBASSOC_VENV_AIRFLOW2", ROOT / ".venv-airflow2")),
        ["apache-airflow==2.10.5"],
        ROOT / "constraints" / "airflow-2.10.5-python3.11.txt",
    ),
}
#: The documentation's own environment: Sphinx beside the newest Airflow 3 (the API reference imports the package).
DOCS_VENV = Path(os.environ.get("HUBASSOC_VENV_DOCS", ROOT / ".venv-docs"))
DOCS_OUT = ROOT / "build" / "docs" / "html"


def _say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def _run(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def python_of(line: str, venv_dir: Path | None = None) -> Path:
    venv_dir = venv_dir or LINES[line][0]
    return venv_dir / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")


def ensure_venv(extras: str, line: str = "3", venv_dir: Path | None = None) -> Path:
    """Create the line's virtual environment (or ``venv_dir``) and install the package (editable) with ``extras``,
    unless current."""
    line_venv, pins, constraints = LINES[line]
    venv_dir = venv_dir or line_venv
    python = python_of(line, venv_dir)
    inputs = (ROOT / "pyproject.toml").read_bytes() + extras.encode() + " ".join(pins).encode()
    if constraints is not None:
        inputs += constraints.read_bytes()
    stamp_text = hashlib.sha256(inputs).hexdigest()
    stamp = venv_dir / f".hubassoc-installed-{extras or 'base'}"
    if not python.exists():
        _say(f"creating virtual environment in {venv_dir}")
        venv.EnvBuilder(with_pip=True, clear=venv_dir.exists()).create(venv_dir)
    if stamp.exists() and stamp.read_text() == stamp_text:
        _say(f"virtual environment is up to date ({venv_dir})")
        return python
    _say(f"installing the package and Airflow {line}.x into {venv_dir} (first run takes a few minutes)")
    quiet = ["--quiet", "--disable-pip-version-check"]
    if _run(python, "-m", "pip", "install", *quiet, "--upgrade", "pip") != 0:
        sys.exit("[dev.py] could not upgrade pip")
    target = f".[{extras}]" if extras else "."
    constrain = ["--constraint", str(constraints)] if constraints is not None else []
    if _run(python, "-m", "pip", "install", *quiet, *constrain, "--editable", target, *pins) != 0:
        sys.exit("[dev.py] installation failed")
    stamp.write_text(stamp_text)
    return python


def _airflow_line(args: list[str]) -> tuple[str, list[str]]:
    """``--airflow 2`` / ``--airflow=3`` (default 3) and the remaining arguments."""
    line, rest = "3", []
    iterator = iter(args)
    for arg in iterator:
        if arg == "--airflow":
            line = next(iterator, "")
        elif arg.startswith("--airflow="):
            line = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if line not in LINES:
        sys.exit(f"[dev.py] --airflow must be one of {', '.join(sorted(LINES))}, got {line!r}")
    return line, rest


def demo(args: list[str]) -> int:
    line, rest = _airflow_line(args)
    # the examples' warehouse is an embedded SQLite database (common-sql + sqlite provider)
    python = ensure_venv("demo", line)
    return _run(python, ROOT / "scripts" / "demo.py", *rest)


def test(args: list[str]) -> int:
    line, rest = _airflow_line(args)
    python = ensure_venv("test", line)
    rest = rest or ["-q"]
    # one pytest worker per core (pytest-xdist), unless the caller chose: ``-n 0`` or ``-p no:xdist`` runs one process
    chose = any(a.startswith(("-n", "--numprocesses")) or a.endswith("no:xdist") for a in rest)
    return _run(python, "-m", "pytest", *([] if chose else ["-n", "auto"]), *rest)


def release_check(args: list[str]) -> int:
    line, rest = _airflow_line(args)
    python = ensure_venv("test", line)
    return _run(python, ROOT / "scripts" / "release_check.py", *rest)


def lint(args: list[str]) -> int:
    python = ensure_venv("lint", "3")
    codes = [
        _run(python, "-m", "ruff", "check", *args, "."),
        _run(python, "-m", "ruff", "format", "--check", "."),
        _run(python, "-m", "mypy"),
    ]
    return max(codes)


def bench(args: list[str]) -> int:
    # the test extra brings HubSpot's SDK (client CPU part) and common-sql (SQL-source parts)
    python = ensure_venv("test", "3")
    return _run(python, ROOT / "benchmarks" / "run_all.py", *args)


def docs(args: list[str]) -> int:
    # its own environment, so the test environments never carry Sphinx (tests/integration/test_docs.py skips without it)
    python = ensure_venv("docs", "3", DOCS_VENV)
    return _run(python, "-m", "sphinx", "-W", "--keep-going", "-b", "html", *args, ROOT / "docs", DOCS_OUT)


COMMANDS = {
    "demo": demo,
    "test": test,
    "release-check": release_check,
    "lint": lint,
    "bench": bench,
    "docs": docs,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
