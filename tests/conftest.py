"""Shared pytest configuration. Keep this small: one section per concern."""

from __future__ import annotations

import os


# --- differential tests ---------------------------------------------------------------------
def pytest_report_header(config: object) -> str:
    name = os.environ.get("PERTINAX_DIFF_CANDIDATE", "pertinax")
    return f"differential tests: tenacity vs {name} (set PERTINAX_DIFF_CANDIDATE to change)"
