"""Who acts on a case: a person with their memberships, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SYSTEM", "Actor"]


@dataclass(frozen=True)
class Actor:
    """A person acting (from the web, the API or the CLI), or the system (the scheduler).

    `memberships` are the (group id, role) pairs the person holds; `roles` and `group_ids`
    are derived from them. What each role lets one do is decided in `engine.policy`, never here.
    """

    username: str
    user_id: int | None = None
    memberships: frozenset[tuple[int, str]] = frozenset()
    name: str = ""  # the display name; the user name when empty
    language: str = "sv"
    roles: frozenset[str] = field(init=False, repr=False, compare=False)
    group_ids: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: the policy reads them for every case a page or a transition looks at.
        object.__setattr__(self, "roles", frozenset(r for _, r in self.memberships))
        object.__setattr__(self, "group_ids", frozenset(g for g, _ in self.memberships))
        if not self.name:
            object.__setattr__(self, "name", self.username)

    @property
    def is_system(self) -> bool:
        """True for the scheduler acting on its own."""
        return self.user_id is None and self.username == "system"


SYSTEM = Actor("system")
