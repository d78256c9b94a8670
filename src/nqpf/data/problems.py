"""Problems of reading and validation: one constructor with the translated message, and the error/warning
split shared by :class:`nqpf.data.io.LoadedData` and :class:`nqpf.data.validate.ValidationReport`.

Messages come from the ``data.problem.<code>`` entries of the i18n catalogue (``src/nqpf/i18n/data.yaml``);
the codes and their remedies are listed in ``docs/data.md``.
"""

from __future__ import annotations

from typing import Any

from nqpf.errors import Problem
from nqpf.i18n import t


def problem(
    severity: str,
    code: str,
    lang: str,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
    unit: str | None = None,
    indicator: str | None = None,
    extra: dict[str, Any] | None = None,
    **fmt: Any,
) -> Problem:
    """A :class:`~nqpf.errors.Problem` whose message is ``data.problem.<code>`` in ``lang`` formatted with
    ``fmt``; an empty ``column`` is recorded as None, a missing ``extra`` as ``{}``."""
    return Problem(
        severity, code, t(f"data.problem.{code}", lang, **fmt), file=file, row=row, column=column or None,
        unit=unit, indicator=indicator, extra=extra or {},
    )  # fmt: skip


class ProblemsMixin:
    """``errors`` and ``warnings``: the problems (attribute ``problems``) of severity error / warning."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]
