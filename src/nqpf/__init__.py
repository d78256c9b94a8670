"""nqpf — New Quality Productive Forces (新质生产力): measure, mark, explain, guide, deliver.

Layers (dependencies point one way): ``data`` → ``framework`` → ``index`` → ``productivity`` and
``analysis`` → ``guide`` → ``report``, ``cli``, ``web``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "read", "write", "datasets", "build_index"]


def __getattr__(name: str):  # lazy, so that ``import nqpf`` stays fast
    if name in ("read", "write"):
        from nqpf.data import io

        return getattr(io, name)
    if name == "datasets":
        import nqpf.datasets as ds

        return ds
    if name == "build_index":
        from nqpf.index import build_index

        return build_index
    raise AttributeError(name)
