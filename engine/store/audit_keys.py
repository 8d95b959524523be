"""The keys that sign the transition log: where they are kept, which one signs, and rotation.

The keys live outside the database, so whoever can write to the database (or edit an
export file) cannot sign a row: in SAMVERKAN_AUDIT_KEYS (hex keys separated by commas or
white space), else in `var/audit_keys` beside config.toml, made on first use. Oldest first;
the last key signs new rows, every key verifies the rows it signed. A key's id is derived
from the key, so an id names one key in every deployment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from engine.kernel.errors import ConfigError
from engine.kernel.secret_file import read_or_create, replace_private

__all__ = ["ENV", "AuditKeys", "key_file", "key_id", "load_keys", "parse_keys", "rotate"]

ENV = "SAMVERKAN_AUDIT_KEYS"
_MIN_BYTES = 16
_HEADER = ("# Samverkan audit keys: HMAC-SHA256 keys of the transition log, oldest first; the last one signs\n"
           "# new rows. Never delete a line: an old key verifies the rows it signed. Back this file up apart\n"
           "# from the database, and keep it out of the database's reach.\n")


def key_id(key: bytes) -> str:
    """The id recorded beside each row the key signs (a fingerprint: it reveals nothing of the key)."""
    return hashlib.sha256(b"samverkan-audit-key-id:" + key).hexdigest()[:12]


class AuditKeys:
    """HMAC-SHA256 keys by id: the last one signs, each one verifies what it signed."""

    def __init__(self, keys: Sequence[bytes], source: str) -> None:
        if not keys:
            raise ValueError("at least one key")
        # Each key prepared once: a copy of a keyed HMAC costs half of keying a new one, per log row.
        self._macs = {key_id(k): hmac.new(k, digestmod=hashlib.sha256) for k in keys}
        self.current = key_id(keys[-1])
        self.source = source

    @property
    def ids(self) -> tuple[str, ...]:
        """Every key id held, oldest first."""
        return tuple(self._macs)

    def knows(self, kid: str | None) -> bool:
        """Whether this deployment holds key `kid`."""
        return kid in self._macs

    def sign(self, kid: str, body: bytes) -> str:
        """The hex HMAC of `body` under key `kid` (KeyError if not held)."""
        mac = self._macs[kid].copy()
        mac.update(body)
        return mac.hexdigest()


def parse_keys(text: str, source: str) -> AuditKeys:
    """The keys listed in `text` (hex, separated by commas or white space, `#` comments), oldest first."""
    words = [w for line in text.splitlines() if not line.lstrip().startswith("#")
             for w in re.split(r"[\s,]+", line) if w]
    keys = []
    for n, word in enumerate(words, start=1):
        try:
            key = bytes.fromhex(word)
        except ValueError:
            raise ConfigError(source, f"audit key {n}", "is not hexadecimal; make one with "
                              "`python -c 'import secrets; print(secrets.token_hex(32))'`") from None
        if len(key) < _MIN_BYTES:
            raise ConfigError(source, f"audit key {n}", f"is {len(key)} bytes; a key needs at least "
                              f"{_MIN_BYTES} (64 hex digits make 32)")
        keys.append(key)
    if not keys:
        raise ConfigError(source, "audit keys", "holds no key; restore it from the backup (without the keys "
                          "no log row can be verified), or delete the file to start a new chain of keys")
    return AuditKeys(keys, source)


def key_file(config_path: Path) -> Path:
    """Where the keys are kept when SAMVERKAN_AUDIT_KEYS is not set: var/audit_keys beside the config."""
    return Path(config_path).parent / "var" / "audit_keys"


def load_keys(config_path: Path) -> AuditKeys:
    """The deployment's keys: SAMVERKAN_AUDIT_KEYS, else var/audit_keys (made with one key on first use)."""
    listed = os.environ.get(ENV, "").strip()
    if listed:
        return parse_keys(listed, ENV)
    path = key_file(config_path)
    return parse_keys(read_or_create(path, lambda: _HEADER + secrets.token_hex(32) + "\n"), str(path))


def rotate(config_path: Path, now: dt.datetime) -> str:
    """Add a new key to var/audit_keys, which signs from now on; its id."""
    if os.environ.get(ENV, "").strip():
        raise ConfigError(ENV, "audit keys", "the keys come from this variable: append a new key to it "
                          "(`python -c 'import secrets; print(secrets.token_hex(32))'`), keep the old ones, "
                          "and restart every samverkan process")
    path = key_file(config_path)
    text = read_or_create(path, lambda: _HEADER + secrets.token_hex(32) + "\n")
    parse_keys(text, str(path))  # never append to a file that is already broken
    key = secrets.token_bytes(32)
    replace_private(path, f"{text.rstrip(chr(10))}\n# added {now.isoformat()}\n{key.hex()}\n")
    return key_id(key)
