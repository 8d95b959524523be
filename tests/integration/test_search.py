"""Search: Swedish words in any inflection, in titles, descriptions and comments, or a case number; ranked;
never a confidential case for someone who may not see it; kept right through edits, comments and import."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, comment, open_case
from engine.cases.editing import Edit, edit
from engine.cases.periods import sync_from_config
from engine.cases.queues import QueueFilter
from engine.cases.search import MAX_OFFSET, search, search_page
from engine.config.load import load_config
from engine.kernel.errors import ValidationError
from engine.runtime.engine import Engine
from engine.store import search_index
from engine.store.db import Database
from engine.store.schema import alembic_config, upgrade
from engine.store.transfer import export_to, import_from
from engine.workflow.import_references import StoredReferences
from samverkan.bootstrap import build_engine
from tests.conftest import ROOT, T0, backends
from tests.doubles import FixedClock
from tests.support import empty_database


def _ids(eng: Engine, who: str, query: str, **kw: object) -> list[int]:
    """The ids `who` finds for `query`, best first."""
    return [r["id"] for r in search(eng, who, query, **kw)]  # type: ignore[arg-type]


def test_klotter_finds_klottret_sanerat(eng: Engine, open_case: Callable[..., int]) -> None:
    klotter = open_case("action", title="Klottret sanerat", description="Vid busstationen.")
    open_case("action", title="Trafikmätning på Storgatan")
    assert _ids(eng, "member", "klotter") == [klotter]
    assert _ids(eng, "member", "Klotter sanera") == [klotter]  # every word must match, in any inflection
    assert _ids(eng, "member", "busstation") == [klotter]
    assert _ids(eng, "member", "klotter storgatan") == []


@pytest.mark.parametrize("expansions", [search_index.EXPANSIONS, 1])
def test_a_prefix_finds_every_word_it_begins_and_a_frequent_word_narrows_without_ranking(
        eng: Engine, open_case: Callable[..., int], monkeypatch: pytest.MonkeyPatch, expansions: int) -> None:
    """A prefix is asked as the index's words it begins, the words an edit or a comment added since among
    them; a word found more often than FREQUENT still narrows the match, and the rarer words order it."""
    monkeypatch.setattr(search_index, "FREQUENT", 3)  # on SQLite "klott" (four times) is frequent, "skol" not
    monkeypatch.setattr(search_index, "EXPANSIONS", expansions)  # 1: too many words begun, the prefix is kept
    in_title = open_case("action", title="Klotter vid skolan")
    in_body = open_case("action", title="Trafikmätning", description="Nära skolan")
    edit(eng, in_body, "chair", Edit(title="Klottret sanerat"))
    elsewhere = open_case("action", title="Möte på Storgatan")
    comment(eng, elsewhere, "chair", "Klotterplanket är målat, klottret borta")
    open_case("action", title="Skolans parkering")
    assert set(_ids(eng, "member", "klotter")) == {in_title, in_body, elsewhere}
    assert _ids(eng, "member", "klotter skolan") == [in_title, in_body]  # "skolan" in the title ranks first
    assert _ids(eng, "member", "klotter storgatan") == [elsewhere]
    with eng.db.read() as s:
        narrowed = search_index.prepare(s, search_index.words("klotter skolan")).narrowed
    assert narrowed == (eng.db.dialect == "sqlite" and expansions > 1)


def test_words_in_comments_and_a_case_number_find_the_case(eng: Engine, open_case: Callable[..., int]) -> None:
    first = open_case("action", title="Trygghetsvandring")
    other = open_case("action", title="Möte om belysningen", description=f"Efter trygghetsvandringen, ärende {first}.")
    comment(eng, first, "chair", "Fastighetsägaren lovade bättre belysning i tunneln.")
    assert _ids(eng, "member", "tunneln") == [first]
    assert _ids(eng, "member", f"#{first}")[0] == first
    assert _ids(eng, "member", str(first)) == [first, other]  # the number itself first, then where it is written
    # A match in the title ranks above one in the description or the comments.
    assert _ids(eng, "member", "trygghetsvandring") == [first, other]
    assert _ids(eng, "member", "belysning") == [other, first]


def test_confidential_cases_are_never_found_by_outsiders(eng: Engine, open_case: Callable[..., int]) -> None:
    secret = open_case("action", title="Hot mot tjänsteman", confidential=True)
    comment(eng, secret, "chair", "Anmälan om olaga hot.")
    public = open_case("action", title="Hot i skolan")
    for who in ("outsider", "police", "security"):  # none of them is in socialnamnden or holds the case
        assert _ids(eng, who, "hot") == [public], who
        assert _ids(eng, who, f"#{secret}") == []
        assert _ids(eng, who, "olaga") == []
    assert set(_ids(eng, "member", "hot")) == {secret, public}  # the owning group sees it
    assert set(_ids(eng, "chair", "hot")) == {secret, public}


def _pages(eng: Engine, who: str, query: str, size: int, **kw: object) -> list[list[int]]:
    """The ids of every page of `query` as `who` pages through them, `size` a page, until no more follow."""
    pages: list[list[int]] = []
    while True:
        found = search_page(eng, who, query, limit=size, offset=len(pages) * size, **kw)  # type: ignore[arg-type]
        pages.append([r["id"] for r in found.items])
        if not found.more:
            return pages


@pytest.mark.parametrize("frequent", [search_index.FREQUENT, 30])
def test_the_pages_hold_every_match_once_in_rank_order_and_never_a_hidden_one(
        eng: Engine, open_case: Callable[..., int], monkeypatch: pytest.MonkeyPatch, frequent: int) -> None:
    """Ties of rank go to the newer case, so the order is total and no case falls between two pages; with 30,
    "klotter" (37 cases) is frequent on SQLite and only narrows the match, and the later pages are still whole."""
    monkeypatch.setattr(search_index, "FREQUENT", frequent)
    titled, described, hidden = [], [], []
    for _ in range(9):
        titled.append(open_case(title="Klotter vid skolan"))
        described.append(open_case(title="Möte", description="Klotter vid skolan"))
        hidden.append(open_case(title="Klotter vid skolan", confidential=True))
    for _ in range(10):
        open_case(title="Klotter i parken")
    with eng.db.read() as s:
        narrowed = search_index.prepare(s, search_index.words("klotter skolan")).narrowed
    assert narrowed == (eng.db.dialect == "sqlite" and frequent == 30)
    best_first = titled[::-1] + described[::-1]  # a match in the title ranks above one in the description
    pages = _pages(eng, "outsider", "klotter skolan", 4)
    assert [len(p) for p in pages] == [4, 4, 4, 4, 2]
    assert [i for p in pages for i in p] == best_first == _ids(eng, "outsider", "klotter skolan", limit=200)
    assert search_page(eng, "outsider", "klotter skolan", limit=4, offset=20) == ([], False)  # past the last
    seen = [i for p in _pages(eng, "member", "klotter skolan", 5) for i in p]  # the owning group sees them all
    assert sorted(seen) == sorted(titled + described + hidden)
    assert seen[:18] == sorted(titled + hidden, reverse=True)
    filtered = _pages(eng, "outsider", "klotter skolan", 4, filters=QueueFilter(workflow="acute_matter"))
    assert filtered == [[]]


def test_a_case_number_comes_first_on_the_first_page_and_on_no_other(eng: Engine,
                                                                      open_case: Callable[..., int]) -> None:
    first = open_case(title="Trygghetsvandring")
    mentions = [open_case(title="Möte", description=f"Uppföljning av ärende {first}.") for _ in range(4)]
    assert _pages(eng, "member", str(first), 2) == [[first, mentions[3]], [mentions[2], mentions[1]], [mentions[0]]]
    assert _pages(eng, "member", f"#{first}", 1) == [[first], *([m] for m in mentions[::-1])]
    hidden = open_case(title="Hemligt", confidential=True)
    mention = open_case(title="Möte", description=f"Se ärende {hidden}.")
    assert _pages(eng, "outsider", str(hidden), 1) == [[mention]]  # the case itself is not theirs to see


@pytest.mark.parametrize(("limit", "offset", "field"), [(0, 0, "limit"), (201, 0, "limit"), (25, -1, "offset"),
                                                        (25, MAX_OFFSET + 1, "offset")])
def test_a_page_out_of_bounds_is_refused(eng: Engine, limit: int, offset: int, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        search_page(eng, "chair", "klotter", limit=limit, offset=offset)
    assert refused.value.field == field


def test_the_queue_filters_apply(eng: Engine, open_case: Callable[..., int]) -> None:
    drugs = open_case("action", title="Narkotika vid skolan", focus_area="drugs")
    open_case("acute_matter", title="Narkotika i parken", focus_area="drugs")
    assert _ids(eng, "chair", "narkotika", filters=QueueFilter(workflow="action")) == [drugs]
    assert _ids(eng, "chair", "narkotika", filters=QueueFilter(focus_area="traffic")) == []


def test_edits_and_comments_keep_the_index_in_step(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", title="Nedskräpning")
    edit(eng, case_id, "chair", Edit(title="Skadegörelse på lekplatsen", description="Gungorna trasiga"))
    assert _ids(eng, "member", "nedskräpning") == []
    assert _ids(eng, "member", "lekplats") == [case_id]
    assert _ids(eng, "member", "gunga") == [case_id]


def test_an_empty_search_says_what_to_write(eng: Engine) -> None:
    with pytest.raises(ValidationError, match="Write a word or a case number") as refused:
        search(eng, "chair", " -- ")
    assert refused.value.field == "q"


def test_rebuild_restores_an_index_that_was_lost(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", title="Klottret sanerat")
    with eng.db.write() as s:
        s.execute(text(f"DELETE FROM {search_index.TABLE}"))
    assert _ids(eng, "chair", "klotter") == []
    with eng.db.write() as s:
        assert search_index.rebuild(s) == 1
    assert _ids(eng, "chair", "klotter") == [case_id]


def test_an_imported_deployment_is_searchable(eng: Engine, open_case: Callable[..., int], tmp_path: Path) -> None:
    case_id = open_case("action", title="Klotter")
    edit(eng, case_id, "chair", Edit(title="Klottret sanerat", due=dt.date(2027, 4, 1), reason="nytt beslut"))
    comment(eng, case_id, "chair", "Fasaden tvättad.")
    out = io.StringIO()
    export_to(eng.db, out, eng.now())
    url = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(Database(url))  # the migrations make the index, as `samverkan init` would on a new deployment
    target = build_engine(load_config(ROOT / "config.toml", database_url=url), clock=eng.clock)
    references = StoredReferences(target.config.role_keys, target.config.focus_area_keys)
    result = import_from(target.db, iter(out.getvalue().splitlines(keepends=True)), target.audit_keys,
                         check_row=references)
    assert result.audit is not None
    assert result.audit.ok
    assert _ids(target, "chair", "fasad") == [case_id]
    assert _ids(target, "chair", "sanerat") == [case_id]
    target.db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", backends())
def test_the_migration_indexes_the_cases_already_there(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as url:
        db = Database(url)
        upgrade(db)
        eng = build_engine(load_config(ROOT / "config.toml", database_url=url), clock=FixedClock(T0))
        with eng.db.write() as s:
            sync_from_config(s, eng.config, T0)
            add_user(s, eng.config, "chair", name="Chair", email="c@example.org", now=T0,
                     roles=[("chair", "trygghetsgruppen")])
        row = open_case(eng, OpenRequest("action", "Klottret sanerat", group="socialnamnden"), "chair")
        assert row.id is not None
        comment(eng, row.id, "chair", "Fasaden tvättad.")
        command.downgrade(alembic_config(db), "-1")  # as a deployment was before search
        upgrade(db)
        assert _ids(eng, "chair", "fasad") == [row.id]
        assert _ids(eng, "chair", "klotter") == [row.id]
        eng.db.dispose()
        db.dispose()


def test_a_file_is_found_by_its_name_until_it_is_removed(eng: Engine, open_case: Callable[..., int]) -> None:
    from engine.cases.attachments import Upload, attach, remove

    case_id = open_case(title="Trygghetsgruppens möte")
    assert _ids(eng, "chair", "trygghetsvandringen") == []
    [added] = attach(eng, case_id, "chair", [Upload("Protokoll trygghetsvandringen.txt",
                                                     io.BytesIO(b"Minnesanteckningar\n"))])
    assert _ids(eng, "chair", "trygghetsvandringen") == [case_id]
    remove(eng, case_id, added["id"], "chair")
    assert _ids(eng, "chair", "trygghetsvandringen") == []
