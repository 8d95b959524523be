"""`samverkan export` and `samverkan import`: move all data between databases of either kind."""

from __future__ import annotations

import click

from samverkan.cli.common import State, friendly


def _prepare_schema(state: State) -> None:
    """Create the schema on a brand-new database; leave an existing one to the emptiness check."""
    from engine.store.schema import upgrade_if_ours

    upgrade_if_ours(state.engine.db)


def register(main: click.Group) -> None:
    """Add `export` and `import` to `main`."""

    @main.command("export")
    @click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
                  help="File to write (JSON lines); '-' for standard output.")
    @click.option("--with-secrets", is_flag=True,
                  help="Include password hashes and session nonces (keep such a file safe).")
    @click.pass_obj
    @friendly
    def export_cmd(state: State, output: str, with_secrets: bool) -> None:
        """Write every table as versioned JSON lines."""
        from engine.store.transfer import export_to

        eng = state.engine
        with click.open_file(output, "w", encoding="utf-8") as out:
            counts = export_to(eng.db, out, eng.now(), with_secrets=with_secrets)
        if output != "-":
            click.echo(f"Exported {sum(counts.values())} row(s) from {len(counts)} table(s) to {output}.", err=True)

    @main.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--re-sign", "re_sign", is_flag=True,
                  help="Accept log rows signed with keys this deployment does not hold (another deployment's), "
                       "after checking all else, and sign them with this deployment's key.")
    @click.pass_obj
    @friendly
    def import_cmd(state: State, file: str, re_sign: bool) -> None:
        """Load an export into an empty database (created if needed), keeping ids; every chain is verified first."""
        from engine.store.transfer import import_from
        from engine.workflow.import_references import StoredReferences
        from samverkan.cli.audit import re_signed_message

        eng = state.engine
        _prepare_schema(state)
        references = StoredReferences(eng.config.role_keys, eng.config.focus_area_keys)
        with open(file, encoding="utf-8") as lines:
            result = import_from(eng.db, iter(lines), eng.audit_keys, re_sign_chains=re_sign, check_row=references)
        click.echo(f"Imported {result.rows} row(s) into {len(result.counts)} table(s).")
        assert result.audit is not None
        if re_sign:
            click.echo(re_signed_message(result.audit.cases, result.audit.rows, eng.audit_keys.current,
                                         result.audit.unchecked))
        else:
            click.echo(f"Every chain verified: {result.audit.cases} case(s), {result.audit.rows} log row(s).")
