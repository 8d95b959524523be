"""Workflow definitions: `workflows/*.toml` read, validated and turned into data.

Every problem found is reported as (file, field, problem) so that a broken file
is named precisely and nothing starts with it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.kernel.errors import DefinitionError
from engine.workflow.linking import KEYS as LINKING_KEYS
from engine.workflow.linking import Linking, check_across, parse_linking
from engine.workflow.rules import EFFECTS, GUARDS

__all__ = [
    "CONTEXT_ROLES",
    "DEFAULT_OPEN_ROLES",
    "DeadlineRule",
    "Definition",
    "Labels",
    "NextActor",
    "StateDef",
    "TransitionDef",
    "load_definitions",
    "parse_definition",
]

# Roles that depend on the case rather than on the person.
CONTEXT_ROLES = frozenset({"assignee", "group_member"})
# Who may open a case when the file does not say: the owning group's members and the chair.
DEFAULT_OPEN_ROLES = frozenset({"chair", "group_member"})
ANCHORS = ("entered", "opened", "event", "period_end")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# The longest duration or offset a deadline may have: ten years. Longer is a typo, and far
# longer runs the calendar off the end of the years Python's dates hold.
MAX_DAYS = 3660


@dataclass(frozen=True)
class Labels:
    sv: str
    en: str

    def get(self, language: str) -> str:
        """The label in `language` (Swedish unless "en")."""
        return self.en if language == "en" else self.sv


@dataclass(frozen=True)
class DeadlineRule:
    days: int | None
    working_days: int | None
    anchor: str
    remind_before_days: tuple[int, ...]
    escalate_after_days: tuple[int, ...]
    timeout_trigger: str | None


@dataclass(frozen=True)
class NextActor:
    """Who acts next in a state: a role (held in the owning group, or counting everywhere), `group_member`
    (anyone of the owning group) or `assignee` (the group while nobody holds the case); `what` names
    their part ("{name}", "{group}" are filled in), e.g. "Polisens underskrift"."""

    who: str
    what: Labels | None = None


@dataclass(frozen=True)
class StateDef:
    key: str
    label: Labels
    terminal: bool
    deadline: DeadlineRule | None
    next: tuple[NextActor, ...] = ()


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    label: Labels
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    guards: tuple[str, ...]
    unless: tuple[str, ...]
    comment_required: bool
    effects: tuple[str, ...]
    system: bool
    on_assign: bool = False  # fired by the engine when a person is given the case in a source state
    past: Labels | None = None  # the history's past tense ("påbörjade"); None: the history shows `label`
    destructive: bool = False  # ends or throws away the work (cancel, reject): asked for twice, never primary


@dataclass(frozen=True)
class Definition:
    key: str
    label: Labels
    description: Labels
    initial: str
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    version: str
    source: str
    path: str
    # Who may open a case of this workflow, held in the group the case is for (or counting
    # everywhere, as the chair's role does); `group_member`: any member of that group.
    open_roles: frozenset[str] = DEFAULT_OPEN_ROLES
    system_only: bool = False  # opened by the engine alone (the schedule, the agreement's renewal)
    # What the case is opened from, its measures, sources and judging (engine.workflow.linking).
    linking: Linking = Linking()

    def counts_from_event(self) -> bool:
        """True if some state's deadline counts from when the case's event (a meeting) takes place."""
        return any(st.deadline is not None and st.deadline.anchor == "event" for st in self.states.values())

    def takes_a_due_date(self) -> bool:
        """True if a due date asked for at opening applies (the first state's deadline counts from opening)."""
        first = self.states[self.initial].deadline
        return first is not None and first.anchor == "opened"

    def trigger_labels(self, trigger: str) -> Labels | None:
        """The labels of `trigger` (its first transition's); None if the workflow has no such trigger."""
        return next((t.label for t in self.transitions if t.trigger == trigger), None)

    def trigger_label(self, trigger: str, language: str) -> str:
        """The label of `trigger` in `language` (the key itself if the workflow has no such trigger)."""
        found = self.trigger_labels(trigger)
        return found.get(language) if found is not None else trigger


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[tuple[str, str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((self.file, field, message))


def _labels(raw: Any, field: str, p: _Problems) -> Labels:
    if raw is None:
        p.add(field, 'is missing; expected { sv = "...", en = "..." }')
        return Labels("?", "?")
    if not isinstance(raw, dict) or not isinstance(raw.get("sv"), str) or not isinstance(raw.get("en"), str):
        p.add(field, 'expected { sv = "...", en = "..." }')
        return Labels("?", "?")
    extra = set(raw) - {"sv", "en"}
    if extra:
        p.add(field, f"unknown key(s) {', '.join(sorted(extra))}; expected sv and en")
    return Labels(raw["sv"], raw["en"])


def _unknown(raw: dict[str, Any], allowed: set[str], field: str, p: _Problems) -> None:
    for key in raw:
        if key not in allowed:
            p.add(f"{field}{key}", f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _int_list(raw: Any, field: str, p: _Problems) -> tuple[int, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in raw):
        p.add(field, "expected a list of positive whole days, e.g. [5, 1]")
        return ()
    if max(raw, default=0) > MAX_DAYS:
        p.add(field, f"at most {MAX_DAYS} days (ten years), got {max(raw)}")
        return ()
    return tuple(sorted(set(raw), reverse=True))


def _deadline(raw: Any, field: str, p: _Problems) -> DeadlineRule | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        p.add(field, "expected a table")
        return None
    _unknown(raw, {"days", "working_days", "anchor", "remind_before_days",
                   "escalate_after_days", "timeout_trigger"}, f"{field}.", p)
    days, wdays = raw.get("days"), raw.get("working_days")
    if (days is None) == (wdays is None):
        p.add(field, "give exactly one of days = N or working_days = N")
    anchor = raw.get("anchor", "entered")
    if anchor not in ANCHORS:
        p.add(f"{field}.anchor", f"unknown anchor {anchor!r}; expected one of {', '.join(ANCHORS)}")
    for name, value in (("days", days), ("working_days", wdays)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            p.add(f"{field}.{name}", f"expected a whole number of days, got {value!r}")
        elif value is not None and value < 0 and anchor != "event":
            p.add(f"{field}.{name}", "a negative duration needs anchor = \"event\"")
        elif value is not None and abs(value) > MAX_DAYS:
            p.add(f"{field}.{name}", f"at most {MAX_DAYS} days (ten years) either way, got {value}")
    timeout = raw.get("timeout_trigger")
    if timeout is not None and not isinstance(timeout, str):
        p.add(f"{field}.timeout_trigger", "expected a trigger name")
        timeout = None
    return DeadlineRule(
        days=days if isinstance(days, int) else None,
        working_days=wdays if isinstance(wdays, int) else None,
        anchor=anchor,
        remind_before_days=_int_list(raw.get("remind_before_days"), f"{field}.remind_before_days", p),
        escalate_after_days=tuple(reversed(_int_list(raw.get("escalate_after_days"),
                                                     f"{field}.escalate_after_days", p))),
        timeout_trigger=timeout,
    )


def _next(raw: Any, f: str, roles: frozenset[str], p: _Problems) -> tuple[NextActor, ...]:
    """A state's `next`: names, or { who = "...", what = { sv, en } } tables."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        p.add(f, 'expected a list such as ["assignee"] or [{ who = "police", what = { sv = "...", en = "..." } }]')
        return ()
    allowed = roles | CONTEXT_ROLES
    out: list[NextActor] = []
    for i, item in enumerate(raw):
        field = f"{f}[{i}]"
        if isinstance(item, str):
            who, what = item, None
        elif isinstance(item, dict) and isinstance(item.get("who"), str):
            _unknown(item, {"who", "what"}, f"{field}.", p)
            who, what = item["who"], (_labels(item["what"], f"{field}.what", p) if "what" in item else None)
        else:
            p.add(field, 'expected a role name or { who = "role", what = { sv = "...", en = "..." } }')
            continue
        if who not in allowed:
            p.add(field, f"unknown role {who!r}; expected one of {', '.join(sorted(allowed))}")
        out.append(NextActor(who, what))
    return tuple(out)


def _states(raw: Any, roles: frozenset[str], p: _Problems) -> dict[str, StateDef]:
    states: dict[str, StateDef] = {}
    if not isinstance(raw, list) or not raw:
        p.add("states", "expected at least one [[states]] table")
        return states
    for i, s in enumerate(raw):
        f = f"states[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("key"), str):
            p.add(f"{f}.key", "every state needs a key")
            continue
        _unknown(s, {"key", "label", "terminal", "deadline", "next"}, f"{f}.", p)
        key = s["key"]
        if not _SNAKE.match(key):
            p.add(f"{f}.key", f"{key!r} must be snake_case")
        if key in states:
            p.add(f"{f}.key", f"duplicate state {key!r}")
        terminal = s.get("terminal", False)
        if not isinstance(terminal, bool):
            p.add(f"{f}.terminal", "expected true or false")
        nxt = _next(s.get("next"), f"{f}.next", roles, p)
        if terminal is True and nxt:
            p.add(f"{f}.next", "a terminal state has nobody acting next; remove next")
        states[key] = StateDef(key, _labels(s.get("label"), f"{f}.label", p), bool(terminal),
                               _deadline(s.get("deadline"), f"{f}.deadline", p), nxt)
    return states


def _str_list(raw: Any, field: str, p: _Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        p.add(field, "expected a list of names")
        return ()
    return tuple(raw)


def _transition(t: Any, f: str, states: dict[str, StateDef], roles: frozenset[str],
                p: _Problems) -> TransitionDef | None:
    if not isinstance(t, dict):
        p.add(f, "expected a table")
        return None
    _unknown(t, {"trigger", "label", "source", "target", "roles", "guards", "unless",
                 "comment", "effects", "system", "on_assign", "past", "destructive"}, f"{f}.", p)
    trigger = t.get("trigger")
    if not isinstance(trigger, str) or not _SNAKE.match(trigger):
        p.add(f"{f}.trigger", f"expected a snake_case name, got {trigger!r}")
        trigger = "?"
    sources = _str_list(t.get("source"), f"{f}.source", p)
    if not sources:
        p.add(f"{f}.source", "expected a non-empty list of states")
    for s in sources:
        if s not in states:
            p.add(f"{f}.source", f"unknown state {s!r}")
        elif states[s].terminal:
            p.add(f"{f}.source", f"{s!r} is terminal; a terminal state has no way out")
    target = t.get("target")
    if target not in states:
        p.add(f"{f}.target", f"unknown state {target!r}")
    system = t.get("system", False)
    if not isinstance(system, bool):
        p.add(f"{f}.system", f"expected true or false, got {system!r}")
        system = False
    on_assign = t.get("on_assign", False)
    if not isinstance(on_assign, bool):
        p.add(f"{f}.on_assign", f"expected true or false, got {on_assign!r}")
        on_assign = False
    past, destructive = _telling(t, f, p)
    allowed_roles = frozenset(_str_list(t.get("roles"), f"{f}.roles", p))
    if not system and not allowed_roles:
        p.add(f"{f}.roles", "nobody may fire this transition; list roles or set system = true")
    guards = _str_list(t.get("guards"), f"{f}.guards", p)
    unless = _str_list(t.get("unless"), f"{f}.unless", p)
    effects = _str_list(t.get("effects"), f"{f}.effects", p)
    _check_names(f, allowed_roles, roles, {"guards": guards, "unless": unless}, effects, p)
    comment = t.get("comment", "optional")
    if comment not in ("optional", "required"):
        p.add(f"{f}.comment", f'expected "optional" or "required", got {comment!r}')
    return TransitionDef(trigger, _labels(t.get("label"), f"{f}.label", p), sources,
                         str(target), allowed_roles, guards, unless, comment == "required",
                         effects, system, on_assign, past, destructive)


def _telling(t: dict[str, Any], f: str, p: _Problems) -> tuple[Labels | None, bool]:
    """How people are told of a transition: its past tense (optional) and whether it is destructive."""
    destructive = t.get("destructive", False)
    if not isinstance(destructive, bool):
        p.add(f"{f}.destructive", f"expected true or false, got {destructive!r}")
        destructive = False
    return (_labels(t["past"], f"{f}.past", p) if "past" in t else None), destructive


def _check_names(f: str, allowed_roles: frozenset[str], roles: frozenset[str],
                 guards: dict[str, tuple[str, ...]], effects: tuple[str, ...], p: _Problems) -> None:
    for r in sorted(allowed_roles - roles - CONTEXT_ROLES):
        p.add(f"{f}.roles", f"unknown role {r!r}; expected one of {', '.join(sorted(roles | CONTEXT_ROLES))}")
    for key, names in guards.items():  # `guards` must pass and `unless` must not; both name guards
        for name in names:
            if name not in GUARDS:
                p.add(f"{f}.{key}", f"unregistered guard {name!r}; known: {', '.join(sorted(GUARDS))}")
    for name in effects:
        if name not in EFFECTS:
            p.add(f"{f}.effects", f"unregistered effect {name!r}; known: {', '.join(sorted(EFFECTS))}")


def _check_graph(initial: str, states: dict[str, StateDef], transitions: list[TransitionDef],
                 p: _Problems) -> None:
    if initial not in states:
        p.add("initial", f"unknown state {initial!r}")
        return
    reached, frontier = {initial}, [initial]
    while frontier:
        s = frontier.pop()
        for t in transitions:
            if s in t.sources and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    for i, (key, st) in enumerate(states.items()):
        if key not in reached:
            p.add(f"states[{i}]", f"state {key!r} cannot be reached from {initial!r}")
        if not st.terminal and not any(key in t.sources for t in transitions):
            p.add(f"states[{i}]", f"state {key!r} has no way out; add a transition or mark it terminal = true")
        if st.deadline and st.deadline.timeout_trigger:
            if not any(key in t.sources and t.trigger == st.deadline.timeout_trigger and t.system
                       for t in transitions):
                p.add(f"states[{i}].deadline.timeout_trigger",
                      f"no system transition {st.deadline.timeout_trigger!r} from {key!r}")


def _opening(raw: dict[str, Any], roles: frozenset[str], p: _Problems) -> tuple[frozenset[str], bool]:
    """`open_roles` and `system_only`: who may open a case of the workflow."""
    system_only = raw.get("system_only", False)
    if not isinstance(system_only, bool):
        p.add("system_only", f"expected true or false, got {system_only!r}")
        system_only = False
    if "open_roles" not in raw:
        return (frozenset() if system_only else DEFAULT_OPEN_ROLES), system_only
    if system_only:
        p.add("open_roles", "a system_only workflow is opened by the engine alone; remove open_roles "
                            "or set system_only = false")
    open_roles = frozenset(_str_list(raw["open_roles"], "open_roles", p))
    allowed = roles | {"group_member"}
    for r in sorted(open_roles - allowed):
        p.add("open_roles", f"unknown role {r!r}; expected one of {', '.join(sorted(allowed))}")
    if not open_roles and not system_only:
        p.add("open_roles", "nobody may open this workflow; list roles or set system_only = true")
    return open_roles, system_only


def parse_definition(source: str, file: str, roles: Iterable[str]) -> Definition:
    """Parse and validate one definition; raises DefinitionError naming file and field."""
    p = _Problems(file)
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([(file, "(syntax)", str(exc))]) from None
    _unknown(raw, {"key", "label", "description", "initial", "states", "transitions", "open_roles", "system_only",
                   *LINKING_KEYS}, "", p)
    key = raw.get("key")
    stem = Path(file).stem
    if not isinstance(key, str) or not _SNAKE.match(key):
        p.add("key", "expected a snake_case workflow key")
        key = stem
    elif key != stem and file.endswith(".toml"):
        p.add("key", f"{key!r} must match the file name {stem!r}")
    label = _labels(raw.get("label"), "label", p)
    description = _labels(raw.get("description", {"sv": "", "en": ""}), "description", p)
    states = _states(raw.get("states"), frozenset(roles), p)
    raw_transitions = raw.get("transitions", [])
    if not isinstance(raw_transitions, list):
        p.add("transitions", "expected [[transitions]] tables")
        raw_transitions = []
    transitions = [
        t for i, tr in enumerate(raw_transitions)
        if (t := _transition(tr, f"transitions[{i}]", states, frozenset(roles), p)) is not None
    ]
    open_roles, system_only = _opening(raw, frozenset(roles), p)
    linking = parse_linking(raw, states, p.add)
    initial = raw.get("initial")
    if not isinstance(initial, str):
        p.add("initial", "expected the key of the initial state")
        initial = "?"
    if states:
        _check_graph(initial, states, transitions, p)
    if p.items:
        raise DefinitionError(p.items)
    return Definition(
        key=key,
        label=label,
        description=description,
        initial=initial,
        states=states,
        transitions=tuple(transitions),
        version=hashlib.sha256(source.encode()).hexdigest()[:16],
        source=source,
        path=file,
        open_roles=open_roles,
        system_only=system_only,
        linking=linking,
    )


def load_definitions(paths: Iterable[Path], roles: Iterable[str]) -> dict[str, Definition]:
    """Load every file; all problems of all files are gathered into one DefinitionError."""
    roles = frozenset(roles)
    found: dict[str, Definition] = {}
    problems: list[tuple[str, str, str]] = []
    for path in sorted(paths):
        try:
            d = parse_definition(path.read_text(encoding="utf-8"), str(path), roles)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        except OSError as exc:
            problems.append((str(path), "(file)", exc.strerror or str(exc)))
            continue
        except UnicodeDecodeError as exc:
            problems.append((str(path), "(file)", f"not UTF-8 text (byte {exc.start}); a workflow file is TOML "
                                                  "written in UTF-8, so move any other file out of the folder"))
            continue
        found[d.key] = d
    if not problems:  # a file that did not load would be named again as missing by the others
        problems = check_across({k: (d.path, d.linking) for k, d in found.items()}, found)
    if problems:
        raise DefinitionError(problems)
    return found
