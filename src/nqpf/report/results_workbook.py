"""The reader's workbook of an :class:`~nqpf.index.result.IndexResult` (``res.to_excel(path)``; renderer
``workbook`` of :data:`nqpf._protocol.RENDERERS`): README, scores, ranks, weights, contributions, normalized,
imputation log, nodes and manifest sheets."""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from nqpf._util import _json_default, atomic_path
from nqpf.i18n import t
from nqpf.index.result import EXCEL_MAX_ROWS
from nqpf.report.build import Inputs, _leaf_sources, _setting_label
from nqpf.report.excel import safe_text, write_table


def index_workbook(res, path: str | os.PathLike, *, lang: str = "en", raw_text: bool = False,
                   units: pd.DataFrame | dict | None = None) -> str:
    """Write the reader's workbook of ``res`` atomically (the quality of the report workbook): README
    (framework, data, settings, sources, what each sheet holds), scores and ranks (wide: code, name, year, one
    column per node under its label in ``lang``; ranks tie on the scores as shown, 4 decimals —
    :func:`nqpf.index.result.display_rank`), weights (labels, parent, direction, weight and effective weight
    as %), contributions (when it fits), normalized, imputation_log, nodes (id, label) and manifest
    (key/value). Number formats per column, frozen panes below the header and right of the id columns, column
    widths from the contents. Unit names from ``units`` (see ``IndexResult.unit_names``). Text cells starting
    with = + - @ get a leading ' (no live formulas from unit or indicator names) unless ``raw_text``."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    keep = (lambda v: v) if raw_text else safe_text  # noqa: E731
    names = res.unit_names(lang, units)
    lab = {n: res.framework.label(n, lang) for n in res.node_ids}
    sheets, nid = _sheets(res, L, names, lab)
    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    _readme(res, readme, lang, keep, [(name, what) for name, what, _, _ in sheets])
    for name, _what, df, fmts in sheets:
        write_table(wb.create_sheet(name), _neutral(df, raw_text), formats=fmts,
                    freeze_cols=nid if name != "weights" else 2)
    if len(res.imputation_log) and len(res.imputation_log) <= EXCEL_MAX_ROWS:
        write_table(wb.create_sheet("imputation_log"), _neutral(res.imputation_log, raw_text))
    nodes = pd.DataFrame({"node": res.node_ids, "label": [lab[n] for n in res.node_ids]})
    write_table(wb.create_sheet("nodes"), _neutral(nodes, raw_text))
    man = pd.DataFrame(
        [{"key": k, "value": _flat(v)} for k, v in res.manifest.items() if k not in ("imputation_log",)]
    )
    write_table(wb.create_sheet("manifest"), _neutral(man, raw_text), widths={"key": 26, "value": 100})
    for ws in wb.worksheets[1:]:
        ws.sheet_properties.tabColor = "2C7FB8"
    readme.cell(row=1, column=1).font = Font(bold=True, size=13)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return str(path)


def _sheets(res, L, names: dict, lab: dict) -> tuple[list[tuple], int]:
    """The table sheets of :func:`index_workbook` as (name, description, table, number formats), and the
    number of id columns (code, name when known, period)."""
    fw = res.framework
    c_unit, c_name, c_per = L("report.col.unit"), L("report.col.name"), L("common.period")
    ids = pd.DataFrame({c_unit: res.units.astype(str), c_name: [names.get(str(u), str(u)) for u in res.units],
                        c_per: res.periods})
    if not names:
        ids = ids.drop(columns=[c_name])

    def wide(M, cols):
        heads = _unique([lab.get(c, c) for c in cols])
        return pd.concat([ids, pd.DataFrame(M, columns=heads)], axis=1), heads

    scores, sh = wide(res.S, res.node_ids)
    Rd = res.display_scores()["rank"].to_numpy(dtype=float).reshape(res.S.shape)
    ranks, rh = wide(Rd, res.node_ids)
    norm, nh = wide(res.Z, fw.leaves)
    w = res.weights
    c_w, c_ew = L("report.xlsx.weight"), L("report.xlsx.effective_weight")
    weights = pd.DataFrame({
        L("report.xlsx.node"): w["node"].astype(str), L("report.col.indicator"): [lab.get(n, n) for n in w["node"]],
        L("report.xlsx.parent"): ["" if p is None or (isinstance(p, float) and p != p) else lab.get(p, str(p))
                                  for p in w["parent"]],
        L("report.ind.col.direction"): [L("report.ind.direction." + ("neg" if fw.direction(n) < 0 else "pos"))
                                        if n in fw.leaves else "" for n in w["node"]],
        c_w: w["weight"].astype(float).to_numpy(), c_ew: w["effective_weight"].astype(float).to_numpy()})
    sheets = [("scores", L("report.xlsx.sheet_scores"), scores, {h: "0.0000" for h in sh}),
              ("ranks", L("report.xlsx.sheet_ranks"), ranks, {h: "0" for h in rh}),
              ("weights", L("report.xlsx.sheet_weights"), weights, {c_w: "0.0%", c_ew: "0.0%"}),
              ("normalized", L("report.xlsx.sheet_normalized"), norm, {h: "0.0000" for h in nh})]
    if len(res.contributions) <= EXCEL_MAX_ROWS:
        sheets.append(_contributions_sheet(res, L, names, lab, (c_unit, c_name, c_per)))
    return sheets, ids.shape[1]


def _contributions_sheet(res, L, names: dict, lab: dict, id_cols: tuple[str, str, str]) -> tuple:
    """The contributions sheet of :func:`index_workbook`: (name, description, table, number formats)."""
    c, (c_unit, c_name, c_per) = res.contributions, id_cols
    c_ct, c_sh = L("report.xlsx.contribution"), L("report.xlsx.share")
    ct = pd.DataFrame({c_unit: c["unit"].astype(str)})
    if names:
        ct[c_name] = [names.get(u, u) for u in ct[c_unit]]
    ct[c_per] = c["period"].to_numpy()
    ct[L("report.xlsx.parent")] = [lab.get(n, n) for n in c["node"]]
    ct[L("report.xlsx.child")] = [lab.get(n, n) for n in c["child"]]
    ct[c_ct], ct[c_sh] = c["contribution"].to_numpy(), c["share"].to_numpy()
    return "contributions", L("report.xlsx.sheet_contributions"), ct, {c_ct: "0.0000", c_sh: "0.0%"}


def _readme(res, ws, lang: str, keep, sheets: list[tuple[str, str]]) -> None:
    """The README sheet: title, framework, data, units and years, settings in words, sources, sheets."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    st = res.manifest.get("settings", {})
    rows: list[tuple[str, str]] = [
        (L("report.meta.framework"), f"{fw.label(fw.root, lang)} ({fw.name})"),
        (L("report.meta.data"), str(res.manifest.get("data", ""))),
        (L("report.meta.units"), str(len(res.unit_labels))),
        (L("report.xlsx.years"), f"{int(res.years.min())}–{int(res.years.max())}"),
    ]
    for k in ("impute", "treat", "normalize", "weights", "weight_scope", "aggregate"):
        if k in st:
            rows.append((t("index.step." + ("weights" if k == "weight_scope" else k), lang),
                         _setting_label(k, st[k], lang)))
    rows.append((L("report.xlsx.rank_rule_key"), L("report.xlsx.rank_rule")))
    ws.cell(row=1, column=1, value=keep(L("report.xlsx.title", framework=fw.label(fw.root, lang))))
    r = 3
    for k, v in rows:
        ws.cell(row=r, column=1, value=keep(k)).font = Font(bold=True)
        ws.cell(row=r, column=2, value=keep(v)).alignment = Alignment(wrap_text=True, vertical="top")
        r += 1
    cites = _sources(res, lang)
    if cites:
        r += 1
        ws.cell(row=r, column=1, value=keep(L("report.section.sources"))).font = Font(bold=True)
        for i, (c, inds) in enumerate(cites, 1):
            r += 1
            ws.cell(row=r, column=1, value=f"[{i}]")
            ws.cell(row=r, column=2, value=keep(f"{c} — {inds}")).alignment = Alignment(wrap_text=True)
    r += 2
    ws.cell(row=r, column=1, value=keep(L("report.xlsx.sheets"))).font = Font(bold=True)
    for name, what in [*sheets, ("nodes", L("report.xlsx.sheet_nodes")),
                       ("manifest", L("report.xlsx.sheet_manifest"))]:
        r += 1
        ws.cell(row=r, column=1, value=name)
        ws.cell(row=r, column=2, value=keep(what)).alignment = Alignment(wrap_text=True)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 110


def _sources(res, lang: str) -> list[tuple[str, str]]:
    """(citation, indicators it supplies) for the leaves, from the built-in dataset's catalogue."""
    import nqpf.datasets as D

    name = str(res.manifest.get("data", ""))
    try:
        if name not in D.names():
            return []
        cat = D.load(name).indicators
    except (ImportError, KeyError, AttributeError):
        return []
    per, order, _ = _leaf_sources(res, Inputs(pd.DataFrame(), None, cat, name))
    sep = "、" if lang == "zh" else "; "
    fw = res.framework
    return [(c, sep.join(fw.label(x, lang) for x in fw.leaves if c in per[x])) for c in order]


def _unique(heads: list[str]) -> list[str]:
    """Column headers made unique (a label used twice gets ' (2)')."""
    seen: dict[str, int] = {}
    out = []
    for h in heads:
        k = seen.get(h, 0) + 1
        seen[h] = k
        out.append(h if k == 1 else f"{h} ({k})")
    return out


def _neutral(df: pd.DataFrame, raw_text: bool) -> pd.DataFrame:
    """``write_table`` neutralises text cells; with ``raw_text`` the caller wants them as they are, so the frame
    is wrapped to skip that (see ``nqpf.report.excel.write_table``)."""
    df = df.copy()
    df.attrs["raw_text"] = bool(raw_text)
    return df


def _flat(v: Any) -> str:
    """A manifest value as one cell's text (JSON, cut at 32,000 characters, Excel's cell limit)."""
    if isinstance(v, str):
        return v
    s = json.dumps(v, ensure_ascii=False, default=_json_default)
    return s if len(s) < 32000 else s[:32000] + "…"
