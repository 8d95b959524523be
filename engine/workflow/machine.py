"""One shared `transitions` machine per workflow definition, never one per case.

A case goes through the machine as a `CaseAdapter` that is added to the machine for
the duration of one firing and removed afterwards, so nothing per case stays in memory.
"""

from __future__ import annotations

import threading
from typing import Any

from transitions import EventData, Machine, MachineError

from engine.policy.access import may_act
from engine.workflow.definition import Definition, TransitionDef
from engine.workflow.rules import EFFECTS, GUARDS, CaseAdapter, FireContext

__all__ = ["WorkflowMachine", "may_fire"]


def may_fire(t: TransitionDef, ctx: FireContext) -> bool:
    return may_act(ctx.actor, ctx.case, t.roles, system=t.system)


class WorkflowMachine:
    """The machine of one definition; `fire` moves an adapter or reports why not."""

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
                conditions=[self._condition(t)],
                before=[self._chosen(t)],
                after=[self._effects(t)] if t.effects else [],
            )

    @staticmethod
    def _condition(t: TransitionDef) -> Any:
        def check(event: EventData) -> bool:
            ctx: FireContext = event.kwargs["ctx"]
            return (may_fire(t, ctx)
                    and all(GUARDS[g].fn(ctx) for g in t.guards)
                    and not any(GUARDS[g].fn(ctx) for g in t.unless))
        return check

    @staticmethod
    def _chosen(t: TransitionDef) -> Any:
        def mark(event: EventData) -> None:
            event.model.chosen = t  # type: ignore[attr-defined]
        return mark

    @staticmethod
    def _effects(t: TransitionDef) -> Any:
        def run(event: EventData) -> None:
            for name in t.effects:
                EFFECTS[name].fn(event.kwargs["ctx"])
        return run

    def allowed(self, ctx: FireContext) -> list[str]:
        """Triggers the actor may fire now: from this state, for their role, guards met."""
        out = []
        for trigger in self.definition.triggers_from(ctx.case.state):
            for t in self.definition.candidates(ctx.case.state, trigger):
                if (may_fire(t, ctx) and all(GUARDS[g].fn(ctx) for g in t.guards)
                        and not any(GUARDS[g].fn(ctx) for g in t.unless)):
                    out.append(trigger)
                    break
        return out

    def fire(self, trigger: str, ctx: FireContext) -> TransitionDef | None:
        """Move `ctx.case` by `trigger`; the transition taken, or None if guards refused."""
        adapter: CaseAdapter = ctx.case
        adapter.chosen = None
        # add_model/remove_model touch the machine's shared model list: serialise them.
        with self._lock:
            self._machine.add_model(adapter, initial=adapter.state)
        try:
            moved = adapter.trigger(trigger, ctx=ctx)  # type: ignore[attr-defined]
        except MachineError:
            return None
        finally:
            with self._lock:
                self._machine.remove_model(adapter)
        return adapter.chosen if moved else None
