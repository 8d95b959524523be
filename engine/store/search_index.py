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

A prefix is asked as the words it begins where they are few (`prepare`): both databases answer a
prefix by gathering every entry of every word it begins first, which for a word in every case
("Ärende" among a million titles) is a million entries. The index's words are listed in
`TERMS` (PostgreSQL: a table kept here as documents are written; SQLite: the FTS5 index's own
vocabulary). On SQLite a frequent word is also set apart from the rank: FTS5's bm25 weighs
each word by a pass over every case that holds it, so a word found more than `FREQUENT` times
narrows the match but does not order it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.expression import TableClause
from sqlmodel import Session, col

from engine.store.models import SEARCH_TABLE, SEARCH_TERMS, Attachment, CaseComment, CaseRow

__all__ = ["BODY_PARTS", "FREQUENT", "TABLE", "TERMS", "BodyPart", "Match", "Prepared", "add", "matching",
           "outside_index", "prepare", "query", "rebuild", "refresh", "tables", "words"]

TABLE = SEARCH_TABLE
TERMS = SEARCH_TERMS
# A prefix beginning at most this many of the index's words is asked as those words.
EXPANSIONS = 64
# On SQLite, a word found more often than this narrows the match without ordering it (see above).
FREQUENT = 1_000
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
        return frozenset({TABLE, TERMS, *(f"{TABLE}_{s}" for s in ("data", "idx", "content", "docsize", "config"))})
    return frozenset({TABLE, TERMS})


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


_GIN = f"ix_{TABLE}_document"
# PostgreSQL: the lexemes of these cases' documents into TERMS, in one statement in their order, so that
# two transactions adding the same new words wait for each other rather than deadlock. A word whose
# last case lost it stays listed: it begins a prefix's expansion and matches nothing (`rebuild` clears).
_TERMS_OF = (f"INSERT INTO {TERMS} (term) SELECT DISTINCT t FROM {TABLE}, unnest(tsvector_to_array(document)) AS t "
             "{where} ORDER BY t ON CONFLICT DO NOTHING")
_KEEP_TERMS = text(_TERMS_OF.format(where="WHERE case_id = ANY(:b_ids)"))
_ALL_TERMS = text(_TERMS_OF.format(where=""))


def _keep_terms(session: Session, ids: list[int]) -> None:
    if ids and _dialect(session) == "postgresql":
        session.execute(_KEEP_TERMS, {"b_ids": ids})


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
    _keep_terms(session, ids)


def add(session: Session, case_id: int, title: str, description: str) -> None:
    """Index a case just opened (it has nothing but its title and description yet)."""
    session.execute(_statements(_dialect(session))[1], {"b_id": case_id, "b_title": title, "b_body": description})
    _keep_terms(session, [case_id])


def rebuild(session: Session) -> int:
    """Empty the index and write every case's document; how many were written.

    On PostgreSQL the GIN index gathers the new entries in its pending list while the documents are
    written and merges them once at the end, many times faster than entry by entry; the searches
    themselves never read a pending list (it is off between rebuilds: see engine.store.models).
    """
    postgresql = _dialect(session) == "postgresql"
    session.execute(text(f"DELETE FROM {TABLE}"))
    if postgresql:
        session.execute(text(f"ALTER INDEX {_GIN} SET (fastupdate = on)"))
    ids = list(session.execute(select(col(CaseRow.id)).order_by(col(CaseRow.id))).scalars())
    for start in range(0, len(ids), _CHUNK):
        docs = _documents(session, ids[start:start + _CHUNK])
        if docs:
            session.execute(_statements(_dialect(session))[1], docs)
    if postgresql:
        session.execute(text(f"SELECT gin_clean_pending_list('{_GIN}')"))
        session.execute(text(f"ALTER INDEX {_GIN} SET (fastupdate = off)"))
        session.execute(text(f"DELETE FROM {TERMS}"))
        session.execute(_ALL_TERMS)
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

    The words go in as bind parameters (`Prepared.params`), so one statement serves every search.
    """

    index_table: TableClause
    on: ColumnElement[bool]
    condition: ColumnElement[bool]
    rank: ColumnElement[Any]


class Prepared(NamedTuple):
    """A search's words as `matching` takes them: `b_q`, the words matched and ranked, and on SQLite, when
    frequent words were set apart from the rank, `b_all`, every word (`narrowed`)."""

    params: dict[str, str]

    @property
    def narrowed(self) -> bool:
        return "b_all" in self.params


def matching(dialect: str, cases: Table, narrowed: bool = False) -> Match:
    """The index's match of the words of `Prepared.params` against the cases of `cases`."""
    if dialect == "postgresql":
        tsquery = cast(bindparam("b_q", type_=String), TSQUERY)
        index = table(TABLE, column("case_id"), column("document"))
        return Match(index, index.c.case_id == cases.c.id, index.c.document.op("@@")(tsquery),
                     func.ts_rank(index.c.document, tsquery))
    fts = table(TABLE, column("rowid"))
    condition: ColumnElement[bool] = literal_column(TABLE).op("MATCH")(bindparam("b_q"))
    if narrowed:
        # Every word, the frequent ones as the words they begin: a list of the few cases that have all
        # (each word's entries walked to the next match, none gathered whole), which the ranked match of
        # the rarer words is kept to. `+ 0` keeps SQLite from asking the index once per listed case.
        every = table(TABLE, column("rowid")).alias("every")
        condition = and_(condition, (fts.c.rowid + 0).in_(
            select(every.c.rowid).where(literal_column(f"every.{TABLE}").op("MATCH")(bindparam("b_all")))))
    # bm25 is lower for a better match; the title counts ten times the rest.
    return Match(fts, fts.c.rowid == cases.c.id, condition,
                 -func.bm25(literal_column(TABLE), literal_column("10.0"), literal_column("1.0")))


def query(dialect: str, query_words: list[str]) -> str:
    """The plain prefix query of these words, as the index would take it: each must begin a word of
    the document, after stemming (`prepare` makes what the engine asks)."""
    if dialect == "postgresql":
        # Words are letters and digits only, so nothing of the tsquery syntax can be slipped in;
        # PostgreSQL stems each itself (the `swedish` configuration) before matching it as a prefix.
        return " & ".join(f"{w}:*" for w in query_words)
    return " AND ".join(_fts_prefix(s) for s in _stemmer().stemWords(query_words))


def _fts_prefix(stem: str) -> str:
    return f'"{stem}"*'


def _fts_any(terms: list[str]) -> str:
    return "(" + " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")"


# SQLite: the index's distinct words in [lo, hi), each found by one seek past the last (the vocabulary
# lists every occurrence; `term > x` would walk them), and how often words in [lo, hi) occur, counted up to n.
_SQLITE_TERMS = text(
    f"WITH RECURSIVE t(term) AS (SELECT (SELECT term FROM {TERMS} WHERE term >= :lo AND term < :hi LIMIT 1) "
    f"UNION ALL SELECT (SELECT term FROM {TERMS} WHERE term >= t.term || char(1) AND term < :hi LIMIT 1) "
    "FROM t WHERE t.term IS NOT NULL) SELECT term FROM t WHERE term IS NOT NULL LIMIT :n")
_SQLITE_OCCURS = text(f"SELECT count(*) FROM (SELECT 1 FROM {TERMS} WHERE term >= :lo AND term < :hi LIMIT :n)")
# PostgreSQL: the tsquery its `swedish` configuration makes of the words (stemmed, stop words dropped),
# and up to n of the index's lexemes each prefix begins (TERMS is in byte order: COLLATE "C").
_PG_TSQUERY = text("SELECT CAST(to_tsquery('swedish', :q) AS text)")
_PG_TERMS = text(f"SELECT p.lex, t.term FROM unnest(CAST(:lexes AS text[])) AS p(lex) CROSS JOIN LATERAL "
                 f"(SELECT term FROM {TERMS} WHERE term >= p.lex AND term < p.lex || chr(1114111) "
                 "ORDER BY term LIMIT :n) AS t")
_PG_PREFIX = re.compile(r"'((?:[^'\\]|''|\\.)*)':\*")
_LAST = "\U0010ffff"


def _tsquery_lexeme(quoted: str) -> str:
    return re.sub(r"\\(.)|''", lambda m: m.group(1) or "'", quoted)


def _tsquery_quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def prepare(session: Session, query_words: list[str]) -> Prepared:
    """What the engine asks the index for these words: each prefix that begins at most `EXPANSIONS`
    of the index's words asked as those words; on SQLite, the frequent words set apart from the rank."""
    if _dialect(session) == "postgresql":
        tsquery = session.execute(_PG_TSQUERY, {"q": query("postgresql", query_words)}).scalar_one()
        lexemes = sorted({_tsquery_lexeme(m.group(1)) for m in _PG_PREFIX.finditer(tsquery)})
        begun: dict[str, list[str]] = {}
        for lexeme, term in session.execute(_PG_TERMS, {"lexes": lexemes, "n": EXPANSIONS + 1}) if lexemes else ():
            begun.setdefault(lexeme, []).append(term)

        def expand(m: re.Match[str]) -> str:
            terms = begun.get(_tsquery_lexeme(m.group(1)), [])
            return "(" + " | ".join(map(_tsquery_quote, terms)) + ")" if 0 < len(terms) <= EXPANSIONS else m.group(0)
        return Prepared({"b_q": _PG_PREFIX.sub(expand, tsquery)})
    stems = list(dict.fromkeys(_stemmer().stemWords(query_words)))
    rare: list[str] = []
    frequent: list[list[str]] = []
    for stem in stems:
        bounds = {"lo": stem, "hi": stem + _LAST}
        if session.execute(_SQLITE_OCCURS, {**bounds, "n": FREQUENT + 1}).scalar_one() > FREQUENT:
            terms = list(session.execute(_SQLITE_TERMS, {**bounds, "n": EXPANSIONS + 1}).scalars())
            if len(terms) <= EXPANSIONS:
                frequent.append(terms)
                continue
        rare.append(stem)
    if not rare or not frequent:  # nothing to set apart, or nothing rarer to rank by: every word as it is
        return Prepared({"b_q": " AND ".join(map(_fts_prefix, stems))})
    ranked = " AND ".join(map(_fts_prefix, rare))
    return Prepared({"b_q": ranked, "b_all": " AND ".join([ranked, *map(_fts_any, frequent)])})
