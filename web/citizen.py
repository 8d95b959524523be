"""Information to the citizens: the public page /information and its Atom feed (no log-in), and the
form that writes, previews and publishes a text from a case (the monthly review).

Texts are Markdown written by a person; they are rendered with markdown-it (raw HTML off) and the
result is cleaned by nh3, so nothing but plain formatting and links reaches a visitor's browser.
"""

from __future__ import annotations

from typing import Any

import nh3
from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.cases.citizen_info import PublicText, publish, published
from engine.cases.views import get_case
from engine.kernel.errors import Conflict, Forbidden, NotFound, TransitionNotAllowed, ValidationError
from web.engine_messages import engine_message
from web.support import actor, eng, expected_version, now

__all__ = ["bp", "render_markdown"]

bp = Blueprint("citizen", __name__)
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "code", "pre", "hr"}
FEED_SIZE = 30


def render_markdown(body: str) -> Markup:
    """A text's Markdown as safe HTML: headings start at h2 (the page has its h1), links only http(s)/mailto."""
    html = _MD.render(body).replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704  # cleaned by nh3 just above


def _municipality() -> str:
    """The municipality, as the first party of the agreement in config.toml names it."""
    parties = eng().config.agreement.parties
    return parties[0] if parties else eng().config.agreement.title


@bp.route("/information")
def information() -> Any:
    """The published texts, newest first: public, no log-in."""
    texts = published(eng())
    return render_template("information.html", texts=texts, render=render_markdown, municipality=_municipality())


def _entry_url(t: PublicText) -> str:
    return url_for("citizen.information", _external=True) + f"#text-{t.id}"


@bp.route("/information/feed.atom")
def feed() -> Any:
    """The published texts as an Atom feed (Swedish), newest first."""
    texts = published(eng(), limit=FEED_SIZE)
    municipality = _municipality()
    fg = FeedGenerator()
    fg.id(url_for("citizen.information", _external=True))
    fg.title(f"{municipality}: information från kommunen och polisen")
    fg.subtitle(f"Information till medborgarna efter den gemensamma månadsgenomgången – {municipality} och Polisen.")
    fg.author({"name": municipality})
    fg.link(href=url_for("citizen.information", _external=True), rel="alternate")
    fg.link(href=url_for("citizen.feed", _external=True), rel="self")
    fg.language("sv")
    fg.updated(texts[0].published_at if texts else now())
    for t in reversed(texts):  # feedgen puts the last added first
        e = fg.add_entry()
        e.id(_entry_url(t))
        e.title(t.title)
        e.link(href=_entry_url(t))
        e.published(t.published_at)
        e.updated(t.published_at)
        e.author({"name": municipality})
        e.content(str(render_markdown(t.body)), type="html")
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.route("/cases/<int:case_id>/information", methods=["GET", "POST"])
@login_required
def write(case_id: int) -> Any:
    """Write, preview and publish the information to the citizens from a case."""
    case = get_case(eng(), case_id, actor(), now=now())
    form = {"title": request.form.get("title", ""), "body": request.form.get("body", ""),
            "comment": request.form.get("comment", "")}
    if request.method == "GET" or request.form.get("action") == "preview":
        preview = render_markdown(form["body"]) if form["body"].strip() else None
        return render_template("citizen_write.html", case=case, form=form, preview=preview, errors={})
    try:
        publish(eng(), case_id, form["title"], form["body"], actor(), comment=form["comment"].strip() or None,
                expected_version=expected_version(), now=now())
    except NotFound:
        raise
    except (ValidationError, Forbidden, Conflict, TransitionNotAllowed) as exc:
        field = exc.field if isinstance(exc, ValidationError) else "body"
        message = engine_message(exc) if not isinstance(exc, Conflict) else _("Someone changed this case; reload.")
        if isinstance(exc, Forbidden):
            message = _("Your role does not allow this action on this case.")
        preview = render_markdown(form["body"]) if form["body"].strip() else None
        return render_template("citizen_write.html", case=case, form=form, preview=preview,
                               errors={field: message}), 400 if isinstance(exc, ValidationError) else 409
    flash(_("The information is published on the public page."), "success")
    return redirect(url_for("cases.show", case_id=case_id))
