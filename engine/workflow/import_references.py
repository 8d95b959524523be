"""An imported row's references into the stored workflow definitions and the deployment's configuration.

The column checks of engine.store.import_checks know types and keys; only here is known
that a case's workflow must be a stored definition, its state one of that definition's
states, and a log row's trigger one of its triggers. So a file cannot bring in a case that
`case show` or `case fire` would stumble over.
"""

from __future__ import annotations

from typing import Any

from engine.kernel.errors import DefinitionError
from engine.workflow.definition import Definition, parse_definition

__all__ = ["ENGINE_TRIGGERS", "StoredReferences"]

# The log's own triggers besides a definition's: opening a case, (re)assigning it, reminding about it,
# attaching and removing files.
ENGINE_TRIGGERS = frozenset({"@open", "@assign", "@remind", "@attach", "@detach"})


class StoredReferences:
    """Checks each imported row against the rows before it (a `RowCheck` for engine.store.transfer)."""

    def __init__(self, roles: frozenset[str], focus_areas: frozenset[str]) -> None:
        self.roles, self.focus_areas = roles, focus_areas
        self._definitions: dict[tuple[str, str], Definition] = {}
        self._of_case: dict[int, Definition] = {}

    def __call__(self, table: str, row: dict[str, Any]) -> str | None:
        """What is wrong with `row` of `table`, if anything."""
        check = getattr(self, f"_{table}", None)
        return check(row) if check is not None else None

    def _workflow_definitions(self, row: dict[str, Any]) -> str | None:
        name = f"{row['key']}@{row['version']}"
        try:
            definition = parse_definition(row["source"], name, self.roles)
        except DefinitionError as exc:
            _file, field, problem = exc.problems[0]
            return f"workflow_definitions.source of {name} is not a valid definition here ({field}: {problem})"
        if definition.key != row["key"] or definition.version != row["version"]:
            return (f"workflow_definitions row {name} holds the source of {definition.key}@{definition.version}; "
                    "key and version must be those of its source")
        self._definitions[(definition.key, definition.version)] = definition
        return None

    def _cases(self, row: dict[str, Any]) -> str | None:
        definition = self._definitions.get((row["workflow"], row["definition_version"]))
        if definition is None:
            return (f"cases.workflow is {row['workflow']!r} (version {row['definition_version']!r}), which no "
                    "workflow_definitions row before it defines")
        if row["state"] not in definition.states:
            return f"cases.state is {row['state']!r}, not a state of {definition.key}"
        if row["focus_area"] is not None and row["focus_area"] not in self.focus_areas:
            return f"cases.focus_area is {row['focus_area']!r}, not a focus area of this deployment's config"
        self._of_case[row["id"]] = definition
        return None

    def _transition_log(self, row: dict[str, Any]) -> str | None:
        definition = self._of_case[row["case_id"]]
        for name in ("from_state", "to_state"):
            if row[name] is not None and row[name] not in definition.states:
                return f"transition_log.{name} is {row[name]!r}, not a state of {definition.key}"
        return self._trigger("transition_log", row["trigger"], definition, ENGINE_TRIGGERS)

    def _deadlines(self, row: dict[str, Any]) -> str | None:
        definition = self._of_case[row["case_id"]]
        if row["state"] not in definition.states:
            return f"deadlines.state is {row['state']!r}, not a state of {definition.key}"
        return self._trigger("deadlines", row["trigger"], definition, frozenset())

    def _memberships(self, row: dict[str, Any]) -> str | None:
        if row["role"] not in self.roles:
            return f"memberships.role is {row['role']!r}, not a role of this deployment's config"
        return None

    @staticmethod
    def _trigger(table: str, trigger: str | None, definition: Definition, also: frozenset[str]) -> str | None:
        if trigger is None or trigger in also or any(t.trigger == trigger for t in definition.transitions):
            return None
        return f"{table}.trigger is {trigger!r}, not a trigger of {definition.key}"
