"""Finding cases by a number or by words, ranked, among the cases the searcher may see.

The words are matched in the full-text index (engine.store.search_index: title, description,
comments and what else a case's document holds) under the same visibility and filters as the
queues (`queues.where` of the "all" queue), so a confidential case is never found, nor
counted, by someone who may not see it. A search that is a case number ("#12" or "12") puts
that case first.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlmodel import Session

from engine.accounts.users import as_actor
from engine.cases.queues import ROWS, QueueFilter, summaries, where
from engine.cases.views import CaseSummary
from engine.kernel.actors import Actor
from engine.kernel.errors import ValidationError
from engine.kernel.text import check_storable
from engine.runtime.engine import Engine
from engine.store import search_index
from engine.store.models import CaseRow

__all__ = ["search", "search_in"]

_C = CaseRow.__table__  # type: ignore[attr-defined]
_NUMBER = re.compile(r"#?(\d{1,9})")
_LIMIT = bindparam("b_limit", type_=Integer)


@lru_cache(maxsize=256)
def _statement(conds: tuple[Any, ...], dialect: str, narrowed: bool) -> Any:
    """The search for these (cached) queue conditions: the best ids by rank first, then their rows.

    Ranked on the narrow (id, rank) alone, so the database sorts the matches without carrying
    whole case rows; then the names are joined to the `b_limit` best only.
    """
    match = search_index.matching(dialect, _C, narrowed)
    best = (select(_C.c.id.label("id"), match.rank.label("rank")).select_from(_C.join(match.index_table, match.on))
            .where(*conds, match.condition).order_by(match.rank.desc(), _C.c.id.desc()).limit(_LIMIT).subquery())
    return ROWS.join(best, best.c.id == _C.c.id).order_by(best.c.rank.desc(), _C.c.id.desc())


def search_in(session: Session, actor: Actor, text: str, now: dt.datetime, filters: QueueFilter | None = None,
              limit: int = 50) -> list[CaseSummary]:
    """The best `limit` cases matching `text` that `actor` may see, best first, inside the caller's session."""
    check_storable(q=text)
    if not 1 <= limit <= 200:
        raise ValidationError("limit", "The limit is between 1 and 200.")
    words = search_index.words(text)
    if not words:
        raise ValidationError("q", "Write a word or a case number to search for.")
    conds, params = where("all", actor, now, filters or QueueFilter())
    found = []
    number = _NUMBER.fullmatch(text.strip())
    if number:
        found = list(session.execute(ROWS.where(*conds, _C.c.id == int(number.group(1))), params).all())
    prepared = search_index.prepare(session, words)
    rows = session.execute(_statement(conds, session.get_bind().dialect.name, prepared.narrowed),
                           {**params, **prepared.params, "b_limit": limit}).all()
    found += [r for r in rows if not found or r.id != found[0].id]
    return summaries(session, found[:limit], now)


def search(eng: Engine, actor: Actor | str, text: str, *, filters: QueueFilter | None = None, limit: int = 50,
           now: dt.datetime | None = None) -> list[CaseSummary]:
    """Cases matching `text` (words, or a case number) that `actor` may see, best first."""
    now = now or eng.now()
    with eng.db.read() as session:
        return search_in(session, as_actor(session, actor), text, now, filters, limit)
