"""Rebuild every shipped dataset from ../shared/data/raw and check it equals what ships (byte for byte)."""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import nqpf.datasets as ds
from nqpf.data.panel import check_long

REPO = Path(__file__).resolve().parents[2]
RAW = (REPO / "../shared/data/raw").resolve()

pytestmark = pytest.mark.skipif(
    not RAW.is_dir(), reason=f"raw data folder {RAW} not present (../shared is not part of a clone)"
)


def _orchestrator():
    spec = importlib.util.spec_from_file_location("build_datasets", REPO / "scripts/build_datasets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
@pytest.mark.parametrize("name", ds.names())
def test_rebuild_equals_shipped(name, tmp_path):
    """Byte-identical rebuild, and the CSV round trip is exact: what the builder computed in memory is
    exactly what the loader reads back (floats written with repr, no rounding)."""
    bd = _orchestrator()
    mod = bd.load_builder(name)
    assert mod is not None, f"no builder scripts/build/{name}.py for a shipped dataset"
    res = mod.build(RAW)
    bd.write_dataset(name, res, RAW, tmp_path)
    shipped = resources.files("nqpf.datasets") / "_data" / name
    for fn in ("data.csv.gz", "indicators.csv", "units.csv", "manifest.json"):
        assert (tmp_path / name / fn).read_bytes() == (shipped / fn).read_bytes(), (
            f"{name}/{fn} differs from a rebuild; run python scripts/build_datasets.py --raw ../shared/data/raw"
        )
    new = ds.read_dir(tmp_path / name)
    old = ds.read_dir(shipped)
    for a, b in zip(new[:3], old[:3], strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert new[3] == old[3]
    pd.testing.assert_frame_equal(new[0], check_long(res["data"]), check_exact=True)


def test_validation_refuses_bad_builder_output(tmp_path):
    bd = _orchestrator()
    good = dict(
        data=pd.DataFrame(
            {"unit": ["A", "B"], "period": [2020, 2020], "indicator": ["x", "x"], "value": [1.0, 2.0]}
        ),
        indicators=pd.DataFrame(
            [
                dict(
                    indicator="x",
                    name_zh="x",
                    name_en="x",
                    unit_of_measure="u",
                    direction_hint=1,
                    definition="d",
                    formula="",
                    source="s",
                    caveats="",
                    gdp_vintage="",
                )
            ]
        ),
        units=pd.DataFrame(
            {"unit": ["A", "B"], "name_zh": ["a", "b"], "name_en": ["a", "b"], "group": ["g", "g"]}
        ),
        sources=[],
        title="t",
        notes="n",
    )
    bd.validate("toy", good)
    bad = dict(good, data=pd.concat([good["data"], good["data"].assign(indicator="y")]))
    with pytest.raises(bd.BuildError, match="not in the catalogue"):
        bd.validate("toy", bad)
    bad = dict(good, units=good["units"].iloc[:1])
    with pytest.raises(bd.BuildError, match="not in the units table"):
        bd.validate("toy", bad)
    bad = dict(good, indicators=good["indicators"].assign(direction_hint=2))
    with pytest.raises(bd.BuildError, match="direction_hint"):
        bd.validate("toy", bad)
