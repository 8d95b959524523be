"""`samverkan workflows ...`: check and show workflow definitions."""

from __future__ import annotations

import sys
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
    @click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot", "svg"]), default="text",
                  show_default=True, help="dot: Graphviz source; svg: laid out by Graphviz's `dot`.")
    @click.pass_obj
    @friendly
    def show(state: State, key: str, fmt: str) -> None:
        """Show workflow KEY as text, a Mermaid state diagram, Graphviz DOT source or an SVG drawing."""
        from engine.workflow.diagram import dot, mermaid, text

        definition = state.engine.registry.get(key)
        language = state.engine.config.language
        if fmt == "svg":
            click.echo(_svg(dot(definition, language), definition.label.get(language)))
        elif fmt == "dot":
            click.echo(dot(definition, language), nl=False)
        else:
            click.echo(mermaid(definition) if fmt == "mermaid" else text(definition, language))


def _svg(source: str, title: str) -> str:
    """The drawing as a standalone SVG file; one clear error where Graphviz is not installed."""
    import graphviz

    from web.diagram import mark, render_svg

    try:
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + mark(render_svg(source), None, "", title)
    except graphviz.ExecutableNotFound:
        click.echo("error: Graphviz's `dot` program was not found; install Graphviz "
                   "(Debian: apt-get install graphviz), or use --format dot.", err=True)
        sys.exit(1)
