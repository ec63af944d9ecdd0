"""Shared pytest configuration. Keep this small: one section per concern."""

from __future__ import annotations

import os
import sys

# --- import path ----------------------------------------------------------------------------
# Test helper modules (differential.py, ...) live next to the tests and are imported by name.
sys.path.insert(0, os.path.dirname(__file__))


# --- differential tests ---------------------------------------------------------------------
def pytest_report_header(config: object) -> str:
    name = os.environ.get("PERTINAX_DIFF_CANDIDATE", "pertinax")
    return f"differential tests: tenacity vs {name} (set PERTINAX_DIFF_CANDIDATE to change)"


# --- real services --------------------------------------------------------------------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def redis_server():  # type: ignore[no-untyped-def]
    """Debian's redis-server on a free loopback port for the whole session (no persistence).
    A test may stop() and start() it again; it is running again after every test module."""
    from support.celery_services import RedisServer

    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
