"""Export and import: a SQLite deployment moves to PostgreSQL (or SQLite) without losing a row."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, open_case
from engine.cases.periods import sync_from_config
from engine.config.load import load_config
from engine.config.settings import Config
from engine.reporting.report import build_report, report_range
from engine.runtime.engine import Engine
from engine.store.audit import verify_chain
from engine.store.db import Database
from engine.store.models import metadata
from engine.store.transfer import TransferError, export_to, import_from
from samverkan.bootstrap import build_engine
from samverkan.cli.main import main
from tests.conftest import PERSONAS, ROOT, T0
from tests.doubles import FixedClock
from tests.integration.seeding import seed_history


def _engine_at(url: str, clock: FixedClock) -> Engine:
    return build_engine(load_config(ROOT / "config.toml", database_url=url), clock=clock)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite deployment with the seeded history and a user with a password."""
    clock = FixedClock(T0)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    src = _engine_at(url, clock)
    metadata.create_all(src.db.engine)
    with src.db.write() as s:
        sync_from_config(s, src.config, clock.now())
        for name, roles in PERSONAS.items():
            add_user(s, src.config, name, name=name.title(), email=f"{name}@example.org", now=clock.now(),
                     roles=roles, password="hemligt-lösenord" if name == "chair" else None)
    seed_history(src, clock)
    yield src
    src.db.dispose()


def _export(eng: Engine, **kw: bool) -> str:
    out = io.StringIO()
    export_to(eng.db, out, eng.now(), **kw)
    return out.getvalue()


def _without_timestamp(text: str) -> list[str]:
    lines = text.splitlines()
    header = json.loads(lines[0])
    header.pop("exported_at")
    return [json.dumps(header, sort_keys=True), *lines[1:]]


def test_round_trip_gives_an_identical_export_and_an_intact_log(source: Engine, config: Config) -> None:
    first = _export(source)
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    result = import_from(target.db, iter(first.splitlines(keepends=True)))
    assert result.counts["cases"] == 12
    assert result.counts["transition_log"] == len(first.split('"table":"transition_log"')) - 1
    second = _export(target)
    assert _without_timestamp(second) == _without_timestamp(first)
    with target.db.read() as s:
        assert verify_chain(s).ok
    for kw in ({"period": "current"}, {"year": 2027}):
        assert (build_report(target, report_range(target, **kw))  # type: ignore[arg-type]
                == build_report(source, report_range(source, **kw)))  # type: ignore[arg-type]
    assert build_report(target, report_range(target, year=2027)).by_workflow[0].opened == 4
    # Ids were kept, and new rows continue after them (PostgreSQL's sequences were reset).
    new = open_case(target, OpenRequest("action", "Efter flytten", group="socialnamnden"), "chair")
    assert new.id == 13
    target.db.dispose()


def test_export_leaves_out_secrets_unless_asked(source: Engine) -> None:
    users = [json.loads(line)["row"] for line in _export(source).splitlines()[1:]
             if json.loads(line)["table"] == "users"]
    assert users
    assert all("password_hash" not in u and "session_nonce" not in u for u in users)
    secret = [json.loads(line)["row"] for line in _export(source, with_secrets=True).splitlines()[1:]
              if json.loads(line)["table"] == "users"]
    chair = next(u for u in secret if u["username"] == "chair")
    assert chair["password_hash"]
    assert chair["password_hash"].startswith("$argon2")


def test_export_lines_follow_foreign_keys_and_primary_keys(source: Engine) -> None:
    lines = [json.loads(line) for line in _export(source).splitlines()]
    header, rows = lines[0], lines[1:]
    assert header["format"] == "samverkan-export"
    assert header["version"] == 1
    assert header["exported_at"].endswith("Z")
    order = header["tables"]
    assert order.index("agreements") < order.index("cases") < order.index("transition_log")
    positions = [order.index(r["table"]) for r in rows]
    assert positions == sorted(positions)
    case_ids = [r["row"]["id"] for r in rows if r["table"] == "cases"]
    assert case_ids == sorted(case_ids)
    opened = next(r["row"]["opened_at"] for r in rows if r["table"] == "cases")
    assert opened == "2027-02-10T09:00:00Z"


def test_import_refuses_a_database_that_is_not_empty(source: Engine, eng: Engine) -> None:
    with pytest.raises(TransferError, match="not empty"):
        import_from(eng.db, iter(_export(source).splitlines()))


def _tamper(text: str, predicate: str, old: str, new: str) -> tuple[str, int]:
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if predicate in line and old in line)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "\n".join(lines), number


@pytest.mark.parametrize(("predicate", "old", "new", "problem"), [
    ('"table":"transition_log"', '"comment":"Noted."', '"comment":"Changed."', "does not match its hash"),
    ('"table":"cases"', '"opened_at":"2027-02-10T09:00:00Z"', '"opened_at":"yesterday"', "not an ISO 8601"),
    ('"table":"users"', '"row":{', '"row":{{', "not valid JSON"),
    ('"table":"cases"', '"title":', '"colour":', "no column 'colour'"),
])
def test_a_tampered_or_invalid_line_is_named_and_nothing_is_imported(
        source: Engine, config: Config, predicate: str, old: str, new: str, problem: str) -> None:
    text, number = _tamper(_export(source), predicate, old, new)
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError) as err:
        import_from(target.db, iter(text.splitlines()))
    assert str(err.value).startswith(f"line {number}: ")
    assert problem in str(err.value)
    with target.db.read() as s:
        assert verify_chain(s).cases == 0, "a refused import left rows behind"
    target.db.dispose()


def test_a_file_that_is_not_an_export_is_refused_on_line_1(config: Config) -> None:
    db = Database(config.database_url)
    with pytest.raises(TransferError, match="^line 1: not a samverkan export header"):
        import_from(db, iter(['{"hello": 1}\n']))
    db.dispose()


def _config_file(tmp_path: Path, url: str) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///var/samverkan.db"', f'url = "{url}"')
    text = text.replace('workflows_dir = "workflows"', f'workflows_dir = "{ROOT / "workflows"}"')
    path = tmp_path / f"config-{abs(hash(url))}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_export_then_import_into_a_new_database_passes_the_audit(source: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    src_cfg = _config_file(tmp_path, str(source.db.url))
    dump = tmp_path / "dump.jsonl"
    done = runner.invoke(main, ["--config", str(src_cfg), "export", "-o", str(dump)])
    assert done.exit_code == 0, done.output
    dst_cfg = _config_file(tmp_path, f"sqlite:///{tmp_path / 'target.db'}")
    done = runner.invoke(main, ["--config", str(dst_cfg), "import", str(dump)])
    assert done.exit_code == 0, done.output
    assert "Imported" in done.output
    done = runner.invoke(main, ["--config", str(dst_cfg), "audit", "verify"])
    assert done.exit_code == 0
    assert "Audit OK: 12 case(s)" in done.output
    again = runner.invoke(main, ["--config", str(dst_cfg), "import", str(dump)])
    assert again.exit_code == 1
    assert "not empty" in again.output
    assert "Traceback" not in again.output


def test_a_truncated_file_is_refused(source: Engine, config: Config) -> None:
    lines = _export(source).splitlines()
    db = Database(config.database_url)
    with pytest.raises(TransferError, match="header announces"):
        import_from(db, iter(lines[:-3]))
    db.dispose()
