"""`samverkan token create|list|revoke`: personal API tokens for other systems."""

from __future__ import annotations

import click

from samverkan.cli.common import State, friendly


def register(main: click.Group) -> None:
    """Add the `token` command group to `main`."""

    @main.group()
    def token() -> None:
        """Personal API tokens (they act with their owner's rights)."""

    @token.command("create")
    @click.argument("username")
    @click.option("--name", default="API", show_default=True, help="What the token is for.")
    @click.pass_obj
    @friendly
    def create(state: State, username: str, name: str) -> None:
        """Make a token for USERNAME and print it once; only its hash is kept."""
        from engine.accounts.tokens import create_token

        eng = state.engine
        with eng.db.write() as session:
            info, secret = create_token(session, username, name, eng.now())
        click.echo(secret)
        click.echo(f"Token {info.id} for {username} made; copy it now, it is not shown again.", err=True)

    @token.command("list")
    @click.argument("username")
    @click.pass_obj
    @friendly
    def list_(state: State, username: str) -> None:
        """Show USERNAME's tokens (id, prefix, name, state)."""
        from engine.accounts.tokens import list_tokens

        with state.engine.db.read() as session:
            tokens = list_tokens(session, username)
        for t in tokens:
            status = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            click.echo(f"{t.id}\t{t.prefix}…\t{t.name}\t{status}")

    @token.command("revoke")
    @click.argument("token_id", type=int)
    @click.pass_obj
    @friendly
    def revoke(state: State, token_id: int) -> None:
        """Revoke token TOKEN_ID at once."""
        from engine.accounts.tokens import revoke_token

        eng = state.engine
        with eng.db.write() as session:
            info = revoke_token(session, token_id, eng.now())
        click.echo(f"Token {info.id} ({info.prefix}…) of {info.username} revoked.")
