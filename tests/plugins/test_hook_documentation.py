"""The hook API is documented where plugin authors look: docstrings and docs/plugins.md."""

import inspect
from pathlib import Path

import pytest

from exhibit.plugins import hookspecs

GUIDE = Path(__file__).parents[2] / "docs" / "plugins.md"
ALL_HOOKS = (
    *hookspecs.REGISTRATION_HOOKS,
    *hookspecs.EVENT_HOOKS,
    *hookspecs.VETO_HOOKS,
    *hookspecs.CHECK_HOOKS,
)


def test_every_hook_in_the_module_is_classified() -> None:
    declared = {name for name in dir(hookspecs) if name.startswith("exhibit_")}
    assert declared == set(ALL_HOOKS)


@pytest.mark.parametrize("name", ALL_HOOKS)
def test_every_hook_has_a_docstring_and_a_place_in_the_guide(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc) > 60, f"{name} needs a docstring written for plugin authors"
    assert f"`{name}" in GUIDE.read_text(), f"{name} is missing from docs/plugins.md"


@pytest.mark.parametrize(
    "name", [*hookspecs.EVENT_HOOKS, *hookspecs.VETO_HOOKS, *hookspecs.CHECK_HOOKS]
)
def test_event_veto_and_check_hooks_are_async_and_take_force_and_config(name: str) -> None:
    spec = getattr(hookspecs, name)
    assert inspect.iscoroutinefunction(spec)
    assert list(inspect.signature(spec).parameters)[:2] == ["force", "config"]
