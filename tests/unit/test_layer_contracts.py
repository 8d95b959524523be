"""The layer contracts of pyproject.toml bite: the tree keeps them, an upward import or a package
left out of the layer order fails the build (`make lint` runs the same `lint-imports`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
PACKAGES: list[str] = CONFIG["root_packages"]


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports finds the packages from its working directory (it puts it first on sys.path),
    # so a copy of the tree is checked as itself, not as the installed code. Wide columns keep
    # each contract's verdict on one line.
    return subprocess.run([str(LINT_IMPORTS), str(tree / "pyproject.toml"), "--no-cache", "--no-logo"],
                          cwd=tree, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "400"})


def _broken(output: str) -> set[str]:
    """The names of the contracts a lint-imports run reports broken."""
    return {m.group(1) for m in re.finditer(r"^(.+) BROKEN$", output, re.MULTILINE)}


def _copy_tree(target: Path) -> Path:
    """The Python files of the four packages and pyproject.toml, as in the repository."""
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            copy = target / source.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
    shutil.copyfile(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _contract(name_start: str) -> dict[str, Any]:
    found = [c for c in CONFIG["contracts"] if c["name"].startswith(name_start)]
    assert len(found) == 1, f"one contract named {name_start!r}..."
    contract: dict[str, Any] = found[0]
    return contract


def _placed(contract: dict[str, Any]) -> set[str]:
    """Every module a layers contract puts in a layer ('a | b' and 'a : b' are two; '(a)' is optional a)."""
    return {name.strip().strip("()") for layer in contract["layers"] for name in re.split(r"[|:]", layer)}


def _children(package: Path) -> set[str]:
    """The sub-packages and modules directly inside `package`."""
    return ({p.parent.name for p in package.glob("*/__init__.py")}
            | {p.stem for p in package.glob("*.py") if p.stem != "__init__"})


def _unplaced_in_engine(contract: dict[str, Any]) -> set[str]:
    return _children(ROOT / "engine") ^ _placed(contract)


def test_the_tree_keeps_every_contract() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _broken(proc.stdout) == set()
    assert f"{len(CONFIG['contracts'])} kept, 0 broken" in proc.stdout


OUTER = _contract("Outer layers")["name"]
ENGINE = _contract("Engine sub-packages")["name"]
NO_HTTP = _contract("The engine speaks no HTTP")["name"]


@pytest.mark.parametrize(("module", "source", "broken", "chain"), [
    ("engine/kernel/upward.py", "import engine.cases.views\n", {ENGINE}, "engine.kernel.upward -> engine.cases.views"),
    ("engine/store/outward.py", "from web import support\n",
     {OUTER, ENGINE, NO_HTTP}, "engine.store.outward -> web.support"),  # and, through web, flask and the runtime
    ("notifications/outward.py", "import samverkan.cli.main\n", {OUTER}, "notifications.outward -> samverkan.cli.main"),
    ("engine/kernel/http.py", "import flask\n", {NO_HTTP}, "engine.kernel.http -> flask"),
], ids=["engine-sub-package-upward", "engine-to-web", "notifications-to-cli", "engine-to-flask"])
def test_an_import_against_the_layer_order_breaks_the_build(tmp_path: Path, module: str, source: str,
                                                            broken: set[str], chain: str) -> None:
    tree = _copy_tree(tmp_path)
    (tree / module).write_text(source, encoding="utf-8")
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    assert _broken(proc.stdout) == broken, proc.stdout
    assert chain in proc.stdout, proc.stdout


def test_the_engine_layer_order_names_exactly_the_engine_sub_packages() -> None:
    # A layers contract says nothing about a package it does not name: a new sub-package, or one
    # dropped from the list, could import anything. So the list must be the tree.
    assert _unplaced_in_engine(_contract("Engine sub-packages")) == set()


def test_a_layer_dropped_from_the_engine_order_is_found() -> None:
    contract = _contract("Engine sub-packages")
    dropped = {**contract, "layers": [layer for layer in contract["layers"] if layer != "policy"]}
    assert _unplaced_in_engine(dropped) == {"policy"}


def test_the_outer_layer_order_names_every_package_and_every_part_of_samverkan() -> None:
    expected = {p for p in PACKAGES if p != "samverkan"} | {f"samverkan.{c}" for c in _children(ROOT / "samverkan")}
    assert _placed(_contract("Outer layers")) == expected


def test_the_contracts_cover_every_package_of_the_repository() -> None:
    assert set(PACKAGES) == {p.parent.name for p in ROOT.glob("*/__init__.py")}
