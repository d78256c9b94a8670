"""Build the embedded datasets of nqpf from the raw folder (``../shared/data/raw``).

    python scripts/build_datasets.py --raw ../shared/data/raw [--out src/nqpf/datasets/_data] [--only NAME]
    python scripts/build_datasets.py --docs docs/datasets.md      # regenerate the dataset documentation

Each dataset ``NAME`` has a builder module ``scripts/build/NAME.py`` with ``build(raw_dir) -> dict`` (keys
``data, indicators, units, sources, title, notes``). This script validates the result and writes
``<out>/NAME/{data.csv.gz, indicators.csv, units.csv, manifest.json}``. Output is deterministic: rows sorted,
floats written with Python ``repr`` (shortest string that round-trips the double exactly), gzip with
``mtime=0`` and no file name, no timestamps in the manifest — a rebuild is byte-identical.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from nqpf._util import atomic_path  # noqa: E402
from nqpf.data.panel import check_long  # noqa: E402

DATASETS = ["cn_provinces", "world", "cn_industries", "cn_industrial_green", "cn_cities"]
CATALOGUE_COLUMNS = [
    "indicator",
    "name_zh",
    "name_en",
    "unit_of_measure",
    "direction_hint",
    "definition",
    "formula",
    "source",
    "caveats",
    "gdp_vintage",
]
UNIT_COLUMNS = ["unit", "name_zh", "name_en", "group"]
SCRIPT_VERSION = "1"


class BuildError(RuntimeError):
    """A builder returned something that violates the dataset contract."""


def load_builder(name: str):
    """Import ``scripts/build/<name>.py``; ``None`` if it does not exist (yet)."""
    path = HERE / "build" / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"nqpf_build_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def validate(name: str, res: dict) -> dict:
    """Check a builder result against the contract; return canonical frames."""
    missing = [k for k in ("data", "indicators", "units", "sources", "title", "notes") if k not in res]
    if missing:
        raise BuildError(f"{name}: builder result lacks key(s) {missing}")
    data = check_long(res["data"], name=f"{name}.data")
    cat = res["indicators"].copy()
    miss_cols = [c for c in CATALOGUE_COLUMNS if c not in cat.columns]
    if miss_cols:
        raise BuildError(f"{name}: indicator catalogue lacks column(s) {miss_cols}")
    cat = cat[CATALOGUE_COLUMNS + [c for c in cat.columns if c not in CATALOGUE_COLUMNS]]
    if cat["indicator"].duplicated().any():
        raise BuildError(
            f"{name}: duplicate indicator(s) in catalogue: {sorted(cat.loc[cat['indicator'].duplicated(), 'indicator'])}"
        )
    in_data = set(data["indicator"])
    undocumented = sorted(in_data - set(cat["indicator"]))
    if undocumented:
        raise BuildError(f"{name}: indicator(s) in data but not in the catalogue: {undocumented}")
    unused = sorted(set(cat["indicator"]) - in_data)
    if unused:
        raise BuildError(f"{name}: catalogue lists indicator(s) with no data rows: {unused}")
    bad_dir = cat[~cat["direction_hint"].isin([-1, 0, 1])]
    if len(bad_dir):
        raise BuildError(
            f"{name}: direction_hint must be -1, 0 or +1 (indicator {bad_dir.iloc[0]['indicator']!r})"
        )
    for col in ("name_zh", "name_en", "unit_of_measure", "definition", "source"):
        empty = cat[cat[col].fillna("").astype(str).str.strip() == ""]
        if len(empty):
            raise BuildError(
                f"{name}: catalogue column {col!r} empty for indicator(s) {empty['indicator'].tolist()}"
            )
    cat["direction_hint"] = cat["direction_hint"].astype("int64")
    cat = cat.fillna("").sort_values("indicator").reset_index(drop=True)
    units = res["units"].copy()
    miss_cols = [c for c in UNIT_COLUMNS if c not in units.columns]
    if miss_cols:
        raise BuildError(f"{name}: units table lacks column(s) {miss_cols}")
    units["unit"] = units["unit"].astype(str)
    if units["unit"].duplicated().any():
        raise BuildError(f"{name}: duplicate unit codes in units table")
    unknown = sorted(set(data["unit"]) - set(units["unit"]))
    if unknown:
        raise BuildError(f"{name}: unit(s) in data but not in the units table: {unknown[:20]}")
    units = units.sort_values("unit").reset_index(drop=True)
    if not data["value"].notna().any():
        raise BuildError(f"{name}: no non-missing values")
    return dict(data=data, indicators=cat, units=units)


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")  # floats via repr -> exact round trip
    return buf.getvalue().encode("utf-8")


def _gzip_bytes(b: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(b)
    return buf.getvalue()


def _write(path: Path, b: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(b)
        tmp.chmod(0o644)


def summary(data: pd.DataFrame) -> dict:
    """Units, periods, indicators and coverage (% non-missing over the full units × periods × indicators grid)."""
    n_u, n_p, n_i = data["unit"].nunique(), data["period"].nunique(), data["indicator"].nunique()
    grid = n_u * n_p * n_i
    return dict(
        units=int(n_u),
        period_min=int(data["period"].min()),
        period_max=int(data["period"].max()),
        indicators=int(n_i),
        coverage_pct=round(100.0 * int(data["value"].notna().sum()) / grid, 2) if grid else 0.0,
    )


def write_dataset(name: str, res: dict, raw_dir: Path, out_dir: Path) -> dict:
    v = validate(name, res)
    d = out_dir / name
    files = {
        "data.csv.gz": _gzip_bytes(_csv_bytes(v["data"])),
        "indicators.csv": _csv_bytes(v["indicators"]),
        "units.csv": _csv_bytes(v["units"]),
    }
    sources = []
    for s in sorted(res["sources"], key=lambda s: s["path"]):
        p = raw_dir / s["path"]
        if not p.exists():
            raise BuildError(f"{name}: source file {s['path']} not found under {raw_dir}")
        sources.append(
            dict(
                path=s["path"],
                sha256=hashlib.sha256(p.read_bytes()).hexdigest(),
                citation=s.get("citation", ""),
            )
        )
    manifest = dict(
        name=name,
        title=res["title"],
        notes=res["notes"],
        script=f"scripts/build_datasets.py + scripts/build/{name}.py",
        script_version=SCRIPT_VERSION,
        raw_root="../shared/data/raw",
        sources=sources,
        rows=int(len(v["data"])),
        rows_nonmissing=int(v["data"]["value"].notna().sum()),
        summary=summary(v["data"]),
        files={k: hashlib.sha256(b).hexdigest() for k, b in files.items()},
    )
    files["manifest.json"] = (
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    ).encode("utf-8")
    for fn, b in files.items():
        _write(d / fn, b)
    return manifest


def build_all(raw_dir: Path, out_dir: Path, only: list[str] | None = None, echo=print) -> dict[str, dict]:
    done = {}
    for name in only or DATASETS:
        mod = load_builder(name)
        if mod is None:
            echo(f"note: scripts/build/{name}.py does not exist yet - {name} skipped")
            continue
        res = mod.build(Path(raw_dir))
        m = write_dataset(name, res, Path(raw_dir), Path(out_dir))
        s = m["summary"]
        echo(
            f"{name}: {s['units']} units, {s['period_min']}-{s['period_max']}, {s['indicators']} indicators, "
            f"{m['rows']} rows, coverage {s['coverage_pct']} %"
        )
        done[name] = m
    return done


DOC_INTRO = """# Embedded datasets

nqpf ships harmonised tables derived from public statistics; the raw files are never copied into the
package. `scripts/build_datasets.py` reads `../shared/data/raw/` (each folder documented by its
`PROVENANCE.md`), runs one builder per dataset (`scripts/build/<name>.py`), validates the result and writes
`src/nqpf/datasets/_data/<name>/` (`data.csv.gz`, `indicators.csv`, `units.csv`, `manifest.json` with the
sha256 of every source file). The build is deterministic; `tests/datasets/test_rebuild.py` rebuilds every
dataset and checks it is byte-identical to what ships.

```python
import nqpf.datasets as ds
ds.list()                       # name, title, units, periods, indicators, coverage (%)
d = ds.load("cn_provinces")     # .data (long), .indicators (catalogue), .units, .manifest, .wide()
```

Rules applied to every dataset: gaps stay gaps (NaN, never filled or interpolated); values are verbatim
from the source except for documented unit conversions; every derived series carries its `formula`
(the expression that computed it); known breaks and vintage issues are in `caveats`; the `caveats` text of
`cn_provinces` ends with a gap summary computed from the data. This page is generated from the shipped
catalogues by `python scripts/build_datasets.py --docs docs/datasets.md`.
"""

DOC_EXTRA = {
    "cn_provinces": """
**Harmonised units.** Money in 亿元 (current prices unless the unit says otherwise; 万元 sources divided
by 10^4), people in 万人, CO2 in Mt, energy in 万吨标准煤, pollutants in 万吨.

**GDP vintages.** `gdp_nominal` is the *first-published* yearbook vintage (China Statistical Yearbook via
EPS, identical to the NBS first releases); `gdp_nominal_revised` is the *current revised* NBS vintage
(after the 2018 and 2023 economic-census revisions; ratio revised / first-published 0.64-1.20 by province
and year). Every derived "% of GDP" and "per unit of GDP" series uses `gdp_nominal` (column
`gdp_vintage` = `first_release`), matching the other yearbook series and the capital stock, whose GFCF is
first-published too. Sector value added (`va_*`, 2016-2023) is only available in the revised vintage.

**Inputs for productivity (TFP, green TFP).** `capital_stock` (亿元, 2000 prices, Zhang et al. 2004 PIM,
complete 31 x 2011-2022), `employment` (万人; proxy = urban units + private/individual, to 2019 — NBS total
employment is not in the raw data; `employment_urban_units` runs to 2023), `energy_consumption`
(万吨标准煤, 30 provinces, no Tibet), `gdp_nominal` (亿元), `gdp_real_rpi_2011prices` (RPI-deflated proxy —
there is no provincial GDP volume index in the raw data; `gdp_real_2010prices` gives the compiler's real GDP
for even years only), `co2` (CEADs, Mt, 30 provinces, to 2022; `co2_edgar` covers all 31), `so2` (industrial,
万吨; definition break 2016), `industrial_wastewater`, `industrial_solid_waste`.

**Known breaks flagged in the catalogue.** Telecom business volume at changing constant prices
(`telecom_business_volume`, `telecom_volume_per_capita`); 2016 definition change of industrial SO2 and solid
waste; compiler-interpolated industrial wastewater cells (removed, i.e. missing); Tibet gaps (no energy,
CO2-CEADs, SO2, software statistics; technology-market turnover 2011-2016); the NERI marketisation index ends
2019; high-tech manufacturing operation data miss 2017; capital-stock investment 2018-2022 is constructed from
FAI growth and deflated by RPI 2020-2022.

**Coverage.** Indicators with >= 95 % of cells present for 30 provinces (Tibet excluded) over 2012-2022:
{n_core}; over 2016-2022: {n_rich} (including Tibet: {n_core_t} and {n_rich_t}). Asserted in
`tests/datasets/test_cn_provinces.py`. The built-in frameworks `nqpf-core` (2012-2022, complete for all 31
provinces), `nqpf-core-rich` (2016-2022) and `nqpf-33131` use these series.
""",
}


def _md(v) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _anomaly_docs(name: str, data: pd.DataFrame, doc_path: Path) -> list[str]:
    """Suspicious values of a dataset (``nqpf.data.anomalies``): counts per indicator, the full list as a CSV
    next to the doc (``anomalies_<name>.csv``), and every finding of the series the default framework uses."""
    from nqpf.data.anomalies import find_anomalies

    found = find_anomalies(data)
    where = f"{len(found)} findings; recompute with `find_anomalies(nqpf.datasets.load({name!r}).data)`"
    if name == "cn_provinces":  # the full list of the provincial data is kept next to the doc
        csv = Path(doc_path).parent / f"anomalies_{name}.csv"
        with atomic_path(csv) as tmp:
            found.to_csv(tmp, index=False, float_format="%.10g")
            tmp.chmod(0o644)
        where = f"full list: `docs/{csv.name}` ({len(found)} rows)"
    out = [
        "\n### Suspicious values (spikes, jumps, stale repeats, common breaks)\n",
        "Found by `nqpf.data.anomalies.find_anomalies` (definitions in its docstring; the same checks run in "
        f"`nqpf validate`). Nothing was changed in the data; {where}.\n",
    ]
    if found.empty:
        return out + ["None found.\n"]
    cnt = found.groupby(["indicator", "check"]).size().unstack(fill_value=0)
    cols = [c for c in ("spike", "jump", "stale", "common_break") if c in cnt.columns]
    out.append("| indicator | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols))
    for ind, r in cnt.iterrows():
        out.append(f"| `{ind}` | " + " | ".join(str(int(r[c])) for c in cols) + " |")
    if name == "cn_provinces":
        sys.path.insert(0, str(REPO / "src"))
        from nqpf.framework import load_framework

        fw = load_framework("nqpf-core")
        used = {fw.node(lf).get("series") or lf for lf in fw.leaves}
        sub = found[found["indicator"].isin(used) & found["period"].between(*fw.meta["periods"])]
        out.append(
            f"\nIn the series of the default framework `nqpf-core` ({fw.meta['periods'][0]}–{fw.meta['periods'][1]}): "
            f"{len(sub)} finding(s); the sources give no explanation for them, so they are listed here and "
            "their effect is bounded by the framework's treatment (see docs/frameworks/nqpf-core.md).\n"
        )
        out.append("| indicator | unit | year | check | detail |\n|---|---|---|---|---|")
        for r in sub.itertuples():
            out.append(f"| `{r.indicator}` | {r.unit or 'all'} | {r.period} | {r.check} | {_md(r.detail)} |")
    return out


def write_docs(data_dir: Path, path: Path) -> None:
    """Generate the dataset documentation (Markdown) from the shipped catalogues and manifests."""
    import importlib

    sys.path.insert(0, str(REPO / "src"))
    dsmod = importlib.import_module("nqpf.datasets")
    out = [DOC_INTRO]
    for name in sorted(p.name for p in Path(data_dir).iterdir() if (p / "manifest.json").is_file()):
        data, cat, units, man = dsmod.read_dir(Path(data_dir) / name)
        s = man["summary"]
        out.append(f"\n## `{name}` — {man['title']}\n")
        out.append(
            f"{s['units']} units, {s['period_min']}–{s['period_max']}, {s['indicators']} indicators, "
            f"{man['rows']} rows ({man['rows_nonmissing']} non-missing; coverage {s['coverage_pct']} %).\n"
        )
        out.append(f"{man['notes']}\n")
        extra = DOC_EXTRA.get(name)
        if extra and name == "cn_provinces":
            w = data.pivot(index=["unit", "period"], columns="indicator", values="value")
            u, p = w.index.get_level_values(0), w.index.get_level_values(1)

            def n95(mask, w=w):
                return int((w[mask].notna().mean() >= 0.95).sum())

            extra = extra.format(
                n_core=n95((u != "540000") & (p >= 2012) & (p <= 2022)),
                n_rich=n95((u != "540000") & (p >= 2016) & (p <= 2022)),
                n_core_t=n95((p >= 2012) & (p <= 2022)),
                n_rich_t=n95((p >= 2016) & (p <= 2022)),
            )
        if extra:
            out.append(extra)
        out.append(
            "\n### Sources\n\n| file (under ../shared/data/raw) | sha256 (first 12) | citation |\n|---|---|---|"
        )
        for src in man["sources"]:
            out.append(f"| `{src['path']}` | `{src['sha256'][:12]}` | {_md(src['citation'])} |")
        if len(units) <= 60:
            out.append("\n### Units\n")
            cols = list(units.columns)
            out.append("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
            for r in units.itertuples(index=False):
                out.append("| " + " | ".join(_md(x) for x in r) + " |")
        out.extend(_anomaly_docs(name, data, path))
        out.append(
            "\n### Indicators\n\nDirection: +1 more is better for NQPF, −1 less is better, 0 neutral/context.\n"
        )
        out.append(
            "| id | 名称 | name | unit | dir | definition / formula | source | caveats | GDP vintage |\n|---|---|---|---|---|---|---|---|---|"
        )
        for r in cat.to_dict("records"):
            d = _md(r["definition"]) + (f" Formula: `{_md(r['formula'])}`" if r["formula"] else "")
            out.append(
                f"| `{r['indicator']}` | {_md(r['name_zh'])} | {_md(r['name_en'])} | {_md(r['unit_of_measure'])} | "
                f"{int(r['direction_hint']):+d} | {d} | {_md(r['source'])} | {_md(r['caveats'])} | {_md(r['gdp_vintage'])} |"
            )
    text = "\n".join(out) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, help="raw data folder (../shared/data/raw)")
    ap.add_argument(
        "--docs", type=Path, help="write the dataset documentation (Markdown) to this path and exit"
    )
    ap.add_argument("--out", type=Path, default=REPO / "src/nqpf/datasets/_data")
    ap.add_argument("--only", action="append", choices=DATASETS, help="build only this dataset (repeatable)")
    a = ap.parse_args(argv)
    if a.docs:
        write_docs(a.out, a.docs)
        return 0
    if a.raw is None or not a.raw.is_dir():
        print(f"error: raw folder {a.raw} not found", file=sys.stderr)
        return 2
    try:
        build_all(a.raw, a.out, a.only)
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
