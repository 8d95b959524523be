"""An action plan as a PDF for the board meeting: the plan, its measures with their state, whom each
waits for and when it is due (and, for a follow-up, the judgement of each)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from engine.cases.cycle import CycleView
from engine.cases.views import LabelText

__all__ = ["render_plan_pdf"]

_TEXT = {
    "sv": {"measures": "Åtgärder", "measure": "Åtgärd", "group": "Ansvarig grupp", "focus": "Fokusområde",
           "state": "Status", "waiting": "Väntar på", "due": "Förfaller", "judgement": "Bedömning",
           "none": "Inga åtgärder ännu.", "as_of": "Utskrift", "overdue": "försenad",
           "achieved": "Uppnådd", "partly": "Delvis uppnådd", "not_achieved": "Inte uppnådd"},
    "en": {"measures": "Measures", "measure": "Measure", "group": "Group", "focus": "Focus area",
           "state": "State", "waiting": "Waiting for", "due": "Due", "judgement": "Judgement",
           "none": "No measures yet.", "as_of": "Printed", "overdue": "overdue",
           "achieved": "Achieved", "partly": "Partly achieved", "not_achieved": "Not achieved"},
}
_STYLE = TableStyle([
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def _in(label: LabelText | dict[str, str], lang: str) -> str:
    return label["en"] if lang == "en" else label["sv"]


def _p(text: str | None, style: Any) -> Paragraph:
    return Paragraph(escape(text or "–"), style)


def render_plan_pdf(view: CycleView, language: str, *, tz: Any, now: dt.datetime,
                    focus_labels: dict[str, str]) -> bytes:
    """An A4 (landscape) PDF of the plan or follow-up in `view`."""
    lang = "en" if language == "en" else "sv"
    t, styles = _TEXT[lang], getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=10.5)
    case = view["case"]
    title = f"#{case['id']} {case['title']}"
    state = _in(case["state_labels"][case["state"]], lang)
    story: list[Any] = [_p(title, styles["Title"]),
                        _p(f"{_in(case['workflow_label'], lang)} · {state} · {t['as_of']} "
                           f"{now.astimezone(tz).date().isoformat()}", styles["Normal"])]
    if case.get("description"):
        story.append(_p(case["description"], styles["BodyText"]))
    story += [Spacer(1, 5 * mm), _p(t["measures"], styles["Heading2"])]
    judging = any(m["judgement"] is not None for m in view["measures"])
    head = [t["measure"], t["group"], t["focus"], t["state"], t["waiting"], t["due"]]
    head += [t["judgement"]] if judging else []
    rows: list[list[Any]] = [head]
    for m in view["measures"]:
        due = dt.datetime.fromisoformat(m["due_at"]).astimezone(tz).date().isoformat() if m["due_at"] else None
        if due and m["overdue"]:
            due = f"{due} ({t['overdue']})"
        waits = ", ".join(_in(w["label"], lang) for w in m["waiting_for"]) if m["is_open"] else None
        row = [_p(f"#{m['id']} {m['title']}", small), _p(_in(m["group"], lang), small),
               _p(focus_labels.get(m["focus_area"] or "", m["focus_area"]), small),
               _p(_in(m["state_label"], lang), small), _p(waits, small), _p(due, small)]
        if judging:
            j = m["judgement"]
            row.append(_p(f"{t[j['judgement']]}. {j['note']}".strip() if j else None, small))
        rows.append(row)
    if len(rows) == 1:
        story.append(_p(t["none"], styles["BodyText"]))
    else:
        widths = [62, 36, 26, 28, 42, 28] + ([45] if judging else [])
        table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(_STYLE)
        story.append(table)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=title, author="Samverkan", invariant=True)
    doc.build(story)
    return out.getvalue()
