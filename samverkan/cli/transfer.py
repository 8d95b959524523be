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
    @click.option("--files", "files_to", type=click.Path(file_okay=False, writable=True),
                  help="Copy every attached file into this folder too (give it to `import --files`).")
    @click.pass_obj
    @friendly
    def export_cmd(state: State, output: str, with_secrets: bool, files_to: str | None) -> None:
        """Write every table as versioned JSON lines; the attached files go to --files, or stay in [files] dir."""
        from pathlib import Path

        from engine.store.file_audit import attached_hashes
        from engine.store.files import FileStore
        from engine.store.transfer import export_to

        eng = state.engine
        with click.open_file(output, "w", encoding="utf-8") as out:
            counts = export_to(eng.db, out, eng.now(), with_secrets=with_secrets)
        with eng.db.read() as session:
            hashes = attached_hashes(session)
        if output != "-":
            click.echo(f"Exported {sum(counts.values())} row(s) from {len(counts)} table(s) to {output}.", err=True)
        if files_to is not None:
            copied = FileStore(state.config.files.dir).export_to(Path(files_to), hashes)
            click.echo(f"Copied {copied} attached file(s) to {files_to}.", err=True)
        elif hashes:
            click.echo(f"The {len(hashes)} attached file(s) are not in the export: copy the folder "
                       f"{state.config.files.dir} with it, or export with --files FOLDER.", err=True)

    @main.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--re-sign", "re_sign", is_flag=True,
                  help="Accept log rows signed with keys this deployment does not hold (another deployment's), "
                       "after checking all else, and sign them with this deployment's key.")
    @click.option("--files", "files_from", type=click.Path(exists=True, file_okay=False),
                  help="The folder `export --files` wrote (or the exporting deployment's [files] dir): each "
                       "attached file is copied from it into [files] dir, its hash checked.")
    @click.pass_obj
    @friendly
    def import_cmd(state: State, file: str, re_sign: bool, files_from: str | None) -> None:
        """Load an export into an empty database (created if needed), keeping ids; every chain is verified first."""
        from pathlib import Path

        from engine.store.files import FileStore
        from engine.store.transfer import FileSource, import_from
        from engine.workflow.import_references import StoredReferences
        from samverkan.cli.audit import re_signed_message

        eng = state.engine
        _prepare_schema(state)
        references = StoredReferences(eng.config.role_keys, eng.config.focus_area_keys)
        with open(file, encoding="utf-8") as lines:
            files = FileSource(FileStore(state.config.files.dir), FileStore(Path(files_from)) if files_from else None)
            result = import_from(eng.db, iter(lines), eng.audit_keys, re_sign_chains=re_sign, check_row=references,
                                 files=files)
        click.echo(f"Imported {result.rows} row(s) into {len(result.counts)} table(s).")
        assert result.audit is not None
        if re_sign:
            click.echo(re_signed_message(result.audit.cases, result.audit.rows, eng.audit_keys.current,
                                         result.audit.unchecked))
        else:
            click.echo(f"Every chain verified: {result.audit.cases} case(s), {result.audit.rows} log row(s).")
        if result.files:
            click.echo(f"{result.files} attached file(s), each with the hash its log row records.")
