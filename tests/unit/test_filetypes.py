"""A file's kind is read from its content, never from its name: what is accepted and what is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from engine.kernel.filetypes import sniff


def _zip(*parts: tuple[str, bytes], stored_first: tuple[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1])
        for name, data in parts:
            archive.writestr(name, data)
    return buf.getvalue()


def _image(kind: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, kind)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "content", "kind", "media_type"), [
    ("minutes.txt", b"%PDF-1.7\n%%EOF", "pdf", "application/pdf"),
    ("photo", _image("PNG"), "image", "image/png"),
    ("photo.pdf", _image("JPEG"), "image", "image/jpeg"),
    ("anim.gif", _image("GIF"), "image", "image/gif"),
    ("scan.webp", _image("WEBP"), "image", "image/webp"),
    ("iphone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image", "image/heic"),
    ("avtal.docx", _zip(("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")), "office",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget.xlsx", _zip(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<x/>")), "office",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("plan.odt", _zip(("content.xml", b"<x/>"), stored_first=("mimetype", b"application/vnd.oasis.opendocument.text")),
     "office", "application/vnd.oasis.opendocument.text"),
    ("gammal.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "office", "application/msword"),
    ("statistik.csv", "år;brott\n2026;Klotter på skolan\n".encode(), "text", "text/plain; charset=utf-8"),
    ("latin.txt", "Höör\r\n".encode("cp1252"), "text", "text/plain; charset=windows-1252"),
    ("cut.txt", b"x" + "å".encode() * 40_000, "text", "text/plain; charset=utf-8"),  # a character across a chunk edge
])
def test_accepted_kinds_are_known_by_their_content(tmp_path: Path, name: str, content: bytes, kind: str,
                                                  media_type: str) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    found = sniff(path, name)
    assert (found.kind, found.media_type) == (kind, media_type)


@pytest.mark.parametrize(("name", "content", "what"), [
    ("protokoll.pdf", b"MZ\x90\x00\x03" + b"\x00" * 60, "program"),
    ("bild.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "program"),
    ("avtal.docx", _zip(("evil.exe", b"MZ")), "zip"),
    ("avtal.docx", b"PK\x03\x04 not really a zip", "damaged_zip"),
    ("data.txt", b"abc\x00def", "unknown"),
    ("ansi.txt", b"text with an escape \x1b[31m", "unknown"),
])
def test_other_content_is_refused_whatever_its_name(tmp_path: Path, name: str, content: bytes, what: str) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    found = sniff(path, name)
    assert (found.kind, found.what) == (None, what)
