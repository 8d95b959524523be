"""The `samverkan` command as an operator runs it: a real process, a real config file, a real database.

Errors are one line on stderr with exit code 1; usage errors exit 2; never a traceback
(`run_cli` asserts that on every call).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.support import ROOT, run_cli, write_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config whose SQLite database was set up with `samverkan init --demo`."""
    folder = tmp_path_factory.mktemp("cli")
    config = write_config(folder, f"sqlite:///{folder / 'demo.db'}")
    out = run_cli(config, "init", "--demo", check=True)
    assert "Demo data added." in out.stdout
    assert "ordforande" in out.stdout
    return config


def _json(config: Path, *args: str) -> object:
    return json.loads(run_cli(config, *args, "--json", check=True).stdout)


def _one_error_line(proc: object, pattern: str) -> None:
    assert proc.returncode == 1, proc.stderr  # type: ignore[attr-defined]
    lines = proc.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert re.search(pattern, lines[0]), lines[0]


def test_user_add_list_disable_enable(demo: Path) -> None:
    added = run_cli(demo, "user", "add", "anna", "--name", "Anna Andersson", "--email", "anna@hoor.se",
                    "--role", "official", "--group", "socialnamnden", "--role", "member",
                    "--group", "trygghetsgruppen", "--password-stdin", stdin="ett-langt-losenord\n", check=True)
    assert added.stdout.strip() == "User anna added."
    users = {u["username"]: u for u in _json(demo, "user", "list")}  # type: ignore[union-attr]
    assert {"ordforande", "polis", "admin", "anna"} <= set(users)
    assert users["anna"]["memberships"] == [{"group": "socialnamnden", "role": "official"},
                                            {"group": "trygghetsgruppen", "role": "member"}]
    assert users["anna"]["disabled"] is False

    _one_error_line(run_cli(demo, "user", "add", "anna", "--name", "A", "--email", "a@hoor.se"),
                    r"^error: User 'anna' already exists\.$")
    _one_error_line(run_cli(demo, "user", "add", "bert", "--name", "B", "--email", "b@hoor.se",
                            "--role", "mayor", "--group", "ksau"), r"Unknown role 'mayor'; choose one of")
    assert run_cli(demo, "user", "disable", "anna", check=True).stdout.strip() == "User anna disabled."
    users = {u["username"]: u for u in _json(demo, "user", "list")}  # type: ignore[union-attr]
    assert users["anna"]["disabled"] is True
    assert "bert" not in users, "a refused add leaves nothing behind"
    _one_error_line(run_cli(demo, "case", "open", "action", "--title", "T", "--as", "anna"),
                    r"User 'anna' is disabled")
    assert run_cli(demo, "user", "enable", "anna", check=True).stdout.strip() == "User anna enabled."
    users = {u["username"]: u for u in _json(demo, "user", "list")}  # type: ignore[union-attr]
    assert users["anna"]["disabled"] is False


def test_case_open_assign_fire_show(demo: Path) -> None:
    opened = _json(demo, "case", "open", "action", "--title", "Föräldraträff om narkotika", "--as", "socialchef",
                   "--group", "socialnamnden", "--focus-area", "drugs")
    assert isinstance(opened, dict)
    case = str(opened["id"])
    assert {"id", "workflow", "title", "state", "version", "assignee", "group", "focus_area", "confidential",
            "due_at", "allowed_triggers", "history"} <= set(opened)
    assert (opened["workflow"], opened["state"], opened["version"], opened["group"], opened["focus_area"],
            opened["assignee"], opened["confidential"]) == (
        "action", "open", 1, "socialnamnden", "drugs", None, False)
    assert opened["due_at"].endswith("Z")

    assigned = _json(demo, "case", "assign", case, "--user", "socialchef", "--as", "socialchef")
    # Giving the open action to a person also fires its `assign` transition (on_assign in action.toml).
    assert (assigned["assignee"], assigned["state"], assigned["version"]) == (  # type: ignore[index]
        "socialchef", "assigned", 3)
    run_cli(demo, "case", "fire", case, "start", "--as", "socialchef", "--expected-version", "3", check=True)
    shown = _json(demo, "case", "show", case, "--as", "socialchef")
    assert isinstance(shown, dict)
    assert (shown["state"], shown["version"]) == ("in_progress", 4)
    assert shown["allowed_triggers"] == ["complete", "cancel"]
    assert [(h["seq"], h["trigger"], h["from"], h["to"], h["actor"]) for h in shown["history"]] == [
        (1, "@open", None, "open", "socialchef"),
        (2, "@assign", "open", "open", "socialchef"),
        (3, "assign", "open", "assigned", "socialchef"),
        (4, "start", "assigned", "in_progress", "socialchef"),
    ]
    assert set(shown["history"][0]) == {"seq", "trigger", "label", "past", "from", "to", "actor", "actor_name", "at",
                                        "comment", "assignee", "assignee_name", "group", "with_assign"}
    assert shown["history"][3]["label"] == {"sv": "Påbörja", "en": "Start"}
    assert shown["history"][3]["past"] == {"sv": "påbörjade", "en": "started"}

    text = run_cli(demo, "case", "show", case, "--as", "socialchef", check=True).stdout
    assert f"#{case} [action] Föräldraträff om narkotika" in text
    assert "you may: complete, cancel" in text


def test_stale_expected_version_says_reload(demo: Path) -> None:
    case = str(_json(demo, "case", "open", "action", "--title", "T", "--as", "socialchef")["id"])  # type: ignore[index]
    run_cli(demo, "case", "assign", case, "--user", "socialchef", "--as", "socialchef", check=True)
    _one_error_line(run_cli(demo, "case", "fire", case, "start", "--as", "socialchef", "--expected-version", "1"),
                    rf"^error: Case {case} was changed by someone else \(version 3, you had 1\); reload it")


def test_comment_required_and_forbidden_are_one_line(demo: Path) -> None:
    opened = _json(demo, "case", "open", "action", "--title", "T", "--as", "socialchef", "--group", "socialnamnden")
    case = str(opened["id"])  # type: ignore[index]
    _one_error_line(run_cli(demo, "case", "fire", case, "cancel", "--as", "socialchef"), r"needs a comment")
    _one_error_line(run_cli(demo, "case", "fire", case, "cancel", "--as", "vaktbolag", "--comment", "x"),
                    r"^error: Only .* may 'cancel' case")


def test_overdue_queue(demo: Path) -> None:
    rows = _json(demo, "case", "list", "--queue", "overdue", "--as", "ordforande")
    assert isinstance(rows, list)
    assert rows, "the demo has an overdue action"
    assert all(r["overdue"] for r in rows)
    assert any(r["title"].startswith("Kartlägg mopedbuskörning") for r in rows)
    text = run_cli(demo, "case", "list", "--queue", "overdue", "--as", "ordforande", check=True).stdout
    assert "OVERDUE" in text
    assert text.strip().endswith(f"{len(rows)} case(s) in queue 'overdue'.")


def test_confidential_demo_case_is_hidden_from_the_security_company(demo: Path) -> None:
    everything = _json(demo, "case", "list", "--queue", "all", "--as", "ordforande")
    secret = [r for r in everything if r["confidential"]]  # type: ignore[union-attr]
    assert len(secret) == 1
    visible = _json(demo, "case", "list", "--queue", "all", "--as", "vaktbolag")
    assert secret[0]["id"] not in {r["id"] for r in visible}  # type: ignore[union-attr]
    _one_error_line(run_cli(demo, "case", "show", str(secret[0]["id"]), "--as", "vaktbolag"),
                    rf"^error: No case {secret[0]['id']} that you may see\.$")


def test_workflows_show_mermaid(demo: Path) -> None:
    out = run_cli(demo, "workflows", "show", "action", "--format", "mermaid", check=True).stdout
    lines = out.splitlines()
    assert lines[:2] == ["stateDiagram-v2", "    [*] --> open"]
    assert "    open --> assigned: assign" in lines
    assert "    verified --> [*]" in lines
    text = run_cli(demo, "workflows", "show", "action", check=True).stdout
    assert "20 working days from opened" in text


def test_workflows_show_dot_and_svg(demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = run_cli(demo, "workflows", "show", "agreement_renewal", "--format", "dot", check=True).stdout
    assert source.startswith('digraph "agreement_renewal" {')
    assert '"awaiting_signatures" [id="wf-state-awaiting_signatures" label="Inväntar\\nunderskrifter"];' in source
    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    out = run_cli(demo, "workflows", "show", "agreement_renewal", "--format", "svg", check=True).stdout
    svg = ElementTree.fromstring(out)
    texts = {" ".join(t.text or "" for t in g.iter("{http://www.w3.org/2000/svg}text"))
             for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("id", "").startswith("wf-state-")}
    assert {"Öppnad", "Inväntar underskrifter", "Avtalet förlängt", "Avtalet uppsagt"} <= texts
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz: one clear line, not a traceback
    _one_error_line(run_cli(demo, "workflows", "show", "action", "--format", "svg"),
                    r"^error: Graphviz's `dot` program was not found; install Graphviz")


def test_workflows_check_good_files(demo: Path) -> None:
    out = run_cli(demo, "workflows", "check", check=True).stdout
    shipped = len(list((ROOT / "workflows").glob("*.toml")))
    assert len([ln for ln in out.splitlines() if ln.startswith("ok  ")]) == shipped


def test_a_missing_workflows_folder_is_named_not_passed_over(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'never.db'}", tmp_path / "no-such-folder")
    for args in (("workflows", "check"), ("init",)):
        _one_error_line(run_cli(config, *args), r"workflows_dir: .*no-such-folder is not a folder; point workflows_dir")
    assert not (tmp_path / "never.db").exists()


def test_broken_workflow_file_gives_one_line_per_problem_and_starts_nothing(tmp_path: Path) -> None:
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    broken = workflows / "monthly_review.toml"
    broken.write_text(broken.read_text(encoding="utf-8")
                      .replace('target = "closed"', 'target = "klart"')
                      .replace('key = "held"', 'key = "held"\ncolour = "red"'), encoding="utf-8")
    db = tmp_path / "never.db"
    config = write_config(tmp_path, f"sqlite:///{db}", workflows)

    check = run_cli(config, "workflows", "check", str(broken), str(workflows / "action.toml"))
    assert check.returncode == 1
    assert check.stdout == ""
    lines = check.stderr.strip().splitlines()
    assert len(lines) >= 3
    assert all(re.fullmatch(rf"{re.escape(str(broken))}: [\w.\[\]]+: .+", ln) for ln in lines), lines
    assert f"{broken}: transitions[2].target: unknown state 'klart'" in lines
    assert any(": states[1].colour: unknown key" in ln for ln in lines)

    for args in (("init",), ("case", "list", "--as", "x")):
        started = run_cli(config, *args)
        assert started.returncode == 1
        assert started.stdout == ""
        assert all(ln.startswith(f"{broken}: ") for ln in started.stderr.strip().splitlines())
    assert not db.exists(), "nothing was started: no database was created"


def test_a_config_naming_a_missing_workflow_stops_every_command_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    config = write_config(tmp_path, f"sqlite:///{db}")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('workflow = "monthly_review"', 'workflow = "monthly_reveiw"', 1), encoding="utf-8")
    expected = (rf"^error: {re.escape(str(config.resolve()))}: recurring\[2\]\.workflow: "
                r"no workflow 'monthly_reveiw'; known: action, acute_matter, ")
    for args in (("init",), ("tick",), ("scheduler",)):
        _one_error_line(run_cli(config, *args), expected)
    assert not db.exists(), "nothing was started: no database was created"


@pytest.mark.parametrize(("args", "code", "pattern"), [
    (("case", "show", "99999"), 1, r"^error: No case 99999 that you may see\.$"),
    (("case", "fire", "1", "fly", "--as", "ordforande"), 1, r"'fly' is not a trigger of this workflow"),
    (("case", "open", "nonesuch", "--title", "T", "--as", "polis"), 1, r"No workflow 'nonesuch'; known: action"),
    (("case", "open", "action", "--title", "T", "--as", "polis", "--focus-area", "nope"), 1,
     r"Unknown focus area 'nope'"),
    (("case", "list", "--as", "nobody"), 1, r"No user 'nobody'"),
    (("workflows", "show", "nope"), 1, r"No workflow 'nope'"),
    (("case", "fire", "1"), 2, r"Missing argument 'TRIGGER'"),
    (("case", "fire", "one", "hold", "--as", "polis"), 2, r"'one' is not a valid integer"),
    (("case", "list", "--queue", "later", "--as", "polis"), 2, r"Invalid value for '--queue'"),
    (("case", "assign", "1", "--as", "ordforande"), 2, r"exactly one of --user or --group"),
    (("frobnicate",), 2, r"No such command 'frobnicate'"),
])
def test_errors_and_usage_errors(demo: Path, args: tuple[str, ...], code: int, pattern: str) -> None:
    proc = run_cli(demo, *args)
    assert proc.returncode == code, proc.stderr
    if code == 1:
        _one_error_line(proc, pattern)
    else:
        assert re.search(pattern, proc.stderr), proc.stderr


def test_missing_config_and_uninitialised_database(tmp_path: Path) -> None:
    _one_error_line(run_cli(tmp_path / "nowhere.toml", "case", "list", "--as", "polis"),
                    r"nowhere\.toml: \(file\): not found; pass --config PATH or set SAMVERKAN_CONFIG")
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'blank.db'}")
    _one_error_line(run_cli(config, "case", "list", "--as", "polis"),
                    r"^error: the database cannot be used \(no such table: users\); .*run `samverkan init`")
    _one_error_line(run_cli(config, "audit", "verify"), r"no such table")
