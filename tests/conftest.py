"""Shared pytest configuration. Keep this small: one section per concern."""

from __future__ import annotations

import logging
import os
import typing

import pytest


# --- differential tests ---------------------------------------------------------------------
def pytest_report_header(config: object) -> str:
    name = os.environ.get("PERTINAX_DIFF_CANDIDATE", "pertinax")
    return f"differential tests: tenacity vs {name} (set PERTINAX_DIFF_CANDIDATE to change)"


# --- pertinax's own warnings ------------------------------------------------------------------
@pytest.fixture
def transient_log(caplog: pytest.LogCaptureFixture) -> typing.Iterator[pytest.LogCaptureFixture]:
    """Warnings of pertinax.transient, whatever earlier tests did to the logging tree."""
    logger = logging.getLogger("pertinax.transient")
    # dictConfig() disables the loggers it does not name, and may stop propagation.
    disabled, logger.disabled = logger.disabled, False
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="pertinax.transient"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.disabled = disabled


# --- the policy registry ----------------------------------------------------------------------
@pytest.fixture
def fresh_policies() -> typing.Iterator[None]:
    """The policy registry as pertinax starts, before and after the test."""
    from pertinax import policies

    policies.reset()
    yield
    policies.reset()


# --- the metrics registry ---------------------------------------------------------------------
@pytest.fixture
def fresh_metrics() -> typing.Iterator[None]:
    """Every operation's counters at zero, before and after the test."""
    from pertinax import metrics

    metrics.reset()
    yield
    metrics.reset()


# --- real services --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_server():  # type: ignore[no-untyped-def]
    """Debian's redis-server on a free loopback port for the whole session (no persistence).
    A test may stop() and start() it again; it is running again after every test module."""
    from tests.support.celery_services import RedisServer

    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
