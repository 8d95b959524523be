"""The engine's errors: each says what was wrong and what to do about it."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "Conflict",
    "DefinitionError",
    "EngineError",
    "Forbidden",
    "NotFound",
    "TransitionNotAllowed",
    "ValidationError",
]


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(EngineError):
    """config.toml holds a key with a missing or wrong value."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        super().__init__(f"{path}: {key}: {problem}")


class DefinitionError(EngineError):
    """One or more workflow files are invalid; each problem names the file and field."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{f}: {field}: {msg}" for f, field, msg in problems))


class NotFound(EngineError):
    """The thing asked for does not exist, or the actor may not see it."""


class Forbidden(EngineError):
    """The actor is known but their role does not allow the action."""


class ValidationError(EngineError):
    """Input the actor gave is incomplete or wrong; `field` names which.

    A message with names in it also carries a stable `code` and the `params` it names, so an
    interface can say the same in its own language (the message itself stays English).
    """

    def __init__(self, field: str, message: str, *, code: str | None = None,
                 params: dict[str, str] | None = None) -> None:
        self.field, self.code, self.params = field, code, dict(params or {})
        super().__init__(message)


class TransitionNotAllowed(EngineError):
    """The trigger is not possible from the case's state, or a guard refuses it."""

    def __init__(self, case_id: int, trigger: str, state: str, message: str, guards: tuple[str, ...] = ()) -> None:
        self.case_id, self.trigger, self.state = case_id, trigger, state
        self.guards = guards  # the guards that refuse, by name, for interfaces that say it in their language
        super().__init__(message)


class Conflict(EngineError):
    """Someone changed the case since the actor read it."""

    def __init__(self, case_id: int, expected: int | None, actual: int) -> None:
        self.case_id, self.expected, self.actual = case_id, expected, actual
        super().__init__(
            f"Case {case_id} was changed by someone else (version {actual}, "
            f"you had {expected}); reload it and try again."
        )
