//! Stop strategies: when to give up.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use super::{arg_f64, find_kind, registry, Callback, Found, Registry};
use crate::errors::Error;
use crate::state::StateView;

#[derive(Debug)]
pub enum Stop {
    Never,
    AfterAttempt(f64),
    AfterDelay(f64),
    BeforeDelay(f64),
    WhenEventSet(Py<PyAny>),
    Any(Vec<Stop>),
    All(Vec<Stop>),
    Python(Callback),
    /// A value that can never work; the error is raised when the strategy is first used, where
    /// tenacity fails too, so that a call that never needs it still succeeds.
    Invalid(Error),
}

/// The built-in stop classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Never,
    AfterAttempt,
    AfterDelay,
    BeforeDelay,
    WhenEventSet,
    Any,
    All,
}

/// Each kind with its class's name in `pertinax.stop`.
pub const KINDS: &[(Kind, &str)] = &[
    (Kind::Never, "_stop_never"),
    (Kind::AfterAttempt, "stop_after_attempt"),
    (Kind::AfterDelay, "stop_after_delay"),
    (Kind::BeforeDelay, "stop_before_delay"),
    (Kind::WhenEventSet, "stop_when_event_set"),
    (Kind::Any, "stop_any"),
    (Kind::All, "stop_all"),
];

fn classes(py: Python<'_>) -> PyResult<&'static Registry<Kind>> {
    static CELL: PyOnceLock<Registry<Kind>> = PyOnceLock::new();
    registry(py, &CELL, "pertinax.stop", KINDS)
}

fn class_name(kind: Kind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("stop", |(_, n)| n)
}

/// `attempt >= max_attempts`.
pub fn after_attempt(attempt: f64, max_attempts: f64) -> bool {
    attempt >= max_attempts
}

/// `elapsed >= max_delay`.
pub fn after_delay(elapsed: f64, max_delay: f64) -> bool {
    elapsed >= max_delay
}

/// `elapsed + upcoming_sleep >= max_delay`: stop one attempt early rather than sleep past the
/// deadline.
pub fn before_delay(elapsed: f64, upcoming_sleep: f64, max_delay: f64) -> bool {
    elapsed + upcoming_sleep >= max_delay
}

impl Stop {
    pub fn compile(obj: &Bound<'_, PyAny>) -> PyResult<Stop> {
        Stop::compile_as(obj, "stop")
    }

    /// Compiles a strategy given as `argument` (`stop`, or a combinator's argument).
    fn compile_as(obj: &Bound<'_, PyAny>, argument: &str) -> PyResult<Stop> {
        let py = obj.py();
        match find_kind(obj, "stop", argument, classes(py)?, || Ok(None))? {
            Found::Kind(kind) => Stop::from_kind(obj, kind),
            Found::Python(cb) => Ok(Stop::Python(cb)),
            Found::Invalid(e) => Ok(Stop::Invalid(e)),
        }
    }

    /// Reads a built-in strategy called directly (`stop_x(...)(retry_state)`), even from a
    /// subclass's `super().__call__`.
    pub fn compile_native(obj: &Bound<'_, PyAny>) -> PyResult<Stop> {
        match classes(obj.py())?.classify_any(obj)? {
            Some(kind) => Stop::from_kind(obj, kind),
            None => Ok(Stop::Invalid(super::not_callable("stop", "stop", obj))),
        }
    }

    fn from_kind(obj: &Bound<'_, PyAny>, kind: Kind) -> PyResult<Stop> {
        let strategy = class_name(kind);
        let num = |attr: &'static str, make: fn(f64) -> Stop| -> PyResult<Stop> {
            let v = obj.getattr(pyo3::types::PyString::intern(obj.py(), attr))?;
            Ok(match arg_f64(strategy, attr, &v) {
                Ok(n) => make(n),
                Err(e) => Stop::Invalid(e),
            })
        };
        let many = |attr: &'static str| -> PyResult<Vec<Stop>> {
            let argument = format!("{strategy}: argument '{attr}'");
            obj.getattr(pyo3::types::PyString::intern(obj.py(), attr))?
                .try_iter()?
                .map(|s| Stop::compile_as(&s?, &argument))
                .collect()
        };
        match kind {
            Kind::Never => Ok(Stop::Never),
            Kind::AfterAttempt => num("max_attempt_number", Stop::AfterAttempt),
            Kind::AfterDelay => num("max_delay", Stop::AfterDelay),
            Kind::BeforeDelay => num("max_delay", Stop::BeforeDelay),
            Kind::WhenEventSet => Ok(Stop::WhenEventSet(
                obj.getattr(pyo3::intern!(obj.py(), "event"))?.unbind(),
            )),
            Kind::Any => Ok(Stop::Any(many("stops")?)),
            Kind::All => Ok(Stop::All(many("stops")?)),
        }
    }

    /// The compiled variant's name, for tests and introspection.
    pub fn variant(&self) -> &'static str {
        match self {
            Stop::Never => "Never",
            Stop::AfterAttempt(_) => "AfterAttempt",
            Stop::AfterDelay(_) => "AfterDelay",
            Stop::BeforeDelay(_) => "BeforeDelay",
            Stop::WhenEventSet(_) => "WhenEventSet",
            Stop::Any(_) => "Any",
            Stop::All(_) => "All",
            Stop::Python(_) => "Python",
            Stop::Invalid(_) => "Invalid",
        }
    }

    /// Whether any part of this strategy is Python code that needs a `RetryCallState`.
    pub fn needs_state(&self) -> bool {
        match self {
            Stop::Python(_) => true,
            Stop::Any(v) | Stop::All(v) => v.iter().any(Stop::needs_state),
            _ => false,
        }
    }

    pub fn top_level_callback(&mut self) -> Option<&mut Callback> {
        match self {
            Stop::Python(cb) => Some(cb),
            _ => None,
        }
    }

    pub fn evaluate<'py>(&self, state: &dyn StateView<'py>) -> PyResult<bool> {
        match self {
            Stop::Never => Ok(false),
            Stop::AfterAttempt(max) => Ok(after_attempt(
                state.attempt_number()?.as_f64(state.py())?,
                *max,
            )),
            Stop::AfterDelay(max) => Ok(after_delay(elapsed(state)?, *max)),
            Stop::BeforeDelay(max) => {
                let upcoming = state.upcoming_sleep()?.as_f64(state.py())?;
                Ok(before_delay(elapsed(state)?, upcoming, *max))
            }
            Stop::WhenEventSet(event) => event
                .bind(state.py())
                .call_method0(crate::names::is_set(state.py()))?
                .is_truthy(),
            Stop::Any(stops) => {
                for s in stops {
                    if s.evaluate(state)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Stop::All(stops) => {
                for s in stops {
                    if !s.evaluate(state)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Stop::Python(cb) => cb.call(state)?.is_truthy(),
            Stop::Invalid(e) => Err(e.clone().into()),
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        match self {
            Stop::WhenEventSet(o) => visit.call(o),
            Stop::Python(cb) => visit.call(&cb.obj),
            Stop::Any(v) | Stop::All(v) => v.iter().try_for_each(|s| s.traverse(visit)),
            _ => Ok(()),
        }
    }
}

fn elapsed<'py>(state: &dyn StateView<'py>) -> PyResult<f64> {
    match state.seconds_since_start()? {
        Some(n) => n.as_f64(state.py()),
        None => Err(Error::SecondsSinceStartUnset.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_attempt_counts_the_attempt_that_just_ran() {
        assert!(!after_attempt(2.0, 3.0));
        assert!(after_attempt(3.0, 3.0));
        assert!(after_attempt(4.0, 3.0));
        // stop_after_attempt(0) and (1) both mean a single attempt.
        assert!(after_attempt(1.0, 0.0));
        assert!(after_attempt(1.0, 1.0));
        // a fractional limit rounds the attempts up, as Python's comparison does
        assert!(!after_attempt(2.0, 2.5));
        assert!(after_attempt(3.0, 2.5));
    }

    #[test]
    fn after_delay_is_inclusive() {
        assert!(!after_delay(0.999, 1.0));
        assert!(after_delay(1.0, 1.0));
    }

    #[test]
    fn before_delay_looks_at_the_upcoming_sleep() {
        assert!(!before_delay(0.999, 0.0001, 1.0));
        assert!(before_delay(1.0, 0.001, 1.0));
        assert!(before_delay(0.5, 0.5, 1.0));
        // with no upcoming sleep it is after_delay
        assert_eq!(before_delay(0.7, 0.0, 1.0), after_delay(0.7, 1.0));
    }
}
