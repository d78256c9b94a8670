"""The Hypothesis profile of tests/conftest.py: deterministic when CI is true, random locally (issue 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# Loads tests/conftest.py as the test run does, then draws the examples of one property twice.
SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import conftest
from hypothesis import given, settings, strategies as st

seen = []

@given(st.integers(-10**9, 10**9), st.text(max_size=5))
@settings(max_examples=20)
def prop(n, s):
    seen.append([n, s])

prop()
d = settings.default
print(json.dumps({"profile": conftest.hypothesis_profile(), "derandomize": d.derandomize,
                  "database": d.database is None, "examples": seen}))
"""


def _run(tmp_path: Path, **env: str) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(TESTS)], cwd=tmp_path, env=full, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_ci_profile_is_deterministic(tmp_path):
    a, b = _run(tmp_path, CI="true"), _run(tmp_path, CI="true")
    assert a["profile"] == "ci" and a["derandomize"] is True and a["database"] is True
    assert a["examples"] == b["examples"] and len(a["examples"]) >= 10  # same examples in two processes
    assert _run(tmp_path, CI="1")["examples"] == a["examples"]


def test_local_profile_is_random(tmp_path):
    a, b = _run(tmp_path), _run(tmp_path, CI="false")
    assert a["profile"] == b["profile"] == "dev" and a["derandomize"] is False and a["database"] is False
    assert a["examples"] != b["examples"]  # 20 random draws over 2e9 integers: equal with probability ~0
    assert _run(tmp_path, HYPOTHESIS_PROFILE="ci")["profile"] == "ci"


def test_this_run_uses_the_profile_of_its_environment():
    import importlib.util

    from hypothesis import settings

    spec = importlib.util.spec_from_file_location("_tests_conftest", TESTS / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # by path: "conftest" in sys.modules may be another folder's
    expected = mod.hypothesis_profile()
    assert settings.default.derandomize is (expected == "ci")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes", "on"):
        assert expected == "ci" and settings.default.database is None
