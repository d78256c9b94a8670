"""Test-wide setup: the Hypothesis profiles (issue 11, "CI must be deterministic").

* ``ci`` — loaded when the environment variable ``CI`` is true (``true``/``1``/``yes``, as GitHub Actions,
  GitLab and most CI services set it) or ``HYPOTHESIS_PROFILE=ci``: ``derandomize=True`` (examples derived
  from each test's source, the same on every run and machine), ``database=None`` (no example database read
  or written), no deadline (shared runners are slow), and the reproduction blob printed on failure.
* ``dev`` — every other run: random examples and the local example database, so that local runs keep
  hunting; a failure found this way is added to its test as an explicit ``@example`` so that CI replays it.

Each test's own ``@settings(...)`` (``max_examples``, health checks) applies on top of the loaded profile.
"""

from __future__ import annotations

import os

from hypothesis import settings

TRUE = ("1", "true", "yes", "on")

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)


def hypothesis_profile(environ: dict[str, str] | os._Environ | None = None) -> str:
    """The profile name for ``environ`` (default ``os.environ``): ``HYPOTHESIS_PROFILE`` if set, else ``ci``
    when ``CI`` is true, else ``dev``."""
    env = os.environ if environ is None else environ
    explicit = env.get("HYPOTHESIS_PROFILE", "").strip()
    if explicit:
        return explicit
    return "ci" if env.get("CI", "").strip().lower() in TRUE else "dev"


settings.load_profile(hypothesis_profile())


# --- no silent skips in CI (issue 18.7) -------------------------------------------------------------------
# Locally a test may skip when something the product ships or `make setup` installs is missing (a dataset
# not built yet, the ECharts map not fetched, chromium absent, ../shared not beside the clone). In CI every
# one of those is present by construction (`.ci/run` = `make test` sets them up), so a skip there means a
# broken build or a broken setup: it is reported as a failure. Platform skips (another OS) and skips whose
# reason starts with "optional:" (a tool `make test` does not install, e.g. XeLaTeX with ctex) stay skips.
import pytest  # noqa: E402

pytest_plugins = ["pytester"]  # tests/core/test_ci_skips.py runs the hook in a throw-away session

PLATFORM_SKIP = ("win32", "windows", "macos", "darwin", "needs linux")
OPTIONAL = "optional:"


def ci_strict(environ: dict[str, str] | os._Environ | None = None) -> bool:
    """True when skips must fail: ``CI`` is true and ``NQPF_ALLOW_SKIPS`` is not set."""
    env = os.environ if environ is None else environ
    ci = env.get("CI", "").strip().lower() in TRUE
    return ci and env.get("NQPF_ALLOW_SKIPS", "").strip().lower() not in TRUE


def skip_is_failure(reason: str, environ: dict[str, str] | os._Environ | None = None) -> bool:
    """Whether a skip with ``reason`` counts as a failure under ``environ`` (see the block comment above)."""
    text = reason.lower()
    if text.startswith("skipped: "):  # pytest's prefix in the report
        text = text[len("skipped: "):]
    return ci_strict(environ) and not text.startswith(OPTIONAL) and not any(p in text for p in PLATFORM_SKIP)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001 - pytest hook signature
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if skip_is_failure(reason):
            rep.outcome = "failed"
            rep.longrepr = f"skipped in CI, which must have everything the test needs: {reason}"
