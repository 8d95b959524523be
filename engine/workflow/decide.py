"""The one decision: may this actor fire this trigger on this case now, and if not, why not.

`decide` asks the case's shared machine once and answers with a `Take` (the transition
and the context its effects run in) or a `Refusal` that already carries its reason.
Firing, the list of allowed triggers, the web's buttons, the API and the CLI all go
through it, so what a page offers and what firing accepts cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.kernel.errors import EngineError, Forbidden, TransitionNotAllowed, ValidationError
from engine.workflow.definition import TransitionDef
from engine.workflow.machine import Attempt, WorkflowMachine
from engine.workflow.rules import EFFECTS, GUARDS, FireContext

__all__ = [
    "CommentRequired",
    "Decision",
    "GuardUnmet",
    "NotFromHere",
    "Refusal",
    "RoleMissing",
    "Take",
    "UnknownTrigger",
    "decide",
    "decide_each",
]


@dataclass(frozen=True)
class Take:
    """The transition to take, with the context its effects run in."""

    transition: TransitionDef
    ctx: FireContext

    def apply(self) -> None:
        """Run the effects on the adapter and move it to the target state."""
        for name in self.transition.effects:
            EFFECTS[name].fn(self.ctx)
        self.ctx.case.state = self.transition.target


@dataclass(frozen=True)
class Refusal:
    """Why a trigger cannot be fired now; `reason` is a stable code, `message` says it in English."""

    reason: ClassVar[str]
    case_id: int
    trigger: str
    state: str
    message: str

    def error(self) -> EngineError:
        """The engine error that firing raises for this refusal."""
        return TransitionNotAllowed(self.case_id, self.trigger, self.state, self.message)


@dataclass(frozen=True)
class UnknownTrigger(Refusal):
    """The workflow has no such trigger at all."""

    reason = "unknown_trigger"


@dataclass(frozen=True)
class NotFromHere(Refusal):
    """The workflow knows the trigger, but not from the case's state."""

    reason = "not_from_here"


@dataclass(frozen=True)
class RoleMissing(Refusal):
    """The actor holds none of the roles that may fire it on this case."""

    reason = "role_missing"
    roles: tuple[str, ...]

    def error(self) -> EngineError:
        """Forbidden: the person is known, their role does not allow it."""
        return Forbidden(self.message)


@dataclass(frozen=True)
class GuardUnmet(Refusal):
    """The actor may, but the case is not ready: these guards refuse."""

    reason = "guard_unmet"
    guards: tuple[str, ...]  # their names, in file order
    descriptions: tuple[str, ...]  # what each asks for, as its registration says

    def error(self) -> EngineError:
        """TransitionNotAllowed naming the guards that refuse."""
        return TransitionNotAllowed(self.case_id, self.trigger, self.state, self.message, self.guards)


@dataclass(frozen=True)
class CommentRequired(Refusal):
    """Everything allows it, but the transition needs a comment and none was given."""

    reason = "comment_required"
    transition: TransitionDef  # the one a comment would let through

    def error(self) -> EngineError:
        """A ValidationError on the comment field, with the code the interfaces translate."""
        return ValidationError("comment", self.message, code=self.reason, params={"trigger": self.trigger})


Decision = Take | Refusal


def _refuse(machine: WorkflowMachine, trigger: str, ctx: FireContext, attempts: list[Attempt]) -> Refusal:
    case, d = ctx.case, machine.definition
    where = (case.id, trigger, case.state)
    if not attempts:
        possible = ", ".join(machine.triggers_from(case.state)) or "none (the case is closed)"
        kind: type[Refusal] = NotFromHere if machine.knows(trigger) else UnknownTrigger
        what = "is not possible" if kind is NotFromHere else "is not a trigger of this workflow"
        return kind(*where, f"'{trigger}' {what} from state '{case.state}' "
                            f"({d.states[case.state].label.en}); possible from here: {possible}.")
    permitted = [a for a in attempts if a.role_ok]
    if not permitted:
        roles = sorted({r for a in attempts for r in a.transition.roles}) or ["the system"]
        return RoleMissing(*where, f"Only {', '.join(roles)} may '{trigger}' case {case.id}; "
                                   f"ask one of them or the case's owning group.", tuple(roles))
    unmet = [g for a in permitted for g in a.complete(ctx)]
    names = tuple(dict.fromkeys(unmet))
    descriptions = tuple(GUARDS[g].description for g in names)
    return GuardUnmet(*where, f"'{trigger}' is not allowed now: {'; '.join(sorted(set(descriptions)))}.",
                      names, descriptions)


def _decide(machine: WorkflowMachine, trigger: str, ctx: FireContext) -> Decision:
    taken, attempts = machine.attempt(trigger, ctx)
    if taken is None:
        return _refuse(machine, trigger, ctx, attempts)
    if taken.comment_required and ctx.comment is None:
        return CommentRequired(ctx.case.id, trigger, ctx.case.state,
                               f"'{trigger}' needs a comment: say what was done or decided.", taken)
    return Take(taken, ctx)


def decide(machine: WorkflowMachine, trigger: str, ctx: FireContext) -> Decision:
    """Take `trigger` on `ctx.case` as `ctx.actor`, or the reason it cannot be taken now."""
    return _decide(machine, trigger, ctx)


def decide_each(machine: WorkflowMachine, ctx: FireContext) -> list[tuple[str, Decision]]:
    """The decision for every trigger declared from the case's state, in the order the file names them."""
    return [(trigger, _decide(machine, trigger, ctx)) for trigger in machine.triggers_from(ctx.case.state)]
