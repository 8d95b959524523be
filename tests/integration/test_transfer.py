"""Export and import: a SQLite deployment moves to PostgreSQL (or SQLite) without losing a row."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, open_case
from engine.cases.firing import fire
from engine.cases.periods import sync_from_config
from engine.config.load import load_config
from engine.config.settings import Config
from engine.reporting.report import build_report, report_range
from engine.runtime.engine import Engine
from engine.store.audit import verify_chain
from engine.store.audit_keys import ENV, AuditKeys, key_id
from engine.store.db import Database
from engine.store.models import Notice, metadata
from engine.store.transfer import ImportResult, TransferError, export_to, import_from
from engine.workflow.import_references import StoredReferences
from samverkan.bootstrap import build_engine
from samverkan.cli.main import main
from tests.conftest import PERSONAS, ROOT, T0
from tests.doubles import FixedClock
from tests.integration.forgery import HOW, forge
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


def _import(target: Engine, text: str, **kw: bool) -> ImportResult:
    """Import `text` into `target` as `samverkan import` does: keys and references of `target`."""
    references = StoredReferences(target.config.role_keys, target.config.focus_area_keys)
    return import_from(target.db, iter(text.splitlines(keepends=True)), target.audit_keys, check_row=references,
                       **kw)


def _assert_nothing_imported(target: Engine) -> None:
    with target.db.read() as s:
        counts = [s.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables]
    assert not any(counts), "a refused import left rows behind"


def _without_timestamp(text: str) -> list[str]:
    lines = text.splitlines()
    header = json.loads(lines[0])
    header.pop("exported_at")
    return [json.dumps(header, sort_keys=True), *lines[1:]]


def test_round_trip_gives_an_identical_export_and_an_intact_log(source: Engine, config: Config) -> None:
    first = _export(source)
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    result = _import(target, first)
    assert result.counts["cases"] == 12
    assert result.counts["transition_log"] == len(first.split('"table":"transition_log"')) - 1
    second = _export(target)
    assert _without_timestamp(second) == _without_timestamp(first)
    with target.db.read() as s:
        assert verify_chain(s, target.audit_keys).ok
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
    assert header["version"] == 3
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
        _import(eng, _export(source))


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
        _import(target, text)
    assert str(err.value).startswith(f"line {number}: ")
    assert problem in str(err.value)
    _assert_nothing_imported(target)
    target.db.dispose()


def test_a_file_that_is_not_an_export_is_refused_on_line_1(config: Config) -> None:
    db = Database(config.database_url)
    with pytest.raises(TransferError, match="^line 1: not a samverkan export header"):
        import_from(db, iter(['{"hello": 1}\n']), AuditKeys([b"k" * 32], "test"))
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
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError, match="header announces"):
        _import(target, "\n".join(lines[:-3]))
    target.db.dispose()


def _with_notice_and_secret_case(source: Engine) -> int:
    """Add a confidential case and an outbox notice to `source`; the case's id."""
    case = open_case(source, OpenRequest("acute_matter", "Våld i hemmet", group="polisen", confidential=True),
                     "police")
    assert case.id is not None
    with source.db.write() as s:
        s.add(Notice(idempotency_key="n1", kind="opened", case_id=case.id, recipient_id=1, created_at=T0,
                     payload={"title": "Våld i hemmet"}))
    return case.id


def _edit(text: str, table: str, match: dict[str, object], **changes: object) -> tuple[str, int]:
    """`text` with the first row of `table` matching `match` changed; and that row's line number."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        item = json.loads(line)
        if item.get("table") == table and all(item["row"].get(k) == v for k, v in match.items()):
            item["row"].update(changes)
            lines[number - 1] = json.dumps(item, ensure_ascii=False)
            return "\n".join(lines), number
    raise AssertionError(f"no {table} row {match}")


# The values that imported "OK" and then broke `case show`/`case fire`, or the import itself (issue 12, item 7).
BAD_VALUES = [
    ("cases", "version", "abc", "cases.version is 'abc', not a whole number"),
    ("cases", "data", "notjson", "cases.data is 'notjson', not a JSON object {...}"),
    ("cases", "data", [1, 2], "cases.data is [1, 2], not a JSON object {...}"),
    ("cases", "workflow", "nope", "cases.workflow is 'nope' (version "),
    ("notices", "payload", 5, "notices.payload is 5, not a JSON object {...}"),
    ("cases", "title", "x" * 10_000_000, "cases.title is 10000000 characters long; at most 200 fit"),
    ("cases", "version", 2 ** 70, "cases.version is 1180591620717411303424, outside the range a 32-bit column"),
    ("cases", "confidential", "yes", "cases.confidential is 'yes', not true or false"),
    # And their kin: each kind of check once.
    ("cases", "state", "nowhere", "cases.state is 'nowhere', not a state of acute_matter"),
    ("cases", "parent_id", 999, "cases.parent_id is 999, but no cases row with id 999 comes before it"),
    ("cases", "focus_area", "weather", "cases.focus_area is 'weather', not a focus area"),
    ("cases", "opened_at", "0001-01-01T00:00:00+05:00", "cases.opened_at is '0001-01-01T00:00:00+05:00', not an"),
    ("cases", "description", "a\x00b", "cases.description holds a NUL character"),
    ("cases", "group_id", None, "cases.group_id is empty but is required"),
    ("cases", "priority", "urgent", "cases.priority is 'urgent', not one of low, normal, high"),
    ("transition_log", "to_state", "nowhere", "transition_log.to_state is 'nowhere', not a state of acute_matter"),
    ("transition_log", "trigger", "explode", "transition_log.trigger is 'explode', not a trigger of acute_matter"),
    ("transition_log", "seq", 1.5, "transition_log.seq is 1.5, not a whole number"),
]


@pytest.mark.parametrize(("table", "column", "value", "problem"), BAD_VALUES,
                         ids=[f"{t}.{c}={str(v)[:12]}" for t, c, v, _ in BAD_VALUES])
def test_a_value_of_the_wrong_type_size_or_reference_is_refused_naming_line_and_field(
        source: Engine, config: Config, table: str, column: str, value: object, problem: str) -> None:
    case_id = _with_notice_and_secret_case(source)
    text, number = _edit(_export(source), table, {"case_id" if table != "cases" else "id": case_id},
                         **{column: value})
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError) as err:
        _import(target, text)
    assert str(err.value).startswith(f"line {number}: {problem}")
    _assert_nothing_imported(target)
    target.db.dispose()


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda src: src.replace("[[transitions]]", "[[transitions]]\nbogus = 1", 1), "is not a valid definition here"),
    (lambda src: src + "\n# edited\n", "holds the source of action@"),
])
def test_a_stored_definition_whose_source_was_changed_is_refused(source: Engine, config: Config,
                                                                 edit: Callable[[str], str], problem: str) -> None:
    text = _export(source)
    row = next(json.loads(line)["row"] for line in text.splitlines()[1:]
               if json.loads(line)["table"] == "workflow_definitions" and json.loads(line)["row"]["key"] == "action")
    text, number = _edit(text, "workflow_definitions", {"key": "action"}, source=edit(row["source"]))
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError) as err:
        _import(target, text)
    assert str(err.value).startswith(f"line {number}: workflow_definitions")
    assert problem in str(err.value)
    target.db.dispose()


@pytest.mark.parametrize("how", HOW)
def test_a_rewritten_log_with_a_recomputed_chain_and_a_flipped_case_is_refused(
        source: Engine, config: Config, how: str) -> None:
    case_id = _with_notice_and_secret_case(source)
    fire(source, case_id, "reject", "police", comment="Polisanmälan gjord.")
    lines = [json.loads(line) for line in _export(source).splitlines()]
    log = [item["row"] for item in lines if item.get("table") == "transition_log" and item["row"]["case_id"] == case_id]
    log[-1]["comment"] = "Inget brott."
    for row in log:
        row["confidential"] = False
    forge(log, how)
    case = next(item["row"] for item in lines if item.get("table") == "cases" and item["row"]["id"] == case_id)
    case["confidential"] = False
    text = "\n".join(json.dumps(item, ensure_ascii=False) for item in lines)
    first_row = next(n for n, item in enumerate(lines, start=1) if item.get("row") is log[0])
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError) as err:
        _import(target, text)
    assert str(err.value).startswith(f"line {first_row}: case {case_id} seq 1: ")
    _assert_nothing_imported(target)
    if how == "guessed":  # a forgery under a key this deployment holds stays refused, re-sign or not
        with pytest.raises(TransferError, match=f"^line {first_row}: "):
            _import(target, text, re_sign_chains=True)
        _assert_nothing_imported(target)
    target.db.dispose()


def test_a_case_flipped_to_not_confidential_is_refused_naming_its_line(source: Engine, config: Config) -> None:
    case_id = _with_notice_and_secret_case(source)
    text, number = _edit(_export(source), "cases", {"id": case_id}, confidential=False)
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError) as err:
        _import(target, text)
    assert str(err.value).startswith(f"line {number}: case {case_id} seq 1: the case row says confidential "
                                     "False where its log says True")
    target.db.dispose()


def test_another_deployments_file_is_refused_unless_re_signed_and_then_says_so(
        source: Engine, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(_export(source), encoding="utf-8")
    theirs = source.audit_keys.current
    monkeypatch.setenv(ENV, "77" * 32)  # the target deployment holds another key
    cfg = _config_file(tmp_path, config.database_url)
    runner = CliRunner()
    refused = runner.invoke(main, ["--config", str(cfg), "import", str(dump)])
    assert refused.exit_code == 1
    assert f"is signed with key {theirs}, which this deployment does not hold" in refused.output
    assert "Nothing was imported" in refused.output
    done = runner.invoke(main, ["--config", str(cfg), "import", "--re-sign", str(dump)])
    assert done.exit_code == 0, done.output
    ours = key_id(bytes.fromhex("77" * 32))
    assert f"with key {ours}" in done.output
    assert f"Rows signed with key(s) {theirs}, which this deployment does not hold, were taken on trust" \
        in done.output
    verified = runner.invoke(main, ["--config", str(cfg), "audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_a_version_1_file_with_its_unkeyed_chain_imports_only_re_signed(source: Engine, config: Config) -> None:
    lines = [json.loads(line) for line in _export(source).splitlines()]
    lines[0]["version"] = 1
    chains: dict[int, list[dict[str, object]]] = {}
    for item in lines[1:]:
        if item["table"] == "transition_log":
            for name in ("key_id", "assignee_id", "group_id", "confidential"):
                item["row"].pop(name)
            chains.setdefault(item["row"]["case_id"], []).append(item["row"])
    for chain in chains.values():
        forge(chain, "unkeyed")  # SHA-256 without a key, as version 1 wrote it
        for row in chain:
            del row["key_id"]
    text = "\n".join(json.dumps(item, ensure_ascii=False) for item in lines)
    target = _engine_at(config.database_url, source.clock)  # type: ignore[arg-type]
    with pytest.raises(TransferError, match="before the log was signed with a key"):
        _import(target, text)
    result = _import(target, text, re_sign_chains=True)
    assert result.audit is not None
    assert result.audit.unchecked == frozenset({"none"})
    with target.db.read() as s:
        assert verify_chain(s, target.audit_keys).ok
    target.db.dispose()
