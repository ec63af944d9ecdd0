"""Differential: generated scenarios under tenacity and the candidate, through the decorator,
the call form and the iterator form; every event must match.
"""

from __future__ import annotations

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


@needs_candidate
@settings_for(300)
@given(sc=scenarios())
def test_generated_scenarios(sc: Scenario) -> None:
    coverage_event(check(sc, REFERENCE, CANDIDATE))
