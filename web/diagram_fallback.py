"""The workflow diagram laid out by hand, for a machine without Graphviz's `dot` (see web.diagram).

States are laid out in rows by their distance from the initial state; each transition
is an arrow with its label. The current state is drawn with a thick border and the word
for "current" on a line of its own, so it is not marked by colour alone.
"""

from __future__ import annotations

from collections import deque
from html import escape

from engine.workflow.definition import Definition

__all__ = ["hand_svg"]

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 170, 44, 90, 70, 20


def _layers(d: Definition) -> list[list[str]]:
    depth = {d.initial: 0}
    todo = deque([d.initial])
    while todo:
        state = todo.popleft()
        for t in d.transitions:
            if state in t.sources and t.target not in depth:
                depth[t.target] = depth[state] + 1
                todo.append(t.target)
    for key in d.states:
        depth.setdefault(key, max(depth.values(), default=0) + 1)
    rows: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for key in d.states:
        rows[depth[key]].append(key)
    return [r for r in rows if r]


def _edges(d: Definition) -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for t in d.transitions:
        for src in t.sources:
            edges.setdefault((src, t.target), []).append(t.trigger)
    return edges


def hand_svg(d: Definition, current: str | None, language: str = "sv", current_word: str = "current",
             title: str = "") -> str:
    """The diagram as an inline SVG element with a title for screen readers."""
    rows = _layers(d)
    width = PAD * 2 + max(len(r) for r in rows) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + len(rows) * (BOX_H + GAP_Y) - GAP_Y
    pos: dict[str, tuple[float, float]] = {}
    for y, row in enumerate(rows):
        offset = (width - (len(row) * (BOX_W + GAP_X) - GAP_X)) / 2
        for x, key in enumerate(row):
            pos[key] = (offset + x * (BOX_W + GAP_X), PAD + y * (BOX_H + GAP_Y))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
           f'class="diagram" role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>']
    for (src, dst), triggers in _edges(d).items():
        out.append(_edge(pos[src], pos[dst], d, triggers, language, loop=src == dst))
    for key, (left, top) in pos.items():
        out.append(_box(d, key, left, top, key == current, language, current_word))
    out.append("</svg>")
    return "".join(out)


def _edge(a: tuple[float, float], b: tuple[float, float], d: Definition, triggers: list[str],
          language: str, loop: bool) -> str:
    label = escape(", ".join(d.trigger_label(t, language) for t in triggers))
    if loop:
        x, y = a[0] + BOX_W, a[1] + BOX_H / 2
        return (f'<path d="M {x} {y - 8} C {x + 30} {y - 30}, {x + 30} {y + 30}, {x} {y + 8}" fill="none" '
                f'stroke="#333" marker-end="url(#arrow)"/><text x="{x + 34}" y="{y + 4}" font-size="11" '
                f'fill="#222">{label}</text>')
    x1, x2 = a[0] + BOX_W / 2, b[0] + BOX_W / 2
    anchor, dx, dy = "start", 6, 0
    if b[1] > a[1]:
        y1, y2 = a[1] + BOX_H, b[1]
        if x1 == x2:  # a straight drop: label on the left, back edges keep the right
            x1 = x2 = x1 - 8
            anchor, dx = "end", -6
    elif b[1] < a[1]:
        y1, y2 = a[1], b[1] + BOX_H
        x1, x2 = x1 + 8, x2 + 8  # back edges beside forward ones
    else:
        y1 = y2 = a[1] + BOX_H / 2
        x1, x2 = (a[0] + BOX_W, b[0]) if b[0] > a[0] else (a[0], b[0] + BOX_W)
        anchor, dx, dy = "middle", 0, -6
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return (f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#333" '
            f'marker-end="url(#arrow)"/><text x="{mx + dx:.0f}" y="{my + dy:.0f}" font-size="11" fill="#222" '
            f'text-anchor="{anchor}" paint-order="stroke" stroke="#fff" stroke-width="3">{label}</text>')


def _box(d: Definition, key: str, x: float, y: float, current: bool, language: str, current_word: str) -> str:
    state = d.states[key]
    label = escape(state.label.get(language))
    fill = "#fff3c4" if current else ("#eeeeee" if state.terminal else "#ffffff")
    stroke_w = 4 if current else 1.5
    dash = ' stroke-dasharray="0"' if not state.terminal else ' stroke-dasharray="6 3"'
    cx = x + BOX_W / 2
    # The word for "current" on a second line: appended to a long label it ran out of the box.
    text = (f'<text x="{cx:.0f}" y="{y + BOX_H / 2 - 2:.0f}" text-anchor="middle" font-size="13" fill="#111">'
            f'{label}</text><text x="{cx:.0f}" y="{y + BOX_H / 2 + 13:.0f}" text-anchor="middle" font-size="11" '
            f'fill="#111" font-weight="bold">({escape(current_word)})</text>' if current else
            f'<text x="{cx:.0f}" y="{y + BOX_H / 2 + 5:.0f}" text-anchor="middle" font-size="13" '
            f'fill="#111">{label}</text>')
    cls = ' class="current"' if current else ""
    return (f'<g{cls}><rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
            f'stroke="#222" stroke-width="{stroke_w}"{dash}/>{text}</g>')
