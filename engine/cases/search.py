"""Finding cases by a number or by words, ranked, among the cases the searcher may see.

The words are matched in the full-text index (engine.store.search_index: title, description,
comments and what else a case's document holds) under the same visibility and filters as the
queues (`queues.where` of the "all" queue), so a confidential case is never found, nor
counted, by someone who may not see it. A search that is a case number ("#12" or "12") puts
that case first.

The matches come a page at a time (`limit` from `offset`), best first, ties broken by the newer case
first, so the order is total and a case shows on exactly one page while nothing changes between them.
Every page is complete: the narrowing of frequent words (engine.store.search_index) only changes how
the matches are found and ranked, never which cases match, and nothing caps the candidates.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, bindparam, select
from sqlmodel import Session

from engine.accounts.users import as_actor
from engine.cases.queues import ROWS, QueueFilter, summaries, where
from engine.cases.views import CaseSummary
from engine.kernel import cursors
from engine.kernel.actors import Actor
from engine.kernel.errors import ValidationError
from engine.kernel.text import check_storable
from engine.runtime.engine import Engine
from engine.store import search_index
from engine.store.models import CaseRow

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "SearchPage", "search", "search_after", "search_in", "search_page"]

_C = CaseRow.__table__  # type: ignore[attr-defined]
_NUMBER = re.compile(r"#?(\d{1,9})")
_LIMIT, _OFFSET = bindparam("b_limit", type_=Integer), bindparam("b_offset", type_=Integer)
_NUMBERED = bindparam("b_numbered", type_=Integer)
MAX_LIMIT = 200
# Far past any deployment's matches, and offset + limit + 1 well within the databases' integers.
MAX_OFFSET = 10_000_000


class SearchPage(NamedTuple):
    """A page of matches, best first, and whether more follow it."""

    items: list[CaseSummary]
    more: bool


@lru_cache(maxsize=256)
def _statement(conds: tuple[Any, ...], dialect: str, narrowed: bool, numbered: bool) -> Any:
    """The search for these (cached) queue conditions: the ids of a page by rank first, then their rows.

    Ranked on the narrow (id, rank) alone, so the database sorts the matches without carrying
    whole case rows; then the names are joined to the `b_limit` of the page (from `b_offset`) only.
    `numbered`: the case `b_numbered`, shown first as the number searched for, is left out of the rank.
    """
    match = search_index.matching(dialect, _C, narrowed)
    where_ = (*conds, match.condition, *((_C.c.id != _NUMBERED,) if numbered else ()))
    best = (select(_C.c.id.label("id"), match.rank.label("rank")).select_from(_C.join(match.index_table, match.on))
            .where(*where_).order_by(match.rank.desc(), _C.c.id.desc()).limit(_LIMIT).offset(_OFFSET).subquery())
    return ROWS.join(best, best.c.id == _C.c.id).order_by(best.c.rank.desc(), _C.c.id.desc())


def search_in(session: Session, actor: Actor, text: str, now: dt.datetime, filters: QueueFilter | None = None,
              limit: int = 50, offset: int = 0) -> SearchPage:
    """The `limit` cases matching `text` that `actor` may see from the `offset`-th best on, best first,
    and whether more follow, inside the caller's session."""
    check_storable(q=text)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"The limit is between 1 and {MAX_LIMIT}.")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError("offset", f"The offset is between 0 and {MAX_OFFSET:,}.")
    words = search_index.words(text)
    if not words:
        raise ValidationError("q", "Write a word or a case number to search for.")
    conds, params = where("all", actor, now, filters or QueueFilter())
    numbered = []
    number = _NUMBER.fullmatch(text.strip())
    if number:
        numbered = list(session.execute(ROWS.where(*conds, _C.c.id == int(number.group(1))), params).all())
    # The matches are the numbered case (if any, and visible), then the ranked rest without it:
    # the page's share of the rest begins that much earlier, and one row past the page tells if more follow.
    head = numbered if offset == 0 else []
    prepared = search_index.prepare(session, words)
    stmt = _statement(conds, session.get_bind().dialect.name, prepared.narrowed, bool(numbered))
    rows = session.execute(stmt, {**params, **prepared.params, "b_limit": limit - len(head) + 1,
                                  "b_offset": max(0, offset - len(numbered)),
                                  **({"b_numbered": numbered[0].id} if numbered else {})}).all()
    found = [*head, *rows]
    return SearchPage(summaries(session, found[:limit], now), len(found) > limit)


def search_page(eng: Engine, actor: Actor | str, text: str, *, filters: QueueFilter | None = None, limit: int = 50,
                offset: int = 0, now: dt.datetime | None = None) -> SearchPage:
    """A page of the cases matching `text` (words, or a case number) that `actor` may see, best first."""
    now = now or eng.now()
    with eng.db.read() as session:
        return search_in(session, as_actor(session, actor), text, now, filters, limit, offset)


def search(eng: Engine, actor: Actor | str, text: str, *, filters: QueueFilter | None = None, limit: int = 50,
           now: dt.datetime | None = None) -> list[CaseSummary]:
    """The best `limit` cases matching `text` (words, or a case number) that `actor` may see, best first."""
    return search_page(eng, actor, text, filters=filters, limit=limit, now=now).items


def _encode(offset: int) -> str:
    return cursors.dump({"search_offset": offset})


def _offset(value: Any) -> int:
    offset = value["search_offset"] if isinstance(value, dict) else None
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise ValueError(value)
    return offset


def _decode(cursor: str) -> int:
    """The offset a search's cursor points at, or a ValidationError naming `cursor`."""
    return cursors.load(cursor, _offset)


def search_after(eng: Engine, actor: Actor | str, text: str, *, filters: QueueFilter | None = None, limit: int = 50,
                 cursor: str | None = None, now: dt.datetime | None = None) -> tuple[list[CaseSummary], str | None]:
    """A page of `search_page` after an opaque `cursor`, and the cursor of the next page (None: the last).

    The cursor holds the place in the ranking, not a case: a rank is no fixed key (it moves as other
    cases are written), so a case whose rank moved between two pages may show on both or on neither.
    """
    offset = _decode(cursor) if cursor else 0
    found = search_page(eng, actor, text, filters=filters, limit=limit, offset=offset, now=now)
    return found.items, _encode(offset + limit) if found.more and offset + limit <= MAX_OFFSET else None
