"""The HTTP sandbox fixtures (shared module in tests/jobs/sandbox_http.py)."""

from tests.jobs.sandbox_http import http_sandbox, sandbox_channel  # noqa: F401
