"""Productivity and efficiency: DEA (CCR/BCC, SBM, super-efficiency, DDF) and productivity indices
(Malmquist, Malmquist–Luenberger, Global ML, Luenberger); growth accounting, KLEMS/Domar aggregation, SFA,
firm-level TFP and the measure recipes.

Every public function is exported here and imported on first use (PEP 562 ``__getattr__``), so
``import nqpf.productivity`` loads none of the estimators. ``dea``, ``malmquist``, ``sfa`` and ``firm_tfp``
are both a function and its module: the package attribute is the function (``from nqpf.productivity import
sfa``), the module stays importable by its path (``from nqpf.productivity.sfa import SFAResult``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: exported name → the module that defines it (``recipes`` is the module itself)
_EXPORTS: dict[str, str] = {
    "dea": "dea",
    "malmquist": "malmquist",
    "mean_changes": "malmquist",
    "sfa": "sfa",
    "SFAResult": "sfa",
    "loglik_panel": "sfa",
    "growth_accounting": "growth",
    "GrowthResult": "growth",
    "compare_with_pwt": "growth",
    "ctfp_levels": "growth",
    "domar_weights": "klems",
    "domar_aggregate": "klems",
    "ict_share": "klems",
    "DomarResult": "klems",
    "firm_tfp": "firm_tfp",
    "FirmTFPResult": "firm_tfp",
    "recipes": "recipes",
    "Recipe": "recipes",
}
#: exports that share their name with their module (the import system would bind the module over them)
_SAME_NAME = frozenset(k for k, v in _EXPORTS.items() if k == v and k != "recipes")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}; exports: {', '.join(__all__)}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    value = module if name == "recipes" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """This package's module type: importing the submodule ``nqpf.productivity.sfa`` does not replace the
    exported function ``sfa`` by the module (the import system binds a submodule on its package)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SAME_NAME and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
