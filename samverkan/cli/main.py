"""The `samverkan` command line: the root group, `init`, and every command group registered on it."""

from __future__ import annotations

import click

from samverkan.cli import (
    audit,
    cases,
    cluster,
    notifications,
    report,
    schedule,
    serve,
    tokens,
    transfer,
    users,
    workflows,
)
from samverkan.cli.common import State, friendly


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="SAMVERKAN_CONFIG",
              help="Deployment file (default ./config.toml, or $SAMVERKAN_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Samverkan: follow up the cooperation agreement between the Police and the municipality."""
    ctx.obj = State(config_path)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@click.option("--demo", is_flag=True, help="Also add demo role accounts and cases (printed password).")
@click.option("--create-database", is_flag=True, help="Create the PostgreSQL database first if it is missing.")
@click.pass_obj
@friendly
def init(state: State, demo: bool, create_database: bool) -> None:
    """Create or upgrade the database and load groups and the agreement from the config."""
    from engine.cases.periods import sync_from_config
    from engine.cases.waiting import backfill
    from engine.store.schema import ensure_database, upgrade
    from samverkan.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    if create_database and ensure_database(state.config.database_url):
        click.echo("Database created.")
    eng = state.engine
    upgrade(eng.db)
    now = eng.now()
    with eng.db.write() as session:
        sync_from_config(session, eng.config, now)
        for definition in eng.registry.current.values():
            eng.registry.store(session, definition, now)
        filled = backfill(eng, session)
    if filled:
        click.echo(f"Whom each case waits for: worked out for {filled} open case(s) from before.")
    click.echo(f"Database ready: {eng.db.engine.url.render_as_string(hide_password=True)}")
    if demo:
        added = load_demo(eng, now)
        click.echo("Demo data added." if added else "Demo data already present.")
        click.echo(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for username, name, _ in DEMO_USERS:
            click.echo(f"  {username:<14} {name}")


for _module in (cases, users, workflows, audit, schedule, serve, cluster, notifications, transfer, report, tokens):
    _module.register(main)


def run() -> None:
    """Entry point used by tests that need the exit code."""
    main(standalone_mode=True)


