"""A definition drawn as text, as a Mermaid state diagram or as Graphviz DOT source."""

from __future__ import annotations

import textwrap

from engine.workflow.definition import Definition

__all__ = ["STATE_ID_PREFIX", "dot", "mermaid", "text"]

# The SVG id of a state's node is this prefix and the state key, so that a page can find and mark it.
STATE_ID_PREFIX = "wf-state-"
_FONT = "DejaVu Sans"  # measured by Graphviz; wide, so narrower fallback fonts in a browser still fit
_WRAP_STATE, _WRAP_EDGE = 16, 14


def mermaid(d: Definition, current: str | None = None) -> str:
    """Mermaid `stateDiagram-v2` source; `current` is marked with a class."""
    lines = ["stateDiagram-v2", f"    [*] --> {d.initial}"]
    for s in d.states.values():
        lines.append(f'    {s.key}: {s.label.sv}')
    for t in d.transitions:
        for src in t.sources:
            lines.append(f"    {src} --> {t.target}: {t.trigger}")
    lines.extend(f"    {s.key} --> [*]" for s in d.states.values() if s.terminal)
    if current:
        lines += ["    classDef current fill:#ffd54f,stroke:#333,stroke-width:2px", f"    class {current} current"]
    return "\n".join(lines)


def _quote(value: str) -> str:
    """A DOT string literal; a newline becomes a centred line break."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _lines(label: str, width: int) -> str:
    return "\n".join(textwrap.wrap(label, width, break_long_words=False)) or label


def _edges(d: Definition, language: str, system_word: str) -> dict[tuple[str, str], tuple[list[str], bool]]:
    """Labels per (source, target): triggers sharing an arrow share it; an arrow is dashed if all are the system's."""
    edges: dict[tuple[str, str], tuple[list[str], bool]] = {}
    for t in d.transitions:
        label = t.label.get(language) + (f" ({system_word})" if t.system else "")
        for src in t.sources:
            labels, system = edges.get((src, t.target), ([], True))
            if label not in labels:
                labels.append(label)
            edges[(src, t.target)] = (labels, system and t.system)
    return edges


def dot(d: Definition, language: str = "sv", system_word: str = "system") -> str:
    """Graphviz DOT source of the workflow, for `dot -Tsvg`.

    Open states are rounded boxes, terminal ones square with a double border; a black dot
    points at the initial state; transitions the system fires itself are dashed and carry
    `system_word`. Each state's node has the id STATE_ID_PREFIX + key; no state is marked
    current, so one layout serves every case of the definition.
    """
    out = [
        f"digraph {_quote(d.key)} {{",
        f'  graph [id="wf-diagram" rankdir=TB nodesep=0.35 ranksep=0.45 pad=0.15 fontname={_quote(_FONT)}];',
        f'  node [shape=box style="rounded,filled" fillcolor="#ffffff" color="#222222" penwidth=1.5 '
        f'fontname={_quote(_FONT)} fontsize=12 margin="0.14,0.12" width=1.3 height=0.7];',
        f'  edge [color="#333333" fontname={_quote(_FONT)} fontsize=10 arrowsize=0.7];',
        '  "wf-start" [id="wf-start" shape=point width=0.16 height=0.16 style=filled fillcolor="#222222" label=""];',
        f'  "wf-start" -> {_quote(d.initial)};',
    ]
    for s in d.states.values():
        shape = ' style="filled" fillcolor="#eeeeee" peripheries=2' if s.terminal else ""
        out.append(f"  {_quote(s.key)} [id={_quote(STATE_ID_PREFIX + s.key)} "
                   f"label={_quote(_lines(s.label.get(language), _WRAP_STATE))}{shape}];")
    for (src, dst), (labels, system) in _edges(d, language, system_word).items():
        label = "\n".join(_lines(label, _WRAP_EDGE) for label in labels)
        style = " style=dashed" if system else ""
        out.append(f"  {_quote(src)} -> {_quote(dst)} [label={_quote(label)}{style}];")
    out.append("}")
    return "\n".join(out) + "\n"


def text(d: Definition, language: str = "sv") -> str:
    """A readable listing of states, deadlines and transitions."""
    out = [f"{d.key} — {d.label.get(language)} (version {d.version})", "", "States:"]
    for s in d.states.values():
        mark = " (terminal)" if s.terminal else (" (initial)" if s.key == d.initial else "")
        out.append(f"  {s.key:<28} {s.label.get(language)}{mark}")
        if s.deadline:
            r = s.deadline
            span = f"{r.working_days} working days" if r.working_days is not None else f"{r.days} days"
            out.append(f"      deadline: {span} from {r.anchor}; reminders {list(r.remind_before_days)} "
                       f"days before, escalations {list(r.escalate_after_days)} days after"
                       + (f"; on timeout {r.timeout_trigger}" if r.timeout_trigger else ""))
    out += ["", "Transitions:"]
    for t in d.transitions:
        extra = []
        if t.guards:
            extra.append("if " + ", ".join(t.guards))
        if t.unless:
            extra.append("unless " + ", ".join(t.unless))
        if t.comment_required:
            extra.append("comment required")
        who = "system" if t.system else ", ".join(sorted(t.roles))
        out.append(f"  {t.trigger:<20} {', '.join(t.sources)} → {t.target}  [{who}]"
                   + (f"  ({'; '.join(extra)})" if extra else ""))
    return "\n".join(out)
