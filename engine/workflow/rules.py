"""Guards and effects that workflow files reference by name.

A guard answers whether a transition may happen; an effect changes the case's data
when it does. Both take a `FireContext`. Registering is the only way a workflow file
can call code, so the engine stays generic and the files stay data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from engine.kernel.actors import Actor
from engine.policy.access import roles_on

__all__ = [
    "EFFECTS",
    "GUARDS",
    "PARTIES",
    "CaseAdapter",
    "FireContext",
    "Rule",
    "done_their_part",
    "effect",
    "guard",
    "left_out",
]


@dataclass(eq=False)  # compared by identity: the shared machine finds and removes its models with ==
class CaseAdapter:
    """The plain object a shared `transitions` machine decides on; never the database row."""

    id: int
    state: str
    assignee_id: int | None
    group_id: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FireContext:
    case: CaseAdapter
    actor: Actor
    now: dt.datetime
    comment: str | None


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    fn: Callable[[FireContext], Any]


GUARDS: dict[str, Rule] = {}
EFFECTS: dict[str, Rule] = {}


def guard(name: str, description: str) -> Callable[[Callable[[FireContext], bool]], Callable[[FireContext], bool]]:
    """Register a guard under `name`; `description` is shown when it refuses."""
    def register(fn: Callable[[FireContext], bool]) -> Callable[[FireContext], bool]:
        GUARDS[name] = Rule(name, description, fn)
        return fn
    return register


def effect(name: str, description: str) -> Callable[[Callable[[FireContext], None]], Callable[[FireContext], None]]:
    """Register an effect under `name`."""
    def register(fn: Callable[[FireContext], None]) -> Callable[[FireContext], None]:
        EFFECTS[name] = Rule(name, description, fn)
        return fn
    return register


# The agreement is signed by the chair for the municipality and by the Police.
_PARTY_OF_ROLE = {"chair": "municipality", "police": "police"}
_PARTIES = frozenset(_PARTY_OF_ROLE.values())
PARTIES = tuple(sorted(_PARTIES))  # the parties whose signatures a case's data["signatures"] records


def _parties(ctx: FireContext) -> set[str]:
    """The parties the actor signs for on this case: by the roles that count on it (the chair of this
    agreement, the Police working for it), not by a role held for another municipality."""
    held = roles_on(ctx.actor, ctx.case)
    return {p for r, p in _PARTY_OF_ROLE.items() if r in held}


@guard("has_assignee", "the case must be assigned to a person first")
def _has_assignee(ctx: FireContext) -> bool:
    return ctx.case.assignee_id is not None


@guard("signed_by_actor_party", "your party has already signed")
def _signed_by_actor_party(ctx: FireContext) -> bool:
    signed = set(ctx.case.data.get("signatures", {}))
    return bool(_parties(ctx)) and _parties(ctx) <= signed


@guard("all_parties_signed", "both the municipality (chair) and the Police must sign")
def _all_parties_signed(ctx: FireContext) -> bool:
    signed = set(ctx.case.data.get("signatures", {})) | _parties(ctx)
    return _PARTIES <= signed


@effect("record_signature", "records which party signed, by whom and when")
def _record_signature(ctx: FireContext) -> None:
    sigs = dict(ctx.case.data.get("signatures", {}))
    for party in _parties(ctx):
        sigs.setdefault(party, {"by": ctx.actor.username, "at": ctx.now.isoformat()})
    ctx.case.data = {**ctx.case.data, "signatures": sigs}


@effect("record_completion", "records who completed the work, for the four-eyes check on verifying it")
def _record_completion(ctx: FireContext) -> None:
    ctx.case.data = {**ctx.case.data, "completed_by": ctx.actor.username}


@guard("not_the_completer", "someone other than the person who completed it must verify it "
                            "(the chair, when the group has nobody else)")
def _not_the_completer(ctx: FireContext) -> bool:
    return ctx.case.data.get("completed_by") != ctx.actor.username


def done_their_part(role: str, data: dict[str, Any], guards: AbstractSet[str]) -> bool:
    """Whether the holders of `role` already did their part in a state whose steps name `guards`:
    where a party may sign once (`signed_by_actor_party`), the party of `role` has signed."""
    party = _PARTY_OF_ROLE.get(role)
    return "signed_by_actor_party" in guards and party is not None and party in data.get("signatures", {})


def left_out(data: dict[str, Any], guards: AbstractSet[str]) -> str | None:
    """The user name a state's steps leave out (`not_the_completer`: who completed it), if any."""
    who = data.get("completed_by") if "not_the_completer" in guards else None
    return who if isinstance(who, str) else None


@guard("has_public_text", "the text for the citizens must be written and published from the case's "
                          "information page")
def _has_public_text(ctx: FireContext) -> bool:
    return bool(ctx.case.data.get("public_text"))


@guard("every_measure_judged", "every measure of the plan must be judged first")
def _every_measure_judged(ctx: FireContext) -> bool:
    measures = {str(m) for m in ctx.case.data.get("measure_ids", [])}
    return bool(measures) and measures <= set(ctx.case.data.get("judgements", {}))


@effect("clear_signatures", "forgets signatures, e.g. when the text is revised")
def _clear_signatures(ctx: FireContext) -> None:
    ctx.case.data = {k: v for k, v in ctx.case.data.items() if k != "signatures"}
