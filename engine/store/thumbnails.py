"""Small JPEG previews of attached images, made once with Pillow and kept beside the files.

A preview is drawn by this program from the decoded pixels, so whatever else the uploaded
file held (scripts in metadata, a polyglot) is not in it: it is safe to show inline.
"""

from __future__ import annotations

import io
import os
import uuid
from typing import BinaryIO

from PIL import Image, ImageOps

from engine.store.files import FileStore

__all__ = ["SIZE", "thumbnail"]

SIZE = 240
# An image of more pixels than this is not decoded for a preview (a "decompression bomb").
_MAX_PIXELS = 40_000_000


def _render(data: BinaryIO) -> bytes | None:
    with Image.open(data) as image:  # reads the header only; pixels are decoded below
        if image.width * image.height > _MAX_PIXELS:
            return None
        image.draft("RGB", (SIZE * 2, SIZE * 2))  # JPEG decodes at a fraction of its size: much faster
        shown = ImageOps.exif_transpose(image).convert("RGB")
        shown.thumbnail((SIZE, SIZE))
        out = io.BytesIO()
        shown.save(out, "JPEG", quality=80)
        return out.getvalue()


def thumbnail(store: FileStore, sha256: str) -> bytes | None:
    """The preview of the kept image with this hash, or None if it cannot be made (not an image Pillow reads)."""
    cached = store.root / "thumbs" / f"{sha256}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    try:
        with store.path(sha256).open("rb") as source:
            made = _render(source)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    if made is None:
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{uuid.uuid4().hex}.tmp")
    partial.write_bytes(made)
    os.replace(partial, cached)
    return made
