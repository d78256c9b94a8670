"""Property-based API tests generated from the OpenAPI schema: no input may produce a server error (5xx)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from nqpf.web import create_app  # noqa: E402


def _app():
    import tempfile

    # the ASGI test transport sends Host: testserver; name it like --allowed-host would
    return create_app(tempfile.mkdtemp(prefix="nqpf-schema-"), max_upload_bytes=100_000, allowed_hosts=("testserver",))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    # the first call of /api/geo/cities builds the city map (~10 s on a busy machine): more than the 10 s default
    case.call_and_validate(checks=[not_a_server_error], timeout=120)
