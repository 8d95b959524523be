"""`samverkan serve`: the web interface with a production WSGI server (waitress), beside the scheduler."""

from __future__ import annotations

import click

from samverkan.cli.common import State, friendly

DEMO_HINT = ("Demo log-ins (after `samverkan init --demo`): ordforande, polis, socialchef, fritidschef, skolchef, "
             "kanslichef, raddningschef, vaktbolag, admin; password: trygghet-i-hoor-demo")


def register(main: click.Group) -> None:
    """Add `serve` to `main`."""

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
    @click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
                  help="Worker threads of the WSGI server.")
    @click.pass_obj
    @friendly
    def serve(state: State, host: str, port: int, threads: int) -> None:
        """Serve the web interface (and start the background work) until interrupted."""
        import waitress

        from samverkan.bootstrap import freeze_startup, start_background
        from web import create_app

        eng = state.engine
        app = create_app(eng.config, engine=eng)
        background = start_background(eng)
        freeze_startup()
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"Samverkan is at http://{shown}:{port}/  (Ctrl-C stops it)")
        click.echo(DEMO_HINT)
        try:
            waitress.serve(app, host=host, port=port, threads=threads, ident="samverkan")
        finally:
            background.shutdown()
