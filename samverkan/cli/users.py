"""`samverkan user ...`: add, list, disable and enable users, and set a password."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from engine.kernel.errors import ValidationError
from samverkan.cli.common import State, emit_json, friendly, in_language


@contextmanager
def _password_said_in_language(state: State) -> Iterator[None]:
    """A refused password is explained in the deployment's language: the person choosing it reads why."""
    try:
        yield
    except ValidationError as exc:
        if exc.field != "password":
            raise
        click.echo(f"error: {in_language(str(exc), state.engine.config.language)}", err=True)
        sys.exit(1)


def register(main: click.Group) -> None:
    """Add the `user` command group to `main`."""

    @main.group()
    def user() -> None:
        """Manage users and their roles in groups."""

    @user.command("add")
    @click.argument("username")
    @click.option("--name", required=True, help="Full name.")
    @click.option("--email", required=True)
    @click.option("--role", "roles", multiple=True, help="Role key; pair each with a --group.")
    @click.option("--group", "groups", multiple=True, help="Group key for the --role at the same position.")
    @click.option("--language", type=click.Choice(["sv", "en"]))
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    @click.pass_obj
    @friendly
    def add(state: State, username: str, name: str, email: str, roles: tuple[str, ...],
            groups: tuple[str, ...], language: str | None, password_stdin: bool) -> None:
        """Create user USERNAME."""
        from engine.accounts.users import add_user

        if len(roles) != len(groups):
            raise click.UsageError("give one --group for each --role, in the same order")
        password = sys.stdin.readline().rstrip("\n") if password_stdin else None
        eng = state.engine
        with _password_said_in_language(state), eng.db.write() as session:
            add_user(session, eng.config, username, name=name, email=email, now=eng.now(),
                     roles=list(zip(roles, groups, strict=True)), password=password, language=language)
        click.echo(f"User {username} added.")

    @user.command("password")
    @click.argument("username")
    @click.option("--password-stdin", is_flag=True, help="Read the new password from standard input "
                                                         "(else it is asked for twice, not shown).")
    @click.pass_obj
    @friendly
    def password(state: State, username: str, password_stdin: bool) -> None:
        """Set a new password for USERNAME (ends their sessions), e.g. when they forgot it."""
        from engine.accounts.users import set_password

        new = (sys.stdin.readline().rstrip("\n") if password_stdin else
               click.prompt("New password", hide_input=True, confirmation_prompt=True))
        with _password_said_in_language(state), state.engine.db.write() as session:
            set_password(session, username, new)
        click.echo(f"Password of {username} changed; their sessions have ended.")

    @user.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def list_(state: State, as_json: bool) -> None:
        """List users with their groups and roles."""
        from engine.accounts.users import list_users

        with state.engine.db.read() as session:
            users = list_users(session)
        if as_json:
            emit_json([u.as_dict() for u in users])
            return
        for u in users:
            ms = ", ".join(f"{r}@{g}" for g, r in u.memberships) or "-"
            click.echo(f"{u.username:<16} {u.name:<30} {'DISABLED ' if u.disabled else ''}{ms}")

    @user.command("disable")
    @click.argument("username")
    @click.pass_obj
    @friendly
    def disable(state: State, username: str) -> None:
        """Disable USERNAME: no log-in, no actions, sessions ended."""
        from engine.accounts.users import disable_user

        with state.engine.db.write() as session:
            disable_user(session, username)
        click.echo(f"User {username} disabled.")

    @user.command("enable")
    @click.argument("username")
    @click.pass_obj
    @friendly
    def enable(state: State, username: str) -> None:
        """Enable USERNAME again after `user disable`: they log in with the password they had."""
        from engine.accounts.users import enable_user

        with state.engine.db.write() as session:
            enable_user(session, username)
        click.echo(f"User {username} enabled.")
