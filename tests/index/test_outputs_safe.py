"""Index outputs: names that look like formulas are written as text; an output never replaces an input."""

from __future__ import annotations

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from nqpf.index import build_index

EVIL = "=HYPERLINK(\"http://x\",\"y\")"


def _data() -> pd.DataFrame:
    rows = []
    for i, u in enumerate([EVIL, "b", "c", "d"]):
        for y in (2020, 2021):
            rows += [(u, y, "x1", 1.0 + i + y % 2), (u, y, "x2", 4.0 - i)]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


SPEC = {"name": "t", "nodes": [{"id": "i"}, {"id": "x1", "parent": "i", "direction": 1},
                               {"id": "x2", "parent": "i", "direction": -1}]}


def test_workbook_cells_are_text_unless_raw(tmp_path):
    res = build_index(_data(), SPEC, weights="equal")
    res.to_excel(tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["scores"]
    units = [c.value for c in ws["A"][1:]]
    assert "'" + EVIL in units and EVIL not in units
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    res.to_excel(tmp_path / "b.xlsx", raw_text=True)
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["scores"]
    assert any(c.data_type == "f" for c in ws["A"])  # the switch really writes raw text (here: a live formula)


def test_cli_index_neutralises_and_refuses_to_overwrite_its_input(tmp_path):
    from nqpf.cli import main

    main.register_commands()
    data = tmp_path / "d.csv"
    _data().to_csv(data, index=False)
    fw = tmp_path / "fw.yaml"
    fw.write_text("name: t\nnodes:\n  - {id: i}\n  - {id: x1, parent: i, direction: 1}\n"
                  "  - {id: x2, parent: i, direction: -1}\n", encoding="utf-8")
    out = tmp_path / "o"
    r = CliRunner().invoke(main.app, ["index", "--data", str(data), "--framework", str(fw), "--weights", "equal",
                                      "--out", str(out)])
    assert r.exit_code == 0, r.output
    sc = pd.read_csv(out / "scores.csv")
    assert ("'" + EVIL) in set(sc["unit"])
    before = data.read_bytes()
    r = CliRunner().invoke(main.app, ["index", "--data", str(tmp_path / "o" / "scores.csv"), "--framework",
                                      str(fw), "--out", str(out)])
    assert r.exit_code != 0 and "would overwrite the input" in str(r.exception)
    assert data.read_bytes() == before
