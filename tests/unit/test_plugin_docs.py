"""Every module and lookup of the collection documents itself in YAML that ansible-doc can read
(a doc that does not parse makes ansible-doc and ansible-lint print an error and the plugin
undocumented)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
MODULES = sorted((PLUGINS / "modules").glob("*.py")) + sorted((PLUGINS / "lookup").glob("*.py"))


def walk_options(options: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, option in options.items():
        yield prefix + name, option
        yield from walk_options(option.get("suboptions") or {}, f"{prefix}{name}.")


@pytest.mark.parametrize("module", MODULES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_documentation_parses(module: Path) -> None:
    strings = {
        node.targets[0].id: node.value.value
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    doc = yaml.safe_load(strings["DOCUMENTATION"])
    # A module names itself with `module:`, a lookup with `name:`.
    assert doc.get("module", doc.get("name")) == module.stem and doc["short_description"]
    # A description is text or a list of texts: "a: b" in a line makes a mapping of it, which
    # ansible-doc refuses ("Expected string in description").
    for name, option in walk_options(doc["options"]):
        description = option.get("description")
        texts = description if isinstance(description, list) else [description]
        assert texts and all(isinstance(text, str) and text for text in texts), name
    assert yaml.safe_load(strings["EXAMPLES"])
    assert yaml.safe_load(strings["RETURN"])
