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
