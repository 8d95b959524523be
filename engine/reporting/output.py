"""The follow-up report as CSV and as a printable HTML page with inline SVG charts (no JavaScript)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from engine.reporting.report import Counts, Report

__all__ = ["CSV_COLUMNS", "TEXT", "headline", "render_csv", "render_html", "svg_bars"]

TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Uppföljningsrapport", "year": "Kalenderår {number}",
        "period": "Avtalsperiod {number} ({start} – {end})", "as_of": "Läget den {date}",
        "by_focus_area": "Per fokusområde", "by_workflow": "Per arbetsflöde",
        "obligations": "Avtalets åtaganden", "focus_area": "Fokusområde", "workflow": "Arbetsflöde",
        "opened": "Öppnade", "closed": "Avslutade", "open": "Öppna", "overdue": "Försenade",
        "median": "Mediantid till avslut (dagar)", "obligation": "Åtagande", "required": "Krävs",
        "achieved": "Genomfört", "status": "Status", "met": "Uppfyllt", "not_met": "Ej uppfyllt",
        "pending": "Pågår", "chart_focus": "Öppnade och avslutade ärenden per fokusområde",
        "chart_workflow": "Öppnade och avslutade ärenden per arbetsflöde",
        "chart_obligations": "Genomfört av det som krävs", "generated": "Skapad av Samverkan",
    },
    "en": {
        "title": "Follow-up report", "year": "Calendar year {number}",
        "period": "Agreement period {number} ({start} – {end})", "as_of": "As of {date}",
        "by_focus_area": "By focus area", "by_workflow": "By workflow",
        "obligations": "The agreement's obligations", "focus_area": "Focus area", "workflow": "Workflow",
        "opened": "Opened", "closed": "Closed", "open": "Open", "overdue": "Overdue",
        "median": "Median days to close", "obligation": "Obligation", "required": "Required",
        "achieved": "Achieved", "status": "Status", "met": "Met", "not_met": "Not met",
        "pending": "In progress", "chart_focus": "Cases opened and closed per focus area",
        "chart_workflow": "Cases opened and closed per workflow",
        "chart_obligations": "Achieved of what is required", "generated": "Made by Samverkan",
    },
}

CSV_COLUMNS = ("section", "key", "label", "opened", "closed", "open", "overdue", "median_days_to_close",
               "required", "achieved", "status")
_COLOURS = ("#1f5fa8", "#7fb069", "#c0392b")
_TEMPLATES = Path(__file__).parent / "templates"


def _text(language: str) -> dict[str, str]:
    return TEXT["en" if language == "en" else "sv"]


def headline(report: Report, language: str, tz: Any) -> tuple[str, str]:
    """(what the report covers, as of when), in `language`."""
    t, r = _text(language), report.range
    last_day = r.ends_on - dt.timedelta(days=1)
    what = t[r.kind].format(number=r.number, start=r.starts_on.isoformat(), end=last_day.isoformat())
    as_of = report.as_of.astimezone(tz)
    if as_of.time() == dt.time(0):  # the end of the range: show its last day, not the next
        as_of -= dt.timedelta(days=1)
    return what, t["as_of"].format(date=as_of.date().isoformat())


def _median(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def render_csv(report: Report, language: str = "sv") -> str:
    """One row per focus area, workflow and obligation, with machine-readable column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section, rows in (("focus_area", report.by_focus_area), ("workflow", report.by_workflow)):
        for c in rows:
            writer.writerow([section, c.key, c.label(language), c.opened, c.closed, c.open, c.overdue,
                             _median(c.median_days_to_close), "", "", ""])
    for o in report.obligations:
        writer.writerow(["obligation", o.key, o.label(language), "", "", "", "", "", o.required, o.achieved,
                         o.status])
    return out.getvalue()


def svg_bars(title: str, rows: list[tuple[str, list[float]]], series: list[str],
             maximum: float | None = None) -> Markup:
    """A horizontal grouped bar chart as inline SVG: one group per row, one bar per series."""
    bar, gap, label_w, plot_w = 12, 10, 210, 360
    group_h = bar * len(series) + gap
    legend_h = 22
    height = 30 + legend_h + group_h * len(rows)
    top = max([maximum or 0.0, *[v for _, values in rows for v in values], 1.0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + plot_w + 60}" '
             f'height="{height}" viewBox="0 0 {label_w + plot_w + 60} {height}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>']
    for i, name in enumerate(series):
        x = label_w + i * 120
        parts.append(f'<rect x="{x}" y="26" width="10" height="10" fill="{_COLOURS[i % 3]}"/>'
                     f'<text x="{x + 14}" y="35">{escape(name)}</text>')
    for r, (label, values) in enumerate(rows):
        y0 = 30 + legend_h + r * group_h
        parts.append(f'<text x="{label_w - 6}" y="{y0 + group_h / 2}" text-anchor="end" '
                     f'dominant-baseline="middle">{escape(label)}</text>')
        for i, value in enumerate(values):
            w = plot_w * value / top
            y = y0 + i * bar
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar - 2}" '
                         f'fill="{_COLOURS[i % 3]}"><title>{escape(series[i])}: {value:g}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 3}" font-size="10">{value:g}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _count_chart(title: str, rows: tuple[Counts, ...], language: str) -> Markup:
    t = _text(language)
    return svg_bars(title, [(c.label(language), [c.opened, c.closed]) for c in rows], [t["opened"], t["closed"]])


def render_html(report: Report, language: str = "sv", *, tz: Any = dt.UTC) -> str:
    """A printable HTML page (A4, no scripts) with the tables and the bar charts."""
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]))
    t = _text(language)
    what, as_of = headline(report, language, tz)
    charts = {
        "focus": _count_chart(t["chart_focus"], report.by_focus_area, language),
        "workflow": _count_chart(t["chart_workflow"], report.by_workflow, language),
        "obligations": svg_bars(t["chart_obligations"],
                                [(o.label(language), [o.achieved, o.required]) for o in report.obligations],
                                [t["achieved"], t["required"]]),
    }
    return env.get_template("report.html").render(
        t=t, r=report, lang="en" if language == "en" else "sv", what=what, as_of=as_of, charts=charts,
        median=_median)
