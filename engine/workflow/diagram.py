"""A definition drawn as text or as a Mermaid state diagram."""

from __future__ import annotations

from engine.workflow.definition import Definition

__all__ = ["mermaid", "text"]


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
