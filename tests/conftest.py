"""Shared pytest configuration. Keep this small: one section per concern."""

from __future__ import annotations

import logging
import os
import sys
import typing

import pytest

# --- import path ----------------------------------------------------------------------------
# Test helper modules (differential.py, ...) live next to the tests and are imported by name.
sys.path.insert(0, os.path.dirname(__file__))


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
