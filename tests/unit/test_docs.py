"""The documentation site (docs/): its examples call our API correctly, its connection page matches the code,
and it builds with Sphinx with warnings as errors (when Sphinx is installed: ``python3 dev.py docs`` makes its
own environment; CI builds it in ``.ci/run`` in any case).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from doc_support import (
    CLASSES,
    DOCS,
    anchors,
    calls,
    doc_pages,
    python_blocks,
    unknown_arguments,
)

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS

CONNECTION_PAGE = DOCS / "connection.md"
BLOCKS = [(page, index) for page in doc_pages() for index in range(len(python_blocks(page)))]


def test_docs_python_blocks_parse_and_call_our_api() -> None:
    blocks = [block for page in doc_pages() for block in python_blocks(page)]
    assert len(blocks) >= 8
    called = {name.split(".")[0] for block in blocks for name, *_ in calls(ast.parse(block))}
    # every operator and the sensor has an example in the documentation
    assert {name for name in CLASSES if name.endswith(("Operator", "Sensor"))} <= called


@pytest.mark.parametrize(("page", "index"), BLOCKS, ids=[f"{p.relative_to(DOCS)}-{i}" for p, i in BLOCKS])
def test_docs_example_uses_only_accepted_argument_names(page: Path, index: int) -> None:
    block = python_blocks(page)[index]
    problems = unknown_arguments(block)
    assert not problems, "\n".join(problems) + "\n" + block


def test_connection_page_table_names_every_extra_with_its_default() -> None:
    text = CONNECTION_PAGE.read_text()
    section = text.split("# Connection\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named: dict[str, str] = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        for name in re.findall(r"`([a-z0-9_]+)`", cells[0]):
            named[name] = cells[-1]
    assert set(named) == set(CONNECTION_EXTRA_FIELDS), "docs/connection.md's table vs CONNECTION_EXTRA_FIELDS"
    for name, default_text in named.items():
        default = CONNECTION_EXTRA_FIELDS[name]["schema"].get("default")
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            assert str(default) in default_text, f"docs say {name} defaults to {default_text!r}, code: {default}"


def test_every_operator_and_the_sensor_has_a_guide_and_an_api_entry() -> None:
    api = (DOCS / "api.rst").read_text()
    guides = "\n".join(p.read_text() for p in (DOCS / "operators").glob("*.md"))
    for name in CLASSES:
        assert re.search(rf"auto(class|exception):: airflow_provider_hubassoc\.[\w.]+\.{name}\n", api), name
        if name.endswith(("Operator", "Sensor")):
            assert re.search(rf"^# .*`{name}`", guides, flags=re.M), f"no guide titled with {name}"


def test_links_between_pages_name_existing_pages_and_headings() -> None:
    broken = []
    for page in doc_pages():
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.relative_to(DOCS)} -> {target} (no such page)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.relative_to(DOCS)} -> {target} (no such heading)")
    assert not broken, "\n".join(broken)
