"""`samverkan audit verify`: check the hash chain of every case's log."""

from __future__ import annotations

import sys

import click

from samverkan.cli.common import State, friendly


def register(main: click.Group) -> None:
    """Add the `audit` command group to `main`."""

    @main.group()
    def audit() -> None:
        """Check the transition log."""

    @audit.command("verify")
    @click.pass_obj
    @friendly
    def verify(state: State) -> None:
        """Exit 0 if every case's chain is intact, else 1 naming the first broken case and seq."""
        from engine.store.audit import verify_chain

        with state.engine.db.read() as session:
            result = verify_chain(session)
        if result.ok:
            click.echo(f"Audit OK: {result.cases} case(s), {result.rows} log row(s), every chain intact.")
            return
        click.echo(f"Audit FAILED: case {result.case_id} seq {result.seq}: {result.problem}.", err=True)
        sys.exit(1)
