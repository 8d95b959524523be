"""The Swedish catalogue the app loads (.mo) holds every entry of the one people edit (.po)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parent.parent.parent / "web" / "translations" / "sv" / "LC_MESSAGES"


def _entries(messages: Any) -> dict[Any, Any]:
    """id → translation; a plural entry's id and forms as tuples (the .po reads them as lists)."""
    def plain(value: Any) -> Any:
        return tuple(value) if isinstance(value, list | tuple) else value
    return {plain(m.id): plain(m.string) for m in messages if m.id}


def test_the_compiled_swedish_catalogue_matches_the_edited_one() -> None:
    with (CATALOGUE / "messages.po").open("rb") as f:
        edited = _entries(read_po(f))
    with (CATALOGUE / "messages.mo").open("rb") as f:
        compiled = _entries(read_mo(f))
    missing = {str(k) for k, v in edited.items() if v and compiled.get(k) != v}
    assert not missing, f"run `.venv/bin/pybabel compile -d web/translations`; not compiled: {sorted(missing)[:5]}"
    assert all(v and all(v) for v in edited.values()), "every Swedish entry has a translation"


def test_every_string_the_interface_shows_has_a_swedish_translation(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = CATALOGUE.parent.parent.parent.parent
    pot = tmp_path / "messages.pot"
    pybabel = str(Path(sys.executable).parent / "pybabel")  # the same extraction as `make translations`
    subprocess.run([pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   check=True, cwd=root, capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (CATALOGUE / "messages.po").open("rb") as f:
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id and m.string}
    assert sorted(wanted - translated) == []
