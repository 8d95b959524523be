"""config.toml keys that name workflows and their states, checked against the definitions.

config.toml is read before the workflow files, so these references are checked when the
engine is built: a typo stops every command at start with `file: key: problem` instead
of failing at the first tick or, worse, silently ending the agreement when the renewal
is signed.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.config.settings import AgreementConfig, Config
from engine.kernel.errors import ConfigError
from engine.workflow.definition import Definition

__all__ = ["check_workflow_references"]


def check_workflow_references(cfg: Config, definitions: Mapping[str, Definition]) -> None:
    """Every workflow and state config.toml names exists (renewed states are end states); else ConfigError."""
    check = _Check(cfg, definitions)
    for n, a in enumerate(cfg.agreements):
        # The default agreement's own keys sit under [agreement], its parts at the top level.
        own, parts = ("agreement.", "") if n == 0 else (f"agreements[{n - 1}].",) * 2
        check.agreement(a, own, parts)


class _Check:
    def __init__(self, cfg: Config, definitions: Mapping[str, Definition]) -> None:
        self.path, self.definitions = str(cfg.path), definitions

    def workflow(self, key: str, name: str) -> Definition:
        found = self.definitions.get(name)
        if found is None:
            raise ConfigError(self.path, key, f"no workflow {name!r}; known: {', '.join(sorted(self.definitions))}")
        return found

    def state(self, key: str, definition: Definition, name: str) -> None:
        if name not in definition.states:
            raise ConfigError(self.path, key, f"{definition.key} has no state {name!r}; "
                                              f"known: {', '.join(definition.states)}")

    def agreement(self, a: AgreementConfig, own: str, parts: str) -> None:
        renewal = self.workflow(f"{own}renewal_workflow", a.renewal_workflow)
        ends = [s.key for s in renewal.states.values() if s.terminal]
        for name in a.renewed_states:
            self.state(f"{own}renewed_states", renewal, name)
            if name not in ends:
                # The period is renewed when the renewal case ends; a state it passes through never counts.
                raise ConfigError(self.path, f"{own}renewed_states",
                                  f"{name!r} is not an end state of {renewal.key}; expected some of {', '.join(ends)}")
        for i, rec in enumerate(a.recurring):
            self.workflow(f"{parts}recurring[{i}].workflow", rec.workflow)
        for i, ob in enumerate(a.obligations):
            where = f"{parts}obligations[{i}]"
            definition = self.workflow(f"{where}.workflow", ob.workflow)
            for state in ob.states:
                self.state(f"{where}.states", definition, state)
            if ob.required_state is not None:
                requiring = self.workflow(f"{where}.required_workflow", ob.requiring_workflow)
                self.state(f"{where}.required_state", requiring, ob.required_state)
