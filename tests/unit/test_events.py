"""Events are typed: listeners subscribe by class, and no event goes unemitted or unheard by mistake."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import pytest

from engine.kernel.events import (
    UNOBSERVED,
    Assigned,
    DeadlineEscalation,
    DeadlineEvent,
    DeadlineReminder,
    Event,
    Listeners,
    Transitioned,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("engine", "notifications", "web", "samverkan")
AT = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
SESSION: Any = object()  # the listeners under test never touch the session; dispatch only passes it on


def _modules(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "versions" not in p.parts]


def _event_classes() -> set[type[Event]]:
    """Every concrete event class of the engine (one without subclasses), wherever in engine/ it is defined."""
    for path in (p for p in _modules("engine") if "migrations" not in p.parts):  # env.py runs Alembic
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    found: set[type[Event]] = set()
    todo: list[type[Event]] = [Event]
    while todo:
        cls = todo.pop()
        subs = [s for s in cls.__subclasses__() if s.__module__.startswith("engine.")]
        todo.extend(subs)
        if not subs and cls is not Event:
            found.add(cls)
    return found


def _skipped(tree: ast.AST) -> set[int]:
    """Nodes that mention an event class without emitting it: annotations, subscribe(...) and isinstance(...)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        parts: list[ast.AST | None] = []
        if isinstance(node, ast.arg | ast.AnnAssign):
            parts.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parts.append(node.returns)
        elif isinstance(node, ast.Call) and _callee(node) in ("subscribe", "isinstance"):
            parts.extend(node.args)
        skip.update(id(sub) for part in parts if part is not None for sub in ast.walk(part))
    return skip


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _names(nodes: list[ast.AST]) -> set[str]:
    return {n.id if isinstance(n, ast.Name) else n.attr for n in nodes if isinstance(n, ast.Name | ast.Attribute)}


def emitted_names(source: str) -> set[str]:
    """Names a module that emits events uses as values: the event classes it builds (or picks) to emit."""
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if not any(_callee(c) == "emit" for c in calls):
        return set()
    skip = _skipped(tree)
    return _names([n for n in ast.walk(tree) if id(n) not in skip])


def subscribed_names(source: str) -> set[str]:
    """Names passed as the event class to `subscribe(...)` in a module."""
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and _callee(n) == "subscribe"]
    return _names([c.args[0] for c in calls if c.args])


def _scan(packages: tuple[str, ...], names_in: Any, skip: Path | None = None) -> set[str]:
    return {name for pkg in packages for path in _modules(pkg) if path != skip
            for name in names_in(path.read_text(encoding="utf-8"))}


def test_every_event_is_emitted_by_the_engine() -> None:
    events = _event_classes()
    assert {Transitioned, DeadlineReminder} <= events  # the scan finds the catalogue at all
    names = _scan(("engine",), emitted_names, skip=ROOT / "engine" / "kernel" / "events.py")
    never = sorted(e.__name__ for e in events if e.__name__ not in names)
    assert never == [], f"events no engine module emits: {never}; emit them or delete them"


def test_every_event_is_observed_or_deliberately_not() -> None:
    names = _scan(PRODUCTION, subscribed_names)
    # A catch-all subscriber to `Event` (a log, an audit) would hide an orphan, so it does not count.
    observed = {e for e in _event_classes() if any(c.__name__ in names for c in e.__mro__ if c is not Event)}
    orphans = sorted(e.__name__ for e in _event_classes() - observed - UNOBSERVED.keys())
    assert orphans == [], (f"events nobody subscribes to: {orphans}; subscribe a listener "
                           f"(notifications/rules.py) or list them in UNOBSERVED with the reason")
    stale = sorted(e.__name__ for e in UNOBSERVED.keys() & observed)
    assert stale == [], f"UNOBSERVED lists events that are observed now: {stale}"
    assert all(UNOBSERVED.values()), "every deliberately unobserved event says why"


def test_the_scan_tells_emitting_from_mentioning() -> None:
    listener = ("def on(session, event: Transitioned) -> Transitioned:\n"
                "    if isinstance(event, Transitioned):\n"
                "        eng.listeners.subscribe(Transitioned, on)\n"
                "    eng.emit(session, Assigned(case_id=1))\n")
    assert "Transitioned" not in emitted_names(listener)
    assert "Assigned" in emitted_names(listener)
    assert emitted_names("x = Assigned(case_id=1)\n") == set()  # built, never emitted
    assert subscribed_names(listener) == {"Transitioned"}


@pytest.mark.parametrize("not_a_class", ["deadline", "transitioned", "*", int, object, None,
                                         Assigned(case_id=1, actor="chair", at=AT, assignee_id=None, group_id=2)])
def test_subscribing_to_anything_but_an_event_class_fails_at_once(not_a_class: Any) -> None:
    with pytest.raises(TypeError, match="event class"):
        Listeners().subscribe(not_a_class, lambda _s, _e: None)


def _deadline(cls: type[DeadlineEvent], deadline_id: int) -> DeadlineEvent:
    return cls(case_id=7, actor="system", at=AT, deadline_id=deadline_id, offset_days=1, state="open", due_at=AT,
               workflow="action")


def test_listeners_get_their_class_and_its_subclasses_most_specific_first() -> None:
    listeners, seen = Listeners(), []
    listeners.subscribe(Event, lambda s, e: seen.append(("all", type(e).__name__, s)))
    listeners.subscribe(DeadlineEvent, lambda s, e: seen.append(("deadline", type(e).__name__, s)))
    listeners.subscribe(DeadlineEscalation, lambda s, e: seen.append(("escalation", type(e).__name__, s)))
    for event in (_deadline(DeadlineReminder, 1), _deadline(DeadlineEscalation, 2),
                  Assigned(case_id=7, actor="chair", at=AT, assignee_id=3, group_id=2)):
        listeners.emit(SESSION, event)
    assert seen == [
        ("deadline", "DeadlineReminder", SESSION), ("all", "DeadlineReminder", SESSION),
        ("escalation", "DeadlineEscalation", SESSION), ("deadline", "DeadlineEscalation", SESSION),
        ("all", "DeadlineEscalation", SESSION),
        ("all", "Assigned", SESSION),
    ]

