"""`samverkan search`: look after the full-text index that the search box and `case search` use."""

from __future__ import annotations

import click

from samverkan.cli.common import State, friendly


def register(main: click.Group) -> None:
    """Add the `search` command group to `main`."""

    @main.group()
    def search() -> None:
        """The full-text index of cases (kept in step on every change; rebuilt here)."""

    @search.command("rebuild")
    @click.pass_obj
    @friendly
    def rebuild(state: State) -> None:
        """Write every case's search document anew (after a repair by hand, or for an index made before)."""
        from engine.store import search_index

        with state.engine.db.write() as session:
            n = search_index.rebuild(session)
        click.echo(f"Search index rebuilt: {n} case(s).")
