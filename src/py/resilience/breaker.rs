//! `pertinax.CircuitBreaker`: fails calls fast while the dependency it guards keeps failing.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};

use super::args::{
    config_error, count, name_arg, number, py_float, reduce, store_arg, str_repr, visit_store,
};
use crate::errors::bad_value;
use crate::resilience::breaker::{Breaker, BreakerConfig, Outcome, State};
use crate::resilience::guard::{BreakerGuard, Ticket};

/// A circuit breaker: fails calls fast while the dependency it guards keeps failing.
#[pyclass(frozen, module = "pertinax", name = "CircuitBreaker")]
pub struct CircuitBreaker {
    pub guard: Arc<BreakerGuard>,
}

const BREAKER: &str = "CircuitBreaker";

#[pymethods]
impl CircuitBreaker {
    #[new]
    #[pyo3(signature = (name, *, failure_rate = None, window = None, minimum_calls = None, open_for = None, half_open_calls = None, store = None))]
    fn new(
        name: &Bound<'_, PyAny>,
        failure_rate: Option<&Bound<'_, PyAny>>,
        window: Option<&Bound<'_, PyAny>>,
        minimum_calls: Option<&Bound<'_, PyAny>>,
        open_for: Option<&Bound<'_, PyAny>>,
        half_open_calls: Option<&Bound<'_, PyAny>>,
        store: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let name = name_arg(BREAKER, name)?;
        let store = store_arg(BREAKER, store, &["breaker_acquire", "breaker_record"])?;
        let d = BreakerConfig::default();
        let n = |arg: &str, v: Option<&Bound<'_, PyAny>>, dflt: u32| match v {
            Some(v) => count(BREAKER, arg, v),
            None => Ok(dflt),
        };
        let open_for_s = match open_for {
            Some(v) => number(BREAKER, "open_for", v)?,
            None => d.open_for_ns as f64 / 1e9,
        };
        if !(open_for_s.is_finite() && open_for_s >= 0.0) {
            return Err(bad_value(
                BREAKER,
                format!(
                    "open_for must be a number of seconds >= 0, got {}",
                    py_float(open_for_s)
                ),
            ));
        }
        let config = BreakerConfig {
            failure_rate: match failure_rate {
                Some(v) => number(BREAKER, "failure_rate", v)?,
                None => d.failure_rate,
            },
            window: n("window", window, d.window)?,
            minimum_calls: n("minimum_calls", minimum_calls, d.minimum_calls)?,
            open_for_ns: crate::observe::metrics::seconds_to_nanos(open_for_s),
            half_open_calls: n("half_open_calls", half_open_calls, d.half_open_calls)?,
        };
        let breaker = Breaker::new(config).map_err(|e| config_error(BREAKER, e))?;
        Ok(CircuitBreaker {
            guard: BreakerGuard::new(name, breaker, store),
        })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.guard.name
    }
    #[getter]
    fn failure_rate(&self) -> f64 {
        self.guard.breaker.config().failure_rate
    }
    #[getter]
    fn window(&self) -> u32 {
        self.guard.breaker.config().window
    }
    #[getter]
    fn minimum_calls(&self) -> u32 {
        self.guard.breaker.config().minimum_calls
    }
    #[getter]
    fn open_for(&self) -> f64 {
        self.guard.breaker.config().open_for_ns as f64 / 1e9
    }
    #[getter]
    fn half_open_calls(&self) -> u32 {
        self.guard.breaker.config().half_open_calls
    }
    #[getter]
    fn store(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.guard.store.as_ref().map(|s| s.clone_ref(py))
    }

    /// "closed", "open" or "half_open" (with a store: as of its last answer).
    #[getter]
    fn state(&self) -> &'static str {
        self.guard.state().name()
    }

    /// Asks to make one call: a ticket for `record`, or CircuitOpenError.
    fn acquire(slf: &Bound<'_, Self>) -> PyResult<i64> {
        slf.get().guard.admit(slf.as_any()).map(Ticket::to_int)
    }

    /// Records how the call admitted with `ticket` ended: "success", "failure" or
    /// "ignored" (neither: the slot is given back).
    fn record(slf: &Bound<'_, Self>, ticket: i64, outcome: &str) -> PyResult<()> {
        let outcome = match outcome {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            "ignored" => Outcome::Ignored,
            other => {
                return Err(bad_value(
                    &format!("{BREAKER}.record"),
                    format!(
                        "outcome must be 'success', 'failure' or 'ignored', got {}",
                        str_repr(slf.py(), other)?
                    ),
                ))
            }
        };
        slf.get()
            .guard
            .finish(slf.as_any(), Ticket::from_int(ticket), outcome);
        Ok(())
    }

    /// Opens the breaker now (with a store, for every process).
    fn trip(slf: &Bound<'_, Self>) {
        slf.get().guard.switch(slf.as_any(), State::Open);
    }

    /// Closes the breaker with an empty window (with a store, for every process).
    fn reset(slf: &Bound<'_, Self>) {
        slf.get().guard.switch(slf.as_any(), State::Closed);
    }

    /// Totals this process saw, the state, and the local window's failure rate.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        breaker_dict(py, &self.guard)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.guard.breaker.config();
        Ok(format!(
            "CircuitBreaker({}, failure_rate={}, window={}, minimum_calls={}, open_for={}, half_open_calls={}{})",
            str_repr(py, &self.guard.name)?,
            py_float(c.failure_rate),
            c.window,
            c.minimum_calls,
            py_float(c.open_for_ns as f64 / 1e9),
            c.half_open_calls,
            if self.guard.store.is_some() {
                ", store=..."
            } else {
                ""
            }
        ))
    }

    /// Pickles the configuration (and the store), not the state: an unpickled breaker is a
    /// new, closed one.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let py = slf.py();
        let g = &slf.get().guard;
        let c = g.breaker.config();
        let kwargs = PyDict::new(py);
        kwargs.set_item("failure_rate", c.failure_rate)?;
        kwargs.set_item("window", c.window)?;
        kwargs.set_item("minimum_calls", c.minimum_calls)?;
        kwargs.set_item("open_for", c.open_for_ns as f64 / 1e9)?;
        kwargs.set_item("half_open_calls", c.half_open_calls)?;
        kwargs.set_item("store", &g.store)?;
        reduce(slf.as_any(), &g.name, &kwargs)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit_store(&self.guard.store, visit)
    }
}

pub fn breaker_dict<'py>(py: Python<'py>, s: &BreakerGuard) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let state = s.state();
    d.set_item("state", state.name())?;
    d.set_item("state_code", state.code())?;
    for (key, n) in [
        ("opened", &s.seen.opened),
        ("half_opened", &s.seen.half_opened),
        ("closed", &s.seen.closed),
        ("rejected", &s.seen.rejected),
    ] {
        d.set_item(key, n.load(Relaxed))?;
    }
    let (rate, calls) = s.breaker.window();
    d.set_item("failure_rate", rate)?;
    d.set_item("window_calls", calls)?;
    d.set_item("changed_at", s.changed_at())?;
    Ok(d)
}
