"""Files on cases, on SQLite and PostgreSQL: kept by hash, logged in the signed chain, held to it by the audit,
refused by content and size, hidden with their case, removed without losing a byte, carried by export/import."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.cases.attachments import Upload, attach, fetch, list_files, remove
from engine.cases.views import get_case
from engine.config.settings import FilesConfig
from engine.kernel.errors import Forbidden, NotFound, ValidationError
from engine.runtime.engine import Engine
from engine.store.audit import verify_chain
from engine.store.file_audit import verify_files
from engine.store.files import FileStore
from engine.store.models import metadata
from engine.store.transfer import FileSource, TransferError, export_to, import_from
from engine.workflow.import_references import StoredReferences
from samverkan.bootstrap import build_engine
from tests.doubles import FixedClock
from tests.support import run_cli, write_config

MINUTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Protokoll trygghetsgruppen\n%%EOF\n"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("program.exe", b"MZ")
    return buf.getvalue()


def _pdf(name: str = "protokoll.pdf", content: bytes = MINUTES) -> Upload:
    return Upload(name, io.BytesIO(content))


def _files_ok(eng: Engine) -> tuple[bool, str | None]:
    with eng.db.read() as s:
        chain = verify_chain(s, eng.audit_keys)
        files = verify_files(s, FileStore(eng.config.files.dir))
    assert chain.ok, chain
    return files.ok, files.problem


def test_an_attached_file_comes_back_byte_identical_and_its_hash_is_in_the_signed_log(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case(title="Trygghetsgruppens möte")
    scan = b"%PDF-1.7\n" + bytes(range(256)) * 40  # a PDF named .txt: its content decides
    added = attach(eng, case_id, "member", [_pdf(), _pdf("bilaga.txt", scan)])
    got = fetch(eng, case_id, added[0]["id"], "chair")
    assert got.path.read_bytes() == MINUTES
    assert (got.name, got.media_type, got.size) == ("protokoll.pdf", "application/pdf", len(MINUTES))
    assert added[1]["media_type"] == "application/pdf", "the content decides, not the name"

    view = get_case(eng, case_id, "chair")
    assert [(a["name"], a["size"], a["uploaded_by"]) for a in view["attachments"]] == [
        ("protokoll.pdf", len(MINUTES), "member"), ("bilaga.txt", len(scan), "member")]
    assert view["attachments"][0]["sha256"] == hashlib.sha256(MINUTES).hexdigest()
    logged = [h for h in view["history"] if h["trigger"] == "@attach"]
    assert [h["seq"] for h in logged] == [2, 3]
    assert view["version"] == 3
    assert view["attachments"][0]["sha256"] in (logged[0]["comment"] or "")
    assert _files_ok(eng) == (True, None)


def test_the_same_file_twice_is_kept_once(eng: Engine, open_case: Callable[..., int]) -> None:
    first, second = open_case(), open_case()
    attach(eng, first, "chair", [_pdf()])
    attach(eng, second, "chair", [_pdf("kopia.pdf")])
    kept = [p for p in Path(eng.config.files.dir).rglob("*") if p.is_file()]
    assert len(kept) == 1


def _limited(eng: Engine, **limits: object) -> Engine:
    eng.config = dataclasses.replace(eng.config, files=dataclasses.replace(eng.config.files, **limits))
    return eng


@pytest.mark.parametrize(("name", "content", "limits", "code", "says"), [
    ("stor.pdf", MINUTES + b"x" * 2**20, {"max_bytes": 2**20}, "file_too_large", "larger than 1 MB"),
    ("tom.pdf", b"", {}, "file_empty", "is empty"),
    ("arkiv.zip", None, {}, "file_type", "is a zip archive"),
    ("faktura.pdf", b"MZ\x90\x00" + b"\x00" * 200, {}, "file_type", "is a program"),
    ("data.bin", b"\x00\x01\x02\x03" * 100, {}, "file_type", "of a kind not recognised"),
    ("anteckning.txt", b"Klottret sanerat", {"allowed": ("pdf", "image")}, "file_type", "is text"),
])
def test_a_refused_file_says_why_and_nothing_is_attached(
        eng: Engine, open_case: Callable[..., int], name: str, content: bytes | None, limits: dict[str, object],
        code: str, says: str) -> None:
    content = _zip() if content is None else content
    case_id = open_case()
    _limited(eng, **limits)
    with pytest.raises(ValidationError) as refused:
        attach(eng, case_id, "chair", [_pdf("ok.pdf"), Upload(name, io.BytesIO(content))])
    assert refused.value.code == code
    assert refused.value.params["name"] == name
    assert says in str(refused.value)
    assert name in str(refused.value)
    view = get_case(eng, case_id, "chair")
    assert (view["attachments"], view["version"]) == ([], 1), "all or none"
    assert [p for p in Path(eng.config.files.dir).rglob("*") if p.is_file()] == [], "no bytes left behind"


def test_a_confidential_cases_files_are_hidden_from_outsiders(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case(group="polisen", as_user="police", confidential=True, title="Hot mot vittne")
    [file] = attach(eng, case_id, "police", [_pdf()])
    for call in (lambda: fetch(eng, case_id, file["id"], "outsider"),
                 lambda: list_files(eng, case_id, "outsider"),
                 lambda: attach(eng, case_id, "outsider", [_pdf()]),
                 lambda: remove(eng, case_id, file["id"], "outsider")):
        with pytest.raises(NotFound):
            call()
    assert fetch(eng, case_id, file["id"], "chair").path.read_bytes() == MINUTES
    with pytest.raises(NotFound):  # a file id of another case is not this case's
        fetch(eng, open_case(), file["id"], "chair")


def test_removal_is_logged_and_keeps_the_bytes(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case(group="trygghetsgruppen")
    [file] = attach(eng, case_id, "security", [_pdf()])
    with pytest.raises(Forbidden):
        remove(eng, case_id, file["id"], "official")  # neither its uploader nor of the owning group
    assert list_files(eng, case_id, "official")[0]["removable"] is False
    remove(eng, case_id, file["id"], "security")
    view = get_case(eng, case_id, "chair")
    assert view["attachments"] == []
    assert [h["trigger"] for h in view["history"]] == ["@open", "@attach", "@detach"]
    assert "protokoll.pdf" in (view["history"][-1]["comment"] or "")
    with pytest.raises(NotFound):
        fetch(eng, case_id, file["id"], "security")
    assert FileStore(eng.config.files.dir).path(file["sha256"]).read_bytes() == MINUTES
    assert _files_ok(eng) == (True, None)


def _tamper(eng: Engine, sql: str, **params: object) -> None:
    with eng.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_audit_finds_a_changed_or_lost_file_and_a_renamed_row(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case()
    [file] = attach(eng, case_id, "chair", [_pdf()])
    kept = FileStore(eng.config.files.dir).path(file["sha256"])
    _tamper(eng, "UPDATE attachments SET name = 'annat.pdf' WHERE id = :i", i=file["id"])
    ok, problem = _files_ok(eng)
    assert not ok
    assert "name, size or hash was changed" in (problem or "")
    _tamper(eng, "UPDATE attachments SET name = 'protokoll.pdf' WHERE id = :i", i=file["id"])
    os.chmod(kept, 0o644)
    kept.write_bytes(MINUTES.replace(b"Protokoll", b"Protokol!"))
    ok, problem = _files_ok(eng)
    assert not ok
    assert "has changed on disk" in (problem or "")
    kept.unlink()
    ok, problem = _files_ok(eng)
    assert not ok
    assert "is missing" in (problem or "")


@pytest.mark.slow
def test_cli_attach_show_and_audit_verify_report_a_tampered_file(eng: Engine, open_case: Callable[..., int],
                                                                tmp_path: Path) -> None:
    config = write_config(tmp_path, eng.db.url)
    minutes = tmp_path / "Protokoll 2027-02-09.pdf"
    minutes.write_bytes(MINUTES)
    case_id = open_case()
    attached = run_cli(config, "case", "attach", str(case_id), str(minutes), "--as", "member", check=True)
    assert "Attached file 1: Protokoll 2027-02-09.pdf" in attached.stdout
    shown = json.loads(run_cli(config, "case", "show", str(case_id), "--as", "member", "--json", check=True).stdout)
    [listed] = shown["attachments"]
    assert {"id", "name", "size", "sha256", "uploaded_by", "uploaded_at"} <= set(listed)
    assert (listed["name"], listed["size"], listed["uploaded_by"]) == (minutes.name, len(MINUTES), "member")
    assert "1 attached file(s), each as attached" in run_cli(config, "audit", "verify", check=True).stdout

    kept = tmp_path / "var" / "files" / listed["sha256"][:2] / listed["sha256"]
    os.chmod(kept, 0o644)
    kept.write_bytes(MINUTES + b"tillagt i efterhand")
    bad = run_cli(config, "audit", "verify")
    assert bad.returncode == 1
    assert bad.stderr.startswith(f"Audit FAILED: case {case_id} seq 2: file 1 “{minutes.name}” has changed on disk")

    archive = tmp_path / "arkiv.zip"
    archive.write_bytes(_zip())
    refused = run_cli(config, "case", "attach", str(case_id), str(archive), "--as", "member")
    assert refused.returncode == 1
    assert "error: “arkiv.zip” is a zip archive, which cannot be attached" in refused.stderr
    assert run_cli(config, "case", "attach", str(case_id), str(tmp_path / "saknas.pdf"), "--as", "member"
                   ).returncode == 2


def _empty_target(tmp_path: Path, eng: Engine) -> Engine:
    url = f"sqlite:///{tmp_path / 'target.db'}"
    config = dataclasses.replace(eng.config, database_url=url, files=FilesConfig(dir=tmp_path / "target-files"))
    target = build_engine(config, clock=FixedClock(eng.now()))
    metadata.create_all(target.db.engine)
    return target


def test_export_carries_the_files_and_import_checks_their_hashes(eng: Engine, open_case: Callable[..., int],
                                                                 tmp_path: Path) -> None:
    case_id = open_case()
    [file] = attach(eng, case_id, "chair", [_pdf()])
    out = io.StringIO()
    export_to(eng.db, out, eng.now())
    folder = tmp_path / "exported-files"
    FileStore(eng.config.files.dir).export_to(folder, {file["sha256"]})
    copied = FileStore(folder).path(file["sha256"])

    def load(target: Engine) -> None:
        import_from(target.db, iter(out.getvalue().splitlines(keepends=True)), target.audit_keys,
                    check_row=StoredReferences(target.config.role_keys, target.config.focus_area_keys),
                    files=FileSource(FileStore(target.config.files.dir), FileStore(folder)))

    os.chmod(copied, 0o644)
    copied.write_bytes(MINUTES[:-1])
    target = _empty_target(tmp_path / "a", eng)
    with pytest.raises(TransferError, match="does not match its hash"):
        load(target)
    copied.unlink()
    with pytest.raises(TransferError, match=f"case {case_id} seq 2: file {file['id']} “protokoll.pdf” is missing"):
        load(target)
    FileStore(eng.config.files.dir).export_to(folder, {file["sha256"]})
    load(target)
    assert fetch(target, case_id, file["id"], "chair").path.read_bytes() == MINUTES
    target.db.dispose()
