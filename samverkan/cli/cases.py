"""`samverkan case ...`: open, fire, assign, comment on, attach files to, show and list cases."""

from __future__ import annotations

import datetime as dt

import click

from engine.cases.views import CaseView
from samverkan.cli.common import State, emit_json, friendly, parse_time


def _print_case(view: CaseView) -> None:
    click.echo(f"#{view['id']} [{view['workflow']}] {view['title']}")
    click.echo(f"  state: {view['state']} (version {view['version']})   group: {view['group']}   "
               f"assignee: {view['assignee'] or '-'}")
    if view.get("due_at"):
        click.echo(f"  due: {view['due_at']}{'  OVERDUE' if view.get('overdue') else ''}")
    if view.get("waiting_for"):
        click.echo(f"  waiting for: {', '.join(w['label']['en'] for w in view['waiting_for'])}")
    if "allowed_triggers" in view:
        click.echo(f"  you may: {', '.join(view['allowed_triggers']) or '-'}")
    for a in view.get("attachments", []):
        click.echo(f"  file {a['id']}: {a['name']} ({a['size']} B, {a['media_type']}) by {a['uploaded_by']} "
                   f"{a['uploaded_at']}")
    for h in view.get("history", []):
        comment = f" — {h['comment']}" if h["comment"] else ""
        click.echo(f"  {h['seq']:>3} {h['at']} {h['actor']}: {h['trigger']} "
                   f"{h['from'] or '∅'} → {h['to']}{comment}")


def register(main: click.Group) -> None:
    """Add the `case` command group to `main`."""

    @main.group()
    def case() -> None:
        """Open, act on and inspect cases."""

    _register_files(case)

    @case.command("open")
    @click.argument("workflow")
    @click.option("--title", required=True, help="Short title of the case.")
    @click.option("--as", "as_user", required=True, help="User name of who opens it.")
    @click.option("--group", help="Owning group key (default: your first group).")
    @click.option("--description", default="", help="Longer description.")
    @click.option("--focus-area", help="Focus area key (e.g. drugs, traffic).")
    @click.option("--priority", type=click.Choice(["low", "normal", "high"]), default="normal")
    @click.option("--assignee", help="User name to assign it to at once.")
    @click.option("--confidential", is_flag=True, help="Visible only to the group, the assignee and the chair.")
    @click.option("--parent", "parent_id", type=int, help="Id of the meeting or matter it arises from.")
    @click.option("--due", type=click.DateTime(["%Y-%m-%d"]),
                  help="Due date (YYYY-MM-DD), if not the workflow's default.")
    @click.option("--event-at", help="When the meeting or review takes place (ISO 8601).")
    @click.option("--json", "as_json", is_flag=True, help="Print the case as JSON.")
    @click.pass_obj
    @friendly
    def open_cmd(state: State, workflow: str, title: str, as_user: str, group: str | None,
                 description: str, focus_area: str | None, priority: str, assignee: str | None,
                 confidential: bool, parent_id: int | None, due: dt.datetime | None,
                 event_at: str | None, as_json: bool) -> None:
        """Open a case of WORKFLOW."""
        from engine.cases.commands import OpenRequest, open_case
        from engine.cases.views import get_case

        eng = state.engine
        req = OpenRequest(workflow, title, group=group, description=description,
                          focus_area=focus_area, priority=priority, assignee=assignee,
                          confidential=confidential, parent_id=parent_id,
                          due=due.date() if due else None, event_at=parse_time(event_at))
        row = open_case(eng, req, as_user)
        assert row.id is not None  # the insert gave it one
        view = get_case(eng, row.id, as_user)
        emit_json(view) if as_json else _print_case(view)

    @case.command("fire")
    @click.argument("case_id", type=int)
    @click.argument("trigger")
    @click.option("--as", "as_user", required=True, help="User name of who acts.")
    @click.option("--comment", help="Comment (required by some transitions).")
    @click.option("--expected-version", type=int, help="Refuse if the case has moved past this version.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def fire_cmd(state: State, case_id: int, trigger: str, as_user: str, comment: str | None,
                 expected_version: int | None, as_json: bool) -> None:
        """Fire TRIGGER on case CASE_ID."""
        from engine.cases.firing import fire
        from engine.cases.views import get_case

        fire(state.engine, case_id, trigger, as_user, comment=comment, expected_version=expected_version)
        view = get_case(state.engine, case_id, as_user)
        emit_json(view) if as_json else _print_case(view)

    @case.command("assign")
    @click.argument("case_id", type=int)
    @click.option("--user", help="User name to assign the case to.")
    @click.option("--group", help="Group key to hand the case to (then unassigned).")
    @click.option("--as", "as_user", required=True)
    @click.option("--expected-version", type=int)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def assign_cmd(state: State, case_id: int, user: str | None, group: str | None, as_user: str,
                   expected_version: int | None, as_json: bool) -> None:
        """Assign case CASE_ID to a user or a group."""
        from engine.cases.commands import assign
        from engine.cases.views import get_case

        if (user is None) == (group is None):
            raise click.UsageError("give exactly one of --user or --group")
        assign(state.engine, case_id, as_user, user=user, group=group, expected_version=expected_version)
        view = get_case(state.engine, case_id, as_user)
        emit_json(view) if as_json else _print_case(view)

    @case.command("claim")
    @click.argument("case_id", type=int)
    @click.option("--as", "as_user", required=True)
    @click.pass_obj
    @friendly
    def claim_cmd(state: State, case_id: int, as_user: str) -> None:
        """Take an unassigned case of your group."""
        from engine.cases.commands import claim
        from engine.cases.views import get_case

        claim(state.engine, case_id, as_user)
        _print_case(get_case(state.engine, case_id, as_user))

    @case.command("comment")
    @click.argument("case_id", type=int)
    @click.argument("text")
    @click.option("--as", "as_user", required=True)
    @click.pass_obj
    @friendly
    def comment_cmd(state: State, case_id: int, text: str, as_user: str) -> None:
        """Add a comment to case CASE_ID."""
        from engine.cases.commands import comment

        comment(state.engine, case_id, as_user, text)
        click.echo(f"Comment added to case {case_id}.")

    @case.command("show")
    @click.argument("case_id", type=int)
    @click.option("--as", "as_user", default="system", show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def show_cmd(state: State, case_id: int, as_user: str, as_json: bool) -> None:
        """Show case CASE_ID with its history."""
        from engine.cases.views import get_case

        view = get_case(state.engine, case_id, as_user)
        emit_json(view) if as_json else _print_case(view)

    @case.command("list")
    @click.option("--queue", type=click.Choice(["todo", "mine", "group", "unassigned", "overdue", "all"]),
                  default="mine", show_default=True,
                  help="todo: what waits for you in person (your cases' next step, signatures, approvals).")
    @click.option("--as", "as_user", required=True)
    @click.option("--workflow")
    @click.option("--state", "state_key")
    @click.option("--focus-area")
    @click.option("--limit", type=int, default=100, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def list_cmd(state: State, queue: str, as_user: str, workflow: str | None, state_key: str | None,
                 focus_area: str | None, limit: int, as_json: bool) -> None:
        """List the cases in a queue, soonest due first."""
        from engine.cases.queues import QueueFilter, list_queue

        rows = list_queue(state.engine, as_user, queue, limit=limit,
                          filters=QueueFilter(workflow=workflow, state=state_key, focus_area=focus_area))
        if as_json:
            emit_json(rows)
            return
        for r in rows:
            flag = " OVERDUE" if r["overdue"] else ""
            click.echo(f"#{r['id']:<6} {r['workflow']:<22} {r['state']:<20} "
                       f"due {r['due_at'] or '-':<21} {r['assignee'] or '-':<12} {r['title']}{flag}")
        click.echo(f"{len(rows)} case(s) in queue '{queue}'.")


def _register_files(group: click.Group) -> None:
    """Add `case attach` and `case detach` to the `case` group."""

    @group.command("attach")
    @click.argument("case_id", type=int)
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--as", "as_user", required=True, help="User name of who attaches them.")
    @click.option("--json", "as_json", is_flag=True, help="Print the attached files as JSON.")
    @click.pass_obj
    @friendly
    def attach_cmd(state: State, case_id: int, files: tuple[str, ...], as_user: str, as_json: bool) -> None:
        """Attach FILES to case CASE_ID (all or none; each is checked by its content and [files] limits)."""
        from contextlib import ExitStack
        from pathlib import Path

        from engine.cases.attachments import Upload, attach

        with ExitStack() as stack:
            uploads = [Upload(Path(f).name, stack.enter_context(open(f, "rb"))) for f in files]
            added = attach(state.engine, case_id, as_user, uploads)
        if as_json:
            emit_json(added)
            return
        for a in added:
            click.echo(f"Attached file {a['id']}: {a['name']} ({a['size']} B, SHA-256 {a['sha256']}).")

    @group.command("detach")
    @click.argument("case_id", type=int)
    @click.argument("file_id", type=int)
    @click.option("--as", "as_user", required=True, help="User name of who removes it.")
    @click.pass_obj
    @friendly
    def detach_cmd(state: State, case_id: int, file_id: int, as_user: str) -> None:
        """Remove file FILE_ID from case CASE_ID (logged; the bytes stay in the files folder)."""
        from engine.cases.attachments import remove

        gone = remove(state.engine, case_id, file_id, as_user)
        click.echo(f"Removed file {gone['id']} ({gone['name']}) from case {case_id}.")
