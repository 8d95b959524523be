"""`samverkan tick`, `forecast` as a cron job or an operator would run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _config(tmp_path: Path, url: str) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///var/samverkan.db"', f'url = "{url}"')
    text = text.replace('workflows_dir = "workflows"', f'workflows_dir = "{ROOT / "workflows"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "samverkan", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=120)


def test_tick_dry_run_then_tick_then_nothing_left(tmp_path: Path) -> None:
    cfg = _config(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert _run(cfg, "init").returncode == 0
    now = "2027-02-10T09:00:00+01:00"
    dry = _run(cfg, "tick", "--now", now, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert preview["dry_run"] is True
    assert [o["occurrence_key"] for o in preview["opened"]] == ["police_annual_report:2027-03-15"]
    real = json.loads(_run(cfg, "tick", "--now", now, "--json").stdout)
    assert [o["occurrence_key"] for o in real["opened"]] == ["police_annual_report:2027-03-15"]
    again = json.loads(_run(cfg, "tick", "--now", now, "--json").stdout)
    assert again["opened"] == []
    assert again["fired"] == 0
    fc = _run(cfg, "forecast", "--from", "2027-02-10", "--days", "40", "--json")
    items = json.loads(fc.stdout)
    kinds = {(i["kind"], i.get("occurrence_key") or i.get("title")) for i in items}
    assert ("open", "monthly_review:2027-03-01") in kinds
    assert any(k == "reminder" for k, _ in kinds)  # the annual report's reminder 30 days before 15 March


def test_tick_rejects_a_bad_time_with_a_usage_error(tmp_path: Path) -> None:
    cfg = _config(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = _run(cfg, "tick", "--now", "next tuesday")
    assert result.returncode == 2
    assert "ISO 8601" in result.stderr
    assert "Traceback" not in result.stderr
