"""Issue 18: concurrent uncertainty analyses (dashboard threads) keep their own notes.

Before, the analysis captured the nominal build's warnings with the process-global
``warnings.catch_warnings(record=True)``; in threads an analysis recorded another one's notes (or lost its own).
The reference is the same analysis run alone: its manifest notes must equal each threaded run's."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

from nqpf.uncertainty.montecarlo import run_uncertainty

KW = dict(framework="nqpf-core-v1", periods="2015-2019", weights="equal", samples=16, seed=1, vary=["weights"],
          n_boot=20, unit_sensitivity=False, backend="sequential")


def _one(norm: str):
    return run_uncertainty("cn_provinces", normalize=norm, **KW).manifest["notes"]


def test_threaded_analyses_keep_their_own_notes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = {norm: _one(norm) for norm in ("minmax-period", "minmax-global")}
    # the two analyses differ in their notes, so a mix-up shows
    assert any("minmax-period" in n for n in alone["minmax-period"]), alone["minmax-period"]
    assert not any("minmax-period" in n for n in alone["minmax-global"]), alone["minmax-global"]
    kinds = ["minmax-period", "minmax-global"] * 8
    with ThreadPoolExecutor(max_workers=6) as ex:
        got = list(ex.map(_one, kinds))
    bad = [(k, g) for k, g in zip(kinds, got, strict=True) if g != alone[k]]
    assert not bad, bad[:2]
