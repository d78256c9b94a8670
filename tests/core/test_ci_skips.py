"""Skips become failures in CI (issue 18.7): the rule in tests/conftest.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
# loaded by path: `import conftest` would give whichever conftest.py pytest imported first (tests/report/ …)
_spec = importlib.util.spec_from_file_location("nqpf_root_conftest", ROOT_CONFTEST)
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)


def test_ci_turns_a_missing_dataset_skip_into_a_failure():
    env = {"CI": "true"}
    assert conftest.skip_is_failure("built-in dataset cn_cities not available", env)
    assert conftest.skip_is_failure("chromium not found", env)


def test_platform_skips_and_local_runs_stay_skips():
    assert not conftest.skip_is_failure("uses the coreutils `timeout` command (win32)", {"CI": "true"})
    assert not conftest.skip_is_failure("needs Linux /proc", {"CI": "1"})
    assert not conftest.skip_is_failure("optional: xelatex with ctex not installed", {"CI": "true"})
    assert not conftest.skip_is_failure("Skipped: optional: xelatex with ctex not installed", {"CI": "true"})
    assert not conftest.skip_is_failure("dataset not available", {})
    assert not conftest.skip_is_failure("dataset not available", {"CI": "true", "NQPF_ALLOW_SKIPS": "1"})


def test_the_hook_fails_a_skipping_test_in_ci(pytester, monkeypatch):
    """In a subprocess: the conftest loads a Hypothesis profile, which must not leak into this session."""
    pytester.makeconftest(ROOT_CONFTEST.read_text(encoding="utf-8").replace('pytest_plugins = ["pytester"]', ''))
    pytester.makepyfile("import pytest\n\ndef test_x():\n    pytest.skip('asset not fetched')\n")
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("NQPF_ALLOW_SKIPS", raising=False)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)
    monkeypatch.setenv("CI", "")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(skipped=1)
