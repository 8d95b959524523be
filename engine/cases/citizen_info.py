"""Information to the citizens: a text written by a person in Markdown, published from a case (the
monthly review), then public on /information and in the Atom feed.

Publishing fires the case's step that needs a text (the one guarded by `has_public_text`) in the same
transaction, so the obligation "information after every monthly review" counts exactly the published
texts. A text that names or links to a confidential case (#12, /cases/12) is refused: it is public.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases.firing import fire_in, load_visible
from engine.cases.plans import definition_of_case
from engine.kernel.actors import Actor
from engine.kernel.errors import ValidationError
from engine.kernel.text import check_storable
from engine.runtime.engine import Engine
from engine.store.models import Agreement, CaseRow, CitizenText

__all__ = ["GUARD", "PublicText", "check_text", "publish", "published", "publishing_trigger"]

GUARD = "has_public_text"
MAX_BODY = 20_000
# "#12", "ärende 12" is not a reference; "/cases/12" (any host) is.
_REFERENCES = re.compile(r"(?:(?<![\w&])#|/cases/)(\d{1,9})\b")


@dataclass(frozen=True)
class PublicText:
    id: int
    case_id: int
    title: str
    body: str  # Markdown
    published_at: dt.datetime
    agreement_title: str


def referenced_ids(body: str) -> set[int]:
    """The case numbers a text names (#12) or links to (…/cases/12)."""
    return {int(n) for n in _REFERENCES.findall(body)}


def check_text(session: Session, title: str, body: str) -> None:
    """ValidationError if the text cannot be published: empty, too long, or naming a confidential case."""
    check_storable(title=title, body=body)
    if not title.strip():
        raise ValidationError("title", "Give the information a heading.", code="text_title")
    if len(title.strip()) > 200:
        raise ValidationError("title", "A heading is at most 200 characters.", code="text_title_long")
    if not body.strip():
        raise ValidationError("body", "Write the information to the citizens.", code="text_body")
    if len(body) > MAX_BODY:
        raise ValidationError("body", f"The text is at most {MAX_BODY} characters.", code="text_long")
    ids = referenced_ids(f"{title}\n{body}")
    if ids:
        secret = sorted(i for i in session.exec(select(CaseRow.id).where(col(CaseRow.id).in_(ids),
                                                                        col(CaseRow.confidential))).all()
                        if i is not None)
        if secret:
            listed = ", ".join(f"#{i}" for i in secret)
            raise ValidationError("body", f"The text names or links to a confidential case ({listed}); the "
                                          "information is public, so remove the reference.",
                                  code="confidential_reference", params={"cases": listed})


def publishing_trigger(eng: Engine, session: Session, case: CaseRow) -> str | None:
    """The trigger that publishes a text from `case` in its current state, if it has one."""
    d = definition_of_case(eng, session, case)
    return next((t.trigger for t in d.transitions if case.state in t.sources and GUARD in t.guards), None)


def publish(eng: Engine, case_id: int, title: str, body: str, actor: Actor | str, *, comment: str | None = None,
            expected_version: int | None = None, now: dt.datetime | None = None) -> CitizenText:
    """Publish the text from case `case_id` and take its publishing step, in one transaction."""
    check_storable(comment=comment)
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        trigger = publishing_trigger(eng, session, case)
        if trigger is None:
            raise ValidationError("body", "This case has no step that publishes information now.",
                                  code="nothing_to_publish")
        check_text(session, title, body)
        text = CitizenText(case_id=case_id, agreement_id=case.agreement_id, title=title.strip(),
                           body=body.strip(), published_by=who.username, published_at=now)
        session.add(text)
        session.flush()
        # The guard reads the case's data; the step writes it with the case.
        set_committed_value(case, "data", {**case.data, "public_text": text.id})
        fire_in(eng, session, case, trigger, who, now, comment or title.strip(), expected_version)
        return text


def published(eng: Engine, *, agreement: str | None = None, limit: int = 50) -> list[PublicText]:
    """Published texts, newest first (all agreements unless `agreement` names one); public: no actor."""
    with eng.db.read() as session:
        stmt = (select(CitizenText, Agreement.title).join(Agreement, col(Agreement.id) == col(CitizenText.agreement_id))
                .order_by(col(CitizenText.published_at).desc(), col(CitizenText.id).desc()).limit(limit))
        if agreement is not None:
            stmt = stmt.where(Agreement.key == agreement)
        return [PublicText(t.id or 0, t.case_id, t.title, t.body, t.published_at, a_title)
                for t, a_title in session.exec(stmt).all()]
