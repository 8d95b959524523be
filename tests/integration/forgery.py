"""What someone with the database or an export file, but without the audit key, can do to a case's log."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from engine.store.audit import GENESIS
from engine.store.audit_keys import key_id

ATTACKER_KEY = b"\x01" * 32
# unkeyed: the old chain, SHA-256 without a key (key_id emptied, as on rows from before the keys);
# guessed: keeps the row's key id, signs with a key of one's own; own: a key (and id) of one's own.
HOW = ("unkeyed", "guessed", "own")


def _at(value: Any) -> str:
    return value.replace("Z", "+00:00") if isinstance(value, str) else value.isoformat()


def forge(rows: list[dict[str, Any]], how: str) -> None:
    """Recompute the chain of one case's `rows` (by seq) in place, so each row links to the one before."""
    prev = GENESIS
    for r in rows:
        r["prev_hash"] = prev
        fields = [r["case_id"], r["seq"], r["trigger"], r["from_state"], r["to_state"], r["actor"], _at(r["at"]),
                  r["comment"], prev]
        if how == "unkeyed":
            r["key_id"] = None
            r["hash"] = hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
                                       ).hexdigest()
        else:
            if how == "own":
                r["key_id"] = key_id(ATTACKER_KEY)
            fields += [r["key_id"], r["assignee_id"], r["group_id"], r["confidential"]]
            body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
            r["hash"] = hmac.new(ATTACKER_KEY, body, hashlib.sha256).hexdigest()
        prev = r["hash"]
