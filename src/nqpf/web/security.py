"""Safety helpers for the dashboard: formula-injection neutralisation and streaming size limits."""

from __future__ import annotations

from nqpf._util import FORMULA_PREFIXES, neutralise_cell, neutralise_frame

# formula-injection neutralisation is shared with every CSV/XLSX writer of nqpf (nqpf._util)
__all__ = ["FORMULA_PREFIXES", "TooLarge", "neutralise_cell", "neutralise_frame"]


class TooLarge(Exception):
    """The request body exceeded the configured limit."""

    def __init__(self, limit: int):
        super().__init__(f"upload exceeds the limit of {limit} bytes")
        self.limit = limit
