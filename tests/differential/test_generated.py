"""Differential: generated scenarios under tenacity and the candidate, through the decorator,
the call form and the iterator form (and again through a ``Policy`` made of the same
arguments); every event must match.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given

from tests.support.differential import (
    Recorder,
    Scenario,
    build_kwargs,
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


def _policy_accepts(sc: Scenario) -> bool:
    """Whether ``Policy`` takes the scenario's arguments: it refuses at once what can never
    work (``stop=3``), where tenacity fails only when called, so those are left out."""
    try:
        CANDIDATE.Policy("scenario", **build_kwargs(CANDIDATE, sc, Recorder(CANDIDATE, sc)))
    except (TypeError, ValueError):
        return False
    return True


# A policy is a named bundle of Retrying's arguments: decorating with it, or using its
# retrying(), must behave as tenacity's retry(**kwargs) and Retrying(**kwargs) do.
# Decorated by the registered name, the function goes through the registry's binding (the
# path that follows later configure() calls) instead of the policy object's.
@pytest.mark.timeout(600)
@needs_candidate
@pytest.mark.parametrize("registered", [False, True], ids=["object", "registered"])
@settings_for(100)
@given(sc=scenarios())
def test_generated_scenarios_through_a_policy(sc: Scenario, registered: bool) -> None:
    assume(_policy_accepts(sc))
    try:
        coverage_event(check(sc, REFERENCE, CANDIDATE, policy=True, registered=registered))
    finally:
        CANDIDATE.policies.reset()
