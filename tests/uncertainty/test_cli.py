"""``nqpf uncertainty``: the file contract, the manifest, and a clear error for an unreachable scheduler."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import yaml
from typer.testing import CliRunner

from conftest import synthetic_panel


def _inputs(tmp_path):
    long, fw = synthetic_panel(U=10, T=3, L=6, D=2, seed=5)
    data = tmp_path / "panel.csv"
    long.to_csv(data, index=False)
    fwp = tmp_path / "fw.yaml"
    fwp.write_text(yaml.safe_dump(fw), encoding="utf-8")
    return data, fwp


def test_cli_writes_the_contract_files(tmp_path):
    import nqpf.cli.main as main

    main.register_commands()
    data, fwp = _inputs(tmp_path)
    out = tmp_path / "out"
    args = ["uncertainty", "--data", str(data), "--framework", str(fwp), "--samples", "16", "--seed", "3",
            "--vary", "normalize,weights,aggregate,exclude", "--backend", "sequential", "--bootstrap", "50",
            "--out", str(out)]
    r = CliRunner().invoke(main.app, args)
    assert r.exit_code == 0, (r.output, r.exception)
    ri = pd.read_csv(out / "rank_intervals.csv")
    assert list(ri.columns) == ["unit", "period", "rank_nominal", "rank_median", "rank_p05", "rank_p95",
                                "score_median", "score_p05", "score_p95"]
    assert len(ri) == 10 * 3
    sens = pd.read_csv(out / "sensitivity.csv")
    assert list(sens.columns) == ["factor", "first_order", "total_order", "first_order_ci_low",
                                  "first_order_ci_high", "total_order_ci_low", "total_order_ci_high"]
    assert sens["factor"].tolist() == ["normalize", "weights", "aggregate", "exclude"]
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["design"]["runs"] == 16 * (4 + 2) and man["design"]["seed"] == 3
    assert man["execution"]["backend"] == "sequential"
    # same seed → identical files
    out2 = tmp_path / "out2"
    r2 = CliRunner().invoke(main.app, [*args[:-1], str(out2)])
    assert r2.exit_code == 0, (r2.output, r2.exception)
    for f in ("rank_intervals.csv", "sensitivity.csv"):
        assert (out / f).read_bytes() == (out2 / f).read_bytes()


def test_cli_unreachable_scheduler_exits_with_a_message(tmp_path):
    data, fwp = _inputs(tmp_path)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-c", "from nqpf.cli.main import main; main()", "uncertainty", "--data", str(data), "--framework",
                        str(fwp), "--samples", "16", "--vary", "weights", "--scheduler", "tcp://127.0.0.1:1",
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    assert "cannot reach the Dask scheduler" in p.stderr and "Traceback" not in p.stderr
    assert time.monotonic() - t0 < 60  # includes interpreter start-up on a loaded machine; connect timeout 5 s
