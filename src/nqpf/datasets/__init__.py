"""Embedded real datasets: ``list()`` and ``load(name)``.

The tables under ``_data/<name>/`` are built by ``scripts/build_datasets.py`` from the raw folder and
shipped with the package; this module reads only those files (via :mod:`importlib.resources`).

``load(name)`` returns a :class:`Dataset`:

- ``.data``: long panel ``unit, period, indicator, value`` (NaN = gap; the full units × periods ×
  indicators grid is present for ``cn_provinces``),
- ``.indicators``: catalogue ``indicator, name_zh, name_en, unit_of_measure, direction_hint, definition,
  formula, source, caveats, gdp_vintage`` (``formula`` empty for raw series),
- ``.units``: ``unit, name_zh, name_en, group`` (+ extra group columns such as ``region4``),
- ``.manifest``: the build manifest (sources with sha256, row counts, summary).
"""

from __future__ import annotations

import builtins
import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from nqpf.data.panel import check_long, to_wide
from nqpf.errors import DataError

__all__ = ["Dataset", "list", "load", "names"]

_FILES = ("data.csv.gz", "indicators.csv", "units.csv", "manifest.json")


@dataclass
class Dataset:
    """One embedded dataset (frames are copies; mutate freely)."""

    name: str
    title: str
    data: pd.DataFrame
    indicators: pd.DataFrame
    units: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def wide(self, indicators: builtins.list[str] | None = None) -> pd.DataFrame:
        """Wide form: index ``(unit, period)``, one column per indicator (optionally a subset, in that order)."""
        w = to_wide(self.data)
        if indicators is None:
            return w
        unknown = [i for i in indicators if i not in w.columns]
        if unknown:
            raise DataError(
                f"dataset {self.name!r} has no indicator(s) {unknown}; see load({self.name!r}).indicators"
            )
        return w[builtins.list(indicators)]

    def indicator(self, ind: str) -> dict[str, Any]:
        """Catalogue row of one indicator as a dict."""
        row = self.indicators[self.indicators["indicator"] == ind]
        if row.empty:
            raise DataError(
                f"dataset {self.name!r} has no indicator {ind!r}; see load({self.name!r}).indicators"
            )
        return row.iloc[0].to_dict()


def _root():
    return resources.files(__name__) / "_data"


def names() -> builtins.list[str]:
    """Names of the datasets shipped with this installation (sorted)."""
    root = _root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "manifest.json").is_file())


def _manifest(name: str) -> dict[str, Any]:
    return json.loads((_root() / name / "manifest.json").read_text(encoding="utf-8"))


def read_dir(folder) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read one built dataset folder (a path or a Traversable) → ``(data, indicators, units, manifest)``.

    Used by :func:`load` and by the rebuild test (which reads a freshly built folder the same way).
    """
    opts = dict(keep_default_na=False, na_values=[""])  # pandas >= 3 parses floats round-trip exactly
    with (folder / "data.csv.gz").open("rb") as f:
        data = pd.read_csv(
            f,
            compression="gzip",
            dtype={"unit": str, "indicator": str, "period": "int64", "value": "float64"},
            **opts,
        )
    data = check_long(data, name=f"{folder}/data.csv.gz")
    with (folder / "indicators.csv").open("rb") as f:
        ind = pd.read_csv(f, dtype=str, keep_default_na=False)
    ind["direction_hint"] = ind["direction_hint"].astype("int64")
    with (folder / "units.csv").open("rb") as f:
        units = pd.read_csv(f, dtype=str, keep_default_na=False)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data, ind, units, manifest


@lru_cache(maxsize=8)
def _load_cached(name: str) -> Dataset:
    data, ind, units, manifest = read_dir(_root() / name)
    return Dataset(
        name=name,
        title=manifest.get("title", name),
        data=data,
        indicators=ind,
        units=units,
        manifest=manifest,
    )


def load(name: str) -> Dataset:
    """Load an embedded dataset by name (``cn_provinces``, ``world``, ``cn_industries``).

    Unknown names raise :class:`nqpf.errors.DataError` listing the valid ones. Results are cached; each call
    returns independent copies.
    """
    valid = names()
    if not isinstance(name, str) or name not in valid:
        raise DataError(
            f"unknown dataset {name!r}; available datasets: {', '.join(valid) if valid else '(none built)'}. "
            "Build them with: python scripts/build_datasets.py --raw ../shared/data/raw"
        )
    ds = _load_cached(name)
    return Dataset(
        name=ds.name,
        title=ds.title,
        data=ds.data.copy(),
        indicators=ds.indicators.copy(),
        units=ds.units.copy(),
        manifest=copy.deepcopy(ds.manifest),
    )


def list() -> pd.DataFrame:  # noqa: A001 - the API name is part of the contract
    """One row per dataset: ``name, title, units, periods ("2011–2023"), indicators, coverage`` (% non-missing
    cells of the units × periods × indicators grid). Reads only the manifests (fast)."""
    rows = []
    for n in names():
        m = _manifest(n)
        s = m["summary"]
        rows.append(
            dict(
                name=n,
                title=m.get("title", n),
                units=int(s["units"]),
                periods=f"{s['period_min']}–{s['period_max']}",
                indicators=int(s["indicators"]),
                coverage=float(s["coverage_pct"]),
            )
        )
    return pd.DataFrame(rows, columns=["name", "title", "units", "periods", "indicators", "coverage"])
