"""The follow-up report as a PDF (reportlab): the same headings, tables and bar charts as the HTML page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from engine.reporting.output import TEXT, headline
from engine.reporting.report import Counts, Report

__all__ = ["render_pdf"]

_SERIES = (colors.HexColor("#1f5fa8"), colors.HexColor("#7fb069"))
_TABLE_STYLE = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
])


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[:width - 1].rstrip() + "…"


def _chart(title: str, rows: list[tuple[str, list[int]]], series: list[str]) -> Drawing:
    """Horizontal grouped bars, one group per row, with a legend."""
    height = 60 + 24 * max(len(rows), 1)
    drawing = Drawing(170 * mm, height)
    drawing.add(String(0, height - 12, title, fontName="Helvetica-Bold", fontSize=10))
    chart = HorizontalBarChart()
    chart.x, chart.y = 62 * mm, 10
    chart.width, chart.height = 95 * mm, height - 50
    # reportlab draws the first category at the bottom; reverse so the order reads as in the table.
    ordered = list(reversed(rows))
    chart.data = [[values[i] for _, values in ordered] for i in range(len(series))] or [[0]]
    chart.categoryAxis.categoryNames = [_short(label) for label, _ in ordered]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = "Helvetica", 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin = 0
    top = max([1, *[v for _, values in rows for v in values]])
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = max(1, round(top / 5))
    chart.valueAxis.labels.fontSize = 8
    for i, colour in enumerate(_SERIES[:len(series)]):
        chart.bars[i].fillColor = colour
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 62 * mm, height - 24
    legend.alignment, legend.columnMaximum = "right", 1
    legend.fontName, legend.fontSize = "Helvetica", 8
    legend.colorNamePairs = list(zip(_SERIES, series, strict=False))
    drawing.add(legend)
    return drawing


def _count_table(head: str, rows: tuple[Counts, ...], t: dict[str, str], language: str) -> Table:
    body = [[head, t["opened"], t["closed"], t["open"], t["overdue"], t["median"]]]
    for c in rows:
        median = "–" if c.median_days_to_close is None else f"{c.median_days_to_close:.1f}"
        body.append([c.label(language), str(c.opened), str(c.closed), str(c.open), str(c.overdue), median])
    table = Table(body, colWidths=[48 * mm, 18 * mm, 20 * mm, 16 * mm, 22 * mm, 46 * mm], repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


def render_pdf(report: Report, language: str = "sv", *, tz: Any = dt.UTC) -> bytes:
    """An A4 PDF of the report."""
    t = TEXT["en" if language == "en" else "sv"]
    styles = getSampleStyleSheet()
    what, as_of = headline(report, language, tz)
    story: list[Any] = [Paragraph(t["title"], styles["Title"]),
                        Paragraph(f"{report.agreement_title}<br/>{what} · {as_of}", styles["Normal"]),
                        Spacer(1, 6 * mm)]
    sections = ((t["by_focus_area"], t["focus_area"], report.by_focus_area, t["chart_focus"]),
                (t["by_workflow"], t["workflow"], report.by_workflow, t["chart_workflow"]))
    for heading, head, rows, chart_title in sections:
        story += [Paragraph(heading, styles["Heading2"]), _count_table(head, rows, t, language), Spacer(1, 4 * mm),
                  KeepTogether(_chart(chart_title, [(c.label(language), [c.opened, c.closed]) for c in rows],
                                      [t["opened"], t["closed"]]))]
    body = [[t["obligation"], t["required"], t["achieved"], t["status"]]]
    body += [[Paragraph(o.label(language), styles["BodyText"]), str(o.required), str(o.achieved), t[o.status]]
             for o in report.obligations]
    table = Table(body, colWidths=[100 * mm, 20 * mm, 24 * mm, 26 * mm], repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    story += [Paragraph(t["obligations"], styles["Heading2"]), table, Spacer(1, 4 * mm),
              KeepTogether(_chart(t["chart_obligations"],
                                  [(_short(o.label(language)), [o.achieved, o.required])
                                   for o in report.obligations],
                                  [t["achieved"], t["required"]]))]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{t['title']} – {what}", author="Samverkan",
                            invariant=True)
    doc.build(story)
    return out.getvalue()
