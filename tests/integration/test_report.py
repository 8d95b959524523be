"""The follow-up report: figures from the seeded history, and each output format read back."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from engine.kernel.errors import ValidationError
from engine.reporting.output import render_csv, render_html
from engine.reporting.pdf import render_pdf
from engine.reporting.report import Report, build_report, report_range
from engine.runtime.engine import Engine
from samverkan.cli.main import main
from tests.doubles import FixedClock
from tests.integration.seeding import seed_history


@pytest.fixture
def seeded(eng: Engine, clock: FixedClock) -> Engine:
    seed_history(eng, clock)
    return eng


def _current(eng: Engine) -> Report:
    return build_report(eng, report_range(eng, period="current"))


def _rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(text))}


def test_csv_read_back_gives_the_figures_of_the_period(seeded: Engine) -> None:
    rows = _rows(render_csv(_current(seeded)))
    figures = ("opened", "closed", "open", "overdue", "median_days_to_close")
    assert [rows["focus_area", "drugs"][f] for f in figures] == ["2", "2", "0", "0", "7.5"]
    assert [rows["focus_area", "burglary"][f] for f in figures] == ["1", "0", "1", "1", ""]
    assert [rows["focus_area", "violence"][f] for f in figures] == ["1", "1", "0", "0", "1.0"]
    assert [rows["focus_area", "safety"][f] for f in figures] == ["1", "0", "1", "0", ""]
    assert [rows["workflow", "action"][f] for f in figures] == ["4", "2", "2", "1", "7.5"]
    assert [rows["workflow", "monthly_review"][f] for f in figures] == ["2", "2", "0", "0", "0.0"]
    assert rows["focus_area", "drugs"]["label"] == "Narkotika"
    obligations = {k: (r["required"], r["achieved"], r["status"]) for (s, k), r in rows.items() if s == "obligation"}
    assert obligations == {
        "police_annual_report": ("1", "1", "met"),
        "safety_group_meetings": ("3", "3", "met"),
        "monthly_reviews": ("12", "2", "pending"),
        "citizen_information": ("2", "2", "met"),  # one publication per review held
        "acute_reported": ("0", "0", "met"),  # no acute matter was resolved
        "renewal": ("1", "1", "met"),
        "situation_picture": ("0", "0", "met"), "action_plan": ("0", "0", "met"),
        "plan_follow_up": ("0", "0", "met"),
    }


def test_the_period_report_agrees_with_the_agreement_page(seeded: Engine) -> None:
    from sqlmodel import select

    from engine.schedule.obligations import obligation_status
    from engine.store.models import Period

    current = _current(seeded)
    with seeded.db.read() as s:
        period = s.exec(select(Period).where(Period.number == current.range.number)).one()
        page = {ob.key: (st.required, st.done) for ob in seeded.config.agreement.obligations
                for st in [obligation_status(s, seeded, period, ob)]}
    assert {o.key: (o.required, o.achieved) for o in current.obligations} == page


def test_a_finished_range_without_work_is_not_met(seeded: Engine) -> None:
    report = build_report(seeded, report_range(seeded, period="previous"))
    assert report.range.starts_on.isoformat() == "2025-10-15"
    fixed = {o.key: o.status for o in report.obligations if o.required > 0}
    assert fixed == dict.fromkeys(("police_annual_report", "safety_group_meetings", "monthly_reviews", "renewal"),
                                  "not_met")
    assert sum(c.opened for c in report.by_workflow) == 0


def test_overdue_is_counted_as_of_the_end_of_the_range(seeded: Engine, clock: FixedClock) -> None:
    from engine.cases.commands import assign
    from engine.cases.firing import fire
    from engine.cases.queues import list_queue

    case_id = next(c["id"] for c in list_queue(seeded, "chair", "overdue") if c["title"] == "Grannsamverkan")
    assign(seeded, case_id, "official", user="member")  # and on to "assigned" (on_assign)
    clock.advance(days=300)  # into 2028: the year 2027 is over, the action was overdue at its end
    fire(seeded, case_id, "cancel", "official", comment="Inte längre aktuellt.")
    year = build_report(seeded, report_range(seeded, year=2027))
    burglary = next(c for c in year.by_focus_area if c.key == "burglary")
    assert (burglary.opened, burglary.closed, burglary.open, burglary.overdue) == (1, 0, 1, 1)
    later = build_report(seeded, report_range(seeded, year=2028))
    burglary = next(c for c in later.by_focus_area if c.key == "burglary")
    assert (burglary.opened, burglary.closed, burglary.open, burglary.overdue) == (0, 1, 0, 0)


def test_a_range_is_a_year_or_a_period(eng: Engine) -> None:
    with pytest.raises(ValidationError, match="either a year or a period"):
        report_range(eng, year=2027, period="current")
    with pytest.raises(ValidationError, match="'current' or 'previous'"):
        report_range(eng, period="next")


def test_html_has_the_headings_tables_and_charts_in_swedish_and_english(seeded: Engine) -> None:
    report = _current(seeded)
    sv = render_html(report, "sv", tz=seeded.tz)
    for heading in ("Uppföljningsrapport", "Per fokusområde", "Per arbetsflöde", "Avtalets åtaganden",
                    "Avtalsperiod 18 (2026-10-15 – 2027-10-14)", "Läget den 2027-04-11", "Uppfyllt", "Pågår"):
        assert heading in sv
    assert sv.count("<svg") == 3
    assert "<script" not in sv
    assert '<html lang="sv">' in sv
    for svg in re.findall(r"<svg.*?</svg>", sv, flags=re.S):
        chart = ElementTree.fromstring(svg)  # well-formed, so every browser draws it
        assert chart.findall("{http://www.w3.org/2000/svg}rect")
    en = html.unescape(render_html(report, "en", tz=seeded.tz))
    for heading in ("Follow-up report", "By focus area", "By workflow", "The agreement's obligations",
                    "Burglary", "In progress"):
        assert heading in en


def _need_poppler() -> None:
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    if os.environ.get("CI"):
        pytest.fail("pdftoppm/pdftotext (Debian poppler-utils) are missing in CI; .ci/run installs them")
    pytest.skip("pdftoppm/pdftotext not installed (apt-get install poppler-utils)")


def _dark_fraction(ppm: bytes) -> float:
    """Share of non-white pixels in a binary PPM (P6) image."""
    parts = ppm.split(maxsplit=4)
    assert parts[0] == b"P6"
    width, height = int(parts[1]), int(parts[2])
    pixels = parts[4][: width * height * 3]
    dark = sum(1 for i in range(0, len(pixels), 3) if min(pixels[i:i + 3]) < 200)
    return dark / (width * height)


def test_pdf_renders_to_an_image_with_the_headings_and_figures(seeded: Engine, tmp_path: Path) -> None:
    _need_poppler()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(_current(seeded), "sv", tz=seeded.tz))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    for heading in ("Uppföljningsrapport", "Per fokusområde", "Per arbetsflöde", "Avtalets åtaganden",
                    "Öppnade och avslutade ärenden per fokusområde", "Genomfört av det som krävs"):
        assert heading in text
    drugs = next(line for line in text.splitlines() if line.strip().startswith("Narkotika"))
    assert drugs.split()[1:] == ["2", "2", "0", "0", "7.5"]
    burglary = next(line for line in text.splitlines() if line.strip().startswith("Inbrott"))
    assert burglary.split()[1:] == ["1", "0", "1", "1", "–"]
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.ppm"))
    dark = _dark_fraction(page.read_bytes())
    assert 0.01 < dark < 0.5, f"page 1 looks blank or solid ({dark:.3f} dark)"


def test_cli_writes_each_format(seeded: Engine, tmp_path: Path) -> None:
    from tests.integration.test_transfer import _config_file

    cfg = _config_file(tmp_path, seeded.config.database_url)
    runner = CliRunner()
    for fmt in ("csv", "html", "pdf"):
        out = tmp_path / f"r.{fmt}"
        done = runner.invoke(main, ["--config", str(cfg), "report", "--year", "2027", "--format", fmt,
                                    "-o", str(out), "--language", "en"])
        assert done.exit_code == 0, done.output
        assert out.stat().st_size > 200
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert "By focus area" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert _rows((tmp_path / "r.csv").read_text(encoding="utf-8"))["focus_area", "drugs"]["label"] == "Drugs"
    bad = runner.invoke(main, ["--config", str(cfg), "report", "--format", "csv", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "--year" in bad.output
