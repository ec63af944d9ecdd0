"""Differential: generated scenarios under tenacity and the candidate, through the decorator,
the call form and the iterator form; every event must match.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.support.differential import (
    Scenario,
    check,
    scenarios,
)
from tests.support.differential_cases import (
    CANDIDATE,
    REFERENCE,
    coverage_event,
    needs_candidate,
    settings_for,
)


# 300 scenarios, each run six times (two libraries, three forms): about 35 s on a loaded
# two-core machine, too close to the default limit.
@pytest.mark.timeout(600)
@needs_candidate
@settings_for(300)
@given(sc=scenarios())
def test_generated_scenarios(sc: Scenario) -> None:
    coverage_event(check(sc, REFERENCE, CANDIDATE))
