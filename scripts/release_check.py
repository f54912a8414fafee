#!/usr/bin/env python
"""Release checks: what a user gets from ``pip install airflow-provider-hubassoc`` works on both Airflow lines.

1. build the sdist and the wheel (``python -m build``) into a temporary directory;
2. ``twine check --strict`` their metadata; check what they contain (LICENSE, py.typed, the example DAGs);
3. for each Airflow line (oldest supported 2.x with our constraints, newest 3.x): a clean virtual environment
   outside the source tree, the wheel installed with its ``pytest`` extra, ``pip check``; every module of the
   package imported from site-packages (example DAGs included); ``airflow providers list/hooks/widgets/
   behaviours`` show the provider, its hook and its connection form; and pytest finds the emulator's fixtures
   through the ``pytest11`` entry point, with no conftest.

Run by ``python3 dev.py release-check`` and ``.ci/run``. ``--lines 3`` checks one line only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from dev import LINES  # noqa: E402  (the Airflow lines and their pins live in one place)

PACKAGE = "airflow_provider_hubassoc"
DIST = "airflow-provider-hubassoc"
HOOK = f"{PACKAGE}.hooks.associations.HubSpotAssociationsHook"
EXAMPLES = sorted(p.name for p in (ROOT / "example_dags").glob("example_*.py"))

IMPORT_ALL = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import airflow_provider_hubassoc as package
    assert "site-packages" in package.__file__, package.__file__  # the installed wheel, not the source tree
    names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    examples = package.__name__ + ".example_dags"  # DAG files, no __init__.py: walk_packages skips them
    names += [examples + "." + m.name for m in pkgutil.iter_modules([package.__path__[0] + "/example_dags"])]
    for name in names:
        importlib.import_module(name)
    print(json.dumps(names))
    """
)

PLUGIN_TEST = textwrap.dedent(
    """
    def test_fixtures_come_from_the_entry_point(hubspot_connection, hubspot_emulator):
        from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

        hubspot_emulator.associate("deals", 1, "companies", 2)
        hook = HubSpotAssociationsHook(hubspot_connection)
        rows = list(hook.iter_read_associations("deals", "companies", [1]))
        assert [(row.from_id, row.to_id) for row in rows] == [(1, 2)]
    """
)


class Failed(Exception):
    pass


def step(title: str) -> None:
    print(f"[release-check] {title}", flush=True)


def run(*args: str | os.PathLike[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Failed(
            f"{' '.join(str(a) for a in args)} exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def build(work: Path) -> tuple[Path, Path]:
    step("building sdist and wheel")
    out = work / "dist"
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out, ROOT, cwd=work)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    step("twine check --strict")
    run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel, cwd=work)
    return sdist, wheel


def check_contents(sdist: Path, wheel: Path) -> None:
    step("checking what the sdist and the wheel contain")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    expected = {f"{PACKAGE}/py.typed", *(f"{PACKAGE}/example_dags/{name}" for name in EXAMPLES)}
    missing = sorted(expected - names)
    if missing:
        raise Failed(f"wheel lacks {missing}")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        raise Failed("wheel lacks its LICENSE")
    for needed in (
        "License-Expression: Apache-2.0",
        "License-File: LICENSE",
        "Requires-Python: >=3.10",
        "Requires-Dist: apache-airflow<4,>=2.10",
        "Classifier: Framework :: Apache Airflow :: Provider",
        "Provides-Extra: pytest",
    ):
        if needed not in metadata:
            raise Failed(f"wheel METADATA lacks {needed!r}")
    for needed in ("[apache_airflow_provider]", "[pytest11]", f"{PACKAGE}.emulator.pytest_plugin"):
        if needed not in entry_points:
            raise Failed(f"wheel entry points lack {needed!r}")
    if any("/tests/" in n or n.startswith("tests/") for n in names):
        raise Failed("the wheel must not ship the test suite")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    for needed in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "dev.py",
        "tests/conftest.py",
        "docs/design.md",
        "constraints/airflow-2.10.5-python3.11.txt",
        *(f"example_dags/{name}" for name in EXAMPLES),
    ):
        if needed not in members:
            raise Failed(f"sdist lacks {needed}")


def check_line(line: str, wheel: Path, work: Path) -> None:
    _, pins, constraints = LINES[line]
    where = work / f"airflow{line}"
    where.mkdir()
    step(f"Airflow {line}: clean virtual environment in {where}, installing the wheel")
    started = time.monotonic()
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    python = where / "venv" / "bin" / "python"
    constrain = ["--constraint", str(constraints)] if constraints else []
    quiet = ["--quiet", "--disable-pip-version-check"]
    run(python, "-m", "pip", "install", *quiet, *constrain, f"{wheel}[pytest]", *pins, cwd=where)
    run(python, "-m", "pip", "check", cwd=where)
    step(f"Airflow {line}: installed in {time.monotonic() - started:.0f} s; importing every module")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHONPATH", "HUBASSOC"))}
    env.update(AIRFLOW_HOME=str(where / "airflow-home"), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    modules = json.loads(run(python, "-c", IMPORT_ALL, cwd=where, env=env).strip().splitlines()[-1])
    for name in EXAMPLES:
        if f"{PACKAGE}.example_dags.{name[:-3]}" not in modules:
            raise Failed(f"example DAG {name} is not importable from the installed package")
    airflow = where / "venv" / "bin" / "airflow"

    def cli(*args: str) -> list[dict]:
        return json.loads(run(airflow, "providers", *args, "--output", "json", cwd=where, env=env))

    step(f"Airflow {line}: airflow providers list / hooks / widgets / behaviours")
    providers = {p["package_name"]: p for p in cli("list")}
    if DIST not in providers:
        raise Failed(f"`airflow providers list` does not show {DIST}: {sorted(providers)}")
    hooks = [h for h in cli("hooks") if h.get("connection_type") == "hubspot"]
    if not hooks or hooks[0].get("class") != HOOK:
        raise Failed(f"`airflow providers hooks` does not map hubspot to {HOOK}: {hooks}")
    widgets = {w["connection_parameter_name"] for w in cli("widgets")}
    if not {"extra__hubspot__client_secret", "extra__hubspot__refresh_token"} <= widgets:
        raise Failed(f"`airflow providers widgets` lacks the hubspot connection form: {sorted(widgets)[:20]}")
    behaviours = [b for b in cli("behaviours") if b.get("field_behaviours") == "hubspot"]
    if not behaviours:
        raise Failed("`airflow providers behaviours` lacks the hubspot connection type")
    step(f"Airflow {line}: pytest finds the emulator fixtures through the pytest11 entry point")
    (where / "test_plugin.py").write_text(PLUGIN_TEST)
    run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin.py", cwd=where, env=env)
    step(
        f"Airflow {line}: OK ({providers[DIST]['version']}, {len(modules)} modules, {time.monotonic() - started:.0f} s)"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", nargs="+", default=sorted(LINES), choices=sorted(LINES))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hubassoc-release-"))
    started = time.monotonic()
    try:
        sdist, wheel = build(work)
        check_contents(sdist, wheel)
        for line in options.lines:
            check_line(line, wheel, work)
    except Failed as error:
        print(f"[release-check] FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    step(f"all checks passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
