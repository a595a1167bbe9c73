"""The one way a use case says no: a `Refusal` whose `reason` names a catalogue text
(`<feature>.error_<reason>`), which the handler or the CLI shows in the reader's language."""
from __future__ import annotations


class Refusal(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
