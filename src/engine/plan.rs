//! `Plan`: everything a controller says about how to retry, compiled once and shared by
//! every call under it.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::errors::Error;
use crate::observe::plan::PlanObserve;
use crate::resilience::guard::{BreakerGuard, BudgetGuard};
use crate::strategy::retry::Retry;
use crate::strategy::stop::Stop;
use crate::strategy::wait::Wait;
use crate::strategy::Callback;

/// Everything a controller says about how to retry, compiled once.
pub struct Plan {
    pub stop: Stop,
    pub wait: Wait,
    pub retry: Retry,
    pub before: Option<Callback>,
    pub after: Option<Callback>,
    pub before_sleep: Option<Callback>,
    pub retry_error_callback: Option<Callback>,
    /// pertinax's hook for a call that succeeded after retrying.
    pub on_recovered: Option<Callback>,
    pub sleep: Py<PyAny>,
    /// The sleep is not callable: what calling it raises.
    pub sleep_error: Option<Error>,
    /// The sleep is pertinax's default (`time.sleep`, looked up at call time).
    pub sleep_is_default: bool,
    pub reraise: bool,
    pub retry_error_cls: Py<PyAny>,
    pub enabled: bool,
    /// Some Python code will want a `RetryCallState`: make one for every call.
    pub needs_state: bool,
    /// `strategy::generation()` when the strategies were read.
    pub generation: u64,
    /// A first attempt that returns is the result: no `before` hook, no state to build, and
    /// a retry predicate that never retries a returned value.
    pub returns_first_success: bool,
    /// Metrics and log levels (`crate::observe`).
    pub observe: PlanObserve,
    /// The retry budget and circuit breaker, with their Python objects (which a store is
    /// handed). Either one turns the first-attempt shortcut off.
    pub budget: Option<(Arc<BudgetGuard>, Py<PyAny>)>,
    pub breaker: Option<(Arc<BreakerGuard>, Py<PyAny>)>,
    /// Compiled in testing mode (`crate::testing`): drivers never call the sleep.
    pub skip_sleep: bool,
}

impl Plan {
    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        self.stop.traverse(visit)?;
        self.wait.traverse(visit)?;
        self.retry.traverse(visit)?;
        for cb in [
            &self.before,
            &self.after,
            &self.before_sleep,
            &self.retry_error_callback,
            &self.on_recovered,
        ]
        .into_iter()
        .flatten()
        {
            visit.call(&cb.obj)?;
        }
        visit.call(&self.sleep)?;
        if let Some((_, obj)) = &self.budget {
            visit.call(obj)?;
        }
        if let Some((_, obj)) = &self.breaker {
            visit.call(obj)?;
        }
        self.observe.traverse(visit)?;
        visit.call(&self.retry_error_cls)
    }
}
