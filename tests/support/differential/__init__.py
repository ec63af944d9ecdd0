"""Differential harness: run one retry scenario under tenacity and under a candidate library
(pertinax) and record every observable event, so that the two recordings can be compared.

A scenario is pure data. Its strategies are Python *source expressions* ("stop_after_attempt(3)
| probe_stop"), evaluated once per library in a namespace made of that library's public names
plus the harness' exception classes and recording probes. So a failing scenario prints as code
that reproduces it.

The candidate library is chosen with the environment variable ``PERTINAX_DIFF_CANDIDATE``
(default ``pertinax``); ``PERTINAX_DIFF_CANDIDATE=tenacity`` runs tenacity against itself,
which checks that the harness is deterministic.

Time: nothing here patches a clock. Delay-based stops are only generated with limits that a
test run cannot reach (``1e9``) or that are always reached (``0``), so the real clock cannot
change a decision. ``start_time`` and ``delay_since_first_attempt`` are compared by presence
and type only.
"""

from __future__ import annotations

from .comparison import (
    Mismatch,
    check,
    compare,
    observe,
)
from .fixtures import (
    EVENT_SET,
    EVENT_UNSET,
    EXCEPTIONS,
    FORMS,
    LIB_NAMES,
    MAX_SLEEPS,
    OMIT,
    CallbackError,
    ErrA,
    ErrB,
    ErrC,
    ErrD,
    Halt,
    Runaway,
    Scenario,
    load_candidate,
    my_retry_error,
)
from .generation import (
    ANY_DELAYS,
    EXC_NAMES,
    MESSAGES,
    RESULTS,
    RUN_BEFORE_DELAYS,
    RUN_DELAYS,
    retries,
    scenarios,
    steps,
    stops,
    waits,
)
from .recording import (
    FalsyCallback,
    Recorder,
    num,
    scrub,
)
from .running import (
    ARGS,
    KWARGS,
    HarnessError,
    build_kwargs,
    mutate_strategies,
    namespace,
    perform,
    run,
)

__all__ = [
    "ANY_DELAYS",
    "ARGS",
    "CallbackError",
    "EVENT_SET",
    "EVENT_UNSET",
    "EXCEPTIONS",
    "EXC_NAMES",
    "ErrA",
    "ErrB",
    "ErrC",
    "ErrD",
    "FORMS",
    "FalsyCallback",
    "Halt",
    "HarnessError",
    "KWARGS",
    "LIB_NAMES",
    "MAX_SLEEPS",
    "MESSAGES",
    "Mismatch",
    "OMIT",
    "RESULTS",
    "RUN_BEFORE_DELAYS",
    "RUN_DELAYS",
    "Recorder",
    "Runaway",
    "Scenario",
    "build_kwargs",
    "check",
    "compare",
    "load_candidate",
    "mutate_strategies",
    "my_retry_error",
    "namespace",
    "num",
    "observe",
    "perform",
    "retries",
    "run",
    "scenarios",
    "scrub",
    "steps",
    "stops",
    "waits",
]
