"""A deployment secret kept in a private file beside the configuration, made once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_or_create", "replace_private"]


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The text of `path`; if the file does not exist, it is first written (mode 0600) with `make()`."""
    if not path.exists():
        # Several processes may start at once: write a private file, then link it into place;
        # whoever links first wins and everyone reads that secret.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _private_file(path, make())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8")


def replace_private(path: Path, text: str) -> None:
    """Write `text` to `path` (mode 0600) in one step: readers see the old or the new file, never half."""
    os.replace(_private_file(path, text), path)


def _private_file(beside: Path, text: str) -> Path:
    tmp = beside.with_name(f".{beside.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return tmp
