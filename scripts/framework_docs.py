"""Regenerate the generated parts of ``docs/frameworks/*.md`` from the framework YAML and the dataset catalogue.

    python scripts/framework_docs.py            # rewrite every block between the markers
    python scripts/framework_docs.py --check    # exit 1 if a doc is stale (used by the tests)

A doc holds hand-written text and blocks ``<!-- generated:NAME -->`` … ``<!-- /generated:NAME -->``; each block is
replaced by the node and indicator tables of framework ``NAME`` (labels, parent, theory; series, unit, direction,
definition, source and caveats from the ``cn_provinces`` catalogue, or the leaf's formula).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import nqpf.datasets as ds  # noqa: E402
from nqpf.framework import load_framework  # noqa: E402

BLOCK = re.compile(r"(<!-- generated:(?P<name>[^ ]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)


def _cell(v) -> str:
    s = "" if v is None or (isinstance(v, float) and v != v) else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def tables(name: str) -> str:
    fw = load_framework(name)
    dataset = fw.meta.get("dataset")
    cat = ds.load(dataset).indicators.set_index("indicator") if dataset in ds.names() else None
    out = []
    cit = fw.meta.get("citation")
    if isinstance(cit, dict):
        out += [f"**Citation.** {cit.get('text', '')}", "", f"**Printed scores.** {cit.get('scores', '')}", ""]
    if fw.meta.get("method"):
        m = fw.meta["method"]
        out += ["**Method** (`method:` in the YAML): " + "; ".join(f"`{k}` = `{v}`" for k, v in m.items()), ""]
        out += [f"- {n}" for n in fw.meta.get("method_notes", [])] + ([""] if fw.meta.get("method_notes") else [])
    if fw.meta.get("replication", {}).get("result"):
        out += [f"**Reproduction.** {fw.meta['replication']['result']}", ""]
    if fw.meta.get("substitutions"):
        out += ["| in the paper | author's raw panel | nqpf series | note |", "|---|---|---|---|"]
        for r in fw.meta["substitutions"]:
            out.append(
                f"| {_cell(r.get('paper'))} | `{_cell(r.get('raw_127ww') or r.get('raw'))}` | `{_cell(r.get('series'))}` "
                f"| {_cell(r.get('note'))} |"
            )
        out.append("")
    out += [f"### Nodes — `{name}`", "| node | 名称 | name | parent | theory |", "|---|---|---|---|---|"]
    for n in fw.ids:
        if n in fw.leaves:
            continue
        node = fw.node(n)
        out.append(
            f"| `{n}` | {_cell(node.get('label_zh'))} | {_cell(node.get('label_en'))} | "
            f"{_cell(fw.parent(n) or '—')} | {_cell(node.get('theory'))} |"
        )
    out += [
        "",
        f"### Indicators — `{name}`",
        "| indicator (series) | 名称 | name | parent | unit | dir | definition / formula | source | caveats | theory |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for leaf in fw.leaves:
        node = fw.node(leaf)
        series = node.get("series") or (None if node.get("formula") else leaf)
        label = f"`{leaf}`" + (f" (`{series}`)" if series and series != leaf else "")
        definition, source, caveats = node.get("definition") or "", "", ""
        if node.get("formula"):
            definition = (definition + " " if definition else "") + f"Formula: `{node['formula']}`"
        elif cat is not None and series in cat.index:
            row = cat.loc[series]
            if isinstance(row.get("formula"), str) and row["formula"]:
                definition = (definition + " " if definition else "") + f"Formula: `{row['formula']}`"
            source, caveats = row.get("source", ""), row.get("caveats", "")
        d = node.get("direction")
        out.append(
            f"| {label} | {_cell(node.get('label_zh'))} | {_cell(node.get('label_en'))} | {_cell(fw.parent(leaf))} | "
            f"{_cell(node.get('unit'))} | {'+1' if d == 1 else '-1'} | {_cell(definition)} | {_cell(source)} | "
            f"{_cell(caveats)} | {_cell(node.get('theory'))} |"
        )
    return "\n".join(out) + "\n"


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + tables(m.group("name")) + m.group(4), text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a doc differs from its regeneration")
    a = ap.parse_args(argv)
    stale = []
    for p in sorted((REPO / "docs" / "frameworks").glob("*.md")):
        text = p.read_text(encoding="utf-8")
        if not BLOCK.search(text):
            continue
        new = render(text)
        if new != text:
            stale.append(p.name)
            if not a.check:
                p.write_text(new, encoding="utf-8")
    if a.check and stale:
        print(f"stale generated blocks in docs/frameworks: {stale}; run python scripts/framework_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
