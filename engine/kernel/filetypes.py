"""What kind of file some bytes are, read from the bytes themselves, never from the file's name.

A name says what its sender calls a file; the first bytes say what a program opening it will
see. So an attachment is accepted (or refused) by what `sniff` finds: a PDF, an image, an
Office document (OOXML and OpenDocument are zip archives with a known inner layout; the older
Word, Excel and PowerPoint files are OLE compound files) or plain text.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["KINDS", "Sniffed", "sniff"]

KINDS = ("pdf", "image", "office", "text")
_HEAD = 64
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
           (b"GIF89a", "image/gif"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))
_HEIF = (b"heic", b"heix", b"mif1", b"msf1", b"heif")
# OOXML: the part that says which application the package is for.
_OOXML = (("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
          ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
# OLE files carry no type a browser knows in their first bytes; the name picks among these three.
_OLE_TYPES = {".doc": "application/msword", ".xls": "application/vnd.ms-excel",
              ".ppt": "application/vnd.ms-powerpoint"}
# Control characters that do not occur in text (tab, line feed, form feed and carriage return do).
_NOT_TEXT = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are: one of KINDS (or None: none of them), and the media type to serve them as."""

    kind: str | None
    media_type: str
    what: str  # in English, for a refusal: "zip", "an executable program", ...


def _zip_type(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return Sniffed("office", declared, "office")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return Sniffed(None, "application/zip", "damaged_zip")
    if "[Content_Types].xml" in names:
        for part, media_type in _OOXML:
            if part in names:
                return Sniffed("office", media_type, "office")
    return Sniffed(None, "application/zip", "zip")


def _text_type(stream: BinaryIO) -> Sniffed | None:
    """UTF-8 (or, failing that, Windows-1252) text without control characters, read in chunks."""
    utf8 = True
    carry = b""
    while chunk := stream.read(1 << 16):
        if len(chunk.translate(None, _NOT_TEXT)) != len(chunk):
            return None
        if utf8:
            data = carry + chunk
            try:
                data.decode("utf-8")
                carry = b""
            except UnicodeDecodeError as exc:
                # A character cut at the chunk's end is completed by the next chunk.
                if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
                    carry = data[exc.start:]
                else:
                    utf8 = False
    if carry:
        utf8 = False
    return Sniffed("text", "text/plain; charset=utf-8" if utf8 else "text/plain; charset=windows-1252",
                   "text")


def sniff(path: Path, name: str = "") -> Sniffed:
    """What the file at `path` is, from its content; `name` only tells old Word from Excel from PowerPoint."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
        if head.startswith(b"%PDF-"):
            return Sniffed("pdf", "application/pdf", "pdf")
        for magic, media_type in _IMAGES:
            if head.startswith(magic):
                return Sniffed("image", media_type, "image")
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return Sniffed("image", "image/webp", "image")
        if head[4:8] == b"ftyp" and head[8:12] in _HEIF:
            return Sniffed("image", "image/heic", "image")
        if head.startswith(_OLE):
            return Sniffed("office", _OLE_TYPES.get(Path(name).suffix.lower(), "application/octet-stream"),
                           "office")
        if head.startswith(b"PK\x03\x04"):
            return _zip_type(path)
        if head.startswith((b"MZ", b"\x7fELF", b"#!")):
            return Sniffed(None, "application/octet-stream", "program")
        stream.seek(0)
        text = _text_type(stream) if head else None
    return text or Sniffed(None, "application/octet-stream", "unknown")
