"""Files on a case: attach (one form, several files, dropped or chosen), download, preview, remove.

Downloads are always `Content-Disposition: attachment` with `nosniff` and a sandboxing CSP, so
a file is saved, never run as a page of this site. Only previews are shown inline: JPEGs this
program drew from an image's pixels (`engine.store.thumbnails`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.cases import attachments as files
from engine.kernel.errors import EngineError, NotFound, ValidationError
from web.cases import render_case
from web.engine_messages import engine_message
from web.support import actor, eng, now

__all__ = ["bp", "init_app", "send_attachment"]

bp = Blueprint("attachments", __name__)
_UPLOAD = re.compile(r"^(?:/api/v1)?/cases/(\d{1,10})/attachments$")
# What a download may do in the browser if it is opened anyway: nothing.
_SANDBOX = "default-src 'none'; sandbox"


def request_limit() -> int:
    """The most bytes one upload request may carry: every file at the size limit, and the form around them."""
    return eng().config.files.max_bytes * files.MAX_FILES + 64 * 1024


def _uploads() -> list[files.Upload]:
    return [files.Upload(f.filename or "", f.stream) for f in request.files.getlist("files") if f.filename]


@bp.route("/cases/<int:case_id>/attachments", methods=["POST"])
@login_required
def upload(case_id: int) -> Any:
    """Attach the chosen files; a refusal re-shows the case page saying which file and why."""
    try:
        added = files.attach(eng(), case_id, actor(), _uploads(), now=now())
    except ValidationError as exc:
        return render_case(case_id, 400, attach_error=engine_message(exc))
    flash(_("Attached: %(names)s.", names=", ".join(a["name"] for a in added)), "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#files")


def _file(case_id: int, attachment_id: int) -> files.Download:
    try:
        return files.fetch(eng(), case_id, attachment_id, actor())
    except NotFound:
        abort(404)


def send_attachment(f: files.Download) -> Response:
    """The file as it was attached, to be saved, never shown or run (the page and the API send it alike)."""
    response = send_file(f.path, mimetype=f.media_type, as_attachment=True, download_name=f.name,
                         etag=f.sha256, max_age=0, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = _SANDBOX
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download(case_id: int, attachment_id: int) -> Any:
    """The file as it was attached, to be saved."""
    return send_attachment(_file(case_id, attachment_id))


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>/preview")
@login_required
def preview(case_id: int, attachment_id: int) -> Any:
    """A small JPEG of an attached image, drawn by this program (so safe inline)."""
    try:
        picture = files.preview(eng(), case_id, attachment_id, actor())
    except NotFound:
        abort(404)
    if picture is None:
        abort(404)
    return Response(picture, mimetype="image/jpeg", headers={
        "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": _SANDBOX,
        "Cache-Control": "private, max-age=86400"})


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove(case_id: int, attachment_id: int) -> Any:
    """Take a file off the case (the history keeps that it was there)."""
    try:
        gone = files.remove(eng(), case_id, attachment_id, actor(), now=now())
    except NotFound:
        abort(404)
    except EngineError as exc:
        return render_case(case_id, 403, attach_error=engine_message(exc))
    flash(_("Removed: %(name)s.", name=gone["name"]), "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#files")


def init_app(app: Flask) -> None:
    """Let upload requests be as large as their files may be (before the CSRF check reads the form)."""

    @app.before_request
    def _upload_limit() -> None:
        if request.method == "POST" and _UPLOAD.match(request.path):
            request.max_content_length = request_limit()

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> Any:
        found = _UPLOAD.match(request.path)
        mb = f"{eng().config.files.max_bytes / 1024 / 1024:g}"
        message = _("The files are too large together; attach at most %(count)s files of at most %(mb)s MB "
                    "each at a time.", count=files.MAX_FILES, mb=mb)
        if found and current_user.is_authenticated and not request.path.startswith("/api/"):
            return render_case(int(found.group(1)), 413, attach_error=message)
        return render_template("error.html", title=_("Request too large"), message=message, status=413), 413
