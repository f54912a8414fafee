"""What the README and the documentation pages show must run: their Python blocks call our API correctly.

Every ``python`` block is parsed (it must be valid Python); each call of one of the package's public classes
(directly, or through ``.partial()``/``.expand()``) may only use keyword arguments that the class or Airflow's
``BaseOperator``/``BaseSensorOperator`` accept, and calls of the emulator's and the hook's methods only those
methods' parameters.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from airflow_provider_hubassoc.emulator import HubSpotEmulator
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators import associations, labels
from airflow_provider_hubassoc.sensors import associations as sensors


def _repository_root() -> Path:
    """The clone's root (the directory holding pyproject.toml), wherever this file sits under tests/."""
    here = Path(__file__).resolve().parent
    return next(p for p in (here, *here.parents) if (p / "pyproject.toml").exists())


ROOT = _repository_root()
README = ROOT / "README.md"
DOCS = ROOT / "docs"
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
#: variables the pages bind to an emulator (``with HubSpotEmulator(...) as emu``, the pytest fixture)
EMULATOR_NAMES = {"emu", "hubspot_emulator"}


def doc_pages() -> list[Path]:
    """Every Markdown page of the documentation site."""
    return sorted(DOCS.rglob("*.md"))


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


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
    """(what is called, accepted keywords, keywords used, line) for every call a block makes of our API."""
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


def unknown_arguments(block: str) -> list[str]:
    """One line per call of our API in ``block`` that passes a keyword the callee does not accept."""
    problems = []
    for name, allowed, used, line in calls(ast.parse(block)):
        unknown = sorted(set(used) - allowed) if allowed is not None else []
        if unknown:
            problems.append(f"{name} (block line {line}) does not accept {unknown}")
    return problems


def github_anchor(heading: str) -> str:
    """The anchor GitHub and MyST (``myst_heading_anchors``) give a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Anchors of a Markdown page's headings (outside code fences)."""
    found, fence = set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"#{1,6} ", line):
            found.add(github_anchor(line.lstrip("#")))
    return found
