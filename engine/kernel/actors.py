"""Who acts on a case: a person with their roles and groups, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SYSTEM", "Actor"]


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with their roles and groups, or the system."""

    username: str
    user_id: int | None = None
    roles: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()

    @property
    def is_system(self) -> bool:
        """True for the scheduler acting on its own."""
        return self.user_id is None and self.username == "system"


SYSTEM = Actor("system")
