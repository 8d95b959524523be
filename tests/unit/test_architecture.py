"""The dependency rules of DESIGN.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


ENGINE_FILES = sorted(p for p in (ROOT / "engine").rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_no_outer_layer(path: Path) -> None:
    forbidden = ("flask", "flask_login", "flask_wtf", "smtplib", "web", "notifications", "samverkan", "waitress")
    bad = sorted(n for n in _imports(path) if n.split(".")[0] in forbidden)
    assert not bad, f"{path.name} imports {bad}"


def test_only_the_scheduler_module_imports_apscheduler() -> None:
    users = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                   if ".venv" not in p.parts and "tests" not in p.parts
                   and any(n.split(".")[0] == "apscheduler" for n in _imports(p)))
    assert users == ["engine/schedule/scheduler.py"]
