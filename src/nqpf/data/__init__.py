"""Data layer: the panel model, readers/writers, unit and indicator catalogues, validation."""

from nqpf.data.panel import INDICATOR, LONG_COLUMNS, PERIOD, UNIT, VALUE, to_long, to_wide

__all__ = ["UNIT", "PERIOD", "INDICATOR", "VALUE", "LONG_COLUMNS", "to_long", "to_wide"]
