"""The workflow diagram: laid out by Graphviz without overlaps, the current state marked, and a
hand-drawn fallback (one warning, never an error page) where Graphviz is not installed."""

from __future__ import annotations

import logging
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import pytest

from engine.cases.firing import fire
from engine.config.load import load_config
from engine.workflow.definition import load_definitions, parse_definition
from engine.workflow.diagram import STATE_ID_PREFIX, dot
from tests.support import TIMEOUT_WORKFLOW
from web import diagram

ROOT = Path(__file__).resolve().parents[2]
ROLES = load_config(ROOT / "config.toml").role_keys
SIX = load_definitions(sorted((ROOT / "workflows").glob("*.toml")), ROLES)
S = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
Box = tuple[float, float, float, float]


@pytest.fixture(autouse=True)
def _fresh_layouts() -> Iterator[None]:
    """Every test starts without cached layouts and with `dot` looked for again."""
    diagram.reset()
    yield
    diagram.reset()


def _need_dot() -> None:
    if shutil.which("dot"):
        return
    if os.environ.get("CI"):
        pytest.fail("Graphviz's dot is missing in CI; .ci/run installs Debian's graphviz")
    pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


def _box(node: ET.Element) -> Box:
    numbers = [float(n) for e in node if e.tag in (f"{S}path", f"{S}polygon")
               for n in _NUMBER.findall(e.get("d") or e.get("points") or "")]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _states(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id", "")[len(STATE_ID_PREFIX):]: g for g in root.iter(f"{S}g")
            if g.get("id", "").startswith(STATE_ID_PREFIX)}


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(x: float, y: float, box: Box) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _lines(node: ET.Element) -> list[ET.Element]:
    return node.findall(f"{S}text")


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("key", sorted(SIX))
def test_each_workflow_is_laid_out_without_overlaps_and_marks_any_state(key: str, language: str) -> None:
    _need_dot()
    d = SIX[key]
    laid = diagram.layout(d, language, "automatic")
    assert laid is not None
    for current in d.states:
        root = ET.fromstring(diagram.mark(laid, current, "current", f"Diagram of {key}"))
        assert root.get("viewBox")
        assert root.get("height") is None  # scales with the page, keeps its shape
        assert (root.get("role"), root.get("aria-label")) == ("img", f"Diagram of {key}")
        assert (root[0].tag, root[0].text) == (f"{S}title", f"Diagram of {key}")
        nodes = _states(root)
        assert set(nodes) == set(d.states)
        boxes = {k: _box(g) for k, g in nodes.items()}
        for k, g in nodes.items():
            words = " ".join(t.text or "" for t in _lines(g))
            label = d.states[k].label.get(language)
            assert words == (f"{label} (current)" if k == current else label)  # text as text, not paths
            for line in _lines(g):
                assert _inside(float(line.get("x", "0")), float(line.get("y", "0")), boxes[k]), (k, line.text)
            assert ("current" in g.get("class", "").split()) == (k == current)
        for a, b in combinations(boxes, 2):
            assert not _overlap(boxes[a], boxes[b]), (key, a, b)
        for edge in root.iter(f"{S}g"):  # no arrow's label sits on a state
            if edge.get("class") == "edge":
                for t in _lines(edge):
                    x, y = float(t.get("x", "0")), float(t.get("y", "0")) - 4
                    assert not any(_inside(x, y, box) for box in boxes.values()), (key, t.text)
        marked = nodes[current]
        assert {s.get("stroke-width") for s in marked if s.tag in (f"{S}path", f"{S}polygon")} == {"4"}
        word = _lines(marked)[-1]
        width = 0.62 * 10 * len(word.text or "")  # DejaVu Sans at 10 pt, generously
        left, _top, right, bottom = boxes[current]
        x = float(word.get("x", "0"))
        assert left < x - width / 2
        assert x + width / 2 < right
        assert float(word.get("y", "0")) + 3 <= bottom  # the descenders too


def test_start_end_and_system_steps_are_told_apart_without_colour() -> None:
    _need_dot()
    d = parse_definition(TIMEOUT_WORKFLOW, "workflows/expiring.toml", ROLES)
    root = ET.fromstring(diagram.mark(diagram.layout(d, "sv", "automatiskt") or "", "waiting", "nuvarande", "t"))
    nodes = _states(root)
    assert len(nodes["done"].findall(f"{S}polygon")) == 2  # a double border where a case ends
    assert len(nodes["waiting"].findall(f"{S}path")) == 1  # a single rounded one where it goes on
    start = next(g for g in root.iter(f"{S}g") if g.get("id") == "wf-start")
    assert start.find(f"{S}ellipse") is not None
    edges = {" ".join(t.text or "" for t in _lines(g)): g for g in root.iter(f"{S}g") if g.get("class") == "edge"}
    assert edges["Låt gå ut (automatiskt)"].find(f"{S}path").get("stroke-dasharray")  # type: ignore[union-attr]
    assert edges["Klar"].find(f"{S}path").get("stroke-dasharray") is None  # type: ignore[union-attr]


def test_a_layout_is_made_once_per_definition_version_and_language(monkeypatch: pytest.MonkeyPatch) -> None:
    _need_dot()
    runs: list[str] = []
    real = diagram.render_svg
    monkeypatch.setattr(diagram, "render_svg", lambda source: runs.append(source) or real(source))
    d = SIX["agreement_renewal"]
    first = diagram.layout(d, "sv", "automatiskt")
    for _ in range(3):
        assert diagram.layout(d, "sv", "automatiskt") == first
    assert diagram.layout(d, "en", "automatic") != first
    assert len(runs) == 2


def _diagram_of(page: str) -> ET.Element:
    start = re.search(r'<svg [^>]*class="diagram"', page)
    assert start, "no diagram on the page"
    return ET.fromstring(page[start.start():page.index("</svg>", start.start()) + 6])


def _renewal_awaiting_signatures(eng, open_case) -> int:  # type: ignore[no-untyped-def]
    cid = open_case("agreement_renewal", group="trygghetsgruppen", title="Förlängning")
    fire(eng, cid, "schedule_discussion", "chair")
    fire(eng, cid, "hold_discussion", "chair", comment="Parterna är överens.")
    fire(eng, cid, "sign", "chair")
    return int(cid)


def test_case_page_draws_the_renewal_with_the_current_state_marked(web, eng, open_case) -> None:  # type: ignore[no-untyped-def]
    _need_dot()
    cid = _renewal_awaiting_signatures(eng, open_case)
    web.login("chair")
    page = web.text(f"/cases/{cid}")
    svg = _diagram_of(page)
    assert svg.get("aria-label") == "Flödesschema för Avtalsförnyelse; nuvarande status är Inväntar underskrifter."
    marked = _states(svg)["awaiting_signatures"]
    assert "current" in marked.get("class", "")
    assert [t.text for t in _lines(marked)] == ["Inväntar", "underskrifter", "(nuvarande)"]
    assert "Punkten visar var ett ärende börjar" in page


def test_case_page_draws_the_definition_version_the_case_started_on(web, eng, open_case) -> None:  # type: ignore[no-untyped-def]
    _need_dot()
    cid = open_case(title="Sanera klotter")
    source = eng.registry.get("action").source.replace('sv = "Tilldelad"', 'sv = "Fördelad"')
    eng.registry.current["action"] = parse_definition(source, "workflows/action.toml", eng.registry.roles)
    web.login("chair")
    page = web.text(f"/cases/{cid}")
    assert ">Tilldelad<" in page
    assert ">Fördelad<" not in page


def test_a_case_page_draws_its_marked_diagram_once_per_state_and_language(web, eng, open_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The marked diagram is kept per (definition version, state, language): the page after a step marks
    the new state, and a page in the same state does not parse and write the SVG again."""
    _need_dot()
    marks: list[str | None] = []
    real = diagram.mark
    monkeypatch.setattr(diagram, "mark", lambda svg, current, *rest: marks.append(current) or real(svg, current, *rest))
    cid = open_case("agreement_renewal", group="trygghetsgruppen", title="Förlängning")
    web.login("chair")
    first, again = web.text(f"/cases/{cid}"), web.text(f"/cases/{cid}")
    assert "current" in _states(_diagram_of(again))["opened"].get("class", "")
    fire(eng, cid, "schedule_discussion", "chair")
    moved = _states(_diagram_of(web.text(f"/cases/{cid}")))
    assert "current" in moved["discussion_scheduled"].get("class", "")
    assert "current" not in moved["opened"].get("class", "")
    assert marks == ["opened", "discussion_scheduled"]
    assert _diagram_of(first).get("aria-label") == _diagram_of(again).get("aria-label")


def test_without_graphviz_the_page_falls_back_to_the_hand_layout_with_one_warning(
        web, open_case, monkeypatch, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    cid = open_case(title="Sanera klotter")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    web.login("chair")
    with caplog.at_level(logging.WARNING, logger="web.diagram"):
        pages = [web.client.get(f"/cases/{cid}") for _ in range(2)]
    assert [p.status_code for p in pages] == [200, 200]
    page = pages[1].get_data(as_text=True)
    svg = _diagram_of(page)
    assert svg.get("role") == "img"
    assert svg.get("aria-label", "").startswith("Flödesschema för Åtgärd")
    assert [t.text for t in svg.iter(f"{S}text") if t.text in ("Öppen", "(nuvarande)")] == ["Öppen", "(nuvarande)"]
    warnings = [r for r in caplog.records if r.name == "web.diagram"]
    assert len(warnings) == 1
    assert "apt-get install graphviz" in warnings[0].getMessage()


def test_dot_source_names_each_state_once_with_its_label() -> None:
    source = dot(SIX["agreement_renewal"], "en")
    assert source.startswith('digraph "agreement_renewal" {')
    assert f'"discussed" [id="{STATE_ID_PREFIX}discussed" label="Discussed"];' in source
    assert '"wf-start" -> "opened";' in source
    assert '"extended" [id="wf-state-extended" label="Extended" style="filled" fillcolor="#eeeeee" peripheries=2];' \
        in source

