"""Who acts on a case: a person with their memberships, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SYSTEM", "Actor"]


@dataclass(frozen=True)
class Actor:
    """A person acting (from the web, the API or the CLI), or the system (the scheduler).

    `memberships` are the (group id, role) pairs the person holds; `roles` and `group_ids`
    are derived from them. `spans` are the (agreement id, group id, role) triples where a role
    held in one group counts in the other groups of its agreement too, as `engine.policy` decides
    (`access.spans`) when the actor is read. What each role lets one do is decided in
    `engine.policy`, never here.
    """

    username: str
    user_id: int | None = None
    memberships: frozenset[tuple[int, str]] = frozenset()
    name: str = ""  # the display name; the user name when empty
    language: str = "sv"
    spans: frozenset[tuple[int, int, str]] = frozenset()
    roles: frozenset[str] = field(init=False, repr=False, compare=False)
    group_ids: frozenset[int] = field(init=False, repr=False, compare=False)
    _in_group: dict[int, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: the policy reads them for every case a page or a transition looks at.
        object.__setattr__(self, "roles", frozenset(r for _, r in self.memberships))
        object.__setattr__(self, "group_ids", frozenset(g for g, _ in self.memberships))
        in_group: dict[int, set[str]] = {}
        for g, r in (*self.memberships, *((g, r) for _, g, r in self.spans)):
            in_group.setdefault(g, set()).add(r)
        object.__setattr__(self, "_in_group", {g: frozenset(rs) for g, rs in in_group.items()})
        if not self.name:
            object.__setattr__(self, "name", self.username)

    def roles_in(self, group_id: int) -> frozenset[str]:
        """The roles that count on a case of group `group_id`: held there, or spanning its agreement."""
        return self._in_group.get(group_id, frozenset())

    def spanned(self, role: str) -> frozenset[int]:
        """The groups `role` counts in for this actor through the agreements it spans."""
        return frozenset(g for _, g, r in self.spans if r == role)

    @property
    def is_system(self) -> bool:
        """True for the scheduler acting on its own."""
        return self.user_id is None and self.username == "system"


SYSTEM = Actor("system")
