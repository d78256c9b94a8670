"""Data layer: the panel model, readers/writers, unit and indicator catalogues, validation.

Readers and catalogues are imported lazily (``nqpf.data.read`` etc. resolve on first use).
"""

from nqpf.data.panel import INDICATOR, LONG_COLUMNS, PERIOD, UNIT, VALUE, check_long, to_long, to_wide

# Imported eagerly: the function ``validate`` shares its name with the submodule ``nqpf.data.validate``,
# and importing the submodule would otherwise shadow a lazily resolved function.
from nqpf.data.validate import ValidationReport, validate  # noqa: E402

__all__ = [
    "UNIT", "PERIOD", "INDICATOR", "VALUE", "LONG_COLUMNS", "check_long", "to_long", "to_wide",
    "read", "write", "load", "validate", "normalize_province", "province_table", "load_catalogue",
    "parse_cell", "LoadedData", "ValidationReport",
]  # fmt: skip

_LAZY = {
    "read": "nqpf.data.io", "write": "nqpf.data.io", "load": "nqpf.data.io", "LoadedData": "nqpf.data.io",
    "normalize_province": "nqpf.data.units", "province_table": "nqpf.data.units",
    "load_catalogue": "nqpf.data.catalogue", "parse_cell": "nqpf.data.parse",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
