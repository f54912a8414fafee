"""The README is the landing page: its commands are dev.py's, its examples call our API correctly, and every
link into the documentation names a page and heading that exist. What moved into docs/ is tested in
tests/test_docs.py.
"""

from __future__ import annotations

import ast
import importlib.util
import re

from doc_support import CLASSES, README, ROOT, anchors, calls, unknown_arguments


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_quick_start_calls_our_api_with_accepted_argument_names() -> None:
    blocks = python_blocks()
    assert blocks, "the README's quick start has a Python example"
    called = {name.split(".")[0] for block in blocks for name, *_ in calls(ast.parse(block))}
    assert {"HubSpotAssociationsHook", "HubSpotCreateAssociationsOperator"} <= called <= set(CLASSES)
    for block in blocks:
        problems = unknown_arguments(block)
        assert not problems, "\n".join(problems) + "\n" + block


def test_readme_two_commands_are_dev_py_commands() -> None:
    section = README.read_text().split("## The two commands\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    used = [line.split("#", 1)[0].split() for line in block.splitlines() if line.strip()]
    assert all(words[:2] == ["python3", "dev.py"] for words in used), block
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    assert {words[2] for words in used} == set(dev.COMMANDS), "README's commands vs dev.py's"
    # the commands CI and the demo test depend on, exactly as written
    for command in ("python3 dev.py demo ", "python3 dev.py test ", "python3 dev.py test --airflow 2 "):
        assert command in block


def test_readme_links_into_the_documentation_exist() -> None:
    broken = []
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    assert any(link.startswith("docs/") for link in links)
    for target in links:
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        linked = ROOT / path
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and anchor not in anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, "\n".join(broken)
