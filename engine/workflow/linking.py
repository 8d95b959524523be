"""How cases of one workflow hang together with others: what a case is opened from, the measures
opened from its page, the sources linked to it, and the measures it judges.

These are data in the workflow file, so the engine can follow the crime-prevention cycle
(situation picture → action plan → follow-up) without naming any workflow:

    opened_from = { workflow = "lagesbild", states = ["adopted"] }   # opened from such a case only
    measures = { workflow = "action", states = ["drafting", "decided"] }  # opened from its page, one per measure
    sources = { states = ["gathering", "analysing"] }               # other cases linked as its material
    judging = { states = ["judging"] }                               # judges the measures of what it was opened from
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["KEYS", "Linking", "OpenedFrom", "check_across", "parse_linking"]

KEYS = frozenset({"opened_from", "measures", "sources", "judging"})


@dataclass(frozen=True)
class OpenedFrom:
    """A case is opened from (under) a case of `workflow` that is in one of `states`."""

    workflow: str
    states: tuple[str, ...]


@dataclass(frozen=True)
class Linking:
    opened_from: OpenedFrom | None = None
    measures_workflow: str | None = None
    measure_states: tuple[str, ...] = ()  # states of this case in which measures may be opened
    source_states: tuple[str, ...] = ()  # states in which sources may be linked
    judging_states: tuple[str, ...] = ()  # states in which the measures are judged


class _HasStates(Protocol):
    @property
    def states(self) -> Mapping[str, Any]: ...


def _names(raw: Any, field: str, add: Callable[[str, str], None]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        add(field, "expected a non-empty list of state names")
        return ()
    return tuple(raw)


def _table(raw: dict[str, Any], key: str, allowed: set[str], add: Callable[[str, str], None]) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        add(key, f"expected a table such as {{ {', '.join(f'{k} = ...' for k in sorted(allowed))} }}")
        return {}
    for k in sorted(set(value) - allowed):
        add(f"{key}.{k}", f"unknown key; expected {', '.join(sorted(allowed))}")
    return value


def parse_linking(raw: dict[str, Any], states: Mapping[str, Any], add: Callable[[str, str], None]) -> Linking:
    """The linking keys of one workflow file; each problem is given to `add(field, message)`."""
    def own(field: str, names: tuple[str, ...]) -> tuple[str, ...]:
        for n in names:
            if n not in states:
                add(field, f"unknown state {n!r}")
        return names

    opened = _table(raw, "opened_from", {"workflow", "states"}, add)
    opened_from = None
    if opened:
        wf = opened.get("workflow")
        if not isinstance(wf, str):
            add("opened_from.workflow", "expected the key of a workflow")
        else:
            opened_from = OpenedFrom(wf, _names(opened.get("states"), "opened_from.states", add))
    measures = _table(raw, "measures", {"workflow", "states"}, add)
    mwf = measures.get("workflow") if measures else None
    if measures and not isinstance(mwf, str):
        add("measures.workflow", "expected the key of a workflow")
        mwf = None
    sources = _table(raw, "sources", {"states"}, add)
    judging = _table(raw, "judging", {"states"}, add)
    return Linking(
        opened_from=opened_from,
        measures_workflow=mwf,
        measure_states=own("measures.states", _names(measures.get("states"), "measures.states", add))
        if measures else (),
        source_states=own("sources.states", _names(sources.get("states"), "sources.states", add)) if sources else (),
        judging_states=own("judging.states", _names(judging.get("states"), "judging.states", add)) if judging else (),
    )


def check_across(linkings: Mapping[str, tuple[str, Linking]], states: Mapping[str, _HasStates]
                 ) -> list[tuple[str, str, str]]:
    """Problems (file, field, message) with workflows and states one file's linking names in another."""
    problems: list[tuple[str, str, str]] = []
    for _key, (path, link) in sorted(linkings.items()):
        if link.opened_from is not None:
            other = states.get(link.opened_from.workflow)
            if other is None:
                problems.append((path, "opened_from.workflow", f"no workflow {link.opened_from.workflow!r}"))
            else:
                problems += [(path, "opened_from.states", f"{link.opened_from.workflow} has no state {s!r}")
                             for s in link.opened_from.states if s not in other.states]
        if link.measures_workflow is not None and link.measures_workflow not in states:
            problems.append((path, "measures.workflow", f"no workflow {link.measures_workflow!r}"))
        if link.judging_states and (link.opened_from is None or link.opened_from.workflow not in linkings
                                    or linkings[link.opened_from.workflow][1].measures_workflow is None):
            problems.append((path, "judging", "judges the measures of the case it is opened from: set "
                                              "opened_from to a workflow that has measures"))
    return problems
