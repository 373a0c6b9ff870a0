"""The plugins in this repository use only the API docs/plugins.md offers plugin authors."""

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
PLUGIN_SOURCES = sorted((ROOT / "plugins").glob("*/src/*/**/*.py"))


def documented_modules() -> set[str]:
    """The modules named in the guide's table of the extension surface."""
    text = GUIDE.read_text()
    table = text[text.index("| for | modules |") :].split("\n\n", 1)[0]
    return set(re.findall(r"`(exhibit(?:\.[a-z_]+)*)`", table))


def core_imports(source: Path) -> set[str]:
    """The modules of the core package (``exhibit``) that a file imports."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "exhibit" or name.startswith("exhibit.")}


def test_the_documented_modules_exist() -> None:
    modules = documented_modules()
    assert "exhibit.platform" in modules  # the table was found
    for name in modules:
        importlib.import_module(name)


@pytest.mark.parametrize("source", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_api_and_the_extension_surface(source: Path) -> None:
    allowed = documented_modules() | {"exhibit.plugins"}
    outside = {
        name
        for name in core_imports(source)
        if name not in allowed and not name.startswith("exhibit.testing")
    }
    assert not outside, f"not in docs/plugins.md's extension surface: {sorted(outside)}"
