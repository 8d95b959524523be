"""The files folder: attached files kept once each, named by the SHA-256 of their content.

A file's name on disk is its hash (`ab/abcdef...`), so the same file attached twice is kept
once, a file cannot be changed without its name stopping to match, and the hash in the case's
signed log row (`note`) says which bytes were attached. Files are written to `tmp/` first and
moved into place whole, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["FileStore", "Staged", "TooLarge", "file_hash", "note"]

_CHUNK = 1 << 16
_SHA = re.compile(r"[0-9a-f]{64}")


class TooLarge(Exception):
    """The stream held more bytes than the limit."""


@dataclass(frozen=True)
class Staged:
    """A file received whole into the folder's tmp/, not yet kept."""

    path: Path
    sha256: str
    size: int


def note(name: str, size: int, sha256: str) -> str:
    """The text of the log row that records a file: its name, size and hash (signed with the row)."""
    return f"{name} ({size} B, SHA-256 {sha256})"


def file_hash(path: Path) -> str:
    """The SHA-256 of the file at `path`, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileStore:
    """A folder of content-addressed files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this hash is kept (whether or not it is there)."""
        if not _SHA.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def stage(self, stream: IO[bytes], limit: int) -> Staged:
        """Copy `stream` into tmp/, hashing it; TooLarge (and nothing left behind) past `limit` bytes."""
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        target = tmp / uuid.uuid4().hex
        digest, size = hashlib.sha256(), 0
        try:
            with target.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(size)
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return Staged(target, digest.hexdigest(), size)

    def keep(self, staged: Staged) -> Path:
        """Move a staged file to its place (or drop it if the same content is already kept)."""
        final = self.path(staged.sha256)
        if final.exists() and file_hash(final) == staged.sha256:
            staged.path.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o444)  # nothing in the program writes a kept file again
        os.replace(staged.path, final)
        return final

    def discard(self, staged: Staged) -> None:
        """Forget a staged file that was not kept."""
        staged.path.unlink(missing_ok=True)

    def copy_in(self, source: Path, sha256: str) -> str | None:
        """Keep a copy of `source` if it has hash `sha256`; else what is wrong with it."""
        if not source.is_file():
            return "is missing"
        with source.open("rb") as stream:
            staged = self.stage(stream, limit=2**62)
        if staged.sha256 != sha256:
            self.discard(staged)
            return "does not match its hash (changed after it was attached)"
        self.keep(staged)
        return None

    def problem(self, sha256: str) -> str | None:
        """What is wrong with the kept file of this hash, if anything: missing, or changed."""
        path = self.path(sha256)
        if not path.is_file():
            return f"is missing from {self.root}"
        if file_hash(path) != sha256:
            return f"has changed on disk ({path} no longer has the hash it was attached with)"
        return None

    def export_to(self, folder: Path, hashes: set[str]) -> int:
        """Copy the kept files of `hashes` into `folder` (same layout); how many were copied."""
        copied = 0
        for sha in sorted(hashes):
            target = FileStore(folder).path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.path(sha), target)
            copied += 1
        return copied
