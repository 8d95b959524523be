"""`samverkan report`: the follow-up report to the steering group as HTML, CSV or PDF."""

from __future__ import annotations

import click

from samverkan.cli.common import State, friendly


def register(main: click.Group) -> None:
    """Add `report` to `main`."""

    @main.command("report")
    @click.option("--year", type=int, help="A calendar year, e.g. 2027.")
    @click.option("--period", type=click.Choice(["current", "previous"]), help="An agreement period.")
    @click.option("--format", "fmt", type=click.Choice(["html", "csv", "pdf"]), default="html", show_default=True)
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
                  help="File to write.")
    @click.option("--language", type=click.Choice(["sv", "en"]), help="Default: the deployment's language.")
    @click.option("--agreement", help="Key of the agreement (default: the [agreement] of config.toml).")
    @click.pass_obj
    @friendly
    def report(state: State, year: int | None, period: str | None, fmt: str, output: str,
               language: str | None, agreement: str | None) -> None:
        """Write the follow-up report for a calendar year or an agreement period."""
        from engine.reporting.output import render_csv, render_html
        from engine.reporting.pdf import render_pdf
        from engine.reporting.report import build_report, report_range

        if (year is None) == (period is None):
            raise click.UsageError("give either --year YYYY or --period current|previous")
        eng = state.engine
        lang = language or eng.config.language
        now = eng.now()
        rng = report_range(eng, year=year, period=period, now=now, agreement=agreement)
        result = build_report(eng, rng, now=now, agreement=agreement)
        if fmt == "pdf":
            with open(output, "wb") as out:
                out.write(render_pdf(result, lang, tz=eng.tz))
        else:
            text = render_csv(result, lang) if fmt == "csv" else render_html(result, lang, tz=eng.tz)
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.write(text)
        click.echo(f"Report written to {output}.")
