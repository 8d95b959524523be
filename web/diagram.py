"""The workflow diagram of a case page: laid out by Graphviz, rendered to SVG on the server.

A layout is made once per (workflow, definition version, language) by `dot -Tsvg` and
cached; the current state is marked on a copy (a thick border, a fill and the word for
"current" on a line of its own), and that copy is cached too, per state: a definition
version never changes, so neither does the diagram of one of its states in one language
(parsing and writing the SVG again cost a case page half a millisecond). Where `dot` is
missing (a developer's machine without Graphviz) the hand layout of web.diagram_fallback
is drawn instead, with one warning in the log: never an error page.
"""

from __future__ import annotations

import logging
import re
import threading
import xml.etree.ElementTree as ET

import graphviz
from flask_babel import gettext as _
from markupsafe import Markup, escape

from engine.cases.views import CaseView, definition_of
from engine.workflow.definition import Definition
from engine.workflow.diagram import STATE_ID_PREFIX, dot
from web.diagram_fallback import hand_svg
from web.support import eng

__all__ = ["case_diagram", "layout", "mark", "render_svg", "reset"]

log = logging.getLogger(__name__)
SVG_NS = "http://www.w3.org/2000/svg"
_S = f"{{{SVG_NS}}}"
FONTS = "DejaVu Sans, Verdana, sans-serif"  # Graphviz measured DejaVu Sans; Verdana is as wide
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_MARK_LINE = 12.0  # height of the line that carries the word for "current"


class _Layouts:
    """Cached layouts, and whether `dot` was found missing (then it is not looked for again)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str, str, str], str | None] = {}
        # The page markup of a diagram: (workflow, version, state, and the texts it shows) → markup.
        self.marked: dict[tuple[str, ...], Markup] = {}
        self.dot_missing = False
        self.lock = threading.Lock()


_layouts = _Layouts()


def reset() -> None:
    """Forget cached layouts and a missing `dot` (after installing Graphviz, and between tests)."""
    with _layouts.lock:
        _layouts.cache.clear()
        _layouts.marked.clear()
        _layouts.dot_missing = False


def render_svg(source: str) -> str:
    """`dot -Tsvg` of DOT `source`, cleaned for inline use; raises graphviz.ExecutableNotFound without `dot`."""
    ET.register_namespace("", SVG_NS)
    root = ET.fromstring(graphviz.pipe_string("dot", "svg", source, encoding="utf-8", quiet=True))
    for parent in root.iter():  # Graphviz's titles are state keys: tooltips in English snake_case
        for child in parent.findall(f"{_S}title"):
            parent.remove(child)
    for element in root.iter():
        if "font-family" in element.attrib:
            element.set("font-family", FONTS)
    # The natural width and the viewBox, no height: the stylesheet scales it down to a phone's width.
    root.attrib.pop("height", None)
    root.set("class", "diagram")
    root.set("role", "img")
    return ET.tostring(root, encoding="unicode")


def layout(d: Definition, language: str, system_word: str) -> str | None:
    """The cached SVG layout of `d` in `language`, or None where Graphviz cannot draw it."""
    key = (d.key, d.version, language, system_word)
    if key in _layouts.cache:
        return _layouts.cache[key]
    if _layouts.dot_missing:
        return None
    try:
        laid: str | None = render_svg(dot(d, language, system_word))
    except graphviz.ExecutableNotFound:
        with _layouts.lock:
            if not _layouts.dot_missing:
                log.warning("Graphviz's `dot` was not found; workflow diagrams use the simple built-in layout. "
                            "Install Graphviz (Debian: apt-get install graphviz) for the full layout.")
            _layouts.dot_missing = True
        return None
    except (graphviz.CalledProcessError, OSError, ET.ParseError):
        log.warning("Graphviz could not draw workflow %s@%s; using the simple built-in layout",
                    d.key, d.version, exc_info=True)
        laid = None
    with _layouts.lock:
        _layouts.cache[key] = laid
    return laid


def _box(shapes: list[ET.Element]) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the points of a node's path or polygons."""
    numbers = [float(n) for s in shapes for n in _NUMBER.findall(s.get("d") or s.get("points") or "")]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def mark(svg: str, current: str | None, current_word: str, title: str) -> str:
    """A copy of a cached layout with `title` for screen readers and the state `current` marked."""
    root = ET.fromstring(svg)
    root.set("aria-label", title)
    heading = ET.Element(f"{_S}title")
    heading.text = title
    root.insert(0, heading)
    node = root.find(f".//{_S}g[@id='{STATE_ID_PREFIX}{current}']") if current else None
    if node is not None:
        node.set("class", "node current")
        shapes = [e for e in node if e.tag in (f"{_S}path", f"{_S}polygon")]
        for shape in shapes:
            shape.set("stroke-width", "4")
            if shape.get("fill") not in (None, "none"):
                shape.set("fill", "#fff3c4")
        lines = node.findall(f"{_S}text")
        for line in lines:  # up by half a line, to make room for the word below
            line.set("y", f"{float(line.get('y', '0')) - _MARK_LINE / 2:.2f}")
        left, _top, right, _bottom = _box(shapes)
        last_y = float(lines[-1].get("y", "0")) if lines else 0.0
        word = ET.SubElement(node, f"{_S}text", {
            "text-anchor": "middle", "x": f"{(left + right) / 2:.2f}", "y": f"{last_y + _MARK_LINE + 2:.2f}",
            "font-family": FONTS, "font-size": "10.00", "font-weight": "bold"})
        word.text = f"({current_word})"
    return ET.tostring(root, encoding="unicode")


def _legend(d: Definition) -> str:
    parts = [_("The dot marks where a case starts; a double border marks where it ends.")]
    if any(t.system for t in d.transitions):
        parts.append(_("A dashed arrow is a step the system takes itself when a deadline passes."))
    return f'<p class="diagram-legend">{escape(" ".join(parts))}</p>'


def case_diagram(case: CaseView, language: str) -> Markup:
    """The diagram of the case's own definition version, its state marked, as page markup."""
    workflow, version, current = case["workflow"], case["definition_version"], case["state"]
    words = (_("automatic"), _("current"))
    # Everything the markup is made of: the version's labels come with the version, the words with the language.
    key = (workflow, version, current, language, *words)
    found = _layouts.marked.get(key)
    if found is None:
        found = _draw(definition_of(eng(), workflow, version), current, language, *words)  # the version it started on
        with _layouts.lock:
            _layouts.marked[key] = found
    return found


def _draw(d: Definition, current: str, language: str, automatic: str, current_word: str) -> Markup:
    state = d.states.get(current)
    title = _("Workflow diagram of %(workflow)s; the current state is %(state)s.", workflow=d.label.get(language),
              state=state.label.get(language) if state else current)
    laid = layout(d, language, automatic)
    if laid is None:
        return Markup(hand_svg(d, current, language, current_word, title))
    return Markup(mark(laid, current, current_word, title) + _legend(d))
