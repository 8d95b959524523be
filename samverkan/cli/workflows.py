"""`samverkan workflows ...`: check and show workflow definitions."""

from __future__ import annotations

from pathlib import Path

import click

from samverkan.cli.common import State, friendly


def register(main: click.Group) -> None:
    """Add the `workflows` command group to `main`."""

    @main.group()
    def workflows() -> None:
        """Check and show the workflow definitions."""

    @workflows.command("check")
    @click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
    @click.pass_obj
    @friendly
    def check(state: State, files: tuple[Path, ...]) -> None:
        """Validate FILES (default: every workflow of the config); one line per problem."""
        from engine.config.load import load_config
        from engine.workflow.definition import load_definitions
        from engine.workflow.registry import workflow_files

        config = load_config(state.config_path)
        paths = list(files) or workflow_files(config.workflows_dir, str(config.path))
        found = load_definitions(paths, config.role_keys)
        for d in found.values():
            click.echo(f"ok  {d.path}  ({d.key} version {d.version})")

    @workflows.command("show")
    @click.argument("key")
    @click.option("--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text", show_default=True)
    @click.pass_obj
    @friendly
    def show(state: State, key: str, fmt: str) -> None:
        """Show workflow KEY as text or as a Mermaid state diagram."""
        from engine.workflow.diagram import mermaid, text

        definition = state.engine.registry.get(key)
        click.echo(mermaid(definition) if fmt == "mermaid" else text(definition, state.engine.config.language))
