"""The project's own error types.

Every error a user can trigger with bad input is an :class:`NQPFError` (or a subclass) whose message
names *where* (file, row, unit, indicator, node …) and *what to do*. The CLI prints the message, never a
traceback, and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class NQPFError(Exception):
    """Base class of every error nqpf raises on purpose."""


class DataError(NQPFError):
    """Input data cannot be read or is malformed (wrong encoding, non-numeric cells, unknown units …)."""


class ValidationError(DataError):
    """Validation found one or more errors; ``problems`` lists them all (not only the first)."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class FrameworkError(NQPFError):
    """A framework (YAML tree) is invalid or does not fit the data."""


class MethodError(NQPFError):
    """A method was called with settings or data it cannot handle (too few units, inconsistent AHP …)."""


@dataclass
class Problem:
    """One finding of a validation: severity ``error`` or ``warning``, with its location and a remedy."""

    severity: str
    code: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    unit: str | None = None
    indicator: str | None = None
    extra: dict = field(default_factory=dict)

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file {self.file}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.unit:
            parts.append(f"unit {self.unit!r}")
        if self.indicator:
            parts.append(f"indicator {self.indicator!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        w = self.where()
        return f"[{self.severity}] {self.code}: {w + ': ' if w else ''}{self.message}"
