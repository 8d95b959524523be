"""One shared `transitions` machine per workflow definition, never one per case.

Each transition's rules are the machine's own: the role check and the `guards` are its
`conditions`, the file's `unless` its `unless`. Every check writes what it found into the
`Attempt` of the transition being tried, so a refusal is explained from the same
evaluation that made it, not by asking the guards again.

A case goes through the machine as a `CaseAdapter`. A decision asks the machine what
`may_<trigger>` on an attached model asks (`Machine._can_trigger`) with the adapter given, so
the adapter is not even added to the machine: adding a model binds a method per trigger and
per state to it, which cost more than the decision itself (bench/transitions.py). Nothing per
case is kept in memory either way; `attached` still adds one for a block, for code that wants
the model's own methods.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from transitions import EventData, Machine

from engine.policy.access import may_act
from engine.workflow.definition import Definition, TransitionDef
from engine.workflow.rules import GUARDS, CaseAdapter, FireContext

__all__ = ["Attempt", "WorkflowMachine"]


@dataclass
class Attempt:
    """What the machine found while trying one transition for a trigger."""

    transition: TransitionDef
    role_ok: bool = False
    unmet: list[str] = field(default_factory=list)  # guard names that refused, in file order
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def note(self, kind: str, name: str, met: bool) -> None:
        """Remember one guard's answer (`kind` is "guards" or "unless")."""
        self._seen.add((kind, name))
        if not met:
            self.unmet.append(name)

    def complete(self, ctx: FireContext) -> list[str]:
        """Every unmet guard: the machine stops at the first, a person wants to hear all of them.

        Only the guards the machine did not reach are evaluated here, so each guard of a
        transition still runs at most once per decision.
        """
        t = self.transition
        for kind, names, wanted in (("guards", t.guards, True), ("unless", t.unless, False)):
            for name in names:
                if (kind, name) not in self._seen:
                    self.note(kind, name, bool(GUARDS[name].fn(ctx)) == wanted)
        return self.unmet


def _role_allows(t: TransitionDef, ctx: FireContext) -> bool:
    return may_act(ctx.actor, ctx.case, t.roles, system=t.system)


class _Begin:
    """`prepare` callback: a new Attempt for the transition about to be tried."""

    def __init__(self, t: TransitionDef) -> None:
        self.t = t

    def __call__(self, event: EventData) -> None:
        event.kwargs["attempts"].append(Attempt(self.t))


class _Role:
    """The first condition: the actor holds one of the transition's roles on this case."""

    def __init__(self, t: TransitionDef) -> None:
        self.t = t

    def __call__(self, event: EventData) -> bool:
        attempt: Attempt = event.kwargs["attempts"][-1]
        attempt.role_ok = _role_allows(self.t, event.kwargs["ctx"])
        return attempt.role_ok


class _Guard:
    """A registered guard as a condition (`kind` "guards") or an `unless` (kind "unless")."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name, self.wanted = kind, name, kind == "guards"

    def __call__(self, event: EventData) -> bool:
        value = bool(GUARDS[self.name].fn(event.kwargs["ctx"]))
        event.kwargs["attempts"][-1].note(self.kind, self.name, value == self.wanted)
        return value


class WorkflowMachine:
    """The machine of one definition: which triggers leave a state, and what trying one finds."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial,
            auto_transitions=False,
            send_event=True,
        )
        for t in definition.transitions:
            self._machine.add_transition(
                t.trigger, list(t.sources), t.target,
                prepare=[_Begin(t)],
                conditions=[_Role(t), *(_Guard("guards", g) for g in t.guards)],
                unless=[_Guard("unless", g) for g in t.unless],
            )

    def knows(self, trigger: str) -> bool:
        """True if `trigger` is a trigger of this workflow (from any state)."""
        return trigger in self._machine.events

    def triggers_from(self, state: str) -> list[str]:
        """The triggers declared from `state`, in the order the file first names them."""
        return list(self._machine.get_triggers(state))

    @contextmanager
    def attached(self, adapter: CaseAdapter) -> Iterator[CaseAdapter]:
        """`adapter` as a model of the shared machine for the length of the block."""
        # add_model/remove_model touch the machine's shared model list: serialise them.
        # `initial=` keeps the case's state: without it add_model resets it to the initial one.
        with self._lock:
            self._machine.add_model(adapter, initial=adapter.state)
        try:
            yield adapter
        finally:
            with self._lock:
                self._machine.remove_model(adapter)

    def attempt(self, trigger: str, ctx: FireContext) -> tuple[TransitionDef | None, list[Attempt]]:
        """Ask the machine once (`may_<trigger>`); the transition it would take and what it tried."""
        attempts: list[Attempt] = []
        # What an attached model's `may_trigger` is bound to; it reads only the model's state and
        # touches nothing shared, so concurrent decisions need no lock.
        ok = self._machine._can_trigger(ctx.case, trigger, ctx=ctx, attempts=attempts)
        # The machine stops at the first transition whose conditions all pass: the last one tried.
        return (attempts[-1].transition if ok else None), attempts
