"""A national deployment for the benches: the shipped config plus 289 generated agreements.

The Police have agreements like Höör's with nearly every one of Sweden's 290 municipalities.
`national_config` writes config.toml as shipped (Höör, the default agreement) followed by
`n - 1` generated `[[agreements]]` ("m001" ...), each with two groups of its own, the
monthly review as a recurring obligation and an obligation to hold it. Not a bench itself
(`make bench` runs only bench/*.py).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGREEMENTS = 290

_AGREEMENT = '''
[[agreements]]
key = "{key}"
title = "Samverkansöverenskommelse kommun {n} och Polisen"
parties = ["Kommun {n}", "Polisen"]
start = 2015-03-01
period_months = 24
renewal_lead_days = 90
renewal_group = "{key}_rad"
[[agreements.groups]]
key = "{key}_rad"
sv = "Brottsförebyggande rådet, kommun {n}"
en = "Crime prevention council, municipality {n}"
[[agreements.groups]]
key = "{key}_soc"
sv = "Socialtjänsten, kommun {n}"
en = "Social services, municipality {n}"
[[agreements.recurring]]
key = "monthly_review"
workflow = "monthly_review"
schedule = "0 9 * * mon#1"
lead_days = 14
group = "{key}_rad"
title = "Månadsgenomgång kommun {n} {{year}}-{{month}}"
[[agreements.obligations]]
key = "monthly_reviews"
sv = "Månadsgenomgångar"
en = "Monthly reviews"
workflow = "monthly_review"
states = ["held"]
required = 24
'''


def agreement_keys(n: int = AGREEMENTS) -> list[str]:
    """The keys of the generated agreements (the default agreement, Höör, not among them)."""
    return [f"m{i:03d}" for i in range(1, n)]


def national_config(directory: Path, database_url: str, n: int = AGREEMENTS) -> Path:
    """Write config.toml for `n` agreements into `directory`; its path."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('workflows_dir = "workflows"', f'workflows_dir = "{ROOT / "workflows"}"')
    text = text.replace('url = "sqlite:///var/samverkan.db"', f'url = "{database_url}"')
    text += "".join(_AGREEMENT.format(key=key, n=i) for i, key in enumerate(agreement_keys(n), start=1))
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
