"""Each module's `__all__` says what it offers: names it has, public ones, and every name the others take from it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "notifications", "web", "samverkan")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
           if "migrations" not in p.parts}


def _declared(path: Path) -> list[str] | None:
    """The module's `__all__` as written, or None without one."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names: list[str] = ast.literal_eval(node.value)
            return names
    return None


EXPORTS = {name: names for name, path in MODULES.items() if (names := _declared(path)) is not None}


@pytest.mark.parametrize("module", sorted(EXPORTS))
def test_every_name_in_all_is_defined_and_public(module: str) -> None:
    names = EXPORTS[module]
    loaded = importlib.import_module(module)
    assert [n for n in names if not hasattr(loaded, n)] == [], f"{module}.__all__ names what it does not define"
    assert [n for n in names if n.startswith("_")] == [], f"{module}.__all__ names private names"
    assert len(set(names)) == len(names), f"{module}.__all__ names one twice"


def _taken(path: Path) -> list[tuple[str, str]]:
    """(module, name) for each `from module import name` of one of our modules with an `__all__`."""
    taken = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in EXPORTS:
            taken += [(node.module, a.name) for a in node.names if f"{node.module}.{a.name}" not in MODULES]
    return taken


def test_what_one_module_takes_from_another_is_in_that_ones_all() -> None:
    # A name another layer relies on is public: a private one would start with "_" and fail here too.
    unlisted = sorted(f"{module}.{name} (taken by {_module_name(path)})"
                      for path in MODULES.values() for module, name in _taken(path)
                      if name not in EXPORTS[module])
    assert unlisted == []
