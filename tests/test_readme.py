"""The README's code examples use argument names the code accepts, and its connection table matches the code.

Every ``python`` block of README.md is parsed (it must be valid Python); each call of one of the package's public
classes (directly, or through ``.partial()``/``.expand()``) may only use keyword arguments that the class or
Airflow's ``BaseOperator``/``BaseSensorOperator`` accept, and calls of the emulator's and the hook's methods only
those methods' parameters.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS
from airflow_provider_hubassoc.emulator import HubSpotEmulator
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators import associations, labels
from airflow_provider_hubassoc.sensors import associations as sensors

README = Path(__file__).resolve().parents[1] / "README.md"
CLASSES = {
    cls.__name__: cls
    for cls in (
        associations.HubSpotReadAssociationsOperator,
        associations.HubSpotCreateAssociationsOperator,
        associations.HubSpotArchiveAssociationsOperator,
        associations.HubSpotSyncAssociationsOperator,
        labels.HubSpotSyncLabelsOperator,
        sensors.HubSpotAssociationSensor,
        HubSpotAssociationsHook,
        HubSpotEmulator,
    )
}
#: variables the README binds to an emulator (``with HubSpotEmulator(...) as emu``, the pytest fixture)
EMULATOR_NAMES = {"emu", "hubspot_emulator"}


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def accepted(cls: type) -> set[str] | None:
    """Keyword names ``cls(...)`` accepts (None: anything, the chain ends in an open ``**kwargs``)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        names |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return names - {"self"}
        if not klass.__module__.startswith("airflow_provider_hubassoc") and klass.__name__ == "BaseOperator":
            return names - {"self"}  # BaseOperator's own **kwargs only warns about unknown arguments
    return None


def method_parameters(cls: type, name: str) -> set[str] | None:
    parameters = inspect.signature(getattr(cls, name)).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters} - {"self"}


def calls(tree: ast.AST) -> list[tuple[str, set[str] | None, list[str], int]]:
    """(what is called, accepted keywords, keywords used, line) for every call the README makes of our API."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        used = [k.arg for k in node.keywords if k.arg is not None]
        func = node.func
        if isinstance(func, ast.Name) and func.id in CLASSES:
            found.append((func.id, accepted(CLASSES[func.id]), used, node.lineno))
        elif isinstance(func, ast.Attribute):
            target = func.value
            if func.attr in {"partial", "expand"}:
                while isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
                    target = target.func.value  # Op.partial(...).expand(...)
                if isinstance(target, ast.Name) and target.id in CLASSES:
                    found.append((f"{target.id}.{func.attr}", accepted(CLASSES[target.id]), used, node.lineno))
            elif isinstance(target, ast.Name) and target.id in EMULATOR_NAMES and hasattr(HubSpotEmulator, func.attr):
                found.append(
                    (f"HubSpotEmulator.{func.attr}", method_parameters(HubSpotEmulator, func.attr), used, node.lineno)
                )
            elif isinstance(target, ast.Name) and target.id == "hook" and hasattr(HubSpotAssociationsHook, func.attr):
                found.append(
                    (
                        f"HubSpotAssociationsHook.{func.attr}",
                        method_parameters(HubSpotAssociationsHook, func.attr),
                        used,
                        node.lineno,
                    )
                )
    return found


def test_readme_python_blocks_parse_and_call_our_api() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 8
    called = {name.split(".")[0] for block in blocks for name, *_ in calls(ast.parse(block))}
    # every operator and the sensor has an example in the README
    assert {name for name in CLASSES if name.endswith(("Operator", "Sensor"))} <= called


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_example_uses_only_accepted_argument_names(index: int) -> None:
    block = python_blocks()[index]
    problems = []
    for name, allowed, used, line in calls(ast.parse(block)):
        unknown = sorted(set(used) - allowed) if allowed is not None else []
        if unknown:
            problems.append(f"{name} (block line {line}) does not accept {unknown}")
    assert not problems, "\n".join(problems) + "\n" + block


def test_readme_connection_table_names_every_extra_with_its_default() -> None:
    text = README.read_text()
    section = text.split("## Connection", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named: dict[str, str] = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        for name in re.findall(r"`([a-z0-9_]+)`", cells[0]):
            named[name] = cells[-1]
    assert set(named) == set(CONNECTION_EXTRA_FIELDS), "README's connection table vs CONNECTION_EXTRA_FIELDS"
    for name, default_text in named.items():
        default = CONNECTION_EXTRA_FIELDS[name]["schema"].get("default")
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            assert str(default) in default_text, f"README says {name} defaults to {default_text!r}, code: {default}"
