"""Errors raised at the edge, carrying enough to tell a user exactly what to fix."""

from __future__ import annotations


class PbrsimError(Exception):
    """Base class for errors that the CLI turns into a one-line message and exit code 2."""


MAX_SHOWN = 120  # characters of a rejected value shown in a message


class ScenarioError(PbrsimError):
    """A scenario file that cannot be used: names the file, the key path, the value and the rule.

    A long value is shown cut to ``MAX_SHOWN`` characters, so the message stays one readable line.
    """

    def __init__(self, file: str, key_path: str, rule: str, value: object = None, *, has_value: bool = True,
                 value_text: str | None = None):
        self.file = file
        self.key_path = key_path
        self.rule = rule
        self.value = value
        self.has_value = has_value
        text = repr(value) if value_text is None else value_text
        self.value_text = text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"'{self.key_path}' " if self.key_path else ""
        got = f" (got {self.value_text})" if self.has_value else ""
        return f"{self.file}: {where}{self.rule}{got}"


class OutputError(PbrsimError):
    """An output location that cannot be written safely (exists without --force, not a folder...)."""


class ResourceError(PbrsimError):
    """A run that this machine cannot hold (memory), refused before it starts."""
