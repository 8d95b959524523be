"""transition_log: the field, old and new value of an edit; the full-text index of cases

An edit of a case is a log row like any other, chained and signed; `field`, `old_value` and
`new_value` say what it changed (NULL on every other row). The search index is a derived
table per dialect (engine.store.search_index): a `tsvector` with a GIN index on PostgreSQL,
an FTS5 table on SQLite; it is filled here from the cases already there (titles,
descriptions, comments), and `samverkan search rebuild` writes it anew at any time.

Revision ID: 0005_edit_search
Revises: 0005_citizen_info
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_edit_search"
down_revision = "0005_citizen_info"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transition_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field", sqlmodel.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("old_value", sqlmodel.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("new_value", sqlmodel.AutoString(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE TABLE case_search (case_id integer PRIMARY KEY REFERENCES cases (id), "
                   "document tsvector NOT NULL)")
        op.execute("CREATE INDEX ix_case_search_document ON case_search USING gin (document)")
    else:
        # The words as written (å, ä and ö kept apart from a, o); queries are stemmed (search_index).
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(title, body, "
                   "tokenize = 'unicode61 remove_diacritics 0')")
    # The cases already there, in plain SQL (not the engine's code, which follows the latest schema).
    comments = "(SELECT {agg} FROM comments m WHERE m.case_id = c.id)"
    if bind.dialect.name == "postgresql":
        body = "c.description || chr(10) || coalesce(" + comments.format(agg="string_agg(m.body, chr(10))") + ", '')"
        op.execute("INSERT INTO case_search (case_id, document) SELECT c.id, "
                   "setweight(to_tsvector('swedish', c.title), 'A') || "
                   f"setweight(to_tsvector('swedish', {body}), 'B') FROM cases c")
    else:
        body = "c.description || char(10) || coalesce(" + comments.format(agg="group_concat(m.body, char(10))") + ", '')"
        op.execute(f"INSERT INTO case_search (rowid, title, body) SELECT c.id, c.title, {body} FROM cases c")


def downgrade() -> None:
    op.execute("DROP TABLE case_search")
    with op.batch_alter_table("transition_log", schema=None) as batch_op:
        batch_op.drop_column("new_value")
        batch_op.drop_column("old_value")
        batch_op.drop_column("field")
