"""Files on a case through the API: attach (multipart), list, download, remove."""

from __future__ import annotations

from typing import Any

from flask import Response

from engine.cases import attachments
from engine.cases.attachments import AttachmentView
from web.api.routing import MULTIPART, Param, caller, endpoint
from web.api.schemas import ID, ref
from web.attachments import send_attachment
from web.support import eng, now

__all__: list[str] = []

_CASE_ID = Param("case_id", "path", ID, "The case's id.", required=True)
_FILE_ID = Param("attachment_id", "path", ID, "The file's id (from the case's `attachments`).", required=True)
_LIST = {"type": "array", "items": ref("Attachment")}
_UPLOAD = {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "maxItems": attachments.MAX_FILES, "description":
                            "The files, each a part named `file` with its filename; all are attached or none.",
                            "items": {"type": "string", "contentMediaType": "application/octet-stream"}}},
}


@endpoint("POST", "/cases/{case_id}/attachments", summary="Attach files to a case (all or none).",
          params=(_CASE_ID,), body=_UPLOAD, body_media=MULTIPART, response=_LIST, status=201, errors=(403,),
          tag="attachments")
def attach_files(case_id: int, files: list[Any]) -> list[AttachmentView]:
    """Attach; 422 names the file refused and why (too large, empty, a kind not accepted)."""
    return attachments.attach(eng(), case_id, caller(), [attachments.Upload(f.filename, f.stream) for f in files],
                              now=now())


@endpoint("GET", "/cases/{case_id}/attachments", summary="The files on a case.", params=(_CASE_ID,),
          response=_LIST, tag="attachments")
def list_attachments(case_id: int) -> list[AttachmentView]:
    """The case's files that are not removed, in the order attached."""
    return attachments.list_files(eng(), case_id, caller())


@endpoint("GET", "/cases/{case_id}/attachments/{attachment_id}", summary="Download a file as it was attached.",
          params=(_CASE_ID, _FILE_ID), response={"type": "string", "contentMediaType": "application/octet-stream"},
          response_media="application/octet-stream", tag="attachments")
def download_attachment(case_id: int, attachment_id: int) -> Response:
    """The bytes, as `Content-Disposition: attachment` with `nosniff`."""
    return send_attachment(attachments.fetch(eng(), case_id, attachment_id, caller()))


@endpoint("DELETE", "/cases/{case_id}/attachments/{attachment_id}",
          summary="Remove a file from a case (logged; the bytes are kept).", params=(_CASE_ID, _FILE_ID),
          response=ref("Attachment"), errors=(403,), tag="attachments")
def remove_attachment(case_id: int, attachment_id: int) -> AttachmentView:
    """Remove it; whoever attached it, the owning group's members and the chair may."""
    return attachments.remove(eng(), case_id, attachment_id, caller(), now=now())
