"""`samverkan audit`: verify the signed chain of every case's log, rotate the signing key, re-sign."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from samverkan.cli.common import State, friendly

if TYPE_CHECKING:
    from sqlmodel import Session

    from engine.store.audit import AuditResult
    from engine.store.audit_keys import AuditKeys


def _checked(state: State, check: Callable[[Session, AuditKeys], AuditResult], *, write: bool) -> AuditResult:
    """The result of `check` on the database with the deployment's keys; exit 1 naming the first problem."""
    eng = state.engine
    with eng.db.write() if write else eng.db.read() as session:
        result = check(session, eng.audit_keys)
    if not result.ok:
        click.echo(f"Audit FAILED: case {result.case_id} seq {result.seq}: {result.problem}.", err=True)
        sys.exit(1)
    return result


def register(main: click.Group) -> None:
    """Add the `audit` command group to `main`."""

    @main.group()
    def audit() -> None:
        """Check the transition log and manage the keys that sign it."""

    @audit.command("verify")
    @click.pass_obj
    @friendly
    def verify(state: State) -> None:
        """Exit 0 if every case's chain is intact and agrees with its case, and every attached file is there
        with the hash its log row records; else 1 naming the first problem."""
        from engine.store.audit import verify_chain
        from engine.store.file_audit import verify_files
        from engine.store.files import FileStore

        result = _checked(state, verify_chain, write=False)
        with state.engine.db.read() as session:
            files = verify_files(session, FileStore(state.config.files.dir))
        if not files.ok:
            click.echo(f"Audit FAILED: {files.describe()}.", err=True)
            sys.exit(1)
        click.echo(f"Audit OK: {result.cases} case(s), {result.rows} log row(s), every chain intact; "
                   f"{files.files} attached file(s), each as attached.")

    @audit.command("rotate-key")
    @click.pass_obj
    @friendly
    def rotate_key(state: State) -> None:
        """Add a new signing key to var/audit_keys; older keys stay to verify the rows they signed."""
        from engine.store.audit_keys import key_file, rotate

        path = key_file(state.config.path)
        kid = rotate(state.config.path, state.engine.now())
        click.echo(f"New audit key {kid} added to {path}; it signs new log rows once every samverkan process "
                   "has been restarted. Back the file up: without its keys no log row can be verified.")

    @audit.command("re-sign")
    @click.pass_obj
    @friendly
    def re_sign_cmd(state: State) -> None:
        """Check each chain as far as possible, then sign every row with the current key (after an upgrade)."""
        from engine.store.audit import re_sign

        result = _checked(state, re_sign, write=True)
        click.echo(re_signed_message(result.cases, result.rows, state.engine.audit_keys.current, result.unchecked))


def re_signed_message(cases: int, rows: int, key: str, unchecked: frozenset[str]) -> str:
    """What re-signing did, and what it took on trust."""
    text = f"Re-signed {rows} log row(s) of {cases} case(s) with key {key}."
    if "none" in unchecked:
        text += (" Rows from before the log was keyed matched their old hashes, which anyone could have "
                 "recomputed: they were taken on trust.")
    foreign = sorted(unchecked - {"none"})
    if foreign:
        text += (f" Rows signed with key(s) {', '.join(foreign)}, which this deployment does not hold, "
                 "were taken on trust: their signatures could not be checked.")
    return text
