"""The build log of :func:`~nqpf.index.build_index`: one object per build, passed to every stage.

A stage writes its notes (warnings) and records to the :class:`Log` it is given; nothing is captured from
process-global state. While a stage runs, the log is also the sink of :func:`nqpf._util.warn` (a context
variable, so concurrent builds in threads never see each other's notes), so the step functions of
``nqpf.index.impute`` … ``weights`` that warn through it land in the stage that called them.
``log.notes`` (deduplicated messages, in order) is what ``manifest["warnings"]`` holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from nqpf import _util

STAGES: tuple[str, ...] = ("grid", "impute", "treat", "normalise", "weight", "aggregate", "rank")


class Log:
    """Notes and records of one build.

    ``notes``: the messages warned, deduplicated, in order; ``entries``: the same as ``{"stage", "message"}``
    records; ``records``: ``{stage: {key: value}}`` written by the stages (e.g. the number of imputed cells).
    """

    def __init__(self) -> None:
        self.notes: list[str] = []  # bound as the nqpf._util.warn sink while a stage runs (plain list: picklable)
        self.entries: list[dict[str, Any]] = []
        self.records: dict[str, dict[str, Any]] = {}
        self.current: str | None = None

    def _file(self) -> None:
        """File the notes added since the last call under the current stage."""
        for message in self.notes[len(self.entries):]:
            self.entries.append({"stage": self.current, "message": message})

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[Log]:
        """Run a block as stage ``name``: notes warned inside it (here or via ``nqpf._util.warn``) are filed
        under it. Nested calls file under the innermost stage."""
        self._file()  # notes so far belong to the enclosing stage
        prev, self.current = self.current, name
        try:
            with _util.note_sink(self.notes):  # a context-local receiver of nqpf._util.warn
                yield self
        finally:
            self._file()
            self.current = prev

    def warn(self, message: str, category: type[Warning] = UserWarning, stacklevel: int = 2) -> None:
        """Warn ``message`` (:func:`warnings.warn`) and file it under the current stage (once)."""
        with self.stage(self.current or "build"):
            _util.warn(message, category, stacklevel=stacklevel + 1)

    def record(self, stage: str, **info: Any) -> None:
        """Store ``info`` under ``stage`` in :attr:`records`."""
        self.records.setdefault(stage, {}).update(info)

    def by_stage(self, stage: str) -> list[str]:
        """The messages filed under ``stage``."""
        self._file()
        return [e["message"] for e in self.entries if e["stage"] == stage]

    def __repr__(self) -> str:
        return f"Log({len(self.notes)} note(s), stages {sorted(self.records)})"
