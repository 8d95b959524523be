"""What each notice says, in Swedish and English: a subject, a headline, lines and a link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["Entry", "UI", "entry_for"]

# Headlines by notice kind; {case} is "ärende 12" / "case 12", {due} the local due date.
_HEADLINES: dict[str, dict[str, str]] = {
    "sv": {
        "assigned": "Du har fått {case}",
        "assigned_group": "Din grupp har fått {case}, som ingen har tagit ännu",
        "reminder": "Påminnelse: {case} ska vara klart {due}",
        "due": "Försenat: {case} skulle ha varit klart {due}",
        "escalation": "Eskalering: {case} är försenat sedan {due}",
        "renewal_reminder": "Avtalsförnyelse: avtalsperioden slutar {due}, om {days} dagar",
        "period_lapsed": "Avtalsperioden slutade {last_day} utan att avtalet förnyats",
        "manual_reminder": "Påminnelse från {actor}: {case}",
        "weekly_digest": "Veckosammanställning: {count} försenade ärenden",
        "weekly_digest_one": "Veckosammanställning: 1 försenat ärende",
        "your_turn": "Din tur: {case} väntar på {what}",
        "case_changed": "{actor} flyttade {case} till ”{state}”",
        "commented": "{actor} kommenterade {case}",
        "mentioned": "{actor} nämnde dig i {case}",
    },
    "en": {
        "assigned": "You have been given {case}",
        "assigned_group": "Your group has been given {case}, not yet taken by anyone",
        "reminder": "Reminder: {case} is due {due}",
        "due": "Overdue: {case} was due {due}",
        "escalation": "Escalation: {case} has been overdue since {due}",
        "renewal_reminder": "Agreement renewal: the agreement period ends {due}, in {days} days",
        "period_lapsed": "The agreement period ended on {last_day} without renewal",
        "manual_reminder": "Reminder from {actor}: {case}",
        "weekly_digest": "Weekly digest: {count} overdue cases",
        "weekly_digest_one": "Weekly digest: 1 overdue case",
        "your_turn": "Your turn: {case} waits for {what}",
        "case_changed": "{actor} moved {case} to “{state}”",
        "commented": "{actor} commented on {case}",
        "mentioned": "{actor} mentioned you in {case}",
    },
}

# Confidential cases: the same messages without a due date (a date is a detail too).
_CONFIDENTIAL: dict[str, dict[str, str]] = {
    "sv": {"reminder": "Påminnelse: {case}", "due": "Försenat: {case}", "escalation": "Eskalering: {case} är försenat",
           "your_turn": "Din tur: {case}", "case_changed": "{actor} ändrade {case}"},
    "en": {"reminder": "Reminder: {case}", "due": "Overdue: {case}", "escalation": "Escalation: {case} is overdue",
           "your_turn": "Your turn: {case}", "case_changed": "{actor} changed {case}"},
}

UI: dict[str, dict[str, str]] = {
    "sv": {"case": "ärende {n}", "greeting": "Hej {name}!", "open": "Öppna ärendet", "title": "Rubrik",
           "digest": "Samverkan: {n} meddelanden", "footer": "Meddelandet skickades av Samverkan. "
           "Du kan välja ett dagligt sammandrag i stället för enskilda meddelanden under dina inställningar.",
           "confidential": "Sekretessärende: öppna länken för att se mer.", "no_focus": "Utan fokusområde",
           "unknown": "okänt datum", "overdue": "Försenade ärenden", "prefix": "Samverkan: "},
    "en": {"case": "case {n}", "greeting": "Hello {name},", "open": "Open the case", "title": "Title",
           "digest": "Samverkan: {n} notices", "footer": "This message was sent by Samverkan. "
           "In your settings you can choose one daily digest instead of single messages.",
           "confidential": "Confidential case: follow the link to see more.", "no_focus": "No focus area",
           "unknown": "unknown date", "overdue": "Overdue cases", "prefix": "Samverkan: "},
}


@dataclass(frozen=True)
class Entry:
    """One notice as a person reads it."""

    headline: str
    link: str
    lines: tuple[str, ...] = ()
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default=())


def _date(value: str | None, tz: ZoneInfo, ui: dict[str, str]) -> str:
    if not value:
        return ui["unknown"]
    if len(value) == 10:  # a date already
        return value
    return dt.datetime.fromisoformat(value).astimezone(tz).date().isoformat()


def _last_day(ends_on: str | None, ui: dict[str, str]) -> str:
    # A period is [starts_on, ends_on): its last day is the day before ends_on.
    if not ends_on:
        return ui["unknown"]
    return (dt.date.fromisoformat(ends_on) - dt.timedelta(days=1)).isoformat()


def _digest_sections(payload: dict[str, Any], lang: str, ui: dict[str, str],
                     base_url: str, tz: ZoneInfo) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    out = []
    for section in payload.get("sections", []):
        heading = f"{section['group'][lang]} · {section['focus'][lang] if section['focus'] else ui['no_focus']}"
        rows = []
        for item in section["items"]:
            text = ui["case"].format(n=item["case_id"])
            if item.get("title"):
                text += f": {item['title']} ({_date(item.get('due_at'), tz, ui)})"
            rows.append((text, f"{base_url}/cases/{item['case_id']}"))
        out.append((heading, tuple(rows)))
    return tuple(out)


def entry_for(kind: str, payload: dict[str, Any], lang: str, base_url: str, tz: ZoneInfo) -> Entry:
    """The entry a notice of `kind` with `payload` makes in `lang`."""
    lang = lang if lang in _HEADLINES else "sv"
    ui = UI[lang]
    case_id = payload.get("case_id")
    link = f"{base_url}/cases/{case_id}" if case_id else f"{base_url}/agreement"
    values = {"case": ui["case"].format(n=case_id), "due": _date(payload.get("due_at"), tz, ui),
              "days": payload.get("offset_days", 0), "actor": payload.get("actor", ""),
              "last_day": _last_day(payload.get("ends_on"), ui), "count": payload.get("count", 0),
              "what": (payload.get("what") or {}).get(lang, ""),
              "state": (payload.get("state_label") or {}).get(lang, payload.get("state", ""))}
    templates = {**_HEADLINES[lang], **(_CONFIDENTIAL[lang] if payload.get("confidential") else {})}
    singular = f"{kind}_one" if values["count"] == 1 and f"{kind}_one" in templates else kind
    headline = templates.get(singular, "{case}").format(**values)
    if kind == "weekly_digest":
        return Entry(headline, f"{base_url}/chair",  # the chair's overview of overdue cases
                     sections=_digest_sections(payload, lang, ui, base_url, tz))
    if payload.get("confidential"):
        return Entry(headline, link, (ui["confidential"],))
    lines = (f"{ui['title']}: {payload['title']}",) if payload.get("title") else ()
    return Entry(headline, link, lines)
