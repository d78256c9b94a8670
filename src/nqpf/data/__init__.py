"""Data layer: the panel model, readers/writers, unit and indicator catalogues, validation.

Heavy modules (readers, validation) are imported lazily so that ``import nqpf.data`` stays fast.
"""

from nqpf.data.panel import INDICATOR, LONG_COLUMNS, PERIOD, UNIT, VALUE, check_long, to_long, to_wide

__all__ = [
    "UNIT", "PERIOD", "INDICATOR", "VALUE", "LONG_COLUMNS", "check_long", "to_long", "to_wide",
    "read", "write", "load", "validate", "normalize_province", "province_table", "load_catalogue",
    "parse_cell", "LoadedData", "ValidationReport",
]  # fmt: skip

_LAZY = {
    "read": "nqpf.data.io", "write": "nqpf.data.io", "load": "nqpf.data.io", "LoadedData": "nqpf.data.io",
    "validate": "nqpf.data.validate", "ValidationReport": "nqpf.data.validate",
    "normalize_province": "nqpf.data.units", "province_table": "nqpf.data.units",
    "load_catalogue": "nqpf.data.catalogue", "parse_cell": "nqpf.data.parse",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
