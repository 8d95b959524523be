"""The full-text index of cases: what a case's search document holds, keeping it in step, matching it.

An index, not data: derived from the cases, their comments, their files' names (`BODY_PARTS`),
never exported, rebuilt by `samverkan search rebuild` and after an import. The engine writes
it in the transaction of each change (opening, editing, commenting, attaching), not database triggers,
so nothing that writes the tables (an import, a repair) can leave it behind unnoticed: the
writer calls `refresh` or `rebuild`.

Swedish both ways. PostgreSQL: a `tsvector` under the `swedish` text search configuration,
title weighted above the rest, with a GIN index. SQLite: an FTS5 table over the words as
written; the query's words are stemmed with the same Snowball algorithm and matched as
prefixes, so "klotter" (stem "klott") finds "Klottret" and "klotterplank" alike. PostgreSQL's
query is a prefix of each stemmed word too, so both answer the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Table, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.expression import TableClause
from sqlmodel import Session, col

from engine.store.models import SEARCH_TABLE, Attachment, CaseComment, CaseRow

__all__ = ["BODY_PARTS", "TABLE", "BodyPart", "Match", "add", "matching", "outside_index",
           "query", "rebuild", "refresh", "tables", "words"]

TABLE = SEARCH_TABLE
# Words as the index cuts them: letters and digits (å, ä, ö included), at most 40 to a query.
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 40
_CHUNK = 500

BodyPart = Callable[[Session, list[int]], dict[int, list[str]]]


def _descriptions(session: Session, ids: list[int]) -> dict[int, list[str]]:
    rows = session.execute(select(col(CaseRow.id), col(CaseRow.description)).where(col(CaseRow.id).in_(ids)))
    return {case_id: [body] for case_id, body in rows if body}


def _comments(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = session.execute(select(col(CaseComment.case_id), col(CaseComment.body))
                           .where(col(CaseComment.case_id).in_(ids)).order_by(col(CaseComment.id)))
    for case_id, body in rows:
        out.setdefault(case_id, []).append(body)
    return out


def _attachment_names(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = session.execute(select(col(Attachment.case_id), col(Attachment.name))
                           .where(col(Attachment.case_id).in_(ids), col(Attachment.removed_at).is_(None))
                           .order_by(col(Attachment.id)))
    for case_id, name in rows:
        out.setdefault(case_id, []).append(name)
    return out


# What a case's document holds besides its title, each part read for many cases at once
# (case id -> texts): the description, the comments, the names of the files on the case.
BODY_PARTS: list[BodyPart] = [_descriptions, _comments, _attachment_names]


def tables(dialect: str) -> frozenset[str]:
    """The index's tables in a database of `dialect` (FTS5 keeps shadow tables beside its own)."""
    if dialect == "sqlite":
        return frozenset({TABLE, *(f"{TABLE}_{s}" for s in ("data", "idx", "content", "docsize", "config"))})
    return frozenset({TABLE})


def outside_index(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's `include_name`: every table but the index's (it has no model to compare with)."""
    return not (type_ == "table" and name is not None and name.startswith(TABLE))


def _documents(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    stmt = select(col(CaseRow.id), col(CaseRow.title)).where(col(CaseRow.id).in_(ids))
    titles = {case_id: title for case_id, title in session.execute(stmt)}
    bodies: dict[int, list[str]] = {}
    for part in BODY_PARTS:
        for case_id, texts in part(session, ids).items():
            bodies.setdefault(case_id, []).extend(texts)
    return [{"b_id": case_id, "b_title": title, "b_body": "\n".join(bodies.get(case_id, []))}
            for case_id, title in titles.items()]


@lru_cache(maxsize=4)
def _statements(dialect: str) -> tuple[TextClause, TextClause]:
    if dialect == "postgresql":
        upsert = text(f"INSERT INTO {TABLE} (case_id, document) VALUES (:b_id, "
                      "setweight(to_tsvector('swedish', :b_title), 'A') || "
                      "setweight(to_tsvector('swedish', :b_body), 'B')) "
                      "ON CONFLICT (case_id) DO UPDATE SET document = excluded.document")
        return text(f"DELETE FROM {TABLE} WHERE case_id = :b_id"), upsert
    return (text(f"DELETE FROM {TABLE} WHERE rowid = :b_id"),
            text(f"INSERT INTO {TABLE} (rowid, title, body) VALUES (:b_id, :b_title, :b_body)"))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def refresh(session: Session, case_ids: Iterable[int]) -> None:
    """Write these cases' documents anew, inside the caller's transaction."""
    ids = sorted(set(case_ids))
    delete, upsert = _statements(_dialect(session))
    for start in range(0, len(ids), _CHUNK):
        docs = _documents(session, ids[start:start + _CHUNK])
        if _dialect(session) == "sqlite":
            session.execute(delete, [{"b_id": d["b_id"]} for d in docs])
        if docs:
            session.execute(upsert, docs)


def add(session: Session, case_id: int, title: str, description: str) -> None:
    """Index a case just opened (it has nothing but its title and description yet)."""
    session.execute(_statements(_dialect(session))[1], {"b_id": case_id, "b_title": title, "b_body": description})


def rebuild(session: Session) -> int:
    """Empty the index and write every case's document; how many were written."""
    session.execute(text(f"DELETE FROM {TABLE}"))
    ids = list(session.execute(select(col(CaseRow.id)).order_by(col(CaseRow.id))).scalars())
    for start in range(0, len(ids), _CHUNK):
        docs = _documents(session, ids[start:start + _CHUNK])
        if docs:
            session.execute(_statements(_dialect(session))[1], docs)
    return len(ids)


def words(query: str) -> list[str]:
    """The words of a search, lower-cased, as the index cuts them (at most 40)."""
    return [w.lower() for w in _WORD.findall(query)][:_MAX_WORDS]


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer("swedish")


class Match(NamedTuple):
    """How the index finds cases: the table to join the cases to, on what, the condition, a rank (higher first).

    The words go in as the bind parameter `b_q` (`query`), so one statement serves every search.
    """

    index_table: TableClause
    on: ColumnElement[bool]
    condition: ColumnElement[bool]
    rank: ColumnElement[Any]


def matching(dialect: str, cases: Table) -> Match:
    """The index's match of the words in `b_q` against the cases of `cases`."""
    if dialect == "postgresql":
        tsquery = func.to_tsquery(literal_column("'swedish'::regconfig"), bindparam("b_q"))
        index = table(TABLE, column("case_id"), column("document"))
        return Match(index, index.c.case_id == cases.c.id, index.c.document.op("@@")(tsquery),
                     func.ts_rank(index.c.document, tsquery))
    fts = table(TABLE, column("rowid"))
    # bm25 is lower for a better match; the title counts ten times the rest.
    return Match(fts, fts.c.rowid == cases.c.id, literal_column(TABLE).op("MATCH")(bindparam("b_q")),
                 -func.bm25(literal_column(TABLE), literal_column("10.0"), literal_column("1.0")))


def query(dialect: str, query_words: list[str]) -> str:
    """The value of `b_q` for these words: each must begin a word of the document, after stemming."""
    if dialect == "postgresql":
        # Words are letters and digits only, so nothing of the tsquery syntax can be slipped in;
        # PostgreSQL stems each itself (the `swedish` configuration) before matching it as a prefix.
        return " & ".join(f"{w}:*" for w in query_words)
    return " AND ".join(f'"{s}"*' for s in _stemmer().stemWords(query_words))
